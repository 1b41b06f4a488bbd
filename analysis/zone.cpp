// Difference-bound matrices. Closure is Floyd–Warshall (full) or the O(n^2) incremental step after one
// new constraint (Miné 2001, §"incremental closure"); bounds saturate instead of overflowing.
#include "analysis/zone.hpp"

#include <algorithm>
#include <cassert>

namespace tailgate {

namespace {
constexpr int64_t kInf = Zone::kInf;
constexpr int64_t kNegLimit = -kInf; // smallest bound kept; a tighter one is weakened to it (sound)

// a + b with +inf absorbing and saturation at the limits (a larger bound is weaker: sound).
int64_t add_sat(int64_t a, int64_t b) {
    if (a == kInf || b == kInf) return kInf;
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return a > 0 ? kInf : kNegLimit;
    if (r == kInf) return kInf;
    return std::max(r, kNegLimit);
}
} // namespace

Zone::Zone(size_t n) : n_(n), m_((n + 1) * (n + 1), kInf) {
    for (size_t i = 0; i <= n_; ++i) at(i, i) = 0;
}

Zone Zone::bottom(size_t n) {
    Zone z(n);
    z.set_bottom();
    return z;
}

void Zone::set_bottom() {
    bottom_ = true;
    closed_ = true;
    std::fill(m_.begin(), m_.end(), kInf);
    for (size_t i = 0; i <= n_; ++i) at(i, i) = 0;
}

bool Zone::is_top() const {
    if (bottom_) return false;
    for (size_t i = 0; i <= n_; ++i)
        for (size_t j = 0; j <= n_; ++j)
            if (i != j && at(i, j) != kInf) return false;
    return true;
}

void Zone::close() {
    if (bottom_ || closed_) return;
    size_t N = n_ + 1;
    for (size_t k = 0; k < N; ++k)
        for (size_t i = 0; i < N; ++i) {
            int64_t ik = at(i, k);
            if (ik == kInf) continue;
            for (size_t j = 0; j < N; ++j) {
                int64_t via = add_sat(ik, at(k, j));
                if (via < at(i, j)) at(i, j) = via;
            }
        }
    for (size_t i = 0; i < N; ++i)
        if (at(i, i) < 0) {
            set_bottom();
            return;
        }
    closed_ = true;
}

// v_i - v_j <= c on a closed matrix: every path through the new edge, i.e.
// m[a][b] = min(m[a][b], m[a][i] + c + m[j][b]).
bool Zone::add_edge(size_t i, size_t j, int64_t c) {
    if (bottom_) return false;
    close();
    if (bottom_) return false;
    if (c >= at(i, j)) return true; // already implied
    if (add_sat(at(j, i), c) < 0) { // negative cycle
        set_bottom();
        return false;
    }
    size_t N = n_ + 1;
    for (size_t a = 0; a < N; ++a) {
        int64_t ai = at(a, i);
        if (ai == kInf) continue;
        int64_t aic = add_sat(ai, c);
        for (size_t b = 0; b < N; ++b) {
            int64_t via = add_sat(aic, at(j, b));
            if (via < at(a, b)) at(a, b) = via;
        }
    }
    return true;
}

bool Zone::add_constraint(Var x, Var y, int64_t c) {
    assert(x < n_ && y < n_);
    if (x == y) {
        if (c < 0) set_bottom();
        return !bottom_;
    }
    return add_edge(x + 1, y + 1, c);
}

bool Zone::set_upper(Var x, int64_t hi) {
    return add_edge(x + 1, 0, hi);
}
bool Zone::set_lower(Var x, int64_t lo) {
    if (lo <= kNegLimit) return !bottom_; // no lower bound
    return add_edge(0, x + 1, -lo);
}

std::optional<int64_t> Zone::bound(Var x, Var y) const {
    if (bottom_) return kNegLimit;
    Zone c = *this;
    c.close();
    if (c.bottom_) return kNegLimit;
    int64_t b = c.at(x + 1, y + 1);
    if (b == kInf) return std::nullopt;
    return b;
}

std::optional<int64_t> Zone::upper(Var x) const {
    if (bottom_) return kNegLimit;
    Zone c = *this;
    c.close();
    if (c.bottom_) return kNegLimit;
    int64_t b = c.at(x + 1, 0);
    if (b == kInf) return std::nullopt;
    return b;
}

std::optional<int64_t> Zone::lower(Var x) const {
    if (bottom_) return kInf;
    Zone c = *this;
    c.close();
    if (c.bottom_) return kInf;
    int64_t b = c.at(0, x + 1);
    if (b == kInf) return std::nullopt;
    return -b;
}

bool Zone::entails(Var x, Var y, int64_t c) const {
    if (bottom_) return true;
    if (x == y) return c >= 0;
    auto b = bound(x, y);
    if (bottom_) return true;
    return b && *b <= c;
}

void Zone::forget(Var x) {
    if (bottom_) return;
    close(); // keep the relations x carried between the others
    if (bottom_) return;
    size_t v = x + 1;
    for (size_t i = 0; i <= n_; ++i) {
        if (i == v) continue;
        at(v, i) = kInf;
        at(i, v) = kInf;
    }
}

void Zone::assign(Var x, Var y, int64_t c) {
    if (bottom_) return;
    if (c <= kNegLimit || c == kInf) { // offset beyond the representable bounds: x unknown
        forget(x);
        return;
    }
    if (x == y) { // x := x + c shifts every bound on x
        close();
        if (bottom_) return;
        size_t v = x + 1;
        for (size_t i = 0; i <= n_; ++i) {
            if (i == v) continue;
            if (at(v, i) != kInf) at(v, i) = add_sat(at(v, i), c);  // x' - i = x - i + c
            if (at(i, v) != kInf) at(i, v) = add_sat(at(i, v), -c); // i - x' = i - x - c
        }
        return;
    }
    forget(x);
    add_edge(x + 1, y + 1, c);
    add_edge(y + 1, x + 1, -c);
}

void Zone::assign_range(Var x, int64_t lo, int64_t hi) {
    if (bottom_) return;
    forget(x);
    if (hi != kInf) set_upper(x, hi);
    if (lo > kNegLimit) set_lower(x, lo);
}

bool Zone::leq(const Zone& other) const {
    assert(n_ == other.n_);
    if (bottom_) return true;
    Zone a = *this;
    a.close();
    if (a.bottom_) return true;
    if (other.bottom_) return false;
    // a ⊑ other iff every constraint of other holds in closed a.
    for (size_t k = 0; k < m_.size(); ++k)
        if (a.m_[k] > other.m_[k]) return false;
    return true;
}

Zone Zone::join(const Zone& other) const {
    assert(n_ == other.n_);
    Zone a = *this, b = other;
    a.close();
    b.close();
    if (a.bottom_) return b;
    if (b.bottom_) return a;
    for (size_t k = 0; k < m_.size(); ++k) a.m_[k] = std::max(a.m_[k], b.m_[k]);
    return a; // the pointwise max of closed matrices is closed
}

Zone Zone::meet(const Zone& other) const {
    assert(n_ == other.n_);
    if (bottom_) return *this;
    if (other.bottom_) return other;
    Zone a = *this;
    for (size_t k = 0; k < m_.size(); ++k) a.m_[k] = std::min(a.m_[k], other.m_[k]);
    a.closed_ = false;
    a.close();
    return a;
}

Zone Zone::widen(const Zone& next) const {
    assert(n_ == next.n_);
    if (bottom_) {
        Zone r = next;
        r.close();
        return r;
    }
    Zone b = next;
    b.close();
    if (b.bottom_) return *this;
    Zone r = *this; // left operand deliberately not closed (Miné: termination of the widening chain)
    for (size_t k = 0; k < m_.size(); ++k)
        if (b.m_[k] > r.m_[k]) r.m_[k] = kInf;
    r.closed_ = false;
    return r;
}

Zone Zone::narrow(const Zone& next) const {
    assert(n_ == next.n_);
    if (bottom_ || next.bottom_) return next.bottom_ ? next : *this;
    Zone r = *this;
    for (size_t k = 0; k < m_.size(); ++k)
        if (r.m_[k] == kInf) r.m_[k] = next.m_[k];
    r.closed_ = false;
    r.close();
    return r;
}

bool operator==(const Zone& a, const Zone& b) {
    if (a.n_ != b.n_) return false;
    Zone x = a, y = b;
    x.close();
    y.close();
    if (x.bottom_ || y.bottom_) return x.bottom_ == y.bottom_;
    return x.m_ == y.m_;
}

std::string Zone::to_string(const std::vector<std::string>& names) const {
    if (bottom_) return "⊥";
    Zone c = *this;
    c.close();
    if (c.bottom_) return "⊥";
    auto name = [&](size_t v) { return v < names.size() ? names[v] : "v" + std::to_string(v); };
    std::string s;
    auto sep = [&] {
        if (!s.empty()) s += ", ";
    };
    for (size_t x = 0; x < n_; ++x) {
        int64_t hi = c.at(x + 1, 0), nlo = c.at(0, x + 1);
        if (hi == kInf && nlo == kInf) continue;
        sep();
        if (nlo != kInf) s += std::to_string(-nlo) + " <= ";
        s += name(x);
        if (hi != kInf) s += " <= " + std::to_string(hi);
    }
    for (size_t x = 0; x < n_; ++x)
        for (size_t y = 0; y < n_; ++y)
            if (x != y && c.at(x + 1, y + 1) != kInf) {
                sep();
                s += name(x) + " - " + name(y) + " <= " + std::to_string(c.at(x + 1, y + 1));
            }
    return s.empty() ? "⊤" : s;
}

} // namespace tailgate
