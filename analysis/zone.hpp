// Zone: a difference-bound-matrix (DBM) relational domain over a small fixed set of integer variables
// (Miné, "A New Numerical Abstract Domain Based on Difference-Bound Matrices", 2001).
//
// A Zone over variables 0..n-1 is a conjunction of constraints `x - y <= c` and `lo <= x <= hi`
// (bounds are differences against an internal zero variable). It is kept closed (shortest paths) after
// every operation except widen(), so bound queries are exact for the conjunction.
//
// Variables are mathematical integers: the analyzer must only feed constraints that hold without
// 64-bit wraparound (packet offsets, packet_end, loop counters are small). Bounds saturate: a sum that
// would overflow int64 is dropped (made +inf), which only loses precision.
//
// Typical use by the analyzer (see analysis/ for the variable assignment):
//   zone.assign(r2_off, r1_off, 14);        // r2 = data + 14  (r1 = data, offset var 0)
//   zone.add_constraint(r2_off, pkt_end, 0); // fall-through of `if (r2 > data_end) goto out`
//   zone.entails(r1_off, pkt_end, -(k + size)) // proves *(u<size>*)(r1 + k) is inside the packet
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace tailgate {

class Zone {
  public:
    using Var = uint32_t;
    static constexpr int64_t kInf = std::numeric_limits<int64_t>::max(); // "no constraint"

    // Top (no constraint) over n variables.
    explicit Zone(size_t n = 0);
    static Zone bottom(size_t n);

    size_t size() const { return n_; }
    bool is_bottom() const { return bottom_; }
    bool is_top() const;

    // --- constraints ----------------------------------------------------------------------------------
    // Add x - y <= c and re-close (incremental, O(n^2)). Returns false (and becomes bottom) when
    // infeasible. x == y: 0 <= c.
    bool add_constraint(Var x, Var y, int64_t c);
    // lo <= x / x <= hi / lo <= x <= hi. Return false when infeasible (zone becomes bottom).
    bool set_lower(Var x, int64_t lo);
    bool set_upper(Var x, int64_t hi);
    bool set_range(Var x, int64_t lo, int64_t hi) { return set_lower(x, lo) && set_upper(x, hi); }

    // --- queries (bottom entails everything) -------------------------------------------------------------
    // The tightest c with x - y <= c, nullopt when unbounded.
    std::optional<int64_t> bound(Var x, Var y) const;
    std::optional<int64_t> upper(Var x) const; // max x
    std::optional<int64_t> lower(Var x) const; // min x
    // Is x - y <= c implied?
    bool entails(Var x, Var y, int64_t c) const;

    // --- assignments ---------------------------------------------------------------------------------
    // Drop every constraint on x (x becomes unknown).
    void forget(Var x);
    // x := y + c (x == y allowed: x := x + c, keeps the relations of x shifted by c).
    void assign(Var x, Var y, int64_t c);
    // x := a constant / any value of [lo, hi] (lo <= hi; use kInf / -kInf for no bound).
    void assign_const(Var x, int64_t c) { assign_range(x, c, c); }
    void assign_range(Var x, int64_t lo, int64_t hi);

    // --- lattice ---------------------------------------------------------------------------------------
    // Both zones must have the same size.
    bool leq(const Zone& other) const;  // this ⊑ other
    Zone join(const Zone& other) const; // pointwise max of closed matrices
    Zone meet(const Zone& other) const; // pointwise min, closed; may be bottom
    // this ∇ next: keep the constraints of `this` that `next` still satisfies, drop the others. The
    // result is not closed (closing after widening breaks termination); later operations close copies.
    Zone widen(const Zone& next) const;
    // this ∆ next: replace only unbounded entries of this by next's; closed.
    Zone narrow(const Zone& next) const;

    friend bool operator==(const Zone& a, const Zone& b);

    // "v0 - v1 <= 3, 0 <= v2 <= 7" (names optional: index i -> names[i]).
    std::string to_string(const std::vector<std::string>& names = {}) const;

  private:
    // m_[i * (n_+1) + j] bounds v_i - v_j, index 0 the zero variable, user var x at x + 1.
    int64_t& at(size_t i, size_t j) { return m_[i * (n_ + 1) + j]; }
    int64_t at(size_t i, size_t j) const { return m_[i * (n_ + 1) + j]; }
    bool add_edge(size_t i, size_t j, int64_t c); // closed insertion; false on negative cycle
    void close();                                 // full Floyd–Warshall; sets bottom_ on negative cycle
    void set_bottom();

    size_t n_ = 0;
    bool bottom_ = false;
    bool closed_ = true;
    std::vector<int64_t> m_;
};

} // namespace tailgate
