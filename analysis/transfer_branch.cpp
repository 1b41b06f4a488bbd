// Branch refinement: what the edge of a conditional jump teaches about its operands.
#include <optional>

#include "analysis/transfer.hpp"

namespace tailgate {

// The condition that holds on the edge, or nullopt for a not-taken JSET (no single Cond expresses it).
static std::optional<Cond> edge_cond(Cond c, bool taken) {
    if (taken) return c;
    if (c == Cond::Set) return std::nullopt;
    return negate(c);
}

static bool is_unsigned_cmp(Cond c) {
    return c == Cond::Gt || c == Cond::Ge || c == Cond::Lt || c == Cond::Le;
}

// Add `x c y` (c an ordering / equality that holds over the integers) to the zone.
static void add_relation(Zone& z, Cond c, Zone::Var x, Zone::Var y) {
    switch (c) {
    case Cond::Eq:
        z.add_constraint(x, y, 0);
        z.add_constraint(y, x, 0);
        break;
    case Cond::Gt:
    case Cond::SGt: z.add_constraint(y, x, -1); break;
    case Cond::Ge:
    case Cond::SGe: z.add_constraint(y, x, 0); break;
    case Cond::Lt:
    case Cond::SLt: z.add_constraint(x, y, -1); break;
    case Cond::Le:
    case Cond::SLe: z.add_constraint(x, y, 0); break;
    default: break;
    }
}

// Does the comparison of a and b (as is32 / unsigned / signed says) order them as integers would?
static bool integer_order(Cond c, bool is32, const ScalarValue& a, const ScalarValue& b) {
    if (is32) return a.umax <= 0x7fffffffULL && b.umax <= 0x7fffffffULL;
    if (is_unsigned_cmp(c)) return a.smin >= 0 && b.smin >= 0;
    return true; // signed 64-bit and equality compare the integers themselves
}

// Both operands scalars: the interval/tnum refinement of the domain, plus the relation in the zone when
// the machine comparison orders the values as integers.
static void assume_scalars(const Jump& j, bool taken, std::optional<Cond> c, State& s) {
    Frame& f = s.top();
    ScalarValue dv = f.regs[j.dst].num;
    ScalarValue sv = j.src.is_reg ? f.regs[j.src.reg].num : ScalarValue::constant(uint64_t(j.src.imm));
    bool same = j.src.is_reg && j.src.reg == j.dst;
    // bounds first tightened to the known low bits, so that `!= N` can cut an aligned end point
    if (!align_to_tnum(dv) || !align_to_tnum(sv) || !refine_branch(j.cond, j.is32, taken, dv, sv) ||
        !align_to_tnum(dv) || !align_to_tnum(sv)) {
        s.bottom = true;
        return;
    }
    if (same) {
        auto m = meet(dv, sv);
        if (!m) {
            s.bottom = true;
            return;
        }
        dv = *m;
    }
    f.regs[j.dst].num = dv;
    push_bounds(f, j.dst);
    if (j.src.is_reg && !same) {
        f.regs[j.src.reg].num = sv;
        push_bounds(f, j.src.reg);
        if (c && integer_order(*c, j.is32, dv, sv))
            add_relation(f.zone, *c, Frame::var_reg(j.dst), Frame::var_reg(j.src.reg));
    }
    if (f.zone.is_bottom() || !pull_bounds(f)) s.bottom = true;
}

static bool never_null(Kind k) {
    return k == Kind::Ctx || k == Kind::Stack || k == Kind::Packet || k == Kind::PacketEnd ||
           k == Kind::PacketMeta || k == Kind::MapPtr || k == Kind::ProgArray || k == Kind::MapValue ||
           k == Kind::Sock || k == Kind::Mem || k == Kind::FlowKeys || k == Kind::Func || k == Kind::MapKey;
}

// data (+x) vs data_end: x ? pkt_size. kernel: verifier.c try_match_pkt_pointers() / find_good_pkt_pointers()
static void assume_packet_end(Frame& f, Cond c, Zone::Var x, Zone::Var end) {
    add_relation(f.zone, c, x, end);
}

void assume(const Jump& jmp, bool taken, State& s, const AnalysisEnv& env) {
    if (s.bottom) return;
    Frame& f = s.top();
    const RegValue& d = f.regs[jmp.dst];
    RegValue sv = operand_value(f, jmp.src, !jmp.is32);
    std::optional<Cond> c = edge_cond(jmp.cond, taken);

    if (d.kind == Kind::Scalar && sv.kind == Kind::Scalar) {
        assume_scalars(jmp, taken, c, s);
        return;
    }
    if (!c) return;

    // pointer against NULL
    bool src_zero = sv.is_const_zero();
    if ((*c == Cond::Eq || *c == Cond::Ne) && (src_zero || d.is_const_zero())) {
        const RegValue& p = src_zero ? d : sv;
        Reg preg = src_zero ? jmp.dst : jmp.src.reg;
        bool is_null_edge = *c == Cond::Eq;
        // JMP32 sees only the low half: a non-NULL pointer may have zero low bits, so a 32-bit test
        // proves non-NULL on its != 0 edge only
        if (may_be_null(p.kind)) {
            // kernel: mark_ptr_or_null_reg() keeps the id of a value that may hold a bpf_spin_lock: it
            // names the lock process_spin_lock() takes and releases
            const MapDef* m = env.obj->map_at(p.map);
            const bool lockable = p.kind == Kind::MapValueOrNull && m && m->spin_lock_off >= 0;
            if (!jmp.is32 || !is_null_edge) refine_null(s, preg, !is_null_edge, lockable);
            return;
        }
        if (never_null(p.kind) && is_null_edge && !jmp.is32) s.bottom = true;
        return;
    }
    if (jmp.is32 || !jmp.src.is_reg) return;
    const RegValue& sr = f.regs[jmp.src.reg];
    Zone::Var xd = Frame::var_reg(jmp.dst), xs = Frame::var_reg(jmp.src.reg);
    if (d.kind == Kind::Packet && sr.kind == Kind::PacketEnd) {
        assume_packet_end(f, *c, xd, Frame::var_pkt_size);
    } else if (d.kind == Kind::PacketEnd && sr.kind == Kind::Packet) {
        assume_packet_end(f, swap_operands(*c), xs, Frame::var_pkt_size);
    } else if (d.kind == Kind::PacketMeta && sr.kind == Kind::Packet && sr.num.is_const()) {
        // data_meta + x ? data + k  <=>  x ? meta_size + k
        int64_t k = int64_t(sr.num.const_value());
        if (k == 0) assume_packet_end(f, *c, xd, Frame::var_meta_size);
    } else if (d.kind == Kind::Packet && sr.kind == Kind::PacketMeta && d.num.is_const()) {
        int64_t k = int64_t(d.num.const_value());
        if (k == 0) assume_packet_end(f, swap_operands(*c), xs, Frame::var_meta_size);
    } else if (same_object(d, sr, env)) {
        // two pointers into one object: their offsets compare like integers. (Addresses do not wrap: every
        // pointer arithmetic of an accepted program keeps the offset within 2^29 of the object, checks.cpp
        // insane_offset(); so on the executions that matter the relation holds, abstract offsets widened
        // past that notwithstanding.)
        add_relation(f.zone, *c, xd, xs);
    } else {
        return;
    }
    if (f.zone.is_bottom() || !pull_bounds(f)) s.bottom = true;
}

} // namespace tailgate
