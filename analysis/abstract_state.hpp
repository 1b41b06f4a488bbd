// The abstract state of the interpreter: what is known about every register and stack byte of every
// active frame at one program point.
//
// A register holds a RegValue: its kind (uninitialised, scalar, ctx, stack, packet, ...) and a ScalarValue
// that is the scalar's value or, for a pointer, its byte offset inside the region the pointer points into
// (ctx: from the ctx start; stack: from the frame pointer r10, so valid bytes are [-512, 0); packet: from
// `data`; packet_meta: from `data_meta`; map value: from the value's start; flow keys: from the struct's
// start).
//
// Relational facts live in one Zone per frame over these variables (see Frame::var_*):
//   pkt_size  = data_end - data          meta_size = data - data_meta
//   reg r     = the scalar value (signed reading) or the pointer offset of r0..r10
//   spill[k]  = the number (scalar value or pointer offset) of the register spilled whole in a stack slot s
//               with s % kSpillVars == k, while that spill is linked (RegValue::zlink): a bounds check made
//               on a reloaded copy also bounds the spill and later reloads, and a loop counter kept on the
//               stack keeps its relation to the loop's snapshots (kernel: a spilled scalar keeps its id,
//               verifier.c save_register_state(), and sync_linked_regs() reaches stack slots)
//   loop[l], nloop[l] = the ghost iteration counter of the enclosing loop at WTO nesting level l, and its
//               negation; snap[l][r] = r0..r9 and snap[l][spill k] = spill[k] at the head of the current
//               iteration of that loop
// The zone only ever receives facts that hold over the mathematical integers (no 64-bit wraparound).
//
// Stack bytes are tracked per byte (uninit / zero / initialised scalar / part of a spilled register);
// a spilled 8-byte register keeps its full RegValue (pointers included) in a sparse slot list.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/interval.hpp"
#include "analysis/zone.hpp"
#include "verifier/ctx_layout.hpp"
#include "verifier/isa.hpp"

namespace tailgate {

enum class Kind : uint8_t {
    Uninit,         // never written (or clobbered by a call)
    Scalar,         // a number
    Mixed,          // initialised, but a number on some paths and a pointer on others: not usable as either
    Ctx,            // the program's context
    Stack,          // a frame's stack (frame index in RegValue::frame)
    Packet,         // packet data
    PacketEnd,      // data_end
    PacketMeta,     // data_meta
    MapPtr,         // const pointer to a map (lddw pseudo map), not a prog array
    ProgArray,      // const pointer to a PROG_ARRAY map
    MapValue,       // pointer into a map value (map index in RegValue::map)
    MapValueOrNull, // result of a lookup before the null check (RegValue::id groups copies)
    MapPtrOrNull,   // lookup in a map of maps before the null check: the inner map (its template in
                    // RegValue::map) or NULL; non-NULL it is a MapPtr (kernel: mark_ptr_or_null_reg())
    SockOrNull,     // socket pointer or NULL (ctx sk field, sk_lookup helpers): only compared / passed on
    Sock,           // non-NULL socket pointer (RegValue::sock says which struct it exposes): read-only
    MemOrNull,      // helper-allocated memory (ringbuf_reserve) or NULL; RegValue::mem_size bytes
    Mem,            // helper-allocated memory, null-checked; RegValue::id is the reference to release
    FlowKeys,       // a flow dissector's struct bpf_flow_keys (ctx->flow_keys): kFlowKeysSize bytes
    Func,           // PTR_TO_FUNC (lddw pseudo func): a callback; RegValue::map is the function index
    MapKey, // PTR_TO_MAP_KEY: the key a bpf_for_each_map_elem callback gets (map index in RegValue::map),
            // read-only
};
const char* kind_name(Kind k); // "uninit", "scalar", "ctx", "stack", "packet", "pkt_end", ...

inline bool is_pointer(Kind k) {
    return k != Kind::Uninit && k != Kind::Scalar && k != Kind::Mixed;
}
// A pointer on at least one path (a pointer, or Mixed): what must never reach memory or a helper as a number.
inline bool may_be_pointer(Kind k) {
    return is_pointer(k) || k == Kind::Mixed;
}
// Pointers whose RegValue::num is an offset into the region they point into.
inline bool has_offset(Kind k) {
    return k == Kind::Ctx || k == Kind::Stack || k == Kind::Packet || k == Kind::PacketMeta ||
           k == Kind::MapValue || k == Kind::MapValueOrNull || k == Kind::Mem || k == Kind::MemOrNull ||
           k == Kind::FlowKeys || k == Kind::MapKey || k == Kind::Sock || k == Kind::SockOrNull;
}
// Kinds whose number (value or offset) the frame's zone relates to other variables.
inline bool zone_tracks(Kind k) {
    return k == Kind::Scalar || has_offset(k);
}
// Pointers a null check refines (kernel: PTR_MAYBE_NULL types): dereference, arithmetic and most helper
// arguments need the check first.
inline bool may_be_null(Kind k) {
    return k == Kind::MapValueOrNull || k == Kind::MapPtrOrNull || k == Kind::SockOrNull ||
           k == Kind::MemOrNull;
}

struct RegValue {
    Kind kind = Kind::Uninit;
    ScalarValue num;  // value (scalar) or offset (pointers); top for kinds without an offset
    int32_t map = -1; // map index (MapPtr, MapPtrOrNull, ProgArray, MapValue, MapValueOrNull)
    uint32_t id =
        0; // MapValueOrNull / SockOrNull: copies with the same non-zero id are null-checked together
    uint8_t frame = 0;                // Stack: the frame whose stack this points into
    SockView sock = SockView::Opaque; // Sock / SockOrNull: the struct its fields are read through
    uint32_t ref = 0; // Sock / SockOrNull: the acquired reference it belongs to (kernel ref_obj_id), 0 none
    int32_t pkt_avail =
        0; // spilled Packet/PacketMeta only: offset + pkt_avail <= pkt_size (meta_size) was proved
    uint32_t mem_size = 0; // Mem / MemOrNull: bytes of the allocation
    // an 8-byte spill of a kind with a number (zone_tracks()) only, never a register: the frame's zone
    // variable var_spill(slot % kSpillVars) equals this value's number (set by the spill or a join, cleared
    // when another slot takes the variable; a linked packet pointer keeps it against other kinds)
    bool zlink = false;

    static RegValue uninit() { return RegValue{}; }
    static RegValue scalar(ScalarValue v) {
        RegValue r;
        r.kind = Kind::Scalar;
        r.num = v;
        return r;
    }
    static RegValue scalar_const(uint64_t v) { return scalar(ScalarValue::constant(v)); }
    static RegValue scalar_top() { return scalar(ScalarValue::top()); }
    static RegValue pointer(Kind k, int64_t off = 0) {
        RegValue r;
        r.kind = k;
        r.num = ScalarValue::constant(uint64_t(off));
        return r;
    }
    // A socket pointer (unmodified) exposing `view`; `id` > 0 groups the copies a null check refines.
    static RegValue socket(Kind k, SockView view, uint32_t id = 0) {
        RegValue r = pointer(k, 0);
        r.sock = view;
        r.id = id;
        return r;
    }
    bool is_const_zero() const { return kind == Kind::Scalar && num.is_const() && num.const_value() == 0; }
    friend bool operator==(const RegValue&, const RegValue&) = default;
};

std::string to_string(const RegValue& v); // "scalar [0, 255]", "packet+14", "map_value(m)+[0, 8]"

// Per-byte stack contents.
enum class StackByte : uint8_t { Uninit, Zero, Misc, Spill };

inline constexpr int kStackSize = 512; // MAX_BPF_STACK per frame
// kernel: BPF_MAX_VAR_OFF. Pointer arithmetic keeps every offset within 2^29 of the object
// (check_reg_sane_offset()), so addresses never wrap and two pointers into one object compare like their
// offsets.
inline constexpr int64_t kMaxVarOff = int64_t(1) << 29;
inline constexpr int kNumSlots = kStackSize / 8;

struct Frame {
    std::array<RegValue, kNumRegs> regs{};
    std::array<StackByte, kStackSize> bytes{};    // index = 512 + r10-relative offset
    std::vector<std::pair<int, RegValue>> spills; // slot index (byte index / 8) -> spilled reg, sorted
    Zone zone;
    uint32_t function = 0;  // index into Program::functions
    uint32_t return_pc = 0; // caller's instruction after the call (frames > 0)
    bool callback =
        false; // entered by a helper (bpf_loop, bpf_for_each_map_elem) rather than by a bpf2bpf call

    static constexpr Zone::Var var_pkt_size = 0;
    static constexpr Zone::Var var_meta_size = 1;
    static constexpr Zone::Var var_reg(Reg r) { return Zone::Var(2 + r); }
    // Per loop level: two ghost counters, c (+1 per back edge) and its negation nc (-1 per back edge), so
    // that both count-up (i - c) and count-down (i + c = i - nc) loops relate to a counter in the zone; and
    // snapshots of r0..r9 and of the spill variables taken at the loop head, so that a register or a
    // linked spill that moves by any stride on every back edge is seen to be strictly monotone (a ranking
    // function).
    static constexpr int kSpillVars = 8;
    static constexpr Zone::Var var_spill(int slot) { return Zone::Var(2 + kNumRegs + slot % kSpillVars); }
    static constexpr int kLoopVars = 2 + 10 + kSpillVars;
    static constexpr int kLoopBase = 2 + kNumRegs + kSpillVars;
    static constexpr Zone::Var var_loop(int level) { return Zone::Var(kLoopBase + kLoopVars * level); }
    static constexpr Zone::Var var_loop_neg(int level) {
        return Zone::Var(kLoopBase + kLoopVars * level + 1);
    }
    static constexpr Zone::Var var_snap(int level, Reg r) {
        return Zone::Var(kLoopBase + kLoopVars * level + 2 + r);
    }
    static constexpr Zone::Var var_snap_spill(int level, int slot) {
        return Zone::Var(kLoopBase + kLoopVars * level + 2 + 10 + slot % kSpillVars);
    }
    static constexpr size_t zone_size(int loop_levels) { return kLoopBase + kLoopVars * size_t(loop_levels); }

    const RegValue* spill_at(int slot) const;
    void set_spill(int slot, RegValue v);
    void erase_spill(int slot);
    friend bool operator==(const Frame&, const Frame&) = default;
};

// Frame comparison needs Zone equality; Zone declares operator== as a friend.
struct State {
    bool bottom = false;
    std::vector<Frame> frames; // [0] the program's main function; back() the current one
    // References acquired by helpers (ringbuf_reserve, sk_lookup_*) and not yet released, by id (the
    // acquiring call's pc + 1), sorted. A non-NULL check keeps one, a NULL check drops it (nothing was
    // acquired), a release helper drops it. kernel: verifier.c acquire_reference_state() /
    // release_reference_state(); at exit check_reference_leak().
    std::vector<uint32_t> refs;
    // The bpf_spin_lock held: 0 none, else the index + 1 of the map whose value's lock it is (lock_id names
    // the value); kLockUnknown where paths that hold different locks meet. kernel: verifier.c active_lock,
    // process_spin_lock().
    uint32_t lock = 0;
    // With a lock held: the id of the map value whose lock it is (RegValue::id kept by the null check),
    // 0 when that value's identity was lost in a join. kernel: active_lock.id.
    uint32_t lock_id = 0;
    static constexpr uint32_t kLockUnknown = UINT32_MAX;

    static State make_bottom() {
        State s;
        s.bottom = true;
        return s;
    }
    Frame& top() { return frames.back(); }
    const Frame& top() const { return frames.back(); }
    uint8_t cur() const { return uint8_t(frames.size() - 1); }
    friend bool operator==(const State&, const State&) = default;
};

// --- lattice (frames must have the same shape; states with different call stacks do not meet) ---------
bool leq(const State& a, const State& b);
State join(const State& a, const State& b);
State widen(const State& old, const State& next, const WidenThresholds& th);
State narrow(const State& a, const State& b);
RegValue join(const RegValue& a, const RegValue& b);

// --- register updates keeping the zone in sync --------------------------------------------------------
// r := v; the zone forgets r and learns v's signed bounds (scalars and offsets).
void set_reg(Frame& f, Reg r, const RegValue& v);
// dst := v where v's number equals src's number + c exactly (no wraparound): keeps the relation.
void set_reg_rel(Frame& f, Reg dst, Reg src, int64_t c, const RegValue& v);
// Learn the signed bounds of r's number in the zone (after a non-relational refinement).
void push_bounds(Frame& f, Reg r);
// Tighten every register's and linked spill's number from the zone's bounds (after relational
// refinement). Returns false when one becomes empty (infeasible path).
bool pull_bounds(Frame& f);
// Tighten the unsigned bounds to the values the known low bits allow (a value stepping by 4 with bits 0-1
// known zero in [4, 403] is in [4, 400]), then reduce. False when no value is left.
[[nodiscard]] bool align_to_tnum(ScalarValue& v);
// Signed bounds of a ScalarValue as a zone range: pushes only finite, safe bounds.
void zone_set_bounds(Zone& z, Zone::Var x, const ScalarValue& v);
// The spill in f's slot `slot` (8 bytes, of a zone_tracks() kind) takes the zone variable
// var_spill(slot): it equals register `src` when given, else the spill's own bounds. Another slot sharing
// the variable loses its link, except a linked packet pointer against a spill of another kind (packet
// bounds checks need the relation most): then this spill stays unlinked. Returns whether it is linked.
bool link_spill(Frame& f, int slot, std::optional<Reg> src);
// The whole 8-byte value of a slot: its 8-byte spill, or scalar 0 when its 8 bytes are Zero; nullopt
// otherwise.
std::optional<RegValue> slot_value(const Frame& f, int slot);

// pkt_size and meta_size lie in [0, 0xffff] (kernel: MAX_PACKET_OFF, the largest packet offset the
// verifier tracks, verifier.c find_good_pkt_pointers()); this also bounds loops that walk the packet.
void set_packet_size_bounds(Zone& z);
// Clobber r1..r5 (helper / tail call / LD_ABS).
void clobber_caller_saved(Frame& f);
// kernel: verifier.c clear_all_pkt_pointers(): every packet / packet_end / packet_meta pointer in every
// frame (registers and spills) becomes an unknown scalar; every frame forgets pkt_size and meta_size.
void invalidate_packet_pointers(State& s);
// Null check of register `r` in the current frame: every copy (same non-zero id, any frame, registers and
// spills) becomes `non_null ? MapValue/Sock/Mem : scalar 0`. keep_id: a MapValue keeps the id (the identity
// of a value whose bpf_spin_lock State::lock_id names).
void refine_null(State& s, Reg r, bool non_null, bool keep_id = false);
// A new MapValueOrNull / SockOrNull id is about to be created: older holders of `id` lose it (id 0).
void retire_id(State& s, uint32_t id);
// A reference was released (ringbuf_submit/discard): every Mem/MemOrNull holder of `id` (id != 0), and every
// one whose id a join lost (id 0: it may be the same memory), becomes an unknown scalar. kernel: verifier.c
// release_reference()
void release_ref(State& s, uint32_t id);
// Reference bookkeeping on State::refs.
void acquire_ref(State& s, uint32_t id);
void drop_ref(State& s, uint32_t id);
bool holds_ref(const State& s, uint32_t id);
// The reference a release helper drops through this pointer: a socket's RegValue::ref, ringbuf memory's id.
inline uint32_t held_ref(const RegValue& v) {
    return v.kind == Kind::Sock || v.kind == Kind::SockOrNull ? v.ref : v.id;
}

// A helper that consumed constants: the stack byte index of an r10-relative offset.
inline int stack_index(int64_t off) {
    return int(off + kStackSize);
}

} // namespace tailgate
