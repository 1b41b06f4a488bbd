// ScalarValue transfer functions for ALU and endian instructions (RFC 9669 semantics).
// Each operation is written once over a width-generic View (interval_view.hpp) and applied to the
// 64-bit register or to its 32-bit sub-register. kernel: verifier.c adjust_scalar_min_max_vals() and the
// scalar{,32}_min_max_*() helpers; tailgate computes wrap-around-aware bounds (a result that wraps by a
// whole period stays precise) and exact division/modulo ranges.
#include <algorithm>
#include <bit>

#include "analysis/interval.hpp"
#include "analysis/interval_view.hpp"

namespace tailgate {

using namespace detail;

uint64_t alu_concrete(AluOp op, bool is64, uint64_t dst, uint64_t src) {
    if (!is64) {
        uint32_t d = uint32_t(dst), s = uint32_t(src);
        int32_t sd = int32_t(d), ss = int32_t(s);
        switch (op) {
        case AluOp::Add: return uint32_t(d + s);
        case AluOp::Sub: return uint32_t(d - s);
        case AluOp::Mul: return uint32_t(d * s);
        case AluOp::Div: return s ? d / s : 0;
        case AluOp::SDiv: return s == 0 ? 0 : ss == -1 ? uint32_t(0u - d) : uint32_t(sd / ss);
        case AluOp::Mod: return s ? d % s : d;
        case AluOp::SMod: return s == 0 ? d : ss == -1 ? 0 : uint32_t(sd % ss);
        case AluOp::Or: return d | s;
        case AluOp::And: return d & s;
        case AluOp::Xor: return d ^ s;
        case AluOp::Lsh: return uint32_t(d << (s & 31));
        case AluOp::Rsh: return d >> (s & 31);
        case AluOp::Arsh: return uint32_t(sd >> (s & 31));
        case AluOp::Neg: return uint32_t(0u - d);
        case AluOp::Mov: return s;
        case AluOp::MovSx8: return uint32_t(int32_t(int8_t(s)));
        case AluOp::MovSx16: return uint32_t(int32_t(int16_t(s)));
        case AluOp::MovSx32: return s;
        }
        return 0;
    }
    int64_t sd = int64_t(dst), ss = int64_t(src);
    switch (op) {
    case AluOp::Add: return dst + src;
    case AluOp::Sub: return dst - src;
    case AluOp::Mul: return dst * src;
    case AluOp::Div: return src ? dst / src : 0;
    case AluOp::SDiv: return src == 0 ? 0 : ss == -1 ? 0 - dst : uint64_t(sd / ss);
    case AluOp::Mod: return src ? dst % src : dst;
    case AluOp::SMod: return src == 0 ? dst : ss == -1 ? 0 : uint64_t(sd % ss);
    case AluOp::Or: return dst | src;
    case AluOp::And: return dst & src;
    case AluOp::Xor: return dst ^ src;
    case AluOp::Lsh: return dst << (src & 63);
    case AluOp::Rsh: return dst >> (src & 63);
    case AluOp::Arsh: return uint64_t(sd >> (src & 63));
    case AluOp::Neg: return 0 - dst;
    case AluOp::Mov: return src;
    case AluOp::MovSx8: return uint64_t(int64_t(int8_t(src)));
    case AluOp::MovSx16: return uint64_t(int64_t(int16_t(src)));
    case AluOp::MovSx32: return uint64_t(int64_t(int32_t(src)));
    }
    return 0;
}

namespace {

Tnum mask_w(Tnum t, int w) {
    return w == 64 ? t : tnum_cast(t, 4);
}

View add_v(const View& a, const View& b) {
    View r{a.w, 0, 0, 0, 0, mask_w(tnum_add(a.t, b.t), a.w)};
    wrap_signed(i128(a.smin) + b.smin, i128(a.smax) + b.smax, a.w, r.smin, r.smax);
    wrap_unsigned(i128(a.umin) + b.umin, i128(a.umax) + b.umax, a.w, r.umin, r.umax);
    return r;
}

View sub_v(const View& a, const View& b) {
    View r{a.w, 0, 0, 0, 0, mask_w(tnum_sub(a.t, b.t), a.w)};
    wrap_signed(i128(a.smin) - b.smax, i128(a.smax) - b.smin, a.w, r.smin, r.smax);
    wrap_unsigned(i128(a.umin) - b.umax, i128(a.umax) - b.umin, a.w, r.umin, r.umax);
    return r;
}

View mul_v(const View& a, const View& b) {
    View r{a.w, 0, 0, 0, 0, mask_w(tnum_mul(a.t, b.t), a.w)};
    i128 c[4] = {i128(a.smin) * b.smin, i128(a.smin) * b.smax, i128(a.smax) * b.smin, i128(a.smax) * b.smax};
    wrap_signed(*std::min_element(c, c + 4), *std::max_element(c, c + 4), a.w, r.smin, r.smax);
    u128 hi = u128(a.umax) * b.umax;
    if (hi >> 126) {
        r.umin = 0;
        r.umax = umax_of(a.w);
    } else {
        wrap_unsigned(i128(u128(a.umin) * b.umin), i128(hi), a.w, r.umin, r.umax);
    }
    return r;
}

View from_unsigned(int w, uint64_t lo, uint64_t hi) {
    View r = view_full(w);
    r.umin = lo;
    r.umax = hi;
    return r;
}

View from_signed(int w, int64_t lo, int64_t hi) {
    View r = view_full(w);
    r.smin = lo;
    r.smax = hi;
    return r;
}

// Unsigned division; x / 0 == 0.
View div_v(const View& a, const View& b) {
    if (b.umax == 0) return view_const(a.w, 0);
    uint64_t lo = b.umin == 0 ? 0 : a.umin / b.umax;
    uint64_t hi = a.umax / std::max<uint64_t>(b.umin, 1);
    return from_unsigned(a.w, lo, hi);
}

// Unsigned modulo; x % 0 == x.
View mod_v(const View& a, const View& b) {
    if (b.umax == 0) return a;
    if (b.umin > 0 && a.umax < b.umin) return a; // every divisor exceeds x
    uint64_t hi = std::min(a.umax, b.umax - 1);
    if (b.umin == 0) hi = a.umax;
    return from_unsigned(a.w, 0, hi);
}

// Signed division over the divisor's negative and positive parts (corners are the extremes there:
// truncating division is monotone in each argument on a sign-constant rectangle); 0 for a zero divisor;
// INT_MIN / -1 wraps to INT_MIN as the ISA says.
View sdiv_v(const View& a, const View& b) {
    bool any = false;
    i128 lo = 0, hi = 0;
    auto add = [&](i128 l, i128 h) {
        lo = any ? std::min(lo, l) : l;
        hi = any ? std::max(hi, h) : h;
        any = true;
    };
    if (b.smin <= 0 && b.smax >= 0) add(0, 0);
    auto part = [&](int64_t c, int64_t d) {
        i128 q[4] = {i128(a.smin) / c, i128(a.smin) / d, i128(a.smax) / c, i128(a.smax) / d};
        add(*std::min_element(q, q + 4), *std::max_element(q, q + 4));
    };
    if (b.smin <= -1) part(b.smin, std::min<int64_t>(b.smax, -1));
    if (b.smax >= 1) part(std::max<int64_t>(b.smin, 1), b.smax);
    View r = view_full(a.w);
    wrap_signed(lo, hi, a.w, r.smin, r.smax);
    return r;
}

// Signed modulo: the result has the dividend's sign and |r| < |divisor|, |r| <= |x|; x % 0 == x.
View smod_v(const View& a, const View& b) {
    bool zero = b.smin <= 0 && b.smax >= 0;
    if (b.smin == 0 && b.smax == 0) return a;
    i128 maxabs = std::max(b.smin < 0 ? -i128(b.smin) : i128(0), b.smax > 0 ? i128(b.smax) : i128(0));
    i128 m1 = maxabs - 1;
    i128 lo = a.smin >= 0 ? 0 : std::max(i128(a.smin), -m1);
    i128 hi = a.smax <= 0 ? 0 : std::min(i128(a.smax), m1);
    if (zero) {
        lo = std::min(lo, i128(a.smin));
        hi = std::max(hi, i128(a.smax));
    }
    return from_signed(a.w, int64_t(lo), int64_t(hi));
}

View and_v(const View& a, const View& b) {
    View r = view_full(a.w);
    r.t = tnum_and(a.t, b.t);
    r.umin = r.t.value;
    r.umax = std::min({a.umax, b.umax, r.t.value | r.t.mask});
    // a non-negative operand bounds the result: 0 <= x & y <= x. kernel: scalar_min_max_and()
    if (a.smin >= 0 || b.smin >= 0) {
        r.smin = 0;
        r.smax = a.smin >= 0 && b.smin >= 0 ? std::min(a.smax, b.smax) : a.smin >= 0 ? a.smax : b.smax;
    }
    return r;
}

View or_v(const View& a, const View& b) {
    View r = view_full(a.w);
    r.t = tnum_or(a.t, b.t);
    r.umin = std::max({a.umin, b.umin, r.t.value});
    r.umax = r.t.value | r.t.mask;
    // a negative operand makes the result negative and >= it. kernel: scalar_min_max_or()
    if (a.smax < 0 || b.smax < 0) {
        r.smin = a.smax < 0 && b.smax < 0 ? std::max(a.smin, b.smin) : a.smax < 0 ? a.smin : b.smin;
        r.smax = -1;
    }
    return r;
}

View xor_v(const View& a, const View& b) {
    View r = view_full(a.w);
    r.t = tnum_xor(a.t, b.t);
    r.umin = r.t.value;
    r.umax = r.t.value | r.t.mask;
    return r;
}

// Shifts by one known amount s < w.
View lsh1(const View& a, int s) {
    View r{a.w, 0, 0, 0, 0, mask_w(tnum_lshift(a.t, uint8_t(s)), a.w)};
    wrap_signed(i128(a.smin) * (i128(1) << s), i128(a.smax) * (i128(1) << s), a.w, r.smin, r.smax);
    wrap_unsigned(i128(a.umin) << s, i128(a.umax) << s, a.w, r.umin, r.umax);
    return r;
}

View rsh1(const View& a, int s) {
    if (s == 0) return a;
    View r{a.w, 0, 0, a.umin >> s, a.umax >> s, tnum_rshift(a.t, uint8_t(s))};
    r.smin = int64_t(r.umin); // < 2^(w-1): non-negative in both readings
    r.smax = int64_t(r.umax);
    return r;
}

View arsh1(const View& a, int s) {
    View r = view_full(a.w);
    r.smin = a.smin >> s;
    r.smax = a.smax >> s;
    r.t = tnum_arshift(a.t, uint8_t(s), uint8_t(a.w));
    return r;
}

// The possible shift amounts: src masked to w-1 (RFC 9669); joined over every amount the value allows.
template <class F> View shift_v(const View& a, const View& b, F one) {
    uint64_t lo = 0, hi = uint64_t(a.w - 1);
    if (b.umax <= hi) {
        lo = b.umin;
        hi = b.umax;
    }
    Tnum amt = tnum_and(b.t, tnum_const(uint64_t(a.w - 1)));
    bool any = false;
    View r{};
    for (uint64_t s = lo; s <= hi; ++s) {
        if (!tnum_contains(amt, s)) continue;
        View x = one(a, int(s));
        r = any ? view_join(r, x) : x;
        any = true;
    }
    return any ? r : view_full(a.w);
}

View op_view(AluOp op, const View& a, const View& b) {
    switch (op) {
    case AluOp::Add: return add_v(a, b);
    case AluOp::Sub: return sub_v(a, b);
    case AluOp::Mul: return mul_v(a, b);
    case AluOp::Div: return div_v(a, b);
    case AluOp::SDiv: return sdiv_v(a, b);
    case AluOp::Mod: return mod_v(a, b);
    case AluOp::SMod: return smod_v(a, b);
    case AluOp::Or: return or_v(a, b);
    case AluOp::And: return and_v(a, b);
    case AluOp::Xor: return xor_v(a, b);
    case AluOp::Lsh: return shift_v(a, b, lsh1);
    case AluOp::Rsh: return shift_v(a, b, rsh1);
    case AluOp::Arsh: return shift_v(a, b, arsh1);
    case AluOp::Neg: return sub_v(view_const(a.w, 0), a);
    default: return view_full(a.w);
    }
}

// The low 32 bits of the 64-bit result depend only on the operands' low 32 bits.
bool low_half_closed(AluOp op) {
    switch (op) {
    case AluOp::Add:
    case AluOp::Sub:
    case AluOp::Mul:
    case AluOp::And:
    case AluOp::Or:
    case AluOp::Xor:
    case AluOp::Neg: return true;
    default: return false;
    }
}

} // namespace

ScalarValue truncate(const ScalarValue& v, uint8_t size) {
    if (size >= 8) return v;
    if (size == 4) return from_view32(view32(v));
    int n = size * 8;
    uint64_t mask = (uint64_t(1) << n) - 1;
    ScalarValue r = ScalarValue::from_tnum(tnum_cast(v.bits, size));
    uint64_t lo = 0, hi = mask;
    if ((v.umin >> n) == (v.umax >> n)) {
        lo = v.umin & mask;
        hi = v.umax & mask;
    }
    auto m = meet(r, ScalarValue::from_urange(lo, hi));
    return m ? *m : r;
}

ScalarValue sign_extend(const ScalarValue& v, uint8_t size) {
    if (size >= 8) return v;
    int n = size * 8;
    ScalarValue low = truncate(v, size);
    uint64_t half = uint64_t(1) << (n - 1);
    int64_t lo, hi;
    if (low.umax < half) {
        lo = int64_t(low.umin);
        hi = int64_t(low.umax);
    } else if (low.umin >= half) {
        lo = int64_t(low.umin) - int64_t(half << 1);
        hi = int64_t(low.umax) - int64_t(half << 1);
    } else {
        lo = -int64_t(half);
        hi = int64_t(half) - 1;
    }
    ScalarValue r = ScalarValue::from_tnum(tnum_sext(low.bits, size));
    auto m = meet(r, ScalarValue::from_srange(lo, hi));
    return m ? *m : r;
}

ScalarValue alu(AluOp op, bool is64, const ScalarValue& dst, const ScalarValue& src) {
    switch (op) {
    case AluOp::Mov: return is64 ? src : truncate(src, 4);
    case AluOp::MovSx8:
    case AluOp::MovSx16:
    case AluOp::MovSx32: {
        uint8_t size = op == AluOp::MovSx8 ? 1 : op == AluOp::MovSx16 ? 2 : 4;
        return is64 ? sign_extend(src, size) : truncate(sign_extend(src, size), 4);
    }
    default: break;
    }
    const ScalarValue& b = op == AluOp::Neg ? dst : src;
    if (dst.is_const() && b.is_const())
        return ScalarValue::constant(alu_concrete(op, is64, dst.const_value(), b.const_value()));
    if (!is64) return from_view32(op_view(op, view32(dst), view32(src)));
    View r = op_view(op, view64(dst), view64(src));
    if (low_half_closed(op)) {
        View low = op_view(op, view32(dst), view32(src));
        return from_view64(r, &low);
    }
    return from_view64(r, nullptr);
}

ScalarValue endian(const ScalarValue& v, uint8_t bits, ByteOrder order) {
    uint8_t size = bits / 8;
    if (order == ByteOrder::ToLe) return truncate(v, size); // tailgate runs on little-endian hosts
    auto swap = [&](uint64_t x) {
        x = __builtin_bswap64(x);
        return bits == 64 ? x : x >> (64 - bits);
    };
    Tnum t = tnum_cast(v.bits, size);
    return ScalarValue::from_tnum(Tnum{swap(t.value), swap(t.mask)}); // byte permutation is exact on tnums
}

} // namespace tailgate
