// Abstract state: lattice operations and zone-synchronised register updates.
#include "analysis/abstract_state.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>

namespace tailgate {

const char* kind_name(Kind k) {
    switch (k) {
    case Kind::Uninit: return "uninit";
    case Kind::Scalar: return "scalar";
    case Kind::Mixed: return "scalar_or_pointer";
    case Kind::Ctx: return "ctx";
    case Kind::Stack: return "stack";
    case Kind::Packet: return "packet";
    case Kind::PacketEnd: return "pkt_end";
    case Kind::PacketMeta: return "pkt_meta";
    case Kind::MapPtr: return "map_ptr";
    case Kind::ProgArray: return "prog_array_map_ptr";
    case Kind::MapValue: return "map_value";
    case Kind::MapValueOrNull: return "map_value_or_null";
    case Kind::MapPtrOrNull: return "map_ptr_or_null";
    case Kind::SockOrNull: return "sock_or_null";
    case Kind::Sock: return "sock";
    case Kind::MemOrNull: return "mem_or_null";
    case Kind::Mem: return "mem";
    case Kind::FlowKeys: return "flow_keys";
    case Kind::Func: return "func";
    case Kind::MapKey: return "map_key";
    }
    return "?";
}

std::string to_string(const RegValue& v) {
    std::string s = kind_name(v.kind);
    if (v.kind == Kind::Scalar) return s + " " + to_string(v.num);
    if (has_offset(v.kind)) {
        if (v.num.is_const()) {
            int64_t o = int64_t(v.num.const_value());
            if (o != 0) s += (o < 0 ? "" : "+") + std::to_string(o);
        } else {
            s += "+" + to_string(v.num);
        }
    }
    return s;
}

const RegValue* Frame::spill_at(int slot) const {
    auto it = std::lower_bound(spills.begin(), spills.end(), slot,
                               [](const auto& p, int k) { return p.first < k; });
    return it != spills.end() && it->first == slot ? &it->second : nullptr;
}

void Frame::set_spill(int slot, RegValue v) {
    auto it = std::lower_bound(spills.begin(), spills.end(), slot,
                               [](const auto& p, int k) { return p.first < k; });
    if (it != spills.end() && it->first == slot)
        it->second = std::move(v);
    else
        spills.insert(it, {slot, std::move(v)});
}

void Frame::erase_spill(int slot) {
    auto it = std::lower_bound(spills.begin(), spills.end(), slot,
                               [](const auto& p, int k) { return p.first < k; });
    if (it != spills.end() && it->first == slot) spills.erase(it);
}

// --- registers --------------------------------------------------------------------------------------

static bool reg_leq(const RegValue& a, const RegValue& b) {
    if (b.kind == Kind::Uninit) return true; // uninit is the top for "may be used"
    if (a.kind == Kind::Uninit) return false;
    if (b.kind == Kind::Mixed) return true;
    if (a.kind != b.kind) {
        // scalar 0 / map_value are both inside map_value_or_null of the same map
        if (b.kind == Kind::MapValueOrNull && b.id == 0)
            return a.is_const_zero() || (a.kind == Kind::MapValue && a.map == b.map && leq(a.num, b.num));
        if (b.kind == Kind::SockOrNull && b.id == 0)
            return a.is_const_zero() ||
                   (a.kind == Kind::Sock && (a.sock == b.sock || b.sock == SockView::Opaque));
        if (b.kind == Kind::MemOrNull && b.id == 0)
            return a.is_const_zero() ||
                   (a.kind == Kind::Mem && a.mem_size >= b.mem_size && leq(a.num, b.num));
        if (b.kind == Kind::MapPtrOrNull && b.id == 0)
            return a.is_const_zero() || (a.kind == Kind::MapPtr && a.map == b.map);
        return false;
    }
    if (a.map != b.map || a.frame != b.frame) return false;
    if (a.sock != b.sock && b.sock != SockView::Opaque) return false;
    if (b.ref != 0 && a.ref != b.ref) return false;
    if (b.id != 0 && a.id != b.id) return false;
    if (a.pkt_avail < b.pkt_avail || a.mem_size < b.mem_size || (b.zlink && !a.zlink)) return false;
    return leq(a.num, b.num);
}

// The maybe-NULL kind a pointer kind becomes when joined with NULL (a maybe-NULL kind itself), Uninit for
// kinds that are never NULL-checked.
static Kind nullable_kind(Kind k) {
    switch (k) {
    case Kind::MapValue:
    case Kind::MapValueOrNull: return Kind::MapValueOrNull;
    case Kind::MapPtr:
    case Kind::MapPtrOrNull: return Kind::MapPtrOrNull;
    case Kind::Sock:
    case Kind::SockOrNull: return Kind::SockOrNull;
    case Kind::Mem:
    case Kind::MemOrNull: return Kind::MemOrNull;
    default: return Kind::Uninit;
    }
}

RegValue join(const RegValue& a, const RegValue& b) {
    if (a.kind == Kind::Uninit || b.kind == Kind::Uninit) return RegValue::uninit();
    if (a.kind != b.kind || a.map != b.map || a.frame != b.frame) {
        // NULL on one path, a pointer that may be NULL on the other: the maybe-NULL kind
        for (const auto& [p, z] : {std::pair(&a, &b), std::pair(&b, &a)}) {
            if (z->is_const_zero() && nullable_kind(p->kind) != Kind::Uninit) {
                RegValue r = *p;
                r.kind = nullable_kind(p->kind);
                r.id = 0;
                r.zlink = false;
                return r;
            }
        }
        // the same object null-checked on one path only
        const Kind n = nullable_kind(a.kind);
        if (n != Kind::Uninit && n == nullable_kind(b.kind) && a.map == b.map && a.frame == b.frame) {
            RegValue r = a;
            r.kind = n;
            r.num = join(a.num, b.num);
            r.id = 0;
            r.sock = a.sock == b.sock ? a.sock : SockView::Opaque;
            r.ref = a.ref == b.ref ? a.ref : 0;
            r.mem_size = std::min(a.mem_size, b.mem_size);
            r.zlink = false;
            return r;
        }
        RegValue r;
        r.kind = Kind::Mixed;
        return r;
    }
    RegValue r = a;
    r.num = join(a.num, b.num);
    if (a.id != b.id) r.id = 0;
    r.pkt_avail = std::min(a.pkt_avail, b.pkt_avail);
    r.mem_size = std::min(a.mem_size, b.mem_size);
    r.zlink = a.zlink && b.zlink;
    if (a.sock != b.sock) r.sock = SockView::Opaque; // sock and tcp_sock on two paths: only helpers take it
    if (a.ref != b.ref) r.ref = 0; // then it cannot be released: the leak is reported at exit
    return r;
}

// --- stack -----------------------------------------------------------------------------------------

static StackByte byte_join(StackByte a, StackByte b) {
    if (a == b) return a;
    if (a == StackByte::Uninit || b == StackByte::Uninit) return StackByte::Uninit;
    return StackByte::Misc;
}

static bool byte_leq(StackByte a, StackByte b) {
    if (a == b || b == StackByte::Uninit) return true;
    if (b == StackByte::Misc) return a != StackByte::Uninit;
    return false;
}

// How many low bytes of a slot hold the spilled value: 8, or 1..4 for a narrow scalar spill (the bytes
// marked Spill from the slot's start).
static int spilled_width(const Frame& f, int slot) {
    int n = 0;
    while (n < 8 && f.bytes[size_t(slot * 8 + n)] == StackByte::Spill) ++n;
    return n;
}

// A spilled value as seen through its slot's first `width` bytes (a pointer only as a whole).
static std::optional<RegValue> spill_seen(const RegValue& v, int width) {
    if (width == 8) return v;
    if (width == 0 || v.kind != Kind::Scalar) return std::nullopt;
    return RegValue::scalar(truncate(v.num, uint8_t(width)));
}

// Spill slots that survive in a joined frame: both sides spilled the slot's low bytes (joined bytes are Spill
// only where both are), the value seen through the common width.
static void join_spills(Frame& out, const Frame& a, const Frame& b) {
    out.spills.clear();
    for (const auto& [slot, va] : a.spills) {
        const RegValue* vb = b.spill_at(slot);
        if (!vb) continue;
        const int width = spilled_width(out, slot);
        auto sa = spill_seen(va, width), sb = spill_seen(*vb, width);
        if (!sa || !sb) continue;
        RegValue j = join(*sa, *sb);
        if (j.kind == Kind::Uninit) {
            for (int i = 0; i < 8; ++i) out.bytes[slot * 8 + i] = StackByte::Uninit;
            continue;
        }
        out.spills.push_back({slot, j});
    }
    // a pointer spilled on one side only (plain bytes or a narrow scalar on the other): its bytes must not
    // read back as a number on any path, so the slot holds a Mixed value, usable neither as a number nor as
    // a pointer (kernel: stacksafe() never treats a spilled pointer as plain bytes)
    for (const Frame* f : {&a, &b})
        for (const auto& [slot, v] : f->spills) {
            if (out.spill_at(slot) || !may_be_pointer(v.kind)) continue;
            RegValue mixed;
            mixed.kind = Kind::Mixed;
            out.set_spill(slot, mixed);
            for (int i = 0; i < 8; ++i) out.bytes[size_t(slot * 8 + i)] = StackByte::Spill;
        }
    // bytes marked Spill without a surviving slot become plain initialised bytes
    for (int i = 0; i < kStackSize; ++i)
        if (out.bytes[i] == StackByte::Spill && !out.spill_at(i / 8)) out.bytes[i] = StackByte::Misc;
}

// Whether another slot of f holds the link to slot's zone variable.
static bool spill_var_taken(const Frame& f, int slot) {
    for (const auto& [other, v] : f.spills)
        if (other != slot && other % Frame::kSpillVars == slot % Frame::kSpillVars && v.zlink) return true;
    return false;
}

static bool all_zero_slot(const Frame& f, int slot) {
    for (int i = 0; i < 8; ++i)
        if (f.bytes[size_t(slot * 8 + i)] != StackByte::Zero) return false;
    return true;
}

// Makes `to` meet `from` without needless loss (to == nullptr: only tells whether anything would change):
// a slot `from` spilled whole as a scalar and `to` zeroed (8 Zero bytes) becomes a spill of 0 in `to`; a
// slot linked in `from` is linked in `to` too when it holds a value of the same kind there and its zone
// variable is free (the variable takes the value's bounds). Neither changes what `to` describes.
static bool align_spills(const Frame& from, const Frame& view, Frame* to) {
    for (const auto& [slot, v] : from.spills) {
        if (spilled_width(from, slot) != 8) continue;
        const RegValue* w = view.spill_at(slot);
        const bool zeroed = !w && v.kind == Kind::Scalar && all_zero_slot(view, slot);
        const bool linkable =
            v.zlink && (zeroed || (w && !w->zlink && w->kind == v.kind && spilled_width(view, slot) == 8)) &&
            !spill_var_taken(view, slot);
        if (!zeroed && !linkable) continue;
        if (!to) return true;
        if (zeroed) {
            for (int i = 0; i < 8; ++i) to->bytes[size_t(slot * 8 + i)] = StackByte::Spill;
            to->set_spill(slot, RegValue::scalar_const(0));
        }
        if (linkable) link_spill(*to, slot, std::nullopt);
    }
    return false;
}

// Copies of a and b aligned both ways (align_spills), or nullopt when they already are.
static std::optional<std::pair<Frame, Frame>> aligned(const Frame& a, const Frame& b) {
    if (!align_spills(a, b, nullptr) && !align_spills(b, a, nullptr)) return std::nullopt;
    std::pair<Frame, Frame> p{a, b};
    align_spills(p.first, p.second, &p.second);
    align_spills(p.second, p.first, &p.first);
    return p;
}

static Frame frame_join_aligned(const Frame& a, const Frame& b);

static Frame frame_join(const Frame& a, const Frame& b) {
    if (auto p = aligned(a, b)) return frame_join_aligned(p->first, p->second);
    return frame_join_aligned(a, b);
}

static Frame frame_join_aligned(const Frame& a, const Frame& b) {
    Frame r = a;
    for (int i = 0; i < kNumRegs; ++i) r.regs[i] = join(a.regs[i], b.regs[i]);
    for (int i = 0; i < kStackSize; ++i) r.bytes[i] = byte_join(a.bytes[i], b.bytes[i]);
    join_spills(r, a, b);
    r.zone = a.zone.join(b.zone);
    // a register whose kind changed across the join has no meaningful zone relation
    for (int i = 0; i < kNumRegs; ++i)
        if (a.regs[i].kind != b.regs[i].kind) r.zone.forget(Frame::var_reg(Reg(i)));
    return r;
}

static bool frame_leq_aligned(const Frame& a, const Frame& b);

static bool frame_leq(const Frame& a, const Frame& b) {
    if (auto p = aligned(a, b)) return frame_leq_aligned(p->first, p->second);
    return frame_leq_aligned(a, b);
}

static bool frame_leq_aligned(const Frame& a, const Frame& b) {
    if (a.function != b.function || a.return_pc != b.return_pc) return false;
    for (int i = 0; i < kNumRegs; ++i)
        if (!reg_leq(a.regs[i], b.regs[i])) return false;
    // a Mixed spill in b (a pointer on some paths, plain bytes on others) covers any initialised bytes
    auto mixed_in_b = [&](int slot) {
        const RegValue* vb = b.spill_at(slot);
        return vb && vb->kind == Kind::Mixed && spilled_width(b, slot) == 8;
    };
    for (int i = 0; i < kStackSize; ++i) {
        if (b.bytes[i] == StackByte::Spill && a.bytes[i] != StackByte::Uninit && mixed_in_b(i / 8)) continue;
        if (!byte_leq(a.bytes[i], b.bytes[i])) return false;
    }
    for (const auto& [slot, vb] : b.spills) { // bytes: a spilled at least b's width of the slot
        if (mixed_in_b(slot)) continue;
        const RegValue* va = a.spill_at(slot);
        auto seen = va ? spill_seen(*va, spilled_width(b, slot)) : std::nullopt;
        if (!seen || !reg_leq(*seen, vb)) return false;
    }
    return a.zone.leq(b.zone);
}

bool leq(const State& a, const State& b) {
    if (a.bottom) return true;
    if (b.bottom) return false;
    if (a.frames.size() != b.frames.size()) return false;
    for (size_t i = 0; i < a.frames.size(); ++i)
        if (!frame_leq(a.frames[i], b.frames[i])) return false;
    if ((a.lock != b.lock || a.lock_id != b.lock_id) && b.lock != State::kLockUnknown) return false;
    return std::includes(b.refs.begin(), b.refs.end(), a.refs.begin(), a.refs.end());
}

State join(const State& a, const State& b) {
    if (a.bottom) return b;
    if (b.bottom) return a;
    State r;
    // Different call stacks cannot happen inside one function analysis (each call site is analysed in
    // its own context); keep the common shape defensively.
    size_t n = std::min(a.frames.size(), b.frames.size());
    for (size_t i = 0; i < n; ++i) r.frames.push_back(frame_join(a.frames[i], b.frames[i]));
    // a reference held on either path may be held after the merge
    std::set_union(a.refs.begin(), a.refs.end(), b.refs.begin(), b.refs.end(), std::back_inserter(r.refs));
    r.lock = a.lock == b.lock ? a.lock : State::kLockUnknown;
    r.lock_id = a.lock_id == b.lock_id ? a.lock_id : 0;
    return r;
}

static RegValue reg_widen(const RegValue& o, const RegValue& n, const WidenThresholds& th) {
    RegValue j = join(o, n);
    if (j.kind == o.kind && o.kind == n.kind && j.kind != Kind::Uninit && j.kind != Kind::Mixed)
        j.num = widen(o.num, n.num, th);
    if (n.pkt_avail < o.pkt_avail) j.pkt_avail = INT32_MIN; // a shrinking proved packet range: give it up
    return j;
}

State widen(const State& old, const State& next, const WidenThresholds& th) {
    if (old.bottom) return next;
    if (next.bottom) return old;
    State r = join(old, next);
    for (size_t f = 0; f < r.frames.size(); ++f) {
        auto p = aligned(old.frames[f], next.frames[f]);
        const Frame& fo = p ? p->first : old.frames[f];
        const Frame& fn = p ? p->second : next.frames[f];
        Frame& fr = r.frames[f];
        for (int i = 0; i < kNumRegs; ++i) fr.regs[i] = reg_widen(fo.regs[i], fn.regs[i], th);
        for (auto& [slot, v] : fr.spills) {
            const RegValue* a = fo.spill_at(slot);
            const RegValue* b = fn.spill_at(slot);
            const int width = spilled_width(fr, slot);
            if (!a || !b) continue;
            auto sa = spill_seen(*a, width), sb = spill_seen(*b, width);
            if (sa && sb) v = reg_widen(*sa, *sb, th);
        }
        fr.zone = fo.zone.widen(fn.zone);
        for (int i = 0; i < kNumRegs; ++i)
            if (fo.regs[i].kind != fn.regs[i].kind) fr.zone.forget(Frame::var_reg(Reg(i)));
    }
    return r;
}

State narrow(const State& a, const State& b) {
    if (a.bottom || b.bottom) return a;
    if (a.frames.size() != b.frames.size()) return a;
    State r = a;
    for (size_t f = 0; f < r.frames.size(); ++f) {
        Frame& fr = r.frames[f];
        Frame fb = b.frames[f];
        align_spills(fr, fb, &fb);
        // a spill linked in `a` but not in `b`: b's variable says nothing about it, take none of it
        for (const auto& [slot, v] : fr.spills) {
            const RegValue* w = fb.spill_at(slot);
            if (v.zlink && !(w && w->zlink)) fb.zone.forget(Frame::var_spill(slot));
        }
        for (int i = 0; i < kNumRegs; ++i)
            if (fr.regs[i].kind == fb.regs[i].kind && fr.regs[i].kind != Kind::Uninit)
                fr.regs[i].num = narrow(fr.regs[i].num, fb.regs[i].num);
        for (auto& [slot, v] : fr.spills) {
            const RegValue* w = fb.spill_at(slot);
            auto seen = w ? spill_seen(*w, spilled_width(fr, slot)) : std::nullopt;
            if (seen && seen->kind == v.kind) v.num = narrow(v.num, seen->num);
        }
        fr.zone = fr.zone.narrow(fb.zone);
    }
    return r;
}

// --- zone synchronisation ----------------------------------------------------------------------------

void zone_set_bounds(Zone& z, Zone::Var x, const ScalarValue& v) {
    // stay far from the int64 extremes: the zone's arithmetic is over the integers
    constexpr int64_t kLimit = int64_t(1) << 62;
    if (v.smin > -kLimit) z.set_lower(x, v.smin);
    if (v.smax < kLimit) z.set_upper(x, v.smax);
}

void set_reg(Frame& f, Reg r, const RegValue& v) {
    f.regs[r] = v;
    Zone::Var x = Frame::var_reg(r);
    f.zone.forget(x);
    if (zone_tracks(v.kind)) zone_set_bounds(f.zone, x, v.num);
}

void set_reg_rel(Frame& f, Reg dst, Reg src, int64_t c, const RegValue& v) {
    f.regs[dst] = v;
    f.zone.assign(Frame::var_reg(dst), Frame::var_reg(src), c);
    if (zone_tracks(v.kind)) zone_set_bounds(f.zone, Frame::var_reg(dst), v.num);
}

void push_bounds(Frame& f, Reg r) {
    if (zone_tracks(f.regs[r].kind)) zone_set_bounds(f.zone, Frame::var_reg(r), f.regs[r].num);
}

static bool is_packet_kind(Kind k) {
    return k == Kind::Packet || k == Kind::PacketEnd || k == Kind::PacketMeta;
}

bool link_spill(Frame& f, int slot, std::optional<Reg> src) {
    const RegValue* v = f.spill_at(slot);
    if (!v || !zone_tracks(v->kind) || spilled_width(f, slot) != 8) return false;
    const bool packet = is_packet_kind(v->kind);
    for (const auto& [other, w] : f.spills)
        if (other != slot && other % Frame::kSpillVars == slot % Frame::kSpillVars && w.zlink &&
            is_packet_kind(w.kind) && !packet)
            return false;
    for (auto& [other, w] : f.spills)
        if (other != slot && other % Frame::kSpillVars == slot % Frame::kSpillVars) w.zlink = false;
    const Zone::Var x = Frame::var_spill(slot);
    if (src) {
        f.zone.assign(x, Frame::var_reg(*src), 0);
    } else {
        f.zone.forget(x);
    }
    RegValue linked = *v;
    linked.zlink = true;
    zone_set_bounds(f.zone, x, linked.num);
    f.set_spill(slot, linked);
    return true;
}

std::optional<RegValue> slot_value(const Frame& f, int slot) {
    if (const RegValue* v = f.spill_at(slot); v && spilled_width(f, slot) == 8) return *v;
    if (all_zero_slot(f, slot)) return RegValue::scalar_const(0);
    return std::nullopt;
}

// Tightens v's number to the zone's bounds of x; false when none is left.
static bool pull_var_bounds(const Zone& z, Zone::Var x, RegValue& v) {
    auto lo = z.lower(x);
    auto hi = z.upper(x);
    if (!lo && !hi) return true;
    int64_t l = lo ? *lo : std::numeric_limits<int64_t>::min();
    int64_t h = hi ? *hi : std::numeric_limits<int64_t>::max();
    if (l > h) return false;
    if (l <= v.num.smin && h >= v.num.smax) return true;
    auto m = meet(v.num, ScalarValue::from_srange(l, h));
    if (!m || !align_to_tnum(*m)) return false;
    v.num = *m;
    return true;
}

bool align_to_tnum(ScalarValue& v) {
    uint64_t mask = v.bits.mask;
    if (mask == 0 || (mask & 1)) return true; // constant, or no known low bit
    int k = __builtin_ctzll(mask);
    uint64_t step = uint64_t(1) << k, low = v.bits.value & (step - 1);
    uint64_t lo = (v.umin & ~(step - 1)) | low;
    if (lo < v.umin) {
        if (lo > UINT64_MAX - step) return false;
        lo += step;
    }
    uint64_t hi = (v.umax & ~(step - 1)) | low;
    if (hi > v.umax) {
        if (hi < step) return false;
        hi -= step;
    }
    if (lo > hi) return false;
    if (lo == v.umin && hi == v.umax) return true;
    v.umin = lo;
    v.umax = hi;
    return sync(v);
}

bool pull_bounds(Frame& f) {
    if (f.zone.is_bottom()) return false;
    for (int i = 0; i < kNumRegs; ++i)
        if (zone_tracks(f.regs[i].kind) && !pull_var_bounds(f.zone, Frame::var_reg(Reg(i)), f.regs[i]))
            return false;
    for (auto& [slot, v] : f.spills)
        if (v.zlink && zone_tracks(v.kind) && !pull_var_bounds(f.zone, Frame::var_spill(slot), v))
            return false;
    return true;
}

void set_packet_size_bounds(Zone& z) {
    z.set_range(Frame::var_pkt_size, 0, 0xffff);
    z.set_range(Frame::var_meta_size, 0, 0xffff);
}

void clobber_caller_saved(Frame& f) {
    for (Reg r = kR1; r <= kR5; ++r) set_reg(f, r, RegValue::uninit());
}

void invalidate_packet_pointers(State& s) {
    for (Frame& f : s.frames) {
        for (int i = 0; i < kNumRegs; ++i)
            if (is_packet_kind(f.regs[i].kind)) set_reg(f, Reg(i), RegValue::scalar_top());
        for (auto& [slot, v] : f.spills)
            if (is_packet_kind(v.kind)) v = RegValue::scalar_top();
        f.zone.forget(Frame::var_pkt_size);
        f.zone.forget(Frame::var_meta_size);
        set_packet_size_bounds(f.zone);
    }
}

static void refine_value(RegValue& v, bool non_null, bool keep_id) {
    if (non_null) {
        if (v.kind == Kind::MemOrNull) { // keeps its id: the reference to release
            v.kind = Kind::Mem;
            return;
        }
        if (v.kind == Kind::SockOrNull) { // keeps its reference (RegValue::ref) for sk_release()
            v.kind = Kind::Sock;
            v.id = 0;
            return;
        }
        if (v.kind == Kind::MapPtrOrNull) { // the inner map: a map argument with its template's sizes
            v.kind = Kind::MapPtr;
            v.id = 0;
            return;
        }
        v.kind = Kind::MapValue;
        if (!keep_id) v.id = 0;
    } else {
        v = RegValue::scalar_const(0);
    }
}

void refine_null(State& s, Reg r, bool non_null, bool keep_id) {
    Frame& top = s.top();
    RegValue target = top.regs[r];
    if (!may_be_null(target.kind)) return;
    uint32_t id = target.id;
    if (!non_null && id != 0) drop_ref(s, id); // NULL: nothing was acquired
    for (Frame& f : s.frames) {
        for (int i = 0; i < kNumRegs; ++i) {
            RegValue& v = f.regs[i];
            bool same = (&f == &top && i == r) || (id != 0 && v.kind == target.kind && v.id == id);
            if (!same) continue;
            RegValue nv = v;
            refine_value(nv, non_null, keep_id);
            set_reg(f, Reg(i), nv);
        }
        if (id == 0) continue;
        for (auto& [slot, v] : f.spills)
            if (v.kind == target.kind && v.id == id) refine_value(v, non_null, keep_id);
    }
}

void retire_id(State& s, uint32_t id) {
    if (id == 0) return;
    for (Frame& f : s.frames) {
        for (auto& v : f.regs)
            if (v.id == id) v.id = 0;
        for (auto& [slot, v] : f.spills)
            if (v.id == id) v.id = 0;
    }
}

void acquire_ref(State& s, uint32_t id) {
    auto it = std::lower_bound(s.refs.begin(), s.refs.end(), id);
    if (it == s.refs.end() || *it != id) s.refs.insert(it, id);
}

void drop_ref(State& s, uint32_t id) {
    auto it = std::lower_bound(s.refs.begin(), s.refs.end(), id);
    if (it != s.refs.end() && *it == id) s.refs.erase(it);
}

bool holds_ref(const State& s, uint32_t id) {
    return std::binary_search(s.refs.begin(), s.refs.end(), id);
}

void release_ref(State& s, uint32_t id) {
    drop_ref(s, id);
    if (id == 0) return;
    // Helper memory whose id a join lost (two reservations, or one and NULL, met) may be this very memory:
    // it dies with any release, or a copy would outlive the memory it points to (use after submit).
    auto dead = [&](const RegValue& v) {
        if (v.kind == Kind::Sock || v.kind == Kind::SockOrNull) return v.ref == id;
        return (v.kind == Kind::Mem || v.kind == Kind::MemOrNull) && (v.id == id || v.id == 0);
    };
    for (Frame& f : s.frames) {
        for (int i = 0; i < kNumRegs; ++i)
            if (dead(f.regs[i])) set_reg(f, Reg(i), RegValue::scalar_top());
        for (auto& [slot, v] : f.spills)
            if (dead(v)) v = RegValue::scalar_top();
    }
}

} // namespace tailgate
