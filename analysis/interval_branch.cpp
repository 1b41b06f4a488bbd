// ScalarValue refinement on conditional jumps. kernel: verifier.c is_branch_taken(), reg_set_min_max(),
// regs_refine_cond_op(). One width-generic refinement over View, applied to the 64-bit register (JMP) or
// to the sub-register (JMP32); sync() then carries the result to the other components.
#include <algorithm>
#include <bit>

#include "analysis/interval.hpp"
#include "analysis/interval_view.hpp"

namespace tailgate {

using namespace detail;

Cond negate(Cond c) {
    switch (c) {
    case Cond::Eq: return Cond::Ne;
    case Cond::Ne: return Cond::Eq;
    case Cond::Gt: return Cond::Le;
    case Cond::Le: return Cond::Gt;
    case Cond::Ge: return Cond::Lt;
    case Cond::Lt: return Cond::Ge;
    case Cond::SGt: return Cond::SLe;
    case Cond::SLe: return Cond::SGt;
    case Cond::SGe: return Cond::SLt;
    case Cond::SLt: return Cond::SGe;
    case Cond::Set: return Cond::Set; // no JNSET; refine_branch handles taken == false
    }
    return c;
}

Cond swap_operands(Cond c) {
    switch (c) {
    case Cond::Gt: return Cond::Lt;
    case Cond::Lt: return Cond::Gt;
    case Cond::Ge: return Cond::Le;
    case Cond::Le: return Cond::Ge;
    case Cond::SGt: return Cond::SLt;
    case Cond::SLt: return Cond::SGt;
    case Cond::SGe: return Cond::SLe;
    case Cond::SLe: return Cond::SGe;
    default: return c;
    }
}

bool cond_concrete(Cond c, bool is32, uint64_t dst, uint64_t src) {
    uint64_t a = is32 ? uint32_t(dst) : dst, b = is32 ? uint32_t(src) : src;
    int64_t sa = is32 ? int64_t(int32_t(uint32_t(dst))) : int64_t(dst);
    int64_t sb = is32 ? int64_t(int32_t(uint32_t(src))) : int64_t(src);
    switch (c) {
    case Cond::Eq: return a == b;
    case Cond::Ne: return a != b;
    case Cond::Gt: return a > b;
    case Cond::Ge: return a >= b;
    case Cond::Lt: return a < b;
    case Cond::Le: return a <= b;
    case Cond::Set: return (a & b) != 0;
    case Cond::SGt: return sa > sb;
    case Cond::SGe: return sa >= sb;
    case Cond::SLt: return sa < sb;
    case Cond::SLe: return sa <= sb;
    }
    return false;
}

namespace {

// a != const k: drop k when it is an end of a's ranges.
void exclude_const(View& a, const View& k) {
    if (!view_is_const(k)) return;
    if (a.umin == k.umin && a.umin < a.umax)
        ++a.umin;
    else if (a.umax == k.umin && a.umin < a.umax)
        --a.umax;
    if (a.smin == k.smin && a.smin < a.smax)
        ++a.smin;
    else if (a.smax == k.smin && a.smin < a.smax)
        --a.smax;
}

// a > b (strict) or a >= b, unsigned.
bool refine_ugt(View& a, View& b, bool strict) {
    uint64_t d = strict ? 1 : 0;
    if (strict && (b.umin == umax_of(a.w) || a.umax == 0)) return false;
    a.umin = std::max(a.umin, b.umin + d);
    b.umax = std::min(b.umax, a.umax - d);
    return a.umin <= a.umax && b.umin <= b.umax;
}

bool refine_sgt(View& a, View& b, bool strict) {
    int64_t d = strict ? 1 : 0;
    if (strict && (b.smin == smax_of(a.w) || a.smax == smin_of(a.w))) return false;
    a.smin = std::max(a.smin, b.smin + d);
    b.smax = std::min(b.smax, a.smax - d);
    return a.smin <= a.smax && b.smin <= b.smax;
}

// dst & src != 0 (taken) or == 0 (not taken). kernel: regs_refine_cond_op() BPF_JSET
bool refine_set(View& a, View& b, bool taken) {
    if (taken) {
        if (((a.t.value | a.t.mask) & (b.t.value | b.t.mask)) == 0) return false;
        if (view_is_const(b) && std::has_single_bit(b.umin)) a.t = tnum_or(a.t, b.t);
        if (view_is_const(a) && std::has_single_bit(a.umin)) b.t = tnum_or(b.t, a.t);
        return true;
    }
    if (a.t.value & b.t.value) return false; // a bit known set in both
    uint64_t all = umax_of(a.w);
    if (view_is_const(b)) a.t = tnum_and(a.t, tnum_const(~b.umin & all));
    if (view_is_const(a)) b.t = tnum_and(b.t, tnum_const(~a.umin & all));
    return true;
}

bool refine_view(Cond c, bool taken, View& a, View& b) {
    if (c == Cond::Set) return refine_set(a, b, taken);
    if (!taken) c = negate(c);
    switch (c) {
    case Cond::Eq: {
        View m{a.w,
               std::max(a.smin, b.smin),
               std::min(a.smax, b.smax),
               std::max(a.umin, b.umin),
               std::min(a.umax, b.umax),
               a.t};
        auto t = tnum_meet(a.t, b.t);
        if (!t) return false;
        m.t = *t;
        a = b = m;
        return !view_empty(m);
    }
    case Cond::Ne:
        if (view_is_const(a) && view_is_const(b) && a.umin == b.umin) return false;
        exclude_const(a, b);
        exclude_const(b, a);
        return true;
    case Cond::Gt: return refine_ugt(a, b, true);
    case Cond::Ge: return refine_ugt(a, b, false);
    case Cond::Lt: return refine_ugt(b, a, true);
    case Cond::Le: return refine_ugt(b, a, false);
    case Cond::SGt: return refine_sgt(a, b, true);
    case Cond::SGe: return refine_sgt(a, b, false);
    case Cond::SLt: return refine_sgt(b, a, true);
    case Cond::SLe: return refine_sgt(b, a, false);
    case Cond::Set: break;
    }
    return true;
}

} // namespace

bool refine_branch(Cond c, bool is32, bool taken, ScalarValue& dst, ScalarValue& src) {
    View a = is32 ? view32(dst) : view64(dst);
    View b = is32 ? view32(src) : view64(src);
    if (!refine_view(c, taken, a, b)) return false;
    if (view_empty(a) || view_empty(b)) return false;
    store_view(dst, a);
    store_view(src, b);
    return sync(dst) && sync(src);
}

BranchOutcome branch_outcome(Cond c, bool is32, const ScalarValue& dst, const ScalarValue& src) {
    ScalarValue d1 = dst, s1 = src, d2 = dst, s2 = src;
    bool can_take = refine_branch(c, is32, true, d1, s1);
    bool can_fall = refine_branch(c, is32, false, d2, s2);
    if (can_take && !can_fall) return BranchOutcome::AlwaysTaken;
    if (!can_take && can_fall) return BranchOutcome::NeverTaken;
    return BranchOutcome::Unknown;
}

} // namespace tailgate
