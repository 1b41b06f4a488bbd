// Internal to the interval domain (interval*.cpp): a width-generic view of one register's bounds.
// A View of width 64 is the register's 64-bit bounds and tnum; a View of width 32 is the sub-register's
// bounds (values stored widened: smin in [INT32_MIN, INT32_MAX], umin in [0, UINT32_MAX]) and the low
// 32 bits of the tnum (upper half zero). Transfer functions and branch refinement are written once
// against View and applied at either width.
#pragma once

#include <cstdint>

#include "analysis/interval.hpp"

namespace tailgate::detail {

using i128 = __int128;
using u128 = unsigned __int128;

struct View {
    int w = 64;
    int64_t smin, smax;
    uint64_t umin, umax;
    Tnum t;
};

inline int64_t smin_of(int w) {
    return w == 64 ? INT64_MIN : INT32_MIN;
}
inline int64_t smax_of(int w) {
    return w == 64 ? INT64_MAX : INT32_MAX;
}
inline uint64_t umax_of(int w) {
    return w == 64 ? UINT64_MAX : UINT32_MAX;
}

View view64(const ScalarValue& v);
View view32(const ScalarValue& v);
View view_full(int w);
View view_const(int w, uint64_t value); // value truncated to w bits
bool view_is_const(const View& v);
View view_join(const View& a, const View& b);
// Empty-check of a view's own bounds (min > max).
bool view_empty(const View& v);

// Build a reduced ScalarValue from the result of a 64-bit operation (low: the same operation computed
// on the sub-registers, when the low 32 bits of the result depend only on the operands' low 32 bits).
ScalarValue from_view64(const View& r, const View* low);
// Build a reduced ScalarValue from a 32-bit result: zero-extended to 64 bits.
ScalarValue from_view32(const View& r);

// Write refined bounds of a view back into the register (64: 64-bit bounds and tnum; 32: sub-register
// bounds and low tnum half). Does not sync.
void store_view(ScalarValue& v, const View& r);

// The mathematical range [lo, hi] reduced modulo 2^w into the signed / unsigned range of width w, or the
// full range when it does not fit one period.
void wrap_signed(i128 lo, i128 hi, int w, int64_t& out_lo, int64_t& out_hi);
void wrap_unsigned(i128 lo, i128 hi, int w, uint64_t& out_lo, uint64_t& out_hi);

} // namespace tailgate::detail
