// ScalarValue: the numeric abstract value of one 64-bit register, as the Linux verifier keeps it in
// struct bpf_reg_state: signed and unsigned 64-bit intervals, signed and unsigned intervals of the low 32
// bits (the sub-register), and known bits (Tnum). The five components describe the same set of values
// (their intersection); sync() makes each as tight as the others allow (kernel: reg_bounds_sync()).
//
// Semantics follow RFC 9669: every operation is modulo 2^64 (ALU64) or modulo 2^32 with the result
// zero-extended (ALU32); x / 0 == 0, x % 0 == x (ALU32: the low 32 bits of x, zero-extended);
// INT_MIN sdiv -1 == INT_MIN, INT_MIN smod -1 == 0; shift amounts are masked to 63 (ALU64) or 31 (ALU32).
// Transfer functions are sound on every input: a possible overflow yields the full range.
//
// The empty set (an infeasible path) is not a ScalarValue: functions that can produce it return
// std::optional / bool.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>

#include "analysis/tnum.hpp"
#include "verifier/isa.hpp"

namespace tailgate {

struct ScalarValue {
    int64_t smin = std::numeric_limits<int64_t>::min();
    int64_t smax = std::numeric_limits<int64_t>::max();
    uint64_t umin = 0;
    uint64_t umax = std::numeric_limits<uint64_t>::max();
    int32_t s32_min = std::numeric_limits<int32_t>::min();
    int32_t s32_max = std::numeric_limits<int32_t>::max();
    uint32_t u32_min = 0;
    uint32_t u32_max = std::numeric_limits<uint32_t>::max();
    Tnum bits = tnum_unknown();

    // Any 64-bit value.
    static ScalarValue top() { return ScalarValue{}; }
    // Exactly v.
    static ScalarValue constant(uint64_t v);
    // Every value of [lo, hi] unsigned / signed (lo <= hi required); reduced.
    static ScalarValue from_urange(uint64_t lo, uint64_t hi);
    static ScalarValue from_srange(int64_t lo, int64_t hi);
    // Every value allowed by the known bits; reduced.
    static ScalarValue from_tnum(Tnum t);
    // What an unknown load of `size` bytes (1, 2, 4, 8) yields: [0, 2^(8*size)-1] zero-extended, or the
    // sign-extended range when sign_extend (LDXS).
    static ScalarValue unknown_of_size(uint8_t size, bool sign_extend = false);

    bool is_const() const { return tnum_is_const(bits); }
    uint64_t const_value() const { return bits.value; } // meaningful when is_const()
    bool is_top() const;
    // x is one of the values (checks every component).
    bool contains(uint64_t x) const;
    // True when the low 32 bits are a constant (sub-register constant).
    bool is_const32() const { return tnum_is_const(tnum_subreg(bits)); }

    friend bool operator==(const ScalarValue&, const ScalarValue&) = default;
};

// Reduce: tighten every component from the others (tnum <-> bounds, 32 <-> 64, signed <-> unsigned).
// Returns false when the components have no common value (the value is empty / the path infeasible);
// v is then unspecified. kernel: verifier.c reg_bounds_sync() (__update_reg_bounds, __reg_deduce_bounds,
// __reg_bound_offset).
[[nodiscard]] bool sync(ScalarValue& v);

// --- lattice ------------------------------------------------------------------------------------------
// a ⊑ b: every component of a lies inside b's. Sound inclusion test for fixpoint checks.
bool leq(const ScalarValue& a, const ScalarValue& b);
// Least upper bound per component (hull of intervals, tnum_join), then sync.
ScalarValue join(const ScalarValue& a, const ScalarValue& b);
// Greatest lower bound per component, then sync; nullopt when empty.
std::optional<ScalarValue> meet(const ScalarValue& a, const ScalarValue& b);

// Thresholds for widening: a bound that grows jumps to the nearest threshold beyond it (the constants
// of the program are good thresholds), else to the type's extreme. Lists need not be sorted.
struct WidenThresholds {
    std::span<const int64_t> signed_values;    // used for smin/smax and s32 bounds
    std::span<const uint64_t> unsigned_values; // used for umin/umax and u32 bounds
};
// Widening old ∇ next: each bound of `next` that is outside `old`'s jumps to a threshold or the
// extreme; known bits are joined, and once a known bit turns unknown every higher bit is made unknown
// too (low-bit alignment survives, convergence is immediate). The result is NOT reduced (reducing after
// widening can break termination); it contains old ⊔ next.
ScalarValue widen(const ScalarValue& old, const ScalarValue& next, const WidenThresholds& th = {});
// Narrowing a ∆ b (b ⊑ a expected): bounds of a that sit at the type's extreme take b's value;
// tnum is met. Returns a when the meet is empty. Terminates: only extreme bounds change.
ScalarValue narrow(const ScalarValue& a, const ScalarValue& b);

// --- transfer functions -----------------------------------------------------------------------------------
// dst := dst OP src for every AluOp (Mov: dst := src; Neg: dst := -dst, src ignored; MovSx8/16/32:
// dst := sign-extend(low bits of src)). is64 false: 32-bit operation, result zero-extended (for
// MovSx*, 32-bit MOVSX sign-extends into the low 32 bits then zero-extends). Always reduced.
// kernel: verifier.c adjust_scalar_min_max_vals() and scalar(32)_min_max_{add,sub,mul,and,or,xor,...}.
ScalarValue alu(AluOp op, bool is64, const ScalarValue& dst, const ScalarValue& src);
// The concrete semantics of one ALU instruction (RFC 9669), for constant folding and tests.
uint64_t alu_concrete(AluOp op, bool is64, uint64_t dst, uint64_t src);
// Byte swap (Endian insn): to-little-endian of width < 64 truncates; to-big-endian / bswap swaps the
// low `bits` bits (a constant stays exact, otherwise the result is the unknown of that width).
ScalarValue endian(const ScalarValue& v, uint8_t bits, ByteOrder order);
// Truncate to the low `size` bytes (1, 2, 4; 8 returns v), zero-extended. kernel: coerce_reg_to_size()
ScalarValue truncate(const ScalarValue& v, uint8_t size);
// Sign-extend the low `size` bytes (1, 2, 4). kernel: coerce_reg_to_size_sx()
ScalarValue sign_extend(const ScalarValue& v, uint8_t size);

// --- branches -----------------------------------------------------------------------------------------
// The condition negated: Eq<->Ne, Gt<->Le, Ge<->Lt, SGt<->SLe, SGe<->SLt. Set has no negation in Cond;
// refine_branch(…, taken=false) handles it.
Cond negate(Cond c);
// The same test with the operands swapped (a > b  <=>  b < a). Set, Eq, Ne are symmetric.
Cond swap_operands(Cond c);

// Refine both operands of `if (dst COND src)` (is32: compare the low 32 bits) for the edge where the
// condition is `taken` (true) or not. Returns false when that edge is infeasible. For a reg-imm compare
// pass src = ScalarValue::constant(uint64_t(imm)) (the imm sign-extended to 64 bits, as the ISA does)
// and ignore its refined value. If dst and src are the same register, pass the same value for both and
// use meet(dst, src) of the results. kernel: verifier.c reg_set_min_max() / regs_refine_cond_op().
[[nodiscard]] bool refine_branch(Cond c, bool is32, bool taken, ScalarValue& dst, ScalarValue& src);

// The concrete semantics of a conditional jump (is32: on the low 32 bits).
bool cond_concrete(Cond c, bool is32, uint64_t dst, uint64_t src);

enum class BranchOutcome : uint8_t { AlwaysTaken, NeverTaken, Unknown };
// Whether `dst COND src` holds for every / no pair of values. kernel: verifier.c is_branch_taken()
BranchOutcome branch_outcome(Cond c, bool is32, const ScalarValue& dst, const ScalarValue& src);

// "[0, 4294967295]" for the unsigned range when it is the tighter description, a single number for a
// constant, otherwise "umin=… umax=… smin=… smax=… var_off=…". Used in diagnostic messages.
std::string to_string(const ScalarValue& v);

} // namespace tailgate
