// The zone (difference-bound matrix) domain of analysis/zone.hpp: packet bounds checks, loop counters,
// lattice operations, saturation, and a randomized property (fixed seed): constraints satisfied by a point
// keep the point through join, widening, assignment and forget.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "analysis/zone.hpp"

using namespace tailgate;

// --------------------------------------------------------------------------------------------------
TEST_CASE("zone: packet bounds check") {
    // vars: 0 = r1 (data offset), 1 = r2, 2 = pkt_end (packet length)
    Zone z(3);
    z.assign_const(0, 0);
    z.set_lower(2, 0);
    z.assign(1, 0, 14);                 // r2 = r1 + 14
    REQUIRE(z.add_constraint(1, 2, 0)); // fall-through of if (r2 > data_end): r2 <= end
    CHECK(z.entails(0, 2, -14));        // r1 + 14 <= end: *(u32*)(r1 + 10) is in bounds
    CHECK_FALSE(z.entails(0, 2, -15));
    CHECK(z.bound(0, 2) == -14);
    CHECK(z.lower(2) == 14);
    // the other edge: r2 > end  -> end - r2 <= -1
    Zone t(3);
    t.assign_const(0, 0);
    t.assign(1, 0, 14);
    REQUIRE(t.add_constraint(2, 1, -1));
    CHECK(t.upper(2) == 13);
    // contradiction
    Zone c = z;
    CHECK_FALSE(c.add_constraint(2, 1, -1));
    CHECK(c.is_bottom());
    CHECK(c.entails(0, 1, -1000));
}

TEST_CASE("zone: loop counter, join, widen, narrow") {
    // i = 0; while (i < n) i++;   vars 0 = i, 1 = n
    Zone head(2);
    head.assign_const(0, 0);
    head.set_range(1, 0, 100);
    for (int it = 0; it < 10; ++it) {
        Zone body = head;
        body.add_constraint(0, 1, -1); // i < n: i - n <= -1
        body.assign(0, 0, 1);          // i++
        Zone next = head.join(body);
        Zone w = head.widen(next);
        if (w.leq(head) && head.leq(w)) break;
        head = w;
    }
    CHECK(head.entails(0, 1, 0)); // i <= n holds at the head
    CHECK(head.lower(0) == 0);
    CHECK(head.upper(0) == 100); // from i <= n <= 100, although i itself was widened
    Zone body = head;
    body.add_constraint(0, 1, -1);
    body.assign(0, 0, 1);
    Zone narrowed = head.narrow(head.join(body));
    CHECK(narrowed.upper(0) == 100);
    Zone exit = narrowed;
    exit.add_constraint(1, 0, 0); // !(i < n): n <= i
    CHECK(exit.bound(0, 1) == 0);
    CHECK(exit.bound(1, 0) == 0); // i == n at exit

    Zone a(2), b(2);
    a.assign_const(0, 1);
    b.assign_const(0, 5);
    Zone j = a.join(b);
    CHECK(j.lower(0) == 1);
    CHECK(j.upper(0) == 5);
    CHECK(a.leq(j));
    CHECK_FALSE(j.leq(a));
    Zone m = j.meet(a);
    CHECK(m.upper(0) == 1);
    Zone none = a.meet(b);
    CHECK(none.is_bottom());
    Zone f = j;
    f.forget(0);
    CHECK(f.is_top());
    CHECK(Zone(2).is_top());
}

TEST_CASE("zone: saturation at int64 extremes") {
    Zone z(2);
    z.set_upper(0, INT64_MAX - 1);
    z.add_constraint(1, 0, INT64_MAX - 1);
    CHECK_FALSE(z.upper(1).has_value()); // the sum overflows: dropped, not wrapped
    Zone y(2);
    y.set_lower(0, INT64_MIN + 1);
    y.assign(1, 0, INT64_MIN);
    CHECK_FALSE(y.lower(1).has_value());
}

TEST_CASE("zone property: random constraints satisfied by a point keep the point") {
    std::mt19937_64 rng(42);
    const size_t n = 5;
    for (int iter = 0; iter < 2000; ++iter) {
        std::vector<int64_t> p(n), q(n);
        for (auto& v : p) v = int64_t(rng() % 200) - 100;
        for (auto& v : q) v = int64_t(rng() % 200) - 100;
        Zone a(n), b(n);
        auto constrain = [&](Zone& z, const std::vector<int64_t>& pt) {
            for (int k = 0; k < 6; ++k) {
                Zone::Var x = Zone::Var(rng() % n), y = Zone::Var(rng() % n);
                int64_t c = pt[x] - pt[y] + int64_t(rng() % 5);
                REQUIRE(z.add_constraint(x, y, c));
                Zone::Var u = Zone::Var(rng() % n);
                REQUIRE(z.set_range(u, pt[u] - int64_t(rng() % 3), pt[u] + int64_t(rng() % 3)));
            }
        };
        auto holds = [&](const Zone& z, const std::vector<int64_t>& pt) {
            for (Zone::Var x = 0; x < n; ++x) {
                if (auto u = z.upper(x); u && pt[x] > *u) return false;
                if (auto l = z.lower(x); l && pt[x] < *l) return false;
                for (Zone::Var y = 0; y < n; ++y)
                    if (!z.is_bottom() && z.bound(x, y) && pt[x] - pt[y] > *z.bound(x, y)) return false;
            }
            return !z.is_bottom();
        };
        constrain(a, p);
        constrain(b, q);
        CHECK(holds(a, p));
        Zone j = a.join(b);
        CHECK(holds(j, p));
        CHECK(holds(j, q));
        Zone w = a.widen(b);
        CHECK(holds(w, p));
        CHECK(holds(w, q));
        // x := y + c on the zone and on the point
        Zone::Var x = Zone::Var(rng() % n), y = Zone::Var(rng() % n);
        int64_t c = int64_t(rng() % 21) - 10;
        Zone t = a;
        t.assign(x, y, c);
        std::vector<int64_t> pt = p;
        pt[x] = p[y] + c;
        CHECK(holds(t, pt));
        Zone f = a;
        f.forget(x);
        pt = p;
        pt[x] = int64_t(rng() % 1000);
        CHECK(holds(f, pt));
    }
}
