// Tnum: the known-bits ("tristate number") abstract domain, as the Linux verifier's kernel/bpf/tnum.c.
//
// A Tnum {value, mask} stands for every 64-bit x with (x & ~mask) == value: a bit set in `mask` is unknown,
// a bit clear in `mask` is known and equals the same bit of `value`. Well-formed tnums have
// (value & mask) == 0. The lattice has finite height (64), so join needs no widening.
//
// 32-bit operations (ALU32, JMP32) look at the low half: tnum_subreg() extracts it, tnum_with_subreg()
// replaces it. All functions are pure; none allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tailgate {

struct Tnum {
    uint64_t value = 0;
    uint64_t mask = ~uint64_t(0); // default: fully unknown

    friend bool operator==(const Tnum&, const Tnum&) = default;
};

// --- construction -------------------------------------------------------------------------------------
inline constexpr Tnum tnum_const(uint64_t v) {
    return Tnum{v, 0};
}
inline constexpr Tnum tnum_unknown() {
    return Tnum{0, ~uint64_t(0)};
}
// The smallest tnum containing every value of [min, max] (unsigned). kernel: tnum.c tnum_range()
Tnum tnum_range(uint64_t min, uint64_t max);

// --- queries ------------------------------------------------------------------------------------------
inline constexpr bool tnum_is_const(Tnum a) {
    return a.mask == 0;
}
inline constexpr bool tnum_is_unknown(Tnum a) {
    return a.mask == ~uint64_t(0);
}
inline constexpr bool tnum_equals_const(Tnum a, uint64_t b) {
    return a.mask == 0 && a.value == b;
}
inline constexpr bool tnum_well_formed(Tnum a) {
    return (a.value & a.mask) == 0;
}
// x is one of the values a stands for.
inline constexpr bool tnum_contains(Tnum a, uint64_t x) {
    return (x & ~a.mask) == a.value;
}
// Every value of b is a value of a (b ⊑ a). kernel: tnum.c tnum_in()
bool tnum_in(Tnum a, Tnum b);
// All values are multiples of `size` (a power of two). kernel: tnum.c tnum_is_aligned()
bool tnum_is_aligned(Tnum a, uint64_t size);
// Extremes of the values a stands for.
inline constexpr uint64_t tnum_umin(Tnum a) {
    return a.value;
}
inline constexpr uint64_t tnum_umax(Tnum a) {
    return a.value | a.mask;
}
int64_t tnum_smin(Tnum a); // sign bit taken as 1 when unknown
int64_t tnum_smax(Tnum a); // sign bit taken as 0 when unknown
// The same for the low 32 bits read as u32 / s32.
uint32_t tnum_u32_min(Tnum a);
uint32_t tnum_u32_max(Tnum a);
int32_t tnum_s32_min(Tnum a);
int32_t tnum_s32_max(Tnum a);

// --- lattice ------------------------------------------------------------------------------------------
// Least upper bound: a bit is known only if known and equal in both. (kernel: tnum_union() in newer trees)
Tnum tnum_join(Tnum a, Tnum b);
// Greatest lower bound, unchecked: kernel: tnum.c tnum_intersect(). The result is ill-formed
// (value & mask != 0 is not guaranteed to flag it) when a and b disagree on a known bit; use tnum_meet().
Tnum tnum_intersect(Tnum a, Tnum b);
// Checked meet: nullopt when a and b have no common value (some bit known 0 in one and 1 in the other).
std::optional<Tnum> tnum_meet(Tnum a, Tnum b);

// --- arithmetic (all modulo 2^64) --------------------------------------------------------------------------
Tnum tnum_add(Tnum a, Tnum b); // kernel: tnum_add()
Tnum tnum_sub(Tnum a, Tnum b); // kernel: tnum_sub()
Tnum tnum_neg(Tnum a);         // 0 - a
Tnum tnum_mul(Tnum a, Tnum b); // kernel: tnum_mul() (shift-and-add over a's bits)
Tnum tnum_and(Tnum a, Tnum b);
Tnum tnum_or(Tnum a, Tnum b);
Tnum tnum_xor(Tnum a, Tnum b);
// Shifts by a constant amount; shift must be < 64 (callers mask the amount as the ISA does).
Tnum tnum_lshift(Tnum a, uint8_t shift);
Tnum tnum_rshift(Tnum a, uint8_t shift);
// Arithmetic right shift of the low `bits` (32 or 64) bits, sign-extending from bit bits-1; for 32 the
// result is zero-extended to 64 bits (as an ALU32 result). kernel: tnum_arshift(a, min, insn_bitness)
Tnum tnum_arshift(Tnum a, uint8_t shift, uint8_t bits);

// --- width helpers ---------------------------------------------------------------------------------------
// Keep the low `size` bytes (1, 2, 4, 8), zero the rest. kernel: tnum_cast()
Tnum tnum_cast(Tnum a, uint8_t size);
// Sign-extend from the low `size` bytes (1, 2, 4) to 64 bits (for MOVSX / LDXS).
Tnum tnum_sext(Tnum a, uint8_t size);
inline Tnum tnum_subreg(Tnum a) {
    return tnum_cast(a, 4);
} // low 32 bits, zero-extended
// Upper 32 bits kept, low 32 bits zero. kernel: tnum_clear_subreg()
Tnum tnum_clear_subreg(Tnum a);
// Upper 32 bits of reg, low 32 bits of subreg. kernel: tnum_with_subreg()
Tnum tnum_with_subreg(Tnum reg, Tnum subreg);
// Upper 32 bits of a, low 32 bits the constant v. kernel: tnum_const_subreg()
Tnum tnum_const_subreg(Tnum a, uint32_t v);

// "0x10 (mask 0xf)" / "x1x0..." for diagnostics.
std::string tnum_to_string(Tnum a);
std::string tnum_to_bits(Tnum a, int bits = 64);

} // namespace tailgate
