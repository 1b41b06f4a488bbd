// JIT tests: every instruction class with edge values, compared with the interpreter (and, for the key
// edges, with hand-computed values); bpf2bpf frames; helpers; LD_ABS/LD_IND; errors of unverified code;
// W^X code memory. Tail calls: tests/jit_tail_call_test.cpp.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/exec_memory.hpp"
#include "tests/jit_test_util.hpp"

using namespace tailgate;
using namespace tailgate::rt;
using namespace tailgate::jit_testing;

namespace {

const uint64_t kEdges[] = {0,
                           1,
                           2,
                           7,
                           31,
                           32,
                           63,
                           64,
                           65,
                           0x7f,
                           0x80,
                           0xff,
                           0x8000,
                           0xffff,
                           0x7fffffff,
                           0x80000000,
                           0xffffffff,
                           0x100000000,
                           0x7fffffffffffffff,
                           0x8000000000000000,
                           0xffffffff80000000,
                           0xfffffffffffffffe,
                           0xffffffffffffffff,
                           0x0123456789abcdef};

// The subset of kEdges used for the register-pair sweep (the full set runs for one pair).
bool small_edge(uint64_t v) {
    switch (v) {
    case 0:
    case 1:
    case 31:
    case 32:
    case 63:
    case 64:
    case 0x80000000:
    case 0xffffffff:
    case 0x100000000:
    case 0x8000000000000000:
    case 0xffffffffffffffff:
    case 0x0123456789abcdef: return true;
    default: return false;
    }
}

// Program: r0..r9 = distinct patterns; dst = a; src = b; <op>; all of r0..r9 stored to the memory at r1.
// Reveals the result and any register the JIT clobbered (r0/r3/r4 are the ones x86 div and shifts use).
std::vector<Insn> reg_dump_program(const std::vector<Insn>& body, Reg dst, uint64_t a, Reg src, uint64_t b) {
    std::vector<Insn> p;
    p.push_back(stx(kR10, -8, 8, kR1)); // the memory pointer
    for (Reg r = 0; r <= 9; ++r) lddw(p, r, 0x1111111111111111ull * (r + 1) ^ 0x0f0e0d0c0b0a0908ull);
    lddw(p, src, b);
    lddw(p, dst, a);
    for (const Insn& i : body) p.push_back(i);
    for (Reg r = 0; r <= 9; ++r) p.push_back(stx(kR10, static_cast<int16_t>(-16 - 8 * r), 8, r));
    p.push_back(ldx(kR1, kR10, -8, 8));
    for (Reg r = 0; r <= 9; ++r) {
        p.push_back(ldx(kR2, kR10, static_cast<int16_t>(-16 - 8 * r), 8));
        p.push_back(stx(kR1, static_cast<int16_t>(8 * r), 8, kR2));
    }
    p.push_back(mov(kR0, 0));
    p.push_back(exit_());
    return p;
}

uint64_t dumped(const Outcome& o, Reg r) {
    uint64_t v;
    std::memcpy(&v, o.mem.data() + 8 * r, 8);
    return v;
}

} // namespace

TEST_CASE("register map table: every ALU op, both widths, reg and imm, edge values, tricky registers") {
    Fixture f;
    const AluOp ops[] = {AluOp::Add, AluOp::Sub, AluOp::Mul,    AluOp::Div,     AluOp::SDiv,    AluOp::Or,
                         AluOp::And, AluOp::Lsh, AluOp::Rsh,    AluOp::Neg,     AluOp::Mod,     AluOp::SMod,
                         AluOp::Xor, AluOp::Mov, AluOp::MovSx8, AluOp::MovSx16, AluOp::MovSx32, AluOp::Arsh};
    // (dst, src) pairs that stress the x86 register choices: rax/rdx for div, rcx for shifts, same reg.
    const std::pair<Reg, Reg> regs[] = {{kR1, kR2}, {kR0, kR3}, {kR3, kR0}, {kR4, kR1}, {kR1, kR4},
                                        {kR4, kR4}, {kR3, kR3}, {kR0, kR0}, {kR6, kR9}, {kR5, kR3}};
    int programs = 0;
    for (AluOp op : ops)
        for (bool is64 : {true, false})
            for (bool use_imm : {false, true}) {
                const bool movsx = op == AluOp::MovSx8 || op == AluOp::MovSx16 || op == AluOp::MovSx32;
                if (movsx && (use_imm || (op == AluOp::MovSx32 && !is64))) continue; // not encodable
                for (auto [dst, src] : regs) {
                    if (use_imm && src != kR2 && src != kR3) continue;
                    std::vector<uint8_t> mem(80);
                    const bool full = dst == kR1 && src == kR2; // every edge pair for one register pair
                    for (uint64_t a : kEdges) {
                        if (!full && !small_edge(a)) continue;
                        for (uint64_t b : kEdges) {
                            if (!full && !small_edge(b)) continue;
                            const int64_t imm = static_cast<int32_t>(b);
                            Operand s = use_imm ? Operand::of_imm(imm) : Operand::of_reg(src);
                            auto prog = reg_dump_program({alu(op, is64, dst, s)}, dst, a, src, b);
                            LoadedProgram& p = f.load(prog);
                            CAPTURE(static_cast<int>(op));
                            CAPTURE(is64);
                            CAPTURE(use_imm);
                            CAPTURE(static_cast<int>(dst));
                            CAPTURE(static_cast<int>(src));
                            CAPTURE(a);
                            CAPTURE(b);
                            both(p, mem, f.helpers);
                            ++programs;
                            if (op == AluOp::Neg) break;
                        }
                        f.progs.clear(); // free code as we go (also exercises unmapping)
                    }
                }
            }
    CHECK(programs > 40000);
}

TEST_CASE("hand-checked ALU edges (independent of the interpreter)") {
    Fixture f;
    auto eval = [&](AluOp op, bool is64, uint64_t a, uint64_t b, Reg dst = kR1, Reg src = kR2) {
        LoadedProgram& p =
            f.load(reg_dump_program({alu(op, is64, dst, Operand::of_reg(src))}, dst, a, src, b));
        Outcome o = run_jit(p, std::vector<uint8_t>(80), f.helpers);
        return dumped(o, dst);
    };
    const uint64_t kMin64 = 0x8000000000000000ull;
    CHECK(eval(AluOp::Lsh, true, 1, 63) == kMin64);
    CHECK(eval(AluOp::Lsh, true, 1, 64) == 1); // masked to 0
    CHECK(eval(AluOp::Lsh, false, 1, 32) == 1);
    CHECK(eval(AluOp::Lsh, false, 0xffffffff00000001ull, 0) == 1); // 32-bit op zero-extends even by 0
    CHECK(eval(AluOp::Arsh, true, kMin64, 63) == ~0ull);
    CHECK(eval(AluOp::Arsh, false, 0x80000000, 31) == 0xffffffff);
    CHECK(eval(AluOp::Rsh, true, ~0ull, 65, kR4, kR1) == 0x7fffffffffffffffull); // dst is rcx
    CHECK(eval(AluOp::Lsh, true, 3, 2, kR1, kR4) == 12);                         // src is rcx
    CHECK(eval(AluOp::SDiv, true, kMin64, ~0ull) == kMin64);
    CHECK(eval(AluOp::SMod, true, kMin64, ~0ull) == 0);
    CHECK(eval(AluOp::SDiv, false, 0x80000000, 0xffffffff) == 0x80000000);
    CHECK(eval(AluOp::SMod, false, 0xffffffff80000000ull, 0xffffffff) == 0);
    CHECK(eval(AluOp::Div, true, 42, 0) == 0);
    CHECK(eval(AluOp::Mod, true, 42, 0) == 42);
    CHECK(eval(AluOp::Mod, false, 0xffffffff0000002aull, 0) == 42); // zero-extended
    CHECK(eval(AluOp::Div, false, 42, 0x100000000ull) == 0);        // 32-bit divisor is 0
    CHECK(eval(AluOp::SDiv, true, static_cast<uint64_t>(-7), 2) == static_cast<uint64_t>(-3));
    CHECK(eval(AluOp::SMod, true, static_cast<uint64_t>(-7), 2) == static_cast<uint64_t>(-1));
    CHECK(eval(AluOp::Div, true, 100, 7, kR0, kR3) == 14);
    CHECK(eval(AluOp::Mod, true, 100, 7, kR3, kR0) == 2);
    CHECK(eval(AluOp::Add, false, 0xffffffff, 1) == 0);
    CHECK(eval(AluOp::Mov, false, 0, 0xdeadbeef12345678ull) == 0x12345678);
    CHECK(eval(AluOp::MovSx8, true, 0, 0x80) == 0xffffffffffffff80ull);
    CHECK(eval(AluOp::MovSx16, false, 0, 0x8000) == 0xffff8000ull);
    CHECK(eval(AluOp::MovSx32, true, 0, 0x80000000) == 0xffffffff80000000ull);
    CHECK(eval(AluOp::Mul, false, 0x10000, 0x10000) == 0);
}

TEST_CASE("byte swaps and conversions") {
    Fixture f;
    const uint64_t v = 0x0123456789abcdefull;
    struct Case {
        uint8_t bits;
        ByteOrder order;
        uint64_t want;
    } cases[] = {{16, ByteOrder::ToLe, 0xcdef},
                 {32, ByteOrder::ToLe, 0x89abcdef},
                 {64, ByteOrder::ToLe, v},
                 {16, ByteOrder::ToBe, 0xefcd},
                 {32, ByteOrder::ToBe, 0xefcdab89},
                 {64, ByteOrder::ToBe, 0xefcdab8967452301ull},
                 {16, ByteOrder::Swap, 0xefcd},
                 {32, ByteOrder::Swap, 0xefcdab89},
                 {64, ByteOrder::Swap, 0xefcdab8967452301ull}};
    for (const Case& c : cases)
        for (Reg r : {kR0, kR1, kR4, kR5, kR9}) {
            LoadedProgram& p = f.load(reg_dump_program({Endian{r, c.bits, c.order}}, r, v, kR2, 0));
            Outcome o = both(p, std::vector<uint8_t>(80), f.helpers);
            CHECK(dumped(o, r) == c.want);
        }
}

TEST_CASE("conditional jumps: every condition, JMP and JMP32, reg and imm, edge values") {
    Fixture f;
    const Cond conds[] = {Cond::Eq,  Cond::Ne,  Cond::Gt,  Cond::Ge,  Cond::Lt, Cond::Le,
                          Cond::Set, Cond::SGt, Cond::SGe, Cond::SLt, Cond::SLe};
    for (Cond c : conds)
        for (bool is32 : {false, true})
            for (bool use_imm : {false, true}) {
                for (uint64_t a : kEdges) {
                    for (uint64_t b : kEdges) {
                        std::vector<Insn> p;
                        lddw(p, kR3, a);
                        lddw(p, kR4, b);
                        Operand s = use_imm ? Operand::of_imm(static_cast<int32_t>(b)) : Operand::of_reg(kR4);
                        p.push_back(mov(kR0, 1));
                        p.push_back(Jump{c, is32, kR3, s, static_cast<uint32_t>(p.size() + 4)});
                        p.push_back(mov(kR0, 2));
                        p.push_back(exit_());
                        p.push_back(mov(kR0, 3)); // not reached: target skips it
                        p.push_back(addi(kR0, 10));
                        p.push_back(exit_());
                        LoadedProgram& lp = f.load(p);
                        Outcome o = both(lp, {}, f.helpers);
                        CHECK((o.r0 == 2 || o.r0 == 11));
                    }
                    f.progs.clear();
                }
            }
    // Hand-checked: signed vs unsigned and the 32-bit view.
    auto taken = [&](Cond c, bool is32, uint64_t a, uint64_t b) {
        std::vector<Insn> p;
        lddw(p, kR3, a);
        lddw(p, kR4, b);
        p.push_back(mov(kR0, 0));
        p.push_back(Jump{c, is32, kR3, Operand::of_reg(kR4), static_cast<uint32_t>(p.size() + 2)});
        p.push_back(exit_());
        p.push_back(mov(kR0, 1));
        p.push_back(exit_());
        return run_jit(f.load(p), {}, f.helpers).r0 == 1;
    };
    CHECK(taken(Cond::Gt, false, ~0ull, 1));
    CHECK(!taken(Cond::SGt, false, ~0ull, 1));
    CHECK(taken(Cond::Eq, true, 0x100000005ull, 5));
    CHECK(!taken(Cond::Eq, false, 0x100000005ull, 5));
    CHECK(taken(Cond::SLt, true, 0x80000000, 0));
    CHECK(!taken(Cond::SLt, false, 0x80000000, 0));
    CHECK(taken(Cond::Set, false, 0x100000000ull, 0x100000000ull));
    CHECK(!taken(Cond::Set, true, 0x100000000ull, 0x100000000ull));
}

TEST_CASE("loads and stores: all widths, sign-extending loads, ST imm, stack and memory") {
    Fixture f;
    for (uint8_t w : {1, 2, 4, 8})
        for (bool sx : {false, true}) {
            if (sx && w == 8) continue;
            for (int16_t off : {0, 3, 8, 17}) {
                std::vector<Insn> p;
                p.push_back(ldx(kR2, kR1, off, w, sx));  // from memory
                p.push_back(stx(kR10, -64, 8, kR2));     // to the stack
                p.push_back(ldx(kR3, kR10, -64, w, sx)); // reload the low bytes
                p.push_back(stx(kR1, 32, 8, kR2));       // results to memory
                p.push_back(stx(kR1, 40, 8, kR3));
                p.push_back(stx(kR1, static_cast<int16_t>(48 + off % 8), w, kR2)); // narrow store
                p.push_back(Store{kR1, 56, w, Operand::of_imm(-2)});               // ST imm
                p.push_back(movr(kR0, kR2));
                p.push_back(exit_());
                std::vector<uint8_t> mem(64);
                for (size_t i = 0; i < 32; ++i) mem[i] = static_cast<uint8_t>(0x80 + i * 7);
                Outcome o = both(f.load(p), mem, f.helpers);
                uint64_t raw = 0;
                std::memcpy(&raw, mem.data() + off, w);
                uint64_t want = raw;
                if (sx) {
                    const int shift = 64 - 8 * w;
                    want = static_cast<uint64_t>(static_cast<int64_t>(raw << shift) >> shift);
                }
                CHECK(o.r0 == want);
                uint64_t st = 0;
                std::memcpy(&st, o.mem.data() + 56, 8);
                CHECK(st == (w == 8 ? ~1ull : (~1ull & ((1ull << (8 * w)) - 1))));
            }
        }
}

TEST_CASE("atomics: every op, fetch or not, 32 and 64 bit, including r0 as src or base") {
    Fixture f;
    const AtomicOp ops[] = {AtomicOp::Add, AtomicOp::Or,   AtomicOp::And,
                            AtomicOp::Xor, AtomicOp::Xchg, AtomicOp::CmpXchg};
    for (AtomicOp op : ops)
        for (bool fetch : {false, true}) {
            if ((op == AtomicOp::Xchg || op == AtomicOp::CmpXchg) && !fetch) continue;
            for (uint8_t w : {4, 8})
                for (auto [base, src] :
                     std::vector<std::pair<Reg, Reg>>{{kR6, kR2}, {kR0, kR2}, {kR6, kR0}, {kR3, kR4}})
                    for (uint64_t old :
                         {uint64_t{0}, uint64_t{0x00000000ffff0000}, uint64_t{0xf0f0f0f0f0f0f0f0}})
                        for (uint64_t r0v : {old, uint64_t{5}}) { // cmpxchg: equal and different comparand
                            std::vector<Insn> p;
                            p.push_back(movr(kR6, kR1));
                            lddw(p, kR2, 0x0f0f00ff0f0f00ffull);
                            lddw(p, kR4, 0x0f0f00ff0f0f00ffull);
                            lddw(p, kR0, r0v);
                            if (base != kR6) p.push_back(movr(base, kR1));
                            p.push_back(Atomic{op, fetch, w, base, 8, src});
                            p.push_back(movr(kR7, base)); // base - r6: 0 unless clobbered (cmpxchg: r0 = old)
                            if (!(base == kR0 && op == AtomicOp::CmpXchg))
                                p.push_back(alu(AluOp::Sub, true, kR7, Operand::of_reg(kR6)));
                            if (base == kR0 && op != AtomicOp::CmpXchg) // r0 still the pointer
                                p.push_back(alu(AluOp::Sub, true, kR0, Operand::of_reg(kR6)));
                            p.push_back(stx(kR6, 16, 8, kR0));
                            p.push_back(stx(kR6, 24, 8, src));
                            p.push_back(stx(kR6, 32, 8, kR7));
                            p.push_back(mov(kR0, 0));
                            p.push_back(exit_());
                            std::vector<uint8_t> mem(40);
                            std::memcpy(mem.data() + 8, &old, 8);
                            CAPTURE(static_cast<int>(op));
                            CAPTURE(fetch);
                            CAPTURE(static_cast<int>(w));
                            CAPTURE(static_cast<int>(base));
                            CAPTURE(static_cast<int>(src));
                            Outcome o = both(f.load(p), mem, f.helpers);
                            uint64_t after = 0;
                            std::memcpy(&after, o.mem.data() + 8, 8);
                            if (op == AtomicOp::Add && w == 8 && base != kR0 && src != kR0)
                                CHECK(after == old + 0x0f0f00ff0f0f00ffull);
                        }
        }
}

TEST_CASE("bpf2bpf calls: own 512-byte frame, r6-r9 preserved, r0 returned, nested") {
    Fixture f;
    // main: r6..r9 = 6..9; *(r10-8) = 111; call f1; r0 += r6 + r7 + r8 + r9 + *(r10-8)
    // f1 (slot 14): *(r10-8) = 222; r6 = 1000; call f2; r0 += *(r10-8); exit
    // f2 (slot 19): *(r10-512) = 5; r0 = *(r10-512); r6 = 77; exit
    std::vector<Insn> p = {mov(kR6, 6),
                           mov(kR7, 7),
                           mov(kR8, 8),
                           mov(kR9, 9),
                           mov(kR1, 111),
                           stx(kR10, -8, 8, kR1),
                           CallLocal{14},
                           addi(kR0, 0),
                           alu(AluOp::Add, true, kR0, Operand::of_reg(kR6)),
                           alu(AluOp::Add, true, kR0, Operand::of_reg(kR7)),
                           alu(AluOp::Add, true, kR0, Operand::of_reg(kR8)),
                           ldx(kR1, kR10, -8, 8),
                           alu(AluOp::Add, true, kR0, Operand::of_reg(kR9)),
                           Goto{23}};
    // slot 14: f1
    p.push_back(mov(kR1, 222));
    p.push_back(stx(kR10, -8, 8, kR1));
    p.push_back(mov(kR6, 1000));
    p.push_back(CallLocal{19});
    p.push_back(Goto{21});
    // slot 19: f2
    p.push_back(Store{kR10, -512, 8, Operand::of_imm(5)});
    p.push_back(Goto{25});
    // slot 21: f1 tail
    p.push_back(ldx(kR2, kR10, -8, 8));
    p.push_back(Goto{27});
    // slot 23: main tail
    p.push_back(alu(AluOp::Add, true, kR0, Operand::of_reg(kR1)));
    p.push_back(exit_());
    // slot 25: f2 tail
    p.push_back(ldx(kR0, kR10, -512, 8));
    p.push_back(exit_());
    // slot 27: f1 end
    p.push_back(alu(AluOp::Add, true, kR0, Operand::of_reg(kR2)));
    p.push_back(exit_());
    Outcome o = both(f.load(p, {0, 14, 19}), {}, f.helpers);
    CHECK(o.r0 == 5 + 222 + 6 + 7 + 8 + 9 + 111);
}

TEST_CASE(
    "helpers: arguments in r1..r5, env passed, stop unwinds every frame, callx, unknown id at compile time") {
    Fixture f;
    f.helpers.set(1, helper_sum);
    f.helpers.set(5, helper_unwind);
    std::vector<Insn> p = {mov(kR1, 1),     mov(kR2, 10), mov(kR3, 100), mov(kR4, 1000),
                           mov(kR5, 10000), call(1),      exit_()};
    CHECK(both(f.load(p), {}, f.helpers).r0 == 1 + 20 + 300 + 4000 + 50000);
    // unwind from a subprogram: main calls sub (slot 3) which calls helper 5 with 0 -> program ends with 0
    std::vector<Insn> q = {CallLocal{3}, mov(kR0, 99), exit_(), mov(kR1, 0), call(5), mov(kR0, 7), exit_()};
    CHECK(both(f.load(q, {0, 3}), {}, f.helpers).r0 == 0);
    std::vector<Insn> q2 = {CallLocal{3}, addi(kR0, 1), exit_(), mov(kR1, 4), call(5), exit_()};
    CHECK(both(f.load(q2, {0, 3}), {}, f.helpers).r0 == 5);
    // callx: register holds the helper id
    std::vector<Insn> c = {mov(kR1, 3), mov(kR2, 0), mov(kR3, 0),  mov(kR4, 0),
                           mov(kR5, 0), mov(kR6, 1), CallReg{kR6}, exit_()};
    CHECK(both(f.load(c), {}, f.helpers).r0 == 3);
    // a helper registered after compilation is found at run time through env->helpers
    std::vector<Insn> late = {mov(kR1, 2), call(77), exit_()};
    LoadedProgram& lp = f.load(late);
    f.helpers.set(77, helper_unwind);
    CHECK(run_jit(lp, {}, f.helpers).r0 == 2);
}

TEST_CASE("LD_ABS / LD_IND: network order, r1-r5 kept, out of bounds ends the program with 0") {
    Fixture f;
    std::vector<uint8_t> pkt = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    auto run_both = [&](const std::vector<Insn>& p) {
        LoadedProgram& lp = f.load(p);
        ExecEnv e1, e2;
        e1.packet = e2.packet = pkt.data();
        e1.packet_len = e2.packet_len = pkt.size();
        e1.helpers = e2.helpers = &f.helpers;
        auto j = jit_execute(lp, e1);
        auto i = interpret(lp, e2);
        REQUIRE(j.ok());
        REQUIRE(i.ok());
        CHECK(*j == *i);
        return *j;
    };
    CHECK(run_both({LoadPacket{4, false, 0, 1}, exit_()}) == 0x3456789a);
    CHECK(run_both({LoadPacket{2, false, 0, 6}, exit_()}) == 0xdef0);
    CHECK(run_both({LoadPacket{1, false, 0, 7}, exit_()}) == 0xf0);
    CHECK(run_both({LoadPacket{4, false, 0, 5}, mov(kR0, 1), exit_()}) == 0);
    CHECK(run_both({mov(kR7, 3), LoadPacket{2, true, kR7, 2}, exit_()}) == 0xbcde);
    CHECK(run_both({mov(kR7, -1), LoadPacket{1, true, kR7, 0}, mov(kR0, 1), exit_()}) == 0);
    // r1..r5 survive
    CHECK(run_both({mov(kR1, 1), mov(kR2, 2), mov(kR3, 3), mov(kR4, 4), mov(kR5, 5),
                    LoadPacket{1, false, 0, 0}, alu(AluOp::Add, true, kR0, Operand::of_reg(kR1)),
                    alu(AluOp::Add, true, kR0, Operand::of_reg(kR2)),
                    alu(AluOp::Add, true, kR0, Operand::of_reg(kR3)),
                    alu(AluOp::Add, true, kR0, Operand::of_reg(kR4)),
                    alu(AluOp::Add, true, kR0, Operand::of_reg(kR5)), exit_()}) == 0x12 + 15);
}

// ---- W^X
// ----------------------------------------------------------------------------------------------------

namespace {
std::string perms_of(const void* addr) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    auto a = reinterpret_cast<uintptr_t>(addr);
    while (std::getline(maps, line)) {
        std::istringstream in(line);
        std::string range, perms;
        in >> range >> perms;
        auto dash = range.find('-');
        uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
        uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
        if (a >= lo && a < hi) return perms;
    }
    return "";
}
} // namespace

TEST_CASE("code memory is writable or executable, never both; freed with the program") {
    auto mem = ExecMemory::allocate(100);
    REQUIRE(mem.ok());
    CHECK(perms_of(mem->data()).substr(0, 3) == "rw-");
    mem->data()[0] = 0xc3; // ret
    REQUIRE(mem->seal(1).ok());
    CHECK(perms_of(mem->data()).substr(0, 3) == "r-x");
    CHECK(!mem->seal(1).ok());

    Fixture f;
    LoadedProgram& p = f.load({mov(kR0, 1), exit_()});
    const void* entry = p.jit.entry;
    CHECK(perms_of(entry).substr(0, 3) == "r-x");
    CHECK(jit_code_size(p) > 0);
    CHECK(p.jit.tail_entry > p.jit.entry);
    f.progs.clear();
    CHECK(perms_of(entry).empty()); // unmapped when the program is unloaded
}

TEST_CASE("unverified code: frame limit, unknown helper, falling off the end give the interpreter's errors") {
    Fixture f;
    // The same Error (code and message, which names program and insn) on both engines: same_error().
    // infinite recursion: f calls itself
    LoadedProgram& rec = f.load({CallLocal{2}, exit_(), CallLocal{2}, exit_()}, {0, 2});
    same_error(f, rec, "call-depth-exceeded", "program '" + rec.name + "' insn 2: more than 8 call frames");
    // exactly 8 frames are allowed: main -> f(1) -> ... each level decrements r6 until 0
    // main: r6 = 6; call f; exit.  f: if r6 == 0 goto ret; r6 -= 1; call f; r0 += 1; ret: exit
    // f runs with r6 = 6..0: frames 2..8.
    std::vector<Insn> deep = {
        mov(kR6, 6),   mov(kR0, 0),  CallLocal{4}, exit_(), Jump{Cond::Eq, false, kR6, Operand::of_imm(0), 8},
        addi(kR6, -1), CallLocal{4}, addi(kR0, 1), exit_()};
    LoadedProgram& ok8 = f.load(deep, {0, 4});
    ExecEnv e;
    auto r = jit_execute(ok8, e);
    REQUIRE(r.ok());
    CHECK(*r == 6);
    ExecEnv e0;
    auto ri = interpret(ok8, e0);
    REQUIRE(ri.ok());
    CHECK(*ri == 6);
    deep[0] = mov(kR6, 7); // 9 frames
    LoadedProgram& nine = f.load(deep, {0, 4});
    same_error(f, nine, "call-depth-exceeded", "program '" + nine.name + "' insn 6: more than 8 call frames");
    LoadedProgram& unknown = f.load({mov(kR1, 0), call(999), exit_()});
    same_error(f, unknown, "unknown-helper", "program '" + unknown.name + "' insn 1: no helper with id 999");
    LoadedProgram& callx_big = f.load({mov(kR1, 0), mov(kR6, -1), CallReg{kR6}, exit_()});
    same_error(f, callx_big, "unknown-helper",
               "program '" + callx_big.name + "' insn 2: no helper with id -1");
    LoadedProgram& callx_tail = f.load({mov(kR6, kHelperTailCall), CallReg{kR6}, exit_()});
    same_error(f, callx_tail, "unknown-helper",
               "program '" + callx_tail.name + "' insn 1: callx cannot perform a tail call");
    // lddw the runtime cannot resolve: a BTF pseudo, a map index past the table, a value of a map without
    // direct value access (f.maps gets one prog array first), and a jump into an lddw's second slot
    Fixture h;
    h.add_prog_array(1);
    std::vector<Insn> btf, no_map, no_value, into_high = {Jump{Cond::Eq, false, kR1, Operand::of_imm(0), 2}};
    lddw(btf, kR0, 0, 3);
    lddw(no_map, kR0, 7, 1);
    lddw(no_value, kR0, 0, 2);
    lddw(into_high, kR0, 5);
    for (auto* v : {&btf, &no_map, &no_value, &into_high}) v->push_back(exit_());
    LoadedProgram& l_btf = h.load(btf);
    same_error(f, l_btf, "bad-lddw", "program '" + l_btf.name + "' insn 0: lddw pseudo 3 is not supported");
    LoadedProgram& l_no_map = h.load(no_map);
    same_error(f, l_no_map, "bad-lddw",
               "program '" + l_no_map.name + "' insn 0: map index 7 has no runtime map");
    LoadedProgram& l_no_value = h.load(no_value);
    same_error(f, l_no_value, "bad-lddw",
               "program '" + l_no_value.name + "' insn 0: map 0 has no direct value access");
    LoadedProgram& l_high = h.load(into_high);
    same_error(f, l_high, "pc-out-of-range",
               "program '" + l_high.name + "' insn 2: executed the second half of an lddw");
    LoadedProgram& off = f.load({mov(kR0, 0)});
    same_error(f, off, "pc-out-of-range",
               "program '" + off.name + "' insn 1: execution ran past the last instruction");
    // A fault in a tail-call target names the target.
    Fixture g;
    const uint32_t pa = g.add_prog_array(1);
    LoadedProgram& faulty = g.load({mov(kR0, 0), call(998), exit_()});
    std::vector<Insn> caller;
    tail_call(caller, pa, 0);
    caller.push_back(exit_());
    LoadedProgram& entry = g.load(caller);
    g.arrays.back()->set(0, &faulty);
    same_error(f, entry, "unknown-helper", "program '" + faulty.name + "' insn 1: no helper with id 998");
    // a normal run reports no error
    ExecEnv e3;
    auto fine = jit_execute(f.load({mov(kR0, 5), exit_()}), e3);
    REQUIRE(fine.ok());
    CHECK(*fine == 5);
}

// ---- checked mode
// ------------------------------------------------------------------------------------------------

TEST_CASE("checked mode: an out-of-bounds load, store or atomic is the interpreter's error on both engines") {
    Fixture f;
    f.options.checked = true;
    const uint32_t pa = f.add_prog_array(1);
    // r1 = 16 writable bytes, r2 = 8 read-only bytes.
    std::vector<uint8_t> rw(16, 0x11), ro(8, 0x22);
    const MemRegion regions[] = {{rw.data(), rw.size(), true}, {ro.data(), ro.size(), false}};
    struct Run {
        Result<uint64_t> r;
        std::vector<uint8_t> mem;
    };
    auto run = [&](const LoadedProgram& p, bool jit) {
        std::vector<uint8_t> saved = rw;
        ExecEnv env;
        env.args[0] = reinterpret_cast<uint64_t>(rw.data());
        env.args[1] = reinterpret_cast<uint64_t>(ro.data());
        env.helpers = &f.helpers;
        env.regions = regions;
        env.num_regions = 2;
        InterpOptions checked;
        checked.checked = true;
        Run out{jit ? jit_execute(p, env) : interpret(p, env, checked), rw};
        rw = saved;
        return out;
    };
    // Both engines: the same fault (code and message), or the same r0 and memory.
    auto fault = [&](std::vector<Insn> insns, const char* code, const std::string& what,
                     std::vector<uint32_t> funcs = {0}) {
        LoadedProgram& p = f.load(std::move(insns), std::move(funcs));
        CAPTURE(what);
        for (bool jit : {false, true}) {
            Run o = run(p, jit);
            REQUIRE(!o.r.ok());
            CHECK(o.r.error().code == code);
            CHECK(o.r.error().message == "program '" + p.name + "' " + what);
            CHECK(o.mem == rw); // nothing written
        }
    };
    auto fine = [&](std::vector<Insn> insns, std::vector<uint32_t> funcs = {0}) {
        LoadedProgram& p = f.load(std::move(insns), std::move(funcs));
        Run i = run(p, false), j = run(p, true);
        REQUIRE_MESSAGE(i.r.ok(), (i.r.ok() ? "" : i.r.error().message));
        REQUIRE_MESSAGE(j.r.ok(), (j.r.ok() ? "" : j.r.error().message));
        CHECK(*i.r == *j.r);
        CHECK(i.mem == j.mem);
        return *j.r;
    };
    // one byte past the region, below it, in the read-only region, an atomic past it
    fault({ldx(kR0, kR1, 9, 8), exit_()}, "out-of-bounds-access", "insn 0: load of 8 bytes");
    fault({mov(kR0, 0), ldx(kR0, kR1, -1, 1), exit_()}, "out-of-bounds-access", "insn 1: load of 1 bytes");
    fault({mov(kR3, 5), stx(kR1, 16, 4, kR3), exit_()}, "out-of-bounds-access", "insn 1: store of 4 bytes");
    fault({Store{kR2, 0, 1, Operand::of_imm(1)}, exit_()}, "out-of-bounds-access",
          "insn 0: store of 1 bytes");
    fault({mov(kR3, 1), Atomic{AtomicOp::Add, false, 8, kR1, 12, kR3}, exit_()}, "out-of-bounds-access",
          "insn 1: atomic of 8 bytes");
    fault({mov(kR3, 1), Atomic{AtomicOp::Xchg, true, 4, kR2, 0, kR3}, exit_()}, "out-of-bounds-access",
          "insn 1: atomic of 4 bytes");
    // across the top of the frame; into the stack of a returned subprogram (sub returns its r10)
    fault({ldx(kR0, kR10, -4, 8), exit_()}, "out-of-bounds-access", "insn 0: load of 8 bytes");
    fault({CallLocal{3}, ldx(kR0, kR0, -8, 8), exit_(), movr(kR0, kR10), exit_()}, "out-of-bounds-access",
          "insn 1: load of 8 bytes", {0, 3});
    // below the frame's 512-byte stack; a pointer that is not a map as tail-call r2
    fault({mov(kR0, 0), stx(kR10, -520, 8, kR0), exit_()}, "out-of-bounds-access",
          "insn 1: store of 8 bytes");
    fault({movr(kR2, kR10), mov(kR3, 0), call(kHelperTailCall), exit_()}, "bad-tail-call-map",
          "insn 2: r2 is not a map of this program");
    // the regions, the whole stack frame and a caller's frame (main passes r10 - 8 to sub, which writes it)
    CHECK(fine({ldx(kR0, kR1, 8, 8), ldx(kR3, kR2, 7, 1), alu(AluOp::Add, true, kR0, Operand::of_reg(kR3)),
                mov(kR3, 9), stx(kR1, 12, 4, kR3), Atomic{AtomicOp::Add, false, 4, kR1, 0, kR3},
                stx(kR10, -512, 8, kR3), stx(kR10, -8, 8, kR3), exit_()}) == 0x1111111111111111ull + 0x22);
    CHECK(fine({mov(kR3, 3), stx(kR10, -8, 8, kR3), movr(kR1, kR10), addi(kR1, -8), CallLocal{7},
                ldx(kR0, kR10, -8, 8), exit_(), ldx(kR2, kR1, 0, 8), addi(kR2, 4), stx(kR1, 0, 8, kR2),
                stx(kR10, -512, 8, kR2), exit_()},
               {0, 7}) == 7);
    // a tail call through a real prog array (empty slot: falls through) passes the map check
    std::vector<Insn> tc;
    tail_call(tc, pa, 0);
    tc.push_back(exit_());
    CHECK(fine(tc) == 0);
}

TEST_CASE(
    "instruction limit: the same insn-limit error on both engines, counted across calls and tail calls") {
    Fixture f;
    f.options.max_insns = 7;
    InterpOptions limited;
    limited.max_insns = 7;
    auto both_limited = [&](const LoadedProgram& p) {
        ExecEnv e1, e2;
        e1.helpers = e2.helpers = &f.helpers;
        return std::make_pair(jit_execute(p, e1), interpret(p, e2, limited));
    };
    // 7 instructions run; an 8th is refused (main: 3 + sub: 2 + main: 2 = 7)
    LoadedProgram& seven = f.load(
        {mov(kR0, 1), mov(kR6, 2), CallLocal{5}, addi(kR0, 1), exit_(), addi(kR0, 5), exit_()}, {0, 5});
    auto [j7, i7] = both_limited(seven);
    REQUIRE(j7.ok());
    REQUIRE(i7.ok());
    CHECK(*j7 == 7);
    CHECK(*i7 == 7);
    LoadedProgram& eight = f.load(
        {mov(kR0, 1), mov(kR6, 2), CallLocal{6}, addi(kR0, 1), addi(kR0, 1), exit_(), addi(kR0, 5), exit_()},
        {0, 6});
    auto [j8, i8] = both_limited(eight);
    REQUIRE(!j8.ok());
    REQUIRE(!i8.ok());
    CHECK(j8.error().code == "insn-limit");
    CHECK(j8.error().message == "program '" + eight.name + "' insn 5: instruction limit 7 reached");
    CHECK(i8.error().message == j8.error().message);
    // an endless loop ends, also through a self tail call (the counter is the run's)
    LoadedProgram& loop = f.load({Goto{0}, exit_()});
    auto [jl, il] = both_limited(loop);
    REQUIRE(!jl.ok());
    REQUIRE(!il.ok());
    CHECK(jl.error().message == "program '" + loop.name + "' insn 0: instruction limit 7 reached");
    CHECK(il.error().message == jl.error().message);
    Fixture g;
    g.options.max_insns = 7;
    const uint32_t pa = g.add_prog_array(1);
    std::vector<Insn> self; // 5 slots and 3 insns per run: the 3rd run's lddw (slot 2) is the 8th insn
    tail_call(self, pa, 0);
    self.push_back(exit_());
    LoadedProgram& chain = g.load(self);
    g.arrays.back()->set(0, &chain);
    ExecEnv e1, e2;
    e1.helpers = e2.helpers = &g.helpers;
    auto jc = jit_execute(chain, e1);
    auto ic = interpret(chain, e2, limited);
    REQUIRE(!jc.ok());
    REQUIRE(!ic.ok());
    CHECK(jc.error().message == "program '" + chain.name + "' insn 2: instruction limit 7 reached");
    CHECK(ic.error().message == jc.error().message);
}
