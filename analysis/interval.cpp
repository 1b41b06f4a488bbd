// ScalarValue: construction, reduction (sync), lattice operations, widening and narrowing, views.
#include "analysis/interval.hpp"

#include <algorithm>
#include <cstdio>

#include "analysis/interval_view.hpp"

namespace tailgate {

using detail::i128;
using detail::View;

static constexpr uint64_t kLow32 = 0xffffffffULL;

ScalarValue ScalarValue::constant(uint64_t v) {
    ScalarValue s;
    s.smin = s.smax = int64_t(v);
    s.umin = s.umax = v;
    s.s32_min = s.s32_max = int32_t(uint32_t(v));
    s.u32_min = s.u32_max = uint32_t(v);
    s.bits = tnum_const(v);
    return s;
}

ScalarValue ScalarValue::from_urange(uint64_t lo, uint64_t hi) {
    ScalarValue s;
    s.umin = lo;
    s.umax = hi;
    if (!sync(s)) return top();
    return s;
}

ScalarValue ScalarValue::from_srange(int64_t lo, int64_t hi) {
    ScalarValue s;
    s.smin = lo;
    s.smax = hi;
    if (!sync(s)) return top();
    return s;
}

ScalarValue ScalarValue::from_tnum(Tnum t) {
    ScalarValue s;
    s.bits = t;
    if (!sync(s)) return top();
    return s;
}

ScalarValue ScalarValue::unknown_of_size(uint8_t size, bool sign_extend) {
    if (size >= 8) return top();
    int n = size * 8;
    if (sign_extend) return from_srange(-(int64_t(1) << (n - 1)), (int64_t(1) << (n - 1)) - 1);
    return from_urange(0, (uint64_t(1) << n) - 1);
}

bool ScalarValue::is_top() const {
    return *this == ScalarValue{};
}

bool ScalarValue::contains(uint64_t x) const {
    int64_t sx = int64_t(x);
    uint32_t lx = uint32_t(x);
    int32_t slx = int32_t(lx);
    return x >= umin && x <= umax && sx >= smin && sx <= smax && lx >= u32_min && lx <= u32_max &&
           slx >= s32_min && slx <= s32_max && tnum_contains(bits, x);
}

// Signed <-> unsigned for one width. A range that does not cross the sign boundary (unsigned) or zero
// (signed) is the same set in both readings; one that crosses is two intervals in the other reading, and
// the other range may exclude one of them. Returns false when empty.
// kernel: verifier.c __reg64_deduce_bounds() / __reg32_deduce_bounds()
template <class S, class U> static bool deduce_sign(S& smin, S& smax, U& umin, U& umax) {
    if (S(umin) <= S(umax)) { // unsigned range within one half
        smin = std::max(smin, S(umin));
        smax = std::min(smax, S(umax));
    } else { // unsigned range = [S(umin), SMAX] ∪ [SMIN, S(umax)] signed
        bool hi_part = smax >= S(umin);
        bool lo_part = smin <= S(umax);
        if (!hi_part && !lo_part) return false;
        if (!lo_part) smin = std::max(smin, S(umin));
        if (!hi_part) smax = std::min(smax, S(umax));
    }
    if (U(smin) <= U(smax)) { // signed range on one side of zero
        umin = std::max(umin, U(smin));
        umax = std::min(umax, U(smax));
    } else { // signed range = [U(smin), UMAX] ∪ [0, U(smax)] unsigned
        bool hi_part = umax >= U(smin);
        bool lo_part = umin <= U(smax);
        if (!hi_part && !lo_part) return false;
        if (!lo_part) umin = std::max(umin, U(smin));
        if (!hi_part) umax = std::min(umax, U(smax));
    }
    return smin <= smax && umin <= umax;
}

static bool sync_round(ScalarValue& v) {
    // tnum -> bounds. kernel: __update_reg64_bounds() / __update_reg32_bounds()
    v.umin = std::max(v.umin, tnum_umin(v.bits));
    v.umax = std::min(v.umax, tnum_umax(v.bits));
    v.smin = std::max(v.smin, tnum_smin(v.bits));
    v.smax = std::min(v.smax, tnum_smax(v.bits));
    v.u32_min = std::max(v.u32_min, tnum_u32_min(v.bits));
    v.u32_max = std::min(v.u32_max, tnum_u32_max(v.bits));
    v.s32_min = std::max(v.s32_min, tnum_s32_min(v.bits));
    v.s32_max = std::min(v.s32_max, tnum_s32_max(v.bits));
    if (v.umin > v.umax || v.smin > v.smax || v.u32_min > v.u32_max || v.s32_min > v.s32_max) return false;

    // signed <-> unsigned
    if (!deduce_sign<int64_t, uint64_t>(v.smin, v.smax, v.umin, v.umax)) return false;
    if (!deduce_sign<int32_t, uint32_t>(v.s32_min, v.s32_max, v.u32_min, v.u32_max)) return false;

    // 64 -> 32: a 64-bit range inside one 2^32 block fixes the low half's range.
    // kernel: __reg32_deduce_bounds() (the u64/s64 cases)
    if ((v.umin >> 32) == (v.umax >> 32)) {
        v.u32_min = std::max(v.u32_min, uint32_t(v.umin));
        v.u32_max = std::min(v.u32_max, uint32_t(v.umax));
        if (int32_t(v.umin) <= int32_t(v.umax)) {
            v.s32_min = std::max(v.s32_min, int32_t(v.umin));
            v.s32_max = std::min(v.s32_max, int32_t(v.umax));
        }
    }
    if ((v.smin >> 32) == (v.smax >> 32)) {
        v.u32_min = std::max(v.u32_min, uint32_t(v.smin));
        v.u32_max = std::min(v.u32_max, uint32_t(v.smax));
        if (int32_t(v.smin) <= int32_t(v.smax)) {
            v.s32_min = std::max(v.s32_min, int32_t(v.smin));
            v.s32_max = std::min(v.s32_max, int32_t(v.smax));
        }
    }
    // A 64-bit value in [INT32_MIN, INT32_MAX] is the sign extension of its low half.
    if (v.smin >= INT32_MIN && v.smax <= INT32_MAX) {
        v.s32_min = std::max(v.s32_min, int32_t(v.smin));
        v.s32_max = std::min(v.s32_max, int32_t(v.smax));
        v.smin = std::max<int64_t>(v.smin, v.s32_min);
        v.smax = std::min<int64_t>(v.smax, v.s32_max);
    }
    if (v.u32_min > v.u32_max || v.s32_min > v.s32_max) return false;

    // 32 -> 64: the smallest value >= umin whose low half is in [u32_min, u32_max].
    // kernel: __reg_deduce_bounds() deduce_bounds_64_from_32(), plus the next/previous block step.
    {
        i128 blk = i128(v.umin >> 32);
        i128 lo = blk * (i128(1) << 32) + v.u32_min;
        if (uint32_t(v.umin) > v.u32_max) lo += i128(1) << 32;
        blk = i128(v.umax >> 32);
        i128 hi = blk * (i128(1) << 32) + v.u32_max;
        if (uint32_t(v.umax) < v.u32_min) hi -= i128(1) << 32;
        if (lo > i128(UINT64_MAX) || hi < 0) return false;
        v.umin = std::max<uint64_t>(v.umin, uint64_t(lo));
        v.umax = std::min<uint64_t>(v.umax, uint64_t(hi));
    }
    {
        i128 blk = i128(v.smin >> 32); // arithmetic: signed blocks
        i128 lo = blk * (i128(1) << 32) + v.u32_min;
        if (uint32_t(v.smin) > v.u32_max) lo += i128(1) << 32;
        blk = i128(v.smax >> 32);
        i128 hi = blk * (i128(1) << 32) + v.u32_max;
        if (uint32_t(v.smax) < v.u32_min) hi -= i128(1) << 32;
        if (lo > i128(INT64_MAX) || hi < i128(INT64_MIN)) return false;
        v.smin = std::max<int64_t>(v.smin, int64_t(lo));
        v.smax = std::min<int64_t>(v.smax, int64_t(hi));
    }
    if (v.umin > v.umax || v.smin > v.smax) return false;

    // bounds -> tnum. kernel: __reg_bound_offset()
    auto t = tnum_meet(v.bits, tnum_range(v.umin, v.umax));
    if (!t) return false;
    auto sub = tnum_meet(tnum_subreg(*t), tnum_range(v.u32_min, v.u32_max));
    if (!sub) return false;
    v.bits = tnum_with_subreg(*t, *sub);
    return true;
}

bool sync(ScalarValue& v) {
    if (!tnum_well_formed(v.bits)) return false;
    for (int round = 0; round < 4; ++round) {
        ScalarValue before = v;
        if (!sync_round(v)) return false;
        if (v == before) break;
    }
    return v.umin <= v.umax && v.smin <= v.smax && v.u32_min <= v.u32_max && v.s32_min <= v.s32_max;
}

bool leq(const ScalarValue& a, const ScalarValue& b) {
    return a.umin >= b.umin && a.umax <= b.umax && a.smin >= b.smin && a.smax <= b.smax &&
           a.u32_min >= b.u32_min && a.u32_max <= b.u32_max && a.s32_min >= b.s32_min &&
           a.s32_max <= b.s32_max && tnum_in(b.bits, a.bits);
}

ScalarValue join(const ScalarValue& a, const ScalarValue& b) {
    ScalarValue r;
    r.umin = std::min(a.umin, b.umin);
    r.umax = std::max(a.umax, b.umax);
    r.smin = std::min(a.smin, b.smin);
    r.smax = std::max(a.smax, b.smax);
    r.u32_min = std::min(a.u32_min, b.u32_min);
    r.u32_max = std::max(a.u32_max, b.u32_max);
    r.s32_min = std::min(a.s32_min, b.s32_min);
    r.s32_max = std::max(a.s32_max, b.s32_max);
    r.bits = tnum_join(a.bits, b.bits);
    ScalarValue reduced = r;
    return sync(reduced) ? reduced : r;
}

std::optional<ScalarValue> meet(const ScalarValue& a, const ScalarValue& b) {
    ScalarValue r;
    r.umin = std::max(a.umin, b.umin);
    r.umax = std::min(a.umax, b.umax);
    r.smin = std::max(a.smin, b.smin);
    r.smax = std::min(a.smax, b.smax);
    r.u32_min = std::max(a.u32_min, b.u32_min);
    r.u32_max = std::min(a.u32_max, b.u32_max);
    r.s32_min = std::max(a.s32_min, b.s32_min);
    r.s32_max = std::min(a.s32_max, b.s32_max);
    auto t = tnum_meet(a.bits, b.bits);
    if (!t) return std::nullopt;
    r.bits = *t;
    if (!sync(r)) return std::nullopt;
    return r;
}

// Widen one lower bound: the largest threshold <= next, else the type's minimum.
template <class T, class Th> static T widen_lo(T old, T next, std::span<const Th> th) {
    if (next >= old) return old;
    T best = std::numeric_limits<T>::min();
    for (Th c : th)
        if (c >= Th(std::numeric_limits<T>::min()) && c <= Th(std::numeric_limits<T>::max()) &&
            T(c) <= next && T(c) > best)
            best = T(c);
    return best;
}

template <class T, class Th> static T widen_hi(T old, T next, std::span<const Th> th) {
    if (next <= old) return old;
    T best = std::numeric_limits<T>::max();
    for (Th c : th)
        if (c >= Th(std::numeric_limits<T>::min()) && c <= Th(std::numeric_limits<T>::max()) &&
            T(c) >= next && T(c) < best)
            best = T(c);
    return best;
}

// Known bits that become unknown make every higher bit unknown too: one step instead of up to 64,
// while low-bit alignment (offsets stepping by 4, 8) survives.
static Tnum widen_tnum(Tnum old, Tnum next) {
    Tnum j = tnum_join(old, next);
    uint64_t fresh = j.mask & ~old.mask;
    if (fresh == 0) return j;
    uint64_t from = fresh & (0 - fresh); // lowest newly unknown bit
    uint64_t mask = j.mask | ~(from - 1);
    return Tnum{j.value & ~mask, mask};
}

ScalarValue widen(const ScalarValue& old, const ScalarValue& next, const WidenThresholds& th) {
    ScalarValue r;
    r.umin = widen_lo(old.umin, next.umin, th.unsigned_values);
    r.umax = widen_hi(old.umax, next.umax, th.unsigned_values);
    r.smin = widen_lo(old.smin, next.smin, th.signed_values);
    r.smax = widen_hi(old.smax, next.smax, th.signed_values);
    r.u32_min = widen_lo(old.u32_min, next.u32_min, th.unsigned_values);
    r.u32_max = widen_hi(old.u32_max, next.u32_max, th.unsigned_values);
    r.s32_min = widen_lo(old.s32_min, next.s32_min, th.signed_values);
    r.s32_max = widen_hi(old.s32_max, next.s32_max, th.signed_values);
    r.bits = widen_tnum(old.bits, next.bits);
    return r;
}

ScalarValue narrow(const ScalarValue& a, const ScalarValue& b) {
    ScalarValue r = a;
    if (a.umin == 0) r.umin = b.umin;
    if (a.umax == UINT64_MAX) r.umax = b.umax;
    if (a.smin == INT64_MIN) r.smin = b.smin;
    if (a.smax == INT64_MAX) r.smax = b.smax;
    if (a.u32_min == 0) r.u32_min = b.u32_min;
    if (a.u32_max == UINT32_MAX) r.u32_max = b.u32_max;
    if (a.s32_min == INT32_MIN) r.s32_min = b.s32_min;
    if (a.s32_max == INT32_MAX) r.s32_max = b.s32_max;
    auto t = tnum_meet(a.bits, b.bits);
    if (!t) return a;
    r.bits = *t;
    if (!sync(r)) return a;
    return r;
}

std::string to_string(const ScalarValue& v) {
    char buf[160];
    if (v.is_const()) {
        if (int64_t(v.const_value()) < 0 && int64_t(v.const_value()) > -65536)
            std::snprintf(buf, sizeof buf, "%lld", (long long)int64_t(v.const_value()));
        else
            std::snprintf(buf, sizeof buf, "%llu", (unsigned long long)v.const_value());
        return buf;
    }
    bool s_full = v.smin == INT64_MIN && v.smax == INT64_MAX;
    bool u_full = v.umin == 0 && v.umax == UINT64_MAX;
    if (v.smin >= 0 || (s_full && !u_full))
        std::snprintf(buf, sizeof buf, "[%llu, %llu]", (unsigned long long)v.umin,
                      (unsigned long long)v.umax);
    else if (v.smax < 0 || u_full)
        std::snprintf(buf, sizeof buf, "[%lld, %lld]", (long long)v.smin, (long long)v.smax);
    else
        std::snprintf(buf, sizeof buf, "[%llu, %llu] (signed [%lld, %lld])", (unsigned long long)v.umin,
                      (unsigned long long)v.umax, (long long)v.smin, (long long)v.smax);
    return buf;
}

// ----------------------------------------------------------------------------------------------------
namespace detail {

View view64(const ScalarValue& v) {
    return View{64, v.smin, v.smax, v.umin, v.umax, v.bits};
}
View view32(const ScalarValue& v) {
    return View{32, v.s32_min, v.s32_max, v.u32_min, v.u32_max, tnum_subreg(v.bits)};
}
View view_full(int w) {
    return View{w, smin_of(w), smax_of(w), 0, umax_of(w), tnum_cast(tnum_unknown(), w / 8)};
}

View view_const(int w, uint64_t value) {
    if (w == 32) value &= kLow32;
    int64_t s = w == 32 ? int64_t(int32_t(uint32_t(value))) : int64_t(value);
    return View{w, s, s, value, value, tnum_const(value)};
}

bool view_is_const(const View& v) {
    return v.umin == v.umax;
}

bool view_empty(const View& v) {
    return v.smin > v.smax || v.umin > v.umax || !tnum_well_formed(v.t);
}

View view_join(const View& a, const View& b) {
    return View{a.w,
                std::min(a.smin, b.smin),
                std::max(a.smax, b.smax),
                std::min(a.umin, b.umin),
                std::max(a.umax, b.umax),
                tnum_join(a.t, b.t)};
}

ScalarValue from_view64(const View& r, const View* low) {
    ScalarValue s;
    s.smin = r.smin;
    s.smax = r.smax;
    s.umin = r.umin;
    s.umax = r.umax;
    s.bits = r.t;
    if (low) {
        s.s32_min = int32_t(low->smin);
        s.s32_max = int32_t(low->smax);
        s.u32_min = uint32_t(low->umin);
        s.u32_max = uint32_t(low->umax);
        if (auto m = tnum_meet(r.t, tnum_with_subreg(tnum_unknown(), low->t))) s.bits = *m;
    }
    ScalarValue reduced = s;
    return sync(reduced) ? reduced : s; // an unsatisfiable result can only come from an empty input
}

ScalarValue from_view32(const View& r) {
    ScalarValue s;
    s.s32_min = int32_t(r.smin);
    s.s32_max = int32_t(r.smax);
    s.u32_min = uint32_t(r.umin);
    s.u32_max = uint32_t(r.umax);
    s.bits = tnum_subreg(r.t);
    s.umin = 0;
    s.umax = kLow32;
    s.smin = 0;
    s.smax = int64_t(kLow32);
    ScalarValue reduced = s;
    return sync(reduced) ? reduced : s;
}

void store_view(ScalarValue& v, const View& r) {
    if (r.w == 64) {
        v.smin = r.smin;
        v.smax = r.smax;
        v.umin = r.umin;
        v.umax = r.umax;
        v.bits = r.t;
    } else {
        v.s32_min = int32_t(r.smin);
        v.s32_max = int32_t(r.smax);
        v.u32_min = uint32_t(r.umin);
        v.u32_max = uint32_t(r.umax);
        v.bits = tnum_with_subreg(v.bits, r.t);
    }
}

static i128 floor_div(i128 a, i128 b) { // b > 0
    i128 q = a / b;
    if ((a % b) != 0 && a < 0) --q;
    return q;
}

void wrap_signed(i128 lo, i128 hi, int w, int64_t& out_lo, int64_t& out_hi) {
    i128 period = i128(1) << w;
    i128 min = -(period / 2), max = period / 2 - 1;
    out_lo = smin_of(w);
    out_hi = smax_of(w);
    if (hi - lo >= period) return;
    i128 k = floor_div(lo - min, period);
    lo -= k * period;
    hi -= k * period;
    if (hi > max) return;
    out_lo = int64_t(lo);
    out_hi = int64_t(hi);
}

void wrap_unsigned(i128 lo, i128 hi, int w, uint64_t& out_lo, uint64_t& out_hi) {
    i128 period = i128(1) << w;
    out_lo = 0;
    out_hi = umax_of(w);
    if (hi - lo >= period) return;
    i128 k = floor_div(lo, period);
    lo -= k * period;
    hi -= k * period;
    if (hi >= period) return;
    out_lo = uint64_t(lo);
    out_hi = uint64_t(hi);
}

} // namespace detail
} // namespace tailgate
