// Known-bits domain. Algorithms follow kernel/bpf/tnum.c (Vishwanathan et al., "Sound, Precise, and Fast
// Abstract Interpretation with Tristate Numbers", CGO 2022 for add/sub/mul); code written for tailgate.
#include "analysis/tnum.hpp"

#include <bit>
#include <cstdio>

namespace tailgate {

// kernel: tnum.c tnum_range()
Tnum tnum_range(uint64_t min, uint64_t max) {
    uint64_t chi = min ^ max;
    int bits = 64 - std::countl_zero(chi); // fls64
    if (bits > 63) return tnum_unknown();
    uint64_t delta = (uint64_t(1) << bits) - 1;
    return Tnum{min & ~delta, delta};
}

// kernel: tnum.c tnum_in(): b ⊑ a
bool tnum_in(Tnum a, Tnum b) {
    if (b.mask & ~a.mask) return false;
    return a.value == (b.value & ~a.mask);
}

bool tnum_is_aligned(Tnum a, uint64_t size) {
    if (size == 0) return true;
    return ((a.value | a.mask) & (size - 1)) == 0;
}

static constexpr uint64_t kSign64 = uint64_t(1) << 63;
static constexpr uint32_t kSign32 = uint32_t(1) << 31;

int64_t tnum_smin(Tnum a) {
    uint64_t v = a.value;
    if (a.mask & kSign64) v |= kSign64; // unknown sign: take it negative, the rest unknown as 0
    return int64_t(v);
}

int64_t tnum_smax(Tnum a) {
    uint64_t v = a.value | a.mask;
    if (a.mask & kSign64) v &= ~kSign64;
    return int64_t(v);
}

uint32_t tnum_u32_min(Tnum a) {
    return uint32_t(a.value);
}
uint32_t tnum_u32_max(Tnum a) {
    return uint32_t(a.value | a.mask);
}

int32_t tnum_s32_min(Tnum a) {
    uint32_t v = uint32_t(a.value);
    if (uint32_t(a.mask) & kSign32) v |= kSign32;
    return int32_t(v);
}

int32_t tnum_s32_max(Tnum a) {
    uint32_t v = uint32_t(a.value | a.mask);
    if (uint32_t(a.mask) & kSign32) v &= ~kSign32;
    return int32_t(v);
}

Tnum tnum_join(Tnum a, Tnum b) {
    uint64_t mu = a.mask | b.mask | (a.value ^ b.value);
    return Tnum{a.value & ~mu, mu};
}

// kernel: tnum.c tnum_intersect()
Tnum tnum_intersect(Tnum a, Tnum b) {
    uint64_t v = a.value | b.value;
    uint64_t mu = a.mask & b.mask;
    return Tnum{v & ~mu, mu};
}

std::optional<Tnum> tnum_meet(Tnum a, Tnum b) {
    if ((a.value ^ b.value) & ~a.mask & ~b.mask) return std::nullopt;
    return tnum_intersect(a, b);
}

// kernel: tnum.c tnum_add()
Tnum tnum_add(Tnum a, Tnum b) {
    uint64_t sm = a.mask + b.mask;
    uint64_t sv = a.value + b.value;
    uint64_t sigma = sm + sv;
    uint64_t chi = sigma ^ sv;
    uint64_t mu = chi | a.mask | b.mask;
    return Tnum{sv & ~mu, mu};
}

// kernel: tnum.c tnum_sub()
Tnum tnum_sub(Tnum a, Tnum b) {
    uint64_t dv = a.value - b.value;
    uint64_t alpha = dv + a.mask;
    uint64_t beta = dv - b.mask;
    uint64_t chi = alpha ^ beta;
    uint64_t mu = chi | a.mask | b.mask;
    return Tnum{dv & ~mu, mu};
}

Tnum tnum_neg(Tnum a) {
    return tnum_sub(tnum_const(0), a);
}

// kernel: tnum.c tnum_mul(): sum of partial products, known part and uncertain part kept apart.
Tnum tnum_mul(Tnum a, Tnum b) {
    uint64_t acc_v = a.value * b.value;
    Tnum acc_m = tnum_const(0);
    while (a.value || a.mask) {
        if (a.value & 1)
            acc_m = tnum_add(acc_m, Tnum{0, b.mask});
        else if (a.mask & 1)
            acc_m = tnum_add(acc_m, Tnum{0, b.value | b.mask});
        a = tnum_rshift(a, 1);
        b = tnum_lshift(b, 1);
    }
    return tnum_add(tnum_const(acc_v), acc_m);
}

Tnum tnum_and(Tnum a, Tnum b) {
    uint64_t alpha = a.value | a.mask;
    uint64_t beta = b.value | b.mask;
    uint64_t v = a.value & b.value;
    return Tnum{v, alpha & beta & ~v};
}

Tnum tnum_or(Tnum a, Tnum b) {
    uint64_t v = a.value | b.value;
    uint64_t mu = a.mask | b.mask;
    return Tnum{v, mu & ~v};
}

Tnum tnum_xor(Tnum a, Tnum b) {
    uint64_t v = a.value ^ b.value;
    uint64_t mu = a.mask | b.mask;
    return Tnum{v & ~mu, mu};
}

Tnum tnum_lshift(Tnum a, uint8_t shift) {
    shift &= 63;
    return Tnum{a.value << shift, a.mask << shift};
}

Tnum tnum_rshift(Tnum a, uint8_t shift) {
    shift &= 63;
    return Tnum{a.value >> shift, a.mask >> shift};
}

// kernel: tnum.c tnum_arshift(). value and mask are shifted separately: a known sign bit is 1 in exactly
// one of them and replicates there; an unknown one replicates into the mask.
Tnum tnum_arshift(Tnum a, uint8_t shift, uint8_t bits) {
    if (bits == 32) {
        shift &= 31;
        return Tnum{uint32_t(int32_t(uint32_t(a.value)) >> shift),
                    uint32_t(int32_t(uint32_t(a.mask)) >> shift)};
    }
    shift &= 63;
    return Tnum{uint64_t(int64_t(a.value) >> shift), uint64_t(int64_t(a.mask) >> shift)};
}

// kernel: tnum.c tnum_cast()
Tnum tnum_cast(Tnum a, uint8_t size) {
    if (size >= 8) return a;
    uint64_t keep = (uint64_t(1) << (size * 8)) - 1;
    return Tnum{a.value & keep, a.mask & keep};
}

Tnum tnum_sext(Tnum a, uint8_t size) {
    if (size >= 8) return a;
    int sh = 64 - size * 8;
    return Tnum{uint64_t(int64_t(a.value << sh) >> sh), uint64_t(int64_t(a.mask << sh) >> sh)};
}

Tnum tnum_clear_subreg(Tnum a) {
    return tnum_lshift(tnum_rshift(a, 32), 32);
}

Tnum tnum_with_subreg(Tnum reg, Tnum subreg) {
    return tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg));
}

Tnum tnum_const_subreg(Tnum a, uint32_t v) {
    return tnum_with_subreg(a, tnum_const(v));
}

std::string tnum_to_string(Tnum a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "(0x%llx; 0x%llx)", (unsigned long long)a.value,
                  (unsigned long long)a.mask);
    return buf;
}

std::string tnum_to_bits(Tnum a, int bits) {
    std::string s;
    for (int i = bits - 1; i >= 0; --i) {
        uint64_t bit = uint64_t(1) << i;
        s += (a.mask & bit) ? 'x' : (a.value & bit) ? '1' : '0';
    }
    return s;
}

} // namespace tailgate
