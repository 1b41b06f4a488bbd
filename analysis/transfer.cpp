// Transfer functions: ALU, byte swap, lddw, loads, stores, atomics, LD_ABS/IND, helper calls, branches.
#include "analysis/transfer.hpp"
#include "analysis/wto.hpp"

#include <algorithm>
#include <cstring>

namespace tailgate {

static constexpr int64_t kRelLimit = int64_t(1) << 40; // shifts the zone may take without overflow risk
static constexpr int32_t kNoAvail = INT32_MIN;

RegValue operand_value(const Frame& f, const Operand& o, bool is64) {
    if (o.is_reg) return f.regs[o.reg];
    (void)is64; // the immediate is sign-extended to 64 bits; 32-bit operations read its low half
    return RegValue::scalar_const(uint64_t(o.imm));
}

// x := x + [lo, hi] keeping x's relations to the other variables. kernel analogue: the variable part a
// pointer accumulates in adjust_ptr_min_max_vals().
static void shift_var(Zone& z, Zone::Var x, int64_t lo, int64_t hi) {
    if (lo == hi) {
        z.assign(x, x, lo);
        return;
    }
    if (lo < -kRelLimit || hi > kRelLimit) {
        z.forget(x);
        return;
    }
    struct Rel {
        Zone::Var y;
        std::optional<int64_t> xy, yx;
    };
    std::vector<Rel> rels;
    for (Zone::Var y = 0; y < z.size(); ++y) {
        if (y == x) continue;
        Rel r{y, z.bound(x, y), z.bound(y, x)};
        if (r.xy || r.yx) rels.push_back(r);
    }
    auto xl = z.lower(x), xu = z.upper(x);
    z.forget(x);
    for (const Rel& r : rels) {
        if (r.xy && *r.xy<kRelLimit&& * r.xy> - kRelLimit) z.add_constraint(x, r.y, *r.xy + hi);
        if (r.yx && *r.yx<kRelLimit&& * r.yx> - kRelLimit) z.add_constraint(r.y, x, *r.yx - lo);
    }
    if (xl && *xl > -kRelLimit) z.set_lower(x, *xl + lo);
    if (xu && *xu < kRelLimit) z.set_upper(x, *xu + hi);
}

static bool fits_add(const ScalarValue& v, int64_t c) {
    __int128 lo = __int128(v.smin) + c, hi = __int128(v.smax) + c;
    return lo >= INT64_MIN && hi <= INT64_MAX;
}

// --- ALU --------------------------------------------------------------------------------------------

static void exec_mov(const Alu& a, Frame& f) {
    RegValue src = operand_value(f, a.src, a.is64);
    if (src.kind == Kind::Uninit) { // reported by checks; continue with an unknown value
        set_reg(f, a.dst, RegValue::scalar_top());
        return;
    }
    if (src.kind != Kind::Scalar) {
        if (a.op == AluOp::Mov && a.is64) {
            if (a.src.is_reg)
                set_reg_rel(f, a.dst, a.src.reg, 0, src);
            else
                set_reg(f, a.dst, src);
        } else {
            // kernel: a partial copy of a pointer is an unknown scalar (privileged)
            set_reg(f, a.dst, src.kind == Kind::Mixed ? src : RegValue::scalar_top());
        }
        return;
    }
    RegValue r = RegValue::scalar(alu(a.op, a.is64, ScalarValue::top(), src.num));
    if (a.src.is_reg && a.op == AluOp::Mov && (a.is64 || src.num.umax <= 0xffffffffULL))
        set_reg_rel(f, a.dst, a.src.reg, 0, r);
    else
        set_reg(f, a.dst, r);
}

// pointer +/- scalar: the offset moves by the scalar; relations move with it. When the scalar is a register
// and the pointer's offset a constant c, `ptr + s` is also exactly s + c: the zone keeps that relation, so a
// bound later proved on the new pointer (data + i + 2 <= data_end) bounds the index i as well (the loop
// `for (i = 0; i < N; i++) { if (data + i + 1 > end) break; ... data[i] ... }`).
static void exec_ptr_arith(const Alu& a, Frame& f, Reg ptr_reg, const RegValue& ptr, const RegValue& sc,
                           std::optional<Reg> sc_reg) {
    RegValue r = ptr;
    bool add = a.op == AluOp::Add;
    r.num = alu(add ? AluOp::Add : AluOp::Sub, true, ptr.num, sc.num);
    if (may_be_null(ptr.kind) || ptr.kind == Kind::PacketEnd || ptr.kind == Kind::MapPtr ||
        ptr.kind == Kind::ProgArray || ptr.kind == Kind::Sock) {
        // prohibited (checks report pointer-arithmetic); keep the kind, lose the offset
        r.num = ScalarValue::top();
        set_reg(f, a.dst, r);
        return;
    }
    Zone::Var x = Frame::var_reg(a.dst);
    int64_t lo = sc.num.smin, hi = sc.num.smax;
    bool bounded = lo > -kRelLimit && hi < kRelLimit;
    bool exact = add && bounded && sc_reg && ptr.num.is_const() &&
                 int64_t(ptr.num.const_value()) > -kRelLimit && int64_t(ptr.num.const_value()) < kRelLimit;
    int64_t c = exact ? int64_t(ptr.num.const_value()) : 0;
    if (exact && *sc_reg == a.dst) { // dst held the scalar: x = x + c, and x - ptr in [lo, hi]
        shift_var(f.zone, x, c, c);
        f.zone.add_constraint(x, Frame::var_reg(ptr_reg), hi);
        f.zone.add_constraint(Frame::var_reg(ptr_reg), x, -lo);
    } else {
        if (ptr_reg != a.dst) f.zone.assign(x, Frame::var_reg(ptr_reg), 0);
        if (!bounded) {
            f.zone.forget(x);
        } else if (add) {
            shift_var(f.zone, x, lo, hi);
        } else {
            shift_var(f.zone, x, -hi, -lo);
        }
        if (exact) { // x - s = c
            f.zone.add_constraint(x, Frame::var_reg(*sc_reg), c);
            f.zone.add_constraint(Frame::var_reg(*sc_reg), x, -c);
        }
    }
    f.regs[a.dst] = r;
    zone_set_bounds(f.zone, x, r.num);
}

bool same_object(const RegValue& a, const RegValue& b, const AnalysisEnv& env) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case Kind::Stack: return a.frame == b.frame;
    case Kind::Packet:
    case Kind::PacketMeta:
    case Kind::Ctx:
    case Kind::FlowKeys: return true;
    case Kind::Mem: return a.id != 0 && a.id == b.id;
    case Kind::MapValue: {
        if (a.map != b.map) return false;
        if (a.id != 0 && a.id == b.id) return true;
        // (an inner map template stands for every map the outer map may hold: one element each, many maps)
        const MapDef* m = env.obj->map_at(a.map);
        return m && m->origin != MapOrigin::InnerTemplate &&
               (m->type == MapType::Array || m->type == MapType::PercpuArray) && m->max_entries == 1;
    }
    default: return false;
    }
}

void exec_alu(const Alu& a, State& s, const AnalysisEnv& env) {
    Frame& f = s.top();
    if (a.op == AluOp::Mov || a.op == AluOp::MovSx8 || a.op == AluOp::MovSx16 || a.op == AluOp::MovSx32) {
        exec_mov(a, f);
        return;
    }
    RegValue dst = f.regs[a.dst];
    RegValue src = operand_value(f, a.src, a.is64);
    if (a.op == AluOp::Neg) src = RegValue::scalar_const(0);
    if (dst.kind == Kind::Uninit) dst = RegValue::scalar_top();
    if (src.kind == Kind::Uninit) src = RegValue::scalar_top();
    bool dptr = is_pointer(dst.kind), sptr = is_pointer(src.kind);
    if (dst.kind == Kind::Mixed || src.kind == Kind::Mixed) {
        RegValue m;
        m.kind = Kind::Mixed;
        set_reg(f, a.dst, m);
        return;
    }
    if (!dptr && !sptr) {
        RegValue r = RegValue::scalar(alu(a.op, a.is64, dst.num, src.num));
        bool rel = false;
        int64_t c = 0;
        if ((a.op == AluOp::Add || a.op == AluOp::Sub) && src.num.is_const()) {
            int64_t k = int64_t(src.num.const_value());
            if (a.is64) {
                c = a.op == AluOp::Add ? k : -k;
                rel = k != INT64_MIN && fits_add(dst.num, c);
            } else {
                int64_t k32 = int64_t(int32_t(uint32_t(k)));
                c = a.op == AluOp::Add ? k32 : -k32;
                rel = dst.num.umax <= 0xffffffffULL && int64_t(dst.num.umin) + c >= 0 &&
                      int64_t(dst.num.umax) + c <= int64_t(0xffffffffLL);
            }
        }
        if (rel)
            set_reg_rel(f, a.dst, a.dst, c, r);
        else
            set_reg(f, a.dst, r);
        return;
    }
    if (a.is64 && dptr && !sptr && (a.op == AluOp::Add || a.op == AluOp::Sub)) {
        exec_ptr_arith(a, f, a.dst, dst, src, a.src.is_reg ? std::optional<Reg>(a.src.reg) : std::nullopt);
        return;
    }
    if (a.is64 && !dptr && sptr && a.op == AluOp::Add) {
        exec_ptr_arith(a, f, a.src.reg, src, dst, a.dst);
        return;
    }
    if (a.is64 && dptr && sptr && a.op == AluOp::Sub) {
        // pointer difference: a scalar (kernel adjust_reg_min_max_vals(): allowed with allow_ptr_leaks);
        // inside one object it is the difference of the offsets
        set_reg(f, a.dst,
                same_object(dst, src, env) ? RegValue::scalar(alu(AluOp::Sub, true, dst.num, src.num))
                                           : RegValue::scalar_top());
        return;
    }
    // any other use of a pointer operand is prohibited (checks report it)
    set_reg(f, a.dst, RegValue::scalar_top());
}

void exec_endian(const Endian& e, State& s) {
    Frame& f = s.top();
    RegValue v = f.regs[e.dst];
    ScalarValue n = v.kind == Kind::Scalar ? v.num : ScalarValue::top();
    set_reg(f, e.dst, RegValue::scalar(endian(n, e.bits, e.order)));
}

void exec_lddw(const LoadImm64& l, uint32_t pc, State& s, const AnalysisEnv& env) {
    Frame& f = s.top();
    switch (l.pseudo) {
    case 0: set_reg(f, l.dst, RegValue::scalar_const(l.value())); return;
    case 1:
    case 5: {
        RegValue r;
        const MapDef* m = env.obj->map_at(l.imm_lo);
        r.kind = m && m->type == MapType::ProgArray ? Kind::ProgArray : Kind::MapPtr;
        r.map = m ? l.imm_lo : -1;
        set_reg(f, l.dst, r);
        return;
    }
    case 2:
    case 6: {
        // the offset is an unsigned 32-bit number (kernel resolve_pseudo_ldimm64(): u32 off = insn[1].imm)
        RegValue r = RegValue::pointer(Kind::MapValue, int64_t(uint32_t(l.imm_hi)));
        r.map = l.imm_lo;
        set_reg(f, l.dst, r);
        return;
    }
    case 4: { // BPF_PSEUDO_FUNC: imm is the callback's start relative to the next slot
        RegValue r;
        r.kind = Kind::Mixed;
        const int fn = function_starting_at(*env.prog, uint32_t(pseudo_func_target(l, pc)));
        if (fn >= 0) {
            r.kind = Kind::Func;
            r.map = fn;
        }
        set_reg(f, l.dst, r);
        return;
    }
    default: { // BTF variable: not modelled (checks report)
        RegValue r;
        r.kind = Kind::Mixed;
        set_reg(f, l.dst, r);
    }
    }
}

// --- stack memory -----------------------------------------------------------------------------------

ByteRange access_range(const ScalarValue& base_off, int64_t off, int64_t size) {
    ByteRange r;
    r.constant = base_off.is_const();
    r.lo = __int128(base_off.smin) + off < INT64_MIN / 2 ? INT64_MIN / 2 : base_off.smin + off;
    r.hi = __int128(base_off.smax) + off + size > INT64_MAX / 2 ? INT64_MAX / 2 : base_off.smax + off + size;
    return r;
}

static void drop_spill_bytes(Frame& f, int slot) {
    if (!f.spill_at(slot)) return;
    f.erase_spill(slot);
    for (int i = 0; i < 8; ++i)
        if (f.bytes[slot * 8 + i] == StackByte::Spill) f.bytes[slot * 8 + i] = StackByte::Misc;
}

void write_stack(Frame& f, int64_t lo, int64_t hi, bool strong, const RegValue* v, bool zero) {
    int64_t a = std::max<int64_t>(lo, -kStackSize), b = std::min<int64_t>(hi, 0);
    if (a >= b) return;
    int ia = stack_index(a), ib = stack_index(b);
    for (int slot = ia / 8; slot <= (ib - 1) / 8; ++slot) drop_spill_bytes(f, slot);
    if (!strong) { // weak: bytes that may be written stay what they were, or become Misc
        for (int i = ia; i < ib; ++i)
            if (f.bytes[i] != StackByte::Uninit) f.bytes[i] = StackByte::Misc;
        return;
    }
    // A spill: 8 bytes at a slot, or (scalars only) the low 1, 2 or 4 bytes of a slot (kernel:
    // check_stack_write_fixed_off() needs off % BPF_REG_SIZE == 0; save_register_state() marks `size`
    // bytes STACK_SPILL and the rest of the slot STACK_MISC). The value kept is what those bytes hold.
    const int width = ib - ia;
    if (v && ia % 8 == 0 && !zero && (width == 8 || (v->kind == Kind::Scalar && width < 8))) {
        for (int i = ia; i < ia + 8; ++i) f.bytes[i] = i < ib ? StackByte::Spill : StackByte::Misc;
        f.set_spill(ia / 8, width == 8 ? *v : RegValue::scalar(truncate(v->num, uint8_t(width))));
        return;
    }
    for (int i = ia; i < ib; ++i) f.bytes[i] = zero ? StackByte::Zero : StackByte::Misc;
}

RegValue read_stack(const Frame& f, int64_t off, int size, bool sign_extend) {
    int ia = stack_index(off);
    if (ia < 0 || ia + size > kStackSize) return RegValue::scalar_top();
    if (ia % 8 == 0) {
        const RegValue* sp = f.spill_at(ia / 8);
        // the spilled bytes must cover the read: a narrow spill leaves the slot's upper bytes Misc
        for (int i = ia; sp && i < ia + size; ++i)
            if (f.bytes[i] != StackByte::Spill) sp = nullptr;
        if (sp) {
            if (size == 8) return *sp;
            if (sp->kind == Kind::Scalar) // low bytes of a spilled scalar (little-endian)
                return RegValue::scalar(sign_extend ? tailgate::sign_extend(sp->num, uint8_t(size))
                                                    : truncate(sp->num, uint8_t(size)));
            return RegValue::scalar(ScalarValue::unknown_of_size(uint8_t(size), sign_extend));
        }
    }
    bool all_zero = true, any_uninit = false;
    for (int i = ia; i < ia + size; ++i) {
        all_zero = all_zero && f.bytes[i] == StackByte::Zero;
        any_uninit = any_uninit || f.bytes[i] == StackByte::Uninit;
    }
    if (any_uninit) return RegValue::scalar(ScalarValue::unknown_of_size(uint8_t(size), sign_extend));
    if (all_zero) return RegValue::scalar_const(0);
    return RegValue::scalar(ScalarValue::unknown_of_size(uint8_t(size), sign_extend));
}

std::optional<int64_t> packet_avail(const Frame& f, Reg r) {
    const RegValue& v = f.regs[r];
    Zone::Var end = v.kind == Kind::PacketMeta ? Frame::var_meta_size : Frame::var_pkt_size;
    auto b = f.zone.bound(Frame::var_reg(r), end); // x - end <= b  => x + (-b) <= end
    if (!b) return std::nullopt;
    return -*b;
}

std::optional<uint64_t> read_rodata(const MapDef& m, int64_t off, int size) {
    if (!m.readonly || off < 0 || size_t(off) + size_t(size) > m.initial_value.size()) return std::nullopt;
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; --i) v = (v << 8) | m.initial_value[size_t(off + i)];
    return v;
}

static RegValue ctx_load_value(const Load& l, uint32_t pc, const RegValue& base, const AnalysisEnv& env) {
    RegValue unknown = RegValue::scalar(ScalarValue::unknown_of_size(l.width, l.sign_extend));
    if (!env.ctx || !base.num.is_const()) return unknown;
    auto acc =
        check_ctx_access(*env.ctx, int64_t(base.num.const_value()) + l.off, l.width, false, env.ctx_opts);
    if (!acc.ok()) return unknown;
    switch (acc->yields) {
    case CtxValue::Scalar: return unknown;
    case CtxValue::PacketStart: return RegValue::pointer(Kind::Packet, 0);
    case CtxValue::PacketMeta: return RegValue::pointer(Kind::PacketMeta, 0);
    case CtxValue::PacketEnd: {
        RegValue r;
        r.kind = Kind::PacketEnd;
        return r;
    }
    case CtxValue::FlowKeys: return RegValue::pointer(Kind::FlowKeys, 0);
    case CtxValue::Socket: return RegValue::socket(Kind::Sock, SockView::Socket);
    case CtxValue::SockCommonOrNull: return RegValue::socket(Kind::SockOrNull, SockView::SockCommon, pc + 1);
    case CtxValue::SocketOrNull: return RegValue::socket(Kind::SockOrNull, SockView::Socket, pc + 1);
    }
    return unknown;
}

void exec_load(const Load& l, uint32_t pc, State& s, const AnalysisEnv& env) {
    Frame& f = s.top();
    RegValue base = f.regs[l.base];
    RegValue unknown = RegValue::scalar(ScalarValue::unknown_of_size(l.width, l.sign_extend));
    RegValue out = unknown;
    switch (base.kind) {
    case Kind::Stack:
        if (base.num.is_const() && base.frame < s.frames.size())
            out = read_stack(s.frames[base.frame], int64_t(base.num.const_value()) + l.off, l.width,
                             l.sign_extend);
        break;
    case Kind::Ctx: out = ctx_load_value(l, pc, base, env); break;
    case Kind::MapValue:
        if (const MapDef* m = env.obj->map_at(base.map); m && base.num.is_const()) {
            auto c = read_rodata(*m, int64_t(base.num.const_value()) + l.off, l.width);
            if (c) {
                ScalarValue v = ScalarValue::constant(*c);
                out = RegValue::scalar(l.sign_extend ? sign_extend(v, l.width) : v);
            }
        }
        break;
    default: break;
    }
    if (out.kind == Kind::SockOrNull) retire_id(s, out.id);
    const bool linked = out.zlink && l.width == 8 && base.kind == Kind::Stack && base.frame == s.cur();
    out.zlink = false; // registers are never linked; the zone relates them directly
    if (linked) {      // the reload is exactly the spilled value: relations and all
        set_reg(f, l.dst, out);
        f.zone.assign(Frame::var_reg(l.dst),
                      Frame::var_spill(stack_index(int64_t(base.num.const_value()) + l.off) / 8), 0);
        push_bounds(f, l.dst);
    }
    if (out.kind == Kind::Packet || out.kind == Kind::PacketMeta) {
        if (!linked) set_reg(f, l.dst, out);
        if (out.pkt_avail != kNoAvail) {
            Zone::Var end = out.kind == Kind::PacketMeta ? Frame::var_meta_size : Frame::var_pkt_size;
            f.zone.add_constraint(Frame::var_reg(l.dst), end, -int64_t(out.pkt_avail));
        }
        f.regs[l.dst].pkt_avail = 0;
        return;
    }
    out.pkt_avail = 0;
    if (!linked) set_reg(f, l.dst, out);
}

void exec_store(const Store& st, State& s) {
    Frame& f = s.top();
    RegValue base = f.regs[st.base];
    if (base.kind != Kind::Stack || base.frame >= s.frames.size()) return; // other memory is not tracked
    RegValue v = st.value.is_reg ? f.regs[st.value.reg] : RegValue::scalar_const(uint64_t(st.value.imm));
    if (v.kind == Kind::Uninit) v = RegValue::scalar_top();
    if (v.kind == Kind::Packet || v.kind == Kind::PacketMeta) {
        auto avail = packet_avail(f, st.value.reg);
        v.pkt_avail = avail && *avail > INT32_MIN && *avail < INT32_MAX ? int32_t(*avail) : kNoAvail;
    } else {
        v.pkt_avail = 0;
    }
    Frame& target = s.frames[base.frame];
    ByteRange r = access_range(base.num, st.off, st.width);
    bool zero = v.is_const_zero() || (v.kind == Kind::Scalar && truncate(v.num, st.width).is_const() &&
                                      truncate(v.num, st.width).const_value() == 0);
    v.zlink = false;
    write_stack(target, r.lo, r.hi, r.constant, st.width == 8 || v.kind == Kind::Scalar ? &v : nullptr, zero);
    // a whole register (or constant) spilled into this frame: its slot's zone variable takes its number
    const int ia = stack_index(r.lo);
    if (st.width == 8 && r.constant && base.frame == s.cur() && ia >= 0 && ia % 8 == 0 && f.spill_at(ia / 8))
        link_spill(f, ia / 8, st.value.is_reg ? std::optional<Reg>(st.value.reg) : std::nullopt);
}

void exec_atomic(const Atomic& a, State& s) {
    Frame& f = s.top();
    RegValue base = f.regs[a.base];
    if (base.kind == Kind::Stack && base.frame < s.frames.size()) {
        ByteRange r = access_range(base.num, a.off, a.width);
        write_stack(s.frames[base.frame], r.lo, r.hi, false, nullptr, false);
    }
    RegValue old = RegValue::scalar(ScalarValue::unknown_of_size(a.width));
    if (a.op == AtomicOp::CmpXchg)
        set_reg(f, kR0, old);
    else if (a.fetch || a.op == AtomicOp::Xchg)
        set_reg(f, a.src, old);
}

void exec_load_packet(const LoadPacket& l, State& s) {
    // kernel: verifier.c check_ld_abs(): r1-r5 are clobbered, r0 holds the (byte-swapped) value
    Frame& f = s.top();
    clobber_caller_saved(f);
    set_reg(f, kR0, RegValue::scalar(ScalarValue::unknown_of_size(l.width)));
}

// --- helper calls -----------------------------------------------------------------------------------

// Memory a helper writes through a stack pointer argument (ARG_PTR_TO_UNINIT_MEM and friends).
static void helper_writes_stack(State& s, const RegValue& ptr, const ScalarValue& size) {
    if (ptr.kind != Kind::Stack || ptr.frame >= s.frames.size()) return;
    Frame& f = s.frames[ptr.frame];
    int64_t n_min = int64_t(std::min<uint64_t>(size.umin, kStackSize));
    int64_t n_max = int64_t(std::min<uint64_t>(size.umax, kStackSize));
    if (ptr.num.is_const()) {
        int64_t o = int64_t(ptr.num.const_value());
        write_stack(f, o, o + n_min, true, nullptr, false); // surely written
        write_stack(f, o + n_min, o + n_max, false, nullptr, false);
    } else {
        ByteRange r = access_range(ptr.num, 0, n_max);
        write_stack(f, r.lo, r.hi, false, nullptr, false);
    }
}

const MapDef* call_map(const Frame& f, const HelperProto& p, const AnalysisEnv& env) {
    for (int i = 0; i < 5; ++i) {
        if (p.args[size_t(i)] != ArgKind::ConstMapPtr) continue;
        const RegValue& m = f.regs[kR1 + i];
        if (m.kind == Kind::MapPtr || m.kind == Kind::ProgArray) return env.obj->map_at(m.map);
    }
    return nullptr;
}

void exec_call(const Call& c, uint32_t pc, State& s, const AnalysisEnv& env) {
    Frame& f = s.top();
    const HelperProto* p = env.helpers ? env.helpers->find(c.helper, env.prog->type) : nullptr;
    RegValue r0 = RegValue::scalar_top();
    if (p) {
        for (int i = 0; i < 5; ++i) {
            ArgKind k = p->args[size_t(i)];
            const RegValue& arg = f.regs[kR1 + i];
            if (k == ArgKind::PtrToUninitMem || k == ArgKind::PtrToWritableMem ||
                k == ArgKind::PtrToWritableMemOrNull) {
                const RegValue& sz = f.regs[kR1 + i + 1 > kR5 ? kR5 : kR1 + i + 1];
                if (sz.kind == Kind::Scalar) helper_writes_stack(s, arg, sz.num);
            } else if (k == ArgKind::PtrToFixedUninitMem || k == ArgKind::PtrToFixedMem) {
                helper_writes_stack(s, arg, ScalarValue::constant(p->arg_size[size_t(i)]));
            } else if (k == ArgKind::PtrToUninitMapValue) {
                const RegValue& m = f.regs[kR1];
                const MapDef* md = m.kind == Kind::MapPtr ? env.obj->map_at(m.map) : nullptr;
                if (md) helper_writes_stack(s, arg, ScalarValue::constant(md->value_size));
            }
        }
        const MapDef* map = call_map(f, *p, env);
        switch (p->ret) {
        case RetKind::Integer: break;
        // kernel check_helper_call(): RET_VOID leaves r0 NOT_INIT. A tail call that falls through returns
        // nothing: reading r0 before writing it is uninitialized-register (kernel: "R0 !read_ok").
        case RetKind::Void: r0 = RegValue::uninit(); break;
        case RetKind::PtrToMapValue:
        case RetKind::PtrToMapValueOrNull: {
            retire_id(s, pc + 1);
            if (helper_returns_socket(*p, map)) {
                r0 = RegValue::socket(Kind::SockOrNull, SockView::Socket, pc + 1);
                break;
            }
            if (map && is_map_of_maps(map->type) && p->id == kHelperMapLookupElem) {
                // the inner map, of the template's layout; map -1 when the object declares no template
                r0 = RegValue::pointer(Kind::MapPtrOrNull, 0);
                r0.map = map->inner_map;
                r0.id = pc + 1;
                break;
            }
            r0 = RegValue::pointer(p->ret == RetKind::PtrToMapValue ? Kind::MapValue : Kind::MapValueOrNull,
                                   0);
            r0.map = f.regs[kR1].kind == Kind::MapPtr ? f.regs[kR1].map : -1;
            r0.id = p->ret == RetKind::PtrToMapValue ? 0 : pc + 1;
            break;
        }
        case RetKind::PtrToSocketOrNull:
        case RetKind::PtrToSockCommonOrNull:
        case RetKind::PtrToTcpSockOrNull:
            retire_id(s, pc + 1);
            r0 = RegValue::socket(Kind::SockOrNull,
                                  p->ret == RetKind::PtrToSocketOrNull       ? SockView::Socket
                                  : p->ret == RetKind::PtrToSockCommonOrNull ? SockView::SockCommon
                                                                             : SockView::TcpSock,
                                  pc + 1);
            break;
        case RetKind::PtrToMemOrNull: {
            retire_id(s, pc + 1);
            r0 = RegValue::pointer(Kind::MemOrNull, 0);
            r0.id = pc + 1;
            if (p->ret_size_arg >= 0) {
                const RegValue& sz = f.regs[kR1 + p->ret_size_arg];
                r0.mem_size =
                    sz.kind == Kind::Scalar ? uint32_t(std::min<uint64_t>(sz.num.umin, UINT32_MAX)) : 0;
            }
            break;
        }
        }
        if (p->ref_from_arg >= 0) r0.ref = f.regs[kR1 + p->ref_from_arg].ref;
        if (p->release_arg >= 0) release_ref(s, held_ref(s.top().regs[kR1 + p->release_arg]));
        if (helper_acquires_ref(*p, map) && r0.id != 0) {
            acquire_ref(s, r0.id);
            if (r0.kind == Kind::SockOrNull) r0.ref = r0.id;
        }
        // kernel: process_spin_lock(): the held lock is the map value's (checks_call.cpp reports misuse)
        if (c.helper == kHelperSpinLock) {
            const RegValue& v = f.regs[kR1];
            s.lock = v.kind == Kind::MapValue && v.map >= 0 ? uint32_t(v.map) + 1 : State::kLockUnknown;
            s.lock_id = v.kind == Kind::MapValue ? v.id : 0;
        } else if (c.helper == kHelperSpinUnlock) {
            s.lock = 0;
            s.lock_id = 0;
        }
    }
    Frame& top = s.top();
    clobber_caller_saved(top);
    set_reg(top, kR0, r0);
    if (p && p->changes_pkt_data) invalidate_packet_pointers(s);
}

void exec_insn(const Insn& insn, uint32_t pc, State& s, const AnalysisEnv& env) {
    std::visit(
        [&](const auto& i) {
            using T = std::decay_t<decltype(i)>;
            if constexpr (std::is_same_v<T, Alu>)
                exec_alu(i, s, env);
            else if constexpr (std::is_same_v<T, Endian>)
                exec_endian(i, s);
            else if constexpr (std::is_same_v<T, LoadImm64>)
                exec_lddw(i, pc, s, env);
            else if constexpr (std::is_same_v<T, Load>)
                exec_load(i, pc, s, env);
            else if constexpr (std::is_same_v<T, Store>)
                exec_store(i, s);
            else if constexpr (std::is_same_v<T, Atomic>)
                exec_atomic(i, s);
            else if constexpr (std::is_same_v<T, LoadPacket>)
                exec_load_packet(i, s);
            else if constexpr (std::is_same_v<T, Call>)
                exec_call(i, pc, s, env);
            else if constexpr (std::is_same_v<T, CallReg>) { // callx: not supported (checks report)
                clobber_caller_saved(s.top());
                set_reg(s.top(), kR0, RegValue::scalar_top());
            }
        },
        insn);
}

} // namespace tailgate
