// Numeric abstract domains (analysis/tnum.hpp, interval.hpp; the zone domain is in zone_test.cpp): lattice
// operations, transfer functions on edge values, and randomized soundness properties (fixed seed): for
// concrete members a ∈ A, b ∈ B, op(a, b) ∈ op#(A, B).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "analysis/interval.hpp"
#include "analysis/tnum.hpp"

using namespace tailgate;

namespace {

using SV = ScalarValue;

constexpr AluOp kAllOps[] = {AluOp::Add,     AluOp::Sub,     AluOp::Mul, AluOp::Div, AluOp::SDiv,
                             AluOp::Or,      AluOp::And,     AluOp::Lsh, AluOp::Rsh, AluOp::Neg,
                             AluOp::Mod,     AluOp::SMod,    AluOp::Xor, AluOp::Mov, AluOp::MovSx8,
                             AluOp::MovSx16, AluOp::MovSx32, AluOp::Arsh};
constexpr Cond kAllConds[] = {Cond::Eq,  Cond::Ne,  Cond::Gt,  Cond::Ge,  Cond::Lt, Cond::Le,
                              Cond::Set, Cond::SGt, Cond::SGe, Cond::SLt, Cond::SLe};

SV C(uint64_t v) {
    return SV::constant(v);
}
SV U(uint64_t lo, uint64_t hi) {
    return SV::from_urange(lo, hi);
}
SV S(int64_t lo, int64_t hi) {
    return SV::from_srange(lo, hi);
}

// Interesting concrete values: edges of every width and their neighbours, plus random ones.
struct Gen {
    std::mt19937_64 rng{0x7a11'6a7eULL};
    uint64_t any() {
        static const uint64_t edges[] = {0,
                                         1,
                                         2,
                                         7,
                                         8,
                                         31,
                                         32,
                                         63,
                                         64,
                                         255,
                                         256,
                                         0x7fff,
                                         0x8000,
                                         0xffff,
                                         0x7fffffff,
                                         0x80000000,
                                         0xffffffff,
                                         0x100000000,
                                         0x1ffffffff,
                                         uint64_t(INT64_MAX),
                                         uint64_t(INT64_MIN),
                                         uint64_t(INT64_MIN) + 1,
                                         UINT64_MAX,
                                         UINT64_MAX - 1,
                                         uint64_t(-32),
                                         uint64_t(-0x80000000LL)};
        switch (rng() % 4) {
        case 0: return edges[rng() % std::size(edges)];
        case 1: return edges[rng() % std::size(edges)] + (rng() % 5) - 2;
        case 2: return rng() % 128;
        default: return rng() >> (rng() % 64);
        }
    }
    // An abstract value and some members of it.
    SV value(std::vector<uint64_t>& members) {
        members.clear();
        switch (rng() % 5) {
        case 0: { // constant
            uint64_t v = any();
            members.push_back(v);
            return C(v);
        }
        case 1: { // unsigned range
            uint64_t a = any(), b = any();
            if (a > b) std::swap(a, b);
            members = {a, b, a + (b - a) / 2, a + (b - a ? rng() % (b - a) : 0)};
            return U(a, b);
        }
        case 2: { // signed range
            int64_t a = int64_t(any()), b = int64_t(any());
            if (a > b) std::swap(a, b);
            uint64_t span = uint64_t(b) - uint64_t(a);
            members = {uint64_t(a), uint64_t(b), uint64_t(a) + (span ? rng() % span : 0)};
            return S(a, b);
        }
        case 3: { // known bits
            Tnum t{any(), any()};
            t.value &= ~t.mask;
            for (int i = 0; i < 3; ++i) members.push_back(t.value | (rng() & t.mask));
            return SV::from_tnum(t);
        }
        default: { // join of a few constants
            SV v = C(any());
            members.push_back(v.const_value());
            for (int i = 0, n = int(rng() % 3) + 1; i < n; ++i) {
                uint64_t x = any();
                members.push_back(x);
                v = join(v, C(x));
            }
            return v;
        }
        }
    }
};

} // namespace

// --------------------------------------------------------------------------------------------------
TEST_CASE("tnum: range, in, arithmetic on edges") {
    CHECK(tnum_range(0, 0) == tnum_const(0));
    CHECK(tnum_range(4, 7) == Tnum{4, 3});
    CHECK(tnum_range(0, UINT64_MAX) == tnum_unknown());
    CHECK(tnum_range(0, 255) == Tnum{0, 255});
    CHECK(tnum_in(tnum_unknown(), tnum_const(5)));
    CHECK_FALSE(tnum_in(tnum_const(5), tnum_unknown()));
    CHECK(tnum_add(tnum_const(UINT64_MAX), tnum_const(1)) == tnum_const(0));
    CHECK(tnum_sub(tnum_const(0), tnum_const(1)) == tnum_const(UINT64_MAX));
    CHECK(tnum_mul(tnum_const(3), tnum_const(5)) == tnum_const(15));
    CHECK(tnum_lshift(tnum_const(1), 63) == tnum_const(uint64_t(1) << 63));
    CHECK(tnum_rshift(tnum_const(uint64_t(1) << 63), 63) == tnum_const(1));
    CHECK(tnum_arshift(tnum_const(uint64_t(INT64_MIN)), 63, 64) == tnum_const(UINT64_MAX));
    CHECK(tnum_arshift(tnum_const(0x80000000), 31, 32) == tnum_const(0xffffffff));
    CHECK(tnum_and(Tnum{0, 0xff}, tnum_const(0x0f)) == Tnum{0, 0x0f});
    CHECK(tnum_or(Tnum{0, 0xff}, tnum_const(0x01)) == Tnum{1, 0xfe});
    CHECK(tnum_cast(tnum_const(0x1234567890), 4) == tnum_const(0x34567890));
    CHECK(tnum_sext(tnum_const(0x80), 1) == tnum_const(uint64_t(-128)));
    CHECK(tnum_sext(Tnum{0, 0xff}, 1) == Tnum{0, UINT64_MAX});
    CHECK(tnum_with_subreg(tnum_const(0xaaaaaaaa00000000), tnum_const(5)) == tnum_const(0xaaaaaaaa00000005));
    CHECK_FALSE(tnum_meet(tnum_const(1), tnum_const(2)).has_value());
    CHECK(tnum_meet(Tnum{0, 3}, tnum_const(2)) == tnum_const(2));
    CHECK(tnum_join(tnum_const(4), tnum_const(6)) == Tnum{4, 2});
    CHECK(tnum_is_aligned(Tnum{8, 0xf0}, 8));
    CHECK_FALSE(tnum_is_aligned(Tnum{8, 0xf1}, 2));
    CHECK(tnum_smin(tnum_unknown()) == INT64_MIN);
    CHECK(tnum_smax(tnum_unknown()) == INT64_MAX);
    CHECK(tnum_s32_min(Tnum{0, 0xffffffff}) == INT32_MIN);
}

TEST_CASE("tnum: soundness of every operation on random members") {
    Gen g;
    for (int iter = 0; iter < 20000; ++iter) {
        Tnum a{g.any(), g.any()}, b{g.any(), g.any()};
        a.value &= ~a.mask;
        b.value &= ~b.mask;
        uint64_t x = a.value | (g.rng() & a.mask), y = b.value | (g.rng() & b.mask);
        uint8_t s = uint8_t(g.rng() % 64);
        CHECK(tnum_contains(tnum_add(a, b), x + y));
        CHECK(tnum_contains(tnum_sub(a, b), x - y));
        CHECK(tnum_contains(tnum_mul(a, b), x * y));
        CHECK(tnum_contains(tnum_and(a, b), x & y));
        CHECK(tnum_contains(tnum_or(a, b), x | y));
        CHECK(tnum_contains(tnum_xor(a, b), x ^ y));
        CHECK(tnum_contains(tnum_neg(a), 0 - x));
        CHECK(tnum_contains(tnum_lshift(a, s), x << s));
        CHECK(tnum_contains(tnum_rshift(a, s), x >> s));
        CHECK(tnum_contains(tnum_arshift(a, s, 64), uint64_t(int64_t(x) >> s)));
        CHECK(tnum_contains(tnum_arshift(a, s % 32, 32), uint32_t(int32_t(uint32_t(x)) >> (s % 32))));
        CHECK(tnum_contains(tnum_join(a, b), x));
        CHECK(tnum_contains(tnum_join(a, b), y));
        CHECK(tnum_contains(tnum_range(std::min(x, y), std::max(x, y)), x));
        CHECK(tnum_contains(tnum_range(std::min(x, y), std::max(x, y)), y));
        CHECK(tnum_smin(a) <= int64_t(x));
        CHECK(tnum_smax(a) >= int64_t(x));
        if (auto m = tnum_meet(a, tnum_const(x)))
            CHECK(tnum_contains(*m, x));
        else
            FAIL("meet with a member is empty");
    }
}

// --------------------------------------------------------------------------------------------------
TEST_CASE("scalar: constructors and sync") {
    SV c = C(uint64_t(-1));
    CHECK(c.smin == -1);
    CHECK(c.umax == UINT64_MAX);
    CHECK(c.u32_min == UINT32_MAX);
    CHECK(c.s32_max == -1);

    SV u = U(0, 255);
    CHECK(u.smin == 0);
    CHECK(u.smax == 255);
    CHECK(u.u32_max == 255);
    CHECK(u.bits == Tnum{0, 255});

    // A signed range across zero: unsigned is two pieces, so unknown; 32-bit halves follow.
    SV s = S(-1, 1);
    CHECK(s.umin == 0);
    CHECK(s.umax == UINT64_MAX);
    CHECK(s.s32_min == -1);
    CHECK(s.s32_max == 1);

    // 32 -> 64: [0, 2^32 + 5] with the low half in [10, 20]: 2^32 + 5 has low half 5 < 10, so the
    // largest member is 20 (block 0); the smallest is 10.
    SV v = U(0, 0x100000005ULL);
    v.u32_min = 10;
    v.u32_max = 20;
    REQUIRE(sync(v));
    CHECK(v.umin == 10);
    CHECK(v.umax == 20);
    SV w = U(0x0000000300000000ULL, 0x0000000500000000ULL);
    w.u32_min = 10;
    w.u32_max = 20;
    REQUIRE(sync(w));
    CHECK(w.umin == 0x000000030000000aULL);
    CHECK(w.umax == 0x0000000400000014ULL);

    // contradictions are detected
    SV bad = U(10, 20);
    bad.u32_min = 30;
    CHECK_FALSE(sync(bad));
    SV bad2 = U(4, 4);
    bad2.bits = tnum_const(5);
    CHECK_FALSE(sync(bad2));

    CHECK(SV::unknown_of_size(1).umax == 255);
    CHECK(SV::unknown_of_size(2, true).smin == -32768);
    CHECK(SV::unknown_of_size(4).u32_max == UINT32_MAX);
    CHECK(SV::unknown_of_size(4).umax == UINT32_MAX);
    CHECK(SV::unknown_of_size(8).is_top());
}

TEST_CASE("scalar: join, meet, leq") {
    SV j = join(C(3), C(10));
    CHECK(j.umin == 3);
    CHECK(j.umax == 10);
    CHECK(j.contains(3));
    CHECK(j.contains(10));
    CHECK_FALSE(j.contains(7)); // known bits: 3 = 0b0011, 10 = 0b1010 -> x0x1x; bit 2 is known 0
    CHECK_FALSE(j.contains(11));
    CHECK(leq(C(10), j));
    CHECK_FALSE(leq(j, C(10)));
    SV h = join(U(0, 3), U(4, 10));
    CHECK(h.contains(7));
    CHECK(leq(C(7), h));
    CHECK(leq(j, SV::top()));
    auto m = meet(U(0, 10), U(5, 20));
    REQUIRE(m);
    CHECK(m->umin == 5);
    CHECK(m->umax == 10);
    CHECK_FALSE(meet(U(0, 4), U(5, 20)).has_value());
    CHECK_FALSE(meet(C(1), C(2)).has_value());
    // join across the sign boundary keeps the signed reading
    SV js = join(C(uint64_t(-1)), C(1));
    CHECK(js.smin == -1);
    CHECK(js.smax == 1);
    CHECK(js.umax == UINT64_MAX);
}

TEST_CASE("scalar: widening and narrowing") {
    SV a = U(0, 1), b = U(0, 2);
    SV w = widen(a, b);
    CHECK(w.umin == 0);
    CHECK(w.umax == UINT64_MAX);
    CHECK(leq(a, w));
    CHECK(leq(b, w));
    // stable bounds stay; lower bound that shrinks goes to the extreme
    SV w2 = widen(S(0, 10), S(-1, 10));
    CHECK(w2.smin == INT64_MIN);
    CHECK(w2.smax == 10);
    // thresholds
    const uint64_t uth[] = {100, 256, 1000};
    const int64_t sth[] = {-5, 100, 256};
    WidenThresholds th{sth, uth};
    SV w3 = widen(U(0, 1), U(0, 101), th);
    CHECK(w3.umax == 256);
    CHECK(w3.smax == 256);
    CHECK(w3.u32_max == 256);
    // a fixpoint: widening with something below returns old
    CHECK(widen(w3, U(0, 50), th) == w3);
    // narrowing refines the extreme bounds only
    SV n = narrow(w, U(0, 100));
    CHECK(n.umax == 100);
    SV n2 = narrow(U(1, 200), U(5, 100));
    CHECK(n2.umin == 1);   // not an extreme: kept
    CHECK(n2.umax == 127); // 200 kept, then the met known bits (0..127) cut it
    // loop i = 0; i < 10; i++: widen then narrow with the guard
    SV head = C(0);
    for (int it = 0; it < 5; ++it) {
        SV body = head;
        SV ten = C(10);
        if (!refine_branch(Cond::Lt, false, true, body, ten)) break;
        SV next = join(C(0), alu(AluOp::Add, true, body, C(1)));
        SV wn = widen(head, next);
        if (wn == head) break;
        head = wn;
    }
    CHECK(head.umax == UINT64_MAX);
    SV body = head, ten = C(10);
    REQUIRE(refine_branch(Cond::Lt, false, true, body, ten));
    SV narrowed = narrow(head, join(C(0), alu(AluOp::Add, true, body, C(1))));
    CHECK(narrowed.umin == 0);
    CHECK(narrowed.umax == 10);
}

TEST_CASE("scalar: add/sub/mul overflow") {
    SV r = alu(AluOp::Add, true, U(UINT64_MAX - 1, UINT64_MAX), C(1));
    CHECK(r.contains(0));
    CHECK(r.contains(UINT64_MAX));
    // whole range wraps: precise
    SV r2 = alu(AluOp::Add, true, U(UINT64_MAX - 1, UINT64_MAX), C(2));
    CHECK(r2.umin == 0);
    CHECK(r2.umax == 1);
    SV r3 = alu(AluOp::Add, true, S(INT64_MAX - 1, INT64_MAX), C(1));
    CHECK(r3.contains(uint64_t(INT64_MIN)));
    CHECK(r3.contains(uint64_t(INT64_MAX)));
    SV r4 = alu(AluOp::Sub, true, U(0, 5), C(1));
    CHECK(r4.contains(UINT64_MAX));
    CHECK(r4.smin == -1);
    CHECK(r4.smax == 4);
    SV r5 = alu(AluOp::Mul, true, U(0, 1ULL << 32), U(0, 1ULL << 32));
    CHECK(r5.umax == UINT64_MAX); // 2^64 does not fit: full range
    CHECK(r5.umin == 0);
    SV r6 = alu(AluOp::Mul, true, U(2, 3), U(4, 5));
    CHECK(r6.umin == 8);
    CHECK(r6.umax == 15);
    SV r7 = alu(AluOp::Mul, true, S(-3, 2), S(-4, 5));
    CHECK(r7.smin == -15);
    CHECK(r7.smax == 12);
    CHECK(alu(AluOp::Neg, true, C(uint64_t(INT64_MIN)), SV::top()).const_value() == uint64_t(INT64_MIN));
    SV ng = alu(AluOp::Neg, true, S(-5, 7), SV::top());
    CHECK(ng.smin == -7);
    CHECK(ng.smax == 5);
}

TEST_CASE("scalar: 32-bit operations zero-extend") {
    SV r = alu(AluOp::Add, false, C(0xffffffff), C(1));
    CHECK(r.is_const());
    CHECK(r.const_value() == 0);
    SV r2 = alu(AluOp::Mov, false, SV::top(), C(0xdeadbeef12345678ULL));
    CHECK(r2.const_value() == 0x12345678);
    SV r3 = alu(AluOp::Mov, false, SV::top(), SV::top());
    CHECK(r3.umax == 0xffffffff);
    CHECK(r3.smin == 0);
    SV r4 = alu(AluOp::Sub, false, U(0, 3), C(5));
    CHECK(r4.umax <= 0xffffffff);
    CHECK(r4.contains(0xfffffffb));
    SV r5 = alu(AluOp::MovSx8, false, SV::top(), U(0x80, 0x80));
    CHECK(r5.const_value() == 0xffffff80);
    SV r6 = alu(AluOp::MovSx8, true, SV::top(), SV::top());
    CHECK(r6.smin == -128);
    CHECK(r6.smax == 127);
    SV r7 = alu(AluOp::MovSx32, true, SV::top(), U(0x80000000, 0x80000001));
    CHECK(r7.smin == INT32_MIN);
    CHECK(r7.smax == INT32_MIN + 1);
    // the upper half of a 64-bit value does not leak into a 32-bit op
    SV r8 = alu(AluOp::Add, false, U(0x100000000ULL, 0x100000005ULL), C(1));
    CHECK(r8.umin == 1);
    CHECK(r8.umax == 6);
}

TEST_CASE("scalar: division and modulo by zero, INT_MIN / -1") {
    CHECK(alu(AluOp::Div, true, C(10), C(0)).const_value() == 0);
    CHECK(alu(AluOp::Mod, true, C(10), C(0)).const_value() == 10);
    CHECK(alu(AluOp::SDiv, true, C(uint64_t(INT64_MIN)), C(uint64_t(-1))).const_value() ==
          uint64_t(INT64_MIN));
    CHECK(alu(AluOp::SMod, true, C(uint64_t(INT64_MIN)), C(uint64_t(-1))).const_value() == 0);
    CHECK(alu(AluOp::Mod, false, C(0x1234567890ULL), C(0)).const_value() == 0x34567890);
    SV d = alu(AluOp::Div, true, U(10, 100), U(0, 5));
    CHECK(d.umin == 0);
    CHECK(d.umax == 100);
    SV d2 = alu(AluOp::Div, true, U(10, 100), U(2, 5));
    CHECK(d2.umin == 2);
    CHECK(d2.umax == 50);
    SV m = alu(AluOp::Mod, true, SV::top(), U(1, 8));
    CHECK(m.umax == 7);
    SV m2 = alu(AluOp::Mod, true, U(0, 100), U(0, 8));
    CHECK(m2.umax == 100);
    SV m3 = alu(AluOp::Mod, true, U(3, 5), U(10, 20));
    CHECK(m3.umin == 3);
    CHECK(m3.umax == 5);
    SV sd = alu(AluOp::SDiv, true, S(INT64_MIN, INT64_MIN + 10), S(-1, -1));
    CHECK(sd.contains(uint64_t(INT64_MIN)));
    CHECK(sd.contains(uint64_t(INT64_MAX)));
    SV sm = alu(AluOp::SMod, true, S(-100, 100), S(-8, 8));
    CHECK(sm.smin == -100);
    CHECK(sm.smax == 100); // 0 divisor keeps x
    SV sm2 = alu(AluOp::SMod, true, S(-100, 100), S(1, 8));
    CHECK(sm2.smin == -7);
    CHECK(sm2.smax == 7);
    SV sd32 = alu(AluOp::SDiv, false, C(0x80000000), C(0xffffffff));
    CHECK(sd32.const_value() == 0x80000000);
}

TEST_CASE("scalar: shifts by 0, 31, 32, 63, 64 and unknown amounts") {
    CHECK(alu(AluOp::Lsh, true, C(1), C(63)).const_value() == 1ULL << 63);
    CHECK(alu(AluOp::Lsh, true, C(1), C(64)).const_value() == 1);  // masked to 0
    CHECK(alu(AluOp::Lsh, false, C(1), C(32)).const_value() == 1); // masked to 0
    CHECK(alu(AluOp::Lsh, false, C(1), C(31)).const_value() == 0x80000000);
    CHECK(alu(AluOp::Rsh, true, C(UINT64_MAX), C(63)).const_value() == 1);
    CHECK(alu(AluOp::Arsh, true, C(uint64_t(INT64_MIN)), C(63)).const_value() == UINT64_MAX);
    CHECK(alu(AluOp::Arsh, false, C(0x80000000), C(31)).const_value() == 0xffffffff);
    SV a = alu(AluOp::Lsh, true, U(0, 255), C(8));
    CHECK(a.umax == 0xff00);
    CHECK(a.bits == Tnum{0, 0xff00});
    SV b = alu(AluOp::Rsh, true, SV::top(), C(56));
    CHECK(b.umax == 255);
    SV c = alu(AluOp::Rsh, true, U(0, 1024), U(0, 3));
    CHECK(c.umax == 1024);
    SV d = alu(AluOp::Arsh, true, S(-1024, 1024), U(2, 3));
    CHECK(d.smin == -256);
    CHECK(d.smax == 256);
    SV e = alu(AluOp::Lsh, true, U(1, 1), SV::top());
    CHECK(e.contains(1ULL << 63));
    CHECK(e.contains(1));
    SV f = alu(AluOp::Lsh, true, U(0, 3), C(62));
    CHECK(f.contains(3ULL << 62));
    CHECK(f.umax == (3ULL << 62));
}

TEST_CASE("scalar: and/or/xor") {
    SV a = alu(AluOp::And, true, SV::top(), C(0xff));
    CHECK(a.umax == 0xff);
    CHECK(a.smin == 0);
    SV o = alu(AluOp::Or, true, U(0, 15), C(0x10));
    CHECK(o.umin == 0x10);
    CHECK(o.umax == 0x1f);
    SV x = alu(AluOp::Xor, true, U(0, 7), C(8));
    CHECK(x.umin == 8);
    CHECK(x.umax == 15);
    SV neg = alu(AluOp::Or, true, SV::top(), C(uint64_t(INT64_MIN)));
    CHECK(neg.smax < 0);
}

TEST_CASE("scalar: endian") {
    CHECK(endian(C(0x1234), 16, ByteOrder::ToBe).const_value() == 0x3412);
    CHECK(endian(C(0x11223344), 32, ByteOrder::Swap).const_value() == 0x44332211);
    CHECK(endian(C(0xaabb11223344ULL), 16, ByteOrder::ToLe).const_value() == 0x3344);
    SV e = endian(U(0, 255), 16, ByteOrder::ToBe);
    CHECK(e.umax == 0xff00);
    CHECK(e.bits == Tnum{0, 0xff00});
}

TEST_CASE("scalar: branch refinement") {
    // if r1 > 10 (unsigned)
    SV r = SV::top(), k = C(10);
    REQUIRE(refine_branch(Cond::Gt, false, true, r, k));
    CHECK(r.umin == 11);
    r = SV::top();
    k = C(10);
    REQUIRE(refine_branch(Cond::Gt, false, false, r, k));
    CHECK(r.umax == 10);
    CHECK(r.smin == 0);
    // signed
    r = SV::top();
    k = C(uint64_t(-5));
    REQUIRE(refine_branch(Cond::SLt, false, true, r, k));
    CHECK(r.smax == -6);
    // 32-bit compare refines the sub-register and then the 64-bit value when it is zero-extended
    r = alu(AluOp::Mov, false, SV::top(), SV::top());
    k = C(4);
    REQUIRE(refine_branch(Cond::Lt, true, true, r, k));
    CHECK(r.umax == 3);
    // 32-bit compare on a full 64-bit value leaves upper bits
    r = SV::top();
    k = C(4);
    REQUIRE(refine_branch(Cond::Lt, true, true, r, k));
    CHECK(r.u32_max == 3);
    CHECK(r.contains(0xffffffff00000002ULL));
    // equality with a constant
    r = U(0, 100);
    k = C(42);
    REQUIRE(refine_branch(Cond::Eq, false, true, r, k));
    CHECK(r.is_const());
    CHECK(r.const_value() == 42);
    // != at the range edge shrinks it
    r = U(0, 100);
    k = C(0);
    REQUIRE(refine_branch(Cond::Ne, false, true, r, k));
    CHECK(r.umin == 1);
    // infeasible edges
    r = U(0, 5);
    k = C(10);
    CHECK_FALSE(refine_branch(Cond::Gt, false, true, r, k));
    r = C(3);
    k = C(3);
    CHECK_FALSE(refine_branch(Cond::Ne, false, true, r, k));
    r = C(UINT64_MAX);
    k = C(UINT64_MAX);
    CHECK_FALSE(refine_branch(Cond::Gt, false, true, r, k));
    // JSET
    r = U(0, 255);
    k = C(0x80);
    REQUIRE(refine_branch(Cond::Set, false, true, r, k));
    CHECK(r.umin == 0x80);
    r = U(0, 255);
    k = C(0x80);
    REQUIRE(refine_branch(Cond::Set, false, false, r, k));
    CHECK(r.umax == 0x7f);
    r = C(6);
    k = C(1);
    CHECK_FALSE(refine_branch(Cond::Set, false, true, r, k));
    // reg-reg
    SV a = U(0, 100), b = U(50, 60);
    REQUIRE(refine_branch(Cond::Lt, false, true, a, b));
    CHECK(a.umax == 59);
    CHECK(b.umin == 50);
    a = U(0, 100);
    b = U(50, 60);
    REQUIRE(refine_branch(Cond::Ge, false, true, a, b));
    CHECK(a.umin == 50);
    // outcomes
    CHECK(branch_outcome(Cond::Gt, false, U(11, 20), C(10)) == BranchOutcome::AlwaysTaken);
    CHECK(branch_outcome(Cond::Gt, false, U(0, 10), C(10)) == BranchOutcome::NeverTaken);
    CHECK(branch_outcome(Cond::Gt, false, U(0, 11), C(10)) == BranchOutcome::Unknown);
    CHECK(branch_outcome(Cond::SLt, false, C(uint64_t(-1)), C(0)) == BranchOutcome::AlwaysTaken);
    CHECK(branch_outcome(Cond::Lt, false, C(uint64_t(-1)), C(0)) == BranchOutcome::NeverTaken);
    CHECK(branch_outcome(Cond::Eq, true, C(0x100000005ULL), C(5)) == BranchOutcome::AlwaysTaken);
}

TEST_CASE("scalar: to_string names the range") {
    CHECK(to_string(U(0, 4294967295ULL)) == "[0, 4294967295]");
    CHECK(to_string(C(7)) == "7");
    CHECK(to_string(S(-3, 4)) == "[-3, 4]");
}

// --------------------------------------------------------------------------------------------------
TEST_CASE("scalar property: op(a, b) ∈ op#(A, B) for every ALU op, both widths") {
    Gen g;
    std::vector<uint64_t> ma, mb;
    for (int iter = 0; iter < 6000; ++iter) {
        SV A = g.value(ma), B = g.value(mb);
        for (uint64_t a : ma) REQUIRE(A.contains(a));
        for (uint64_t b : mb) REQUIRE(B.contains(b));
        for (AluOp op : kAllOps)
            for (bool is64 : {true, false}) {
                if (!is64 && op == AluOp::MovSx32) continue; // not an ALU32 encoding
                SV R = alu(op, is64, A, B);
                for (uint64_t a : ma)
                    for (uint64_t b : mb) {
                        uint64_t c = alu_concrete(op, is64, a, b);
                        if (!R.contains(c)) {
                            INFO("op " << int(op) << " is64 " << is64 << " a=" << a << " b=" << b
                                       << " c=" << c << " A=" << to_string(A) << " B=" << to_string(B)
                                       << " R=" << to_string(R));
                            CHECK(R.contains(c));
                        }
                    }
            }
    }
}

TEST_CASE("scalar property: lattice and branch refinement keep members") {
    Gen g;
    std::vector<uint64_t> ma, mb;
    const uint64_t uth[] = {0, 16, 4096, 0xffffffff};
    const int64_t sth[] = {-1, 0, 16, 4096};
    for (int iter = 0; iter < 6000; ++iter) {
        SV A = g.value(ma), B = g.value(mb);
        SV J = join(A, B), W = widen(A, B, WidenThresholds{sth, uth});
        CHECK(leq(A, J));
        CHECK(leq(B, J));
        for (uint64_t a : ma) {
            CHECK(J.contains(a));
            CHECK(W.contains(a));
            if (B.contains(a)) {
                auto M = meet(A, B);
                REQUIRE(M);
                CHECK(M->contains(a));
            }
        }
        for (uint64_t b : mb) CHECK(W.contains(b));
        CHECK(sign_extend(A, 1).contains(uint64_t(int64_t(int8_t(ma[0])))));
        CHECK(truncate(A, 2).contains(ma[0] & 0xffff));
        for (Cond c : kAllConds)
            for (bool is32 : {false, true})
                for (uint64_t a : ma)
                    for (uint64_t b : mb) {
                        bool taken = cond_concrete(c, is32, a, b);
                        SV d = A, s = B;
                        bool feasible = refine_branch(c, is32, taken, d, s);
                        if (!(feasible && d.contains(a) && s.contains(b))) {
                            INFO("cond " << int(c) << " is32 " << is32 << " taken " << taken << " a=" << a
                                         << " b=" << b << " A=" << to_string(A) << " B=" << to_string(B));
                            CHECK(feasible);
                            CHECK(d.contains(a));
                            CHECK(s.contains(b));
                        }
                        BranchOutcome o = branch_outcome(c, is32, A, B);
                        CHECK(o != (taken ? BranchOutcome::NeverTaken : BranchOutcome::AlwaysTaken));
                    }
    }
}
