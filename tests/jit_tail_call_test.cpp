// JIT tail calls with the kernel's x86-64 JIT semantics, each compared with the interpreter: u32 index,
// 33-count, empty slots not counted, constant native stack along a chain, tail calls from subprograms,
// cross-type ctx conversion, atomic slot updates.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/jit_test_util.hpp"

using namespace tailgate;
using namespace tailgate::rt;
using namespace tailgate::jit_testing;

// ---- tail calls
// --------------------------------------------------------------------------------------------

TEST_CASE("tail call: index taken as u32; 256 and -1 fall through; 0x100000000 jumps to slot 0; r0 = 0 after "
          "fall-through") {
    Fixture f;
    uint32_t m = f.add_prog_array(4);
    LoadedProgram& target = f.load({mov(kR0, 42), exit_()});
    f.arrays[0]->set(0, &target);
    struct Case {
        uint64_t index;
        uint64_t want;
        uint32_t count;
    } cases[] = {{0, 42, 1},  {0x100000000ull, 42, 1}, {256, 1000, 0}, {~0ull, 1000, 0}, {4, 1000, 0},
                 {1, 1000, 0}};
    for (const Case& c : cases) {
        std::vector<Insn> p = {mov(kR0, 5)};
        tail_call(p, m, c.index);
        p.push_back(addi(kR0, 1000)); // fall-through path: r0 == 0 after the failed tail call
        p.push_back(exit_());
        CAPTURE(c.index);
        Outcome o = both(f.load(p), {}, f.helpers);
        CHECK(o.r0 == c.want);
        CHECK(o.tail_calls == c.count);
    }
}

TEST_CASE("tail call: a self-tail-calling chain counts exactly 33; empty slots are not counted") {
    Fixture f;
    uint32_t m = f.add_prog_array(2);
    // *(u64*)(r1+0) += 1; tail call slot 1 (empty: falls through, not counted); tail call slot 0 (self); r0 =
    // 7
    std::vector<Insn> p = {ldx(kR2, kR1, 0, 8), addi(kR2, 1), stx(kR1, 0, 8, kR2), movr(kR6, kR1)};
    tail_call(p, m, 1);
    p.push_back(movr(kR1, kR6));
    tail_call(p, m, 0);
    p.push_back(mov(kR0, 7));
    p.push_back(exit_());
    LoadedProgram& self = f.load(p);
    f.arrays[0]->set(0, &self);
    Outcome o = both(self, std::vector<uint8_t>(8), f.helpers);
    uint64_t runs = 0;
    std::memcpy(&runs, o.mem.data(), 8);
    CHECK(runs == 34); // the entry plus 33 tail calls
    CHECK(o.tail_calls == 33);
    CHECK(o.r0 == 7);
    // a second run starts a fresh chain
    o = run_jit(self, std::vector<uint8_t>(8), f.helpers);
    CHECK(o.tail_calls == 33);
}

TEST_CASE("tail call: a 33-deep chain runs in constant native stack") {
    Fixture f;
    f.helpers.set(100, helper_sp);
    uint32_t m = f.add_prog_array(1);
    uint32_t m2 = f.add_prog_array(1);
    std::vector<Insn> p = {movr(kR6, kR1), call(100), movr(kR1, kR6)};
    tail_call(p, m, 0);
    p.push_back(mov(kR0, 3));
    p.push_back(exit_());
    LoadedProgram& self = f.load(p);
    f.arrays[0]->set(0, &self);
    std::vector<uintptr_t> sps;
    Outcome o = run_jit(self, {}, f.helpers, &sps);
    REQUIRE(sps.size() == 34);
    CHECK(o.tail_calls == 33);
    for (uintptr_t sp : sps) CHECK(sp == sps.front()); // deepest target's frame == entry's frame

    // The same from a subprogram: main calls sub; sub records and tail calls a program that records and
    // tail calls itself. Every target runs in the subprogram's frame (one frame below main's).
    LoadedProgram& chain = f.load([&] {
        std::vector<Insn> q = {movr(kR6, kR1), call(100), movr(kR1, kR6)};
        tail_call(q, m2, 0);
        q.push_back(mov(kR0, 9));
        q.push_back(exit_());
        return q;
    }());
    f.arrays[1]->set(0, &chain);
    std::vector<Insn> main_p = {movr(kR6, kR1), call(100),      movr(kR1, kR6),
                                CallLocal{6},   addi(kR0, 100), exit_()};
    // slot 6: sub
    main_p.push_back(movr(kR6, kR1));
    main_p.push_back(call(100));
    main_p.push_back(movr(kR1, kR6));
    tail_call(main_p, m2, 0);
    main_p.push_back(mov(kR0, 1)); // not reached
    main_p.push_back(exit_());
    LoadedProgram& mp = f.load(main_p, {0, 6});
    sps.clear();
    o = run_jit(mp, {}, f.helpers, &sps);
    CHECK(o.r0 == 109); // the chain's r0 came back to main, which added 100
    CHECK(o.tail_calls == 33);
    REQUIRE(sps.size() == 2 + 33);
    for (size_t i = 2; i < sps.size(); ++i) CHECK(sps[i] == sps[1]);
    CHECK(sps[1] < sps[0]);
    std::vector<uintptr_t> isps;
    Outcome io = run_interp(mp, {}, f.helpers, &isps);
    CHECK(io.r0 == o.r0);
    CHECK(io.tail_calls == o.tail_calls);
}

TEST_CASE("tail call from a subprogram: the target's r0 returns to the subprogram's caller; counter shared") {
    Fixture f;
    uint32_t m = f.add_prog_array(2);
    LoadedProgram& target = f.load({mov(kR0, 42), mov(kR6, 123456), exit_()});
    f.arrays[0]->set(0, &target);
    // main: r6 = 5; call sub; r0 += r6 (r6 restored for main: 5); r0 += 1000*tail calls seen by a 2nd sub
    // call
    std::vector<Insn> p = {mov(kR6, 5), CallLocal{4}, alu(AluOp::Add, true, kR0, Operand::of_reg(kR6)),
                           exit_()};
    // slot 4: sub: store to its stack, tail call slot 0
    p.push_back(Store{kR10, -8, 8, Operand::of_imm(77)});
    tail_call(p, m, 0);
    p.push_back(mov(kR0, 1)); // not reached
    p.push_back(exit_());
    Outcome o = both(f.load(p, {0, 4}), {}, f.helpers);
    CHECK(o.r0 == 47);
    CHECK(o.tail_calls == 1);

    // Counter shared across subprograms: main calls sub 40 times; sub tail calls slot 1 which returns 1.
    // Only 33 calls take the tail call; the rest fall through (r0 = 0) and sub returns 0 + 0.
    LoadedProgram& one = f.load({mov(kR0, 1), exit_()});
    f.arrays[0]->set(1, &one);
    std::vector<Insn> q = {mov(kR7, 0),    mov(kR8, 40),
                           CallLocal{8},   alu(AluOp::Add, true, kR7, Operand::of_reg(kR0)),
                           addi(kR8, -1),  Jump{Cond::Ne, false, kR8, Operand::of_imm(0), 2},
                           movr(kR0, kR7), exit_()};
    tail_call(q, m, 1); // slot 8
    q.push_back(exit_());
    Outcome o2 = both(f.load(q, {0, 8}), {}, f.helpers);
    CHECK(o2.r0 == 33);
    CHECK(o2.tail_calls == 33);
}

TEST_CASE("tail calls from subprograms keep the callers' frames: a 33-link chain nests 34 frames deep") {
    // kernel: the x86-64 JIT pops only the subprogram's frame (corpus chain_stack.c). P: *(u64*)(r1) += 1;
    // call sub; exit.  sub: tail call P (slot 0); r0 = *(u64*)(r1); exit. Each link adds one retained frame
    // of P, and each program gets its own 8-frame budget, so the chain is not cut by the frame limit.
    Fixture f;
    f.helpers.set(100, helper_sp);
    uint32_t m = f.add_prog_array(1);
    std::vector<Insn> p = {ldx(kR2, kR1, 0, 8), addi(kR2, 1), stx(kR1, 0, 8, kR2), CallLocal{5}, exit_()};
    p.push_back(movr(kR6, kR1)); // slot 5: sub
    p.push_back(call(100));
    p.push_back(movr(kR1, kR6));
    tail_call(p, m, 0);
    p.push_back(ldx(kR0, kR6, 0, 8));
    p.push_back(exit_());
    LoadedProgram& self = f.load(p, {0, 5});
    f.arrays[0]->set(0, &self);
    std::vector<uintptr_t> sps;
    Outcome o = run_jit(self, std::vector<uint8_t>(8), f.helpers, &sps);
    CHECK(o.r0 == 34);
    CHECK(o.tail_calls == 33);
    REQUIRE(sps.size() == 34);
    for (size_t i = 1; i < sps.size(); ++i)
        CHECK(sps[i] < sps[i - 1]); // the stack grows by one frame per link
    std::vector<uintptr_t> isps;
    Outcome io = run_interp(self, std::vector<uint8_t>(8), f.helpers, &isps);
    CHECK(io.r0 == o.r0);
    CHECK(io.tail_calls == o.tail_calls);
    CHECK(io.mem == o.mem);
}

TEST_CASE(
    "cross-type tail call: kprobe -> generic_probe converts the ctx; no declared conversion falls through") {
    Fixture f;
    uint32_t m = f.add_prog_array(2);
    // generic_probe: r0 = args[0] + args[1] (ctx = {u64 args[6]; u64 probe_id})
    LoadedProgram& gp = f.load({ldx(kR0, kR1, 0, 8), ldx(kR2, kR1, 8, 8),
                                alu(AluOp::Add, true, kR0, Operand::of_reg(kR2)), exit_()});
    gp.type = ProgType::GenericProbe;
    LoadedProgram& tp = f.load({mov(kR0, 3), exit_()});
    tp.type = ProgType::RawTracepoint; // kprobe -> raw_tracepoint: not a declared conversion
    f.arrays[0]->set(0, &gp);
    f.arrays[0]->set(1, &tp);
    for (uint64_t slot : {0, 1}) {
        std::vector<Insn> p = {mov(kR4, 44), mov(kR5, 55)};
        tail_call(p, m, slot);
        p.push_back(mov(kR0, 1000));
        p.push_back(exit_());
        LoadedProgram& caller = f.load(p, {0}, ProgType::Kprobe);
        std::vector<uint8_t> regs(21 * 8); // x86-64 pt_regs: di at 112, si at 104
        uint64_t di = 5, si = 7;
        std::memcpy(regs.data() + 112, &di, 8);
        std::memcpy(regs.data() + 104, &si, 8);
        CAPTURE(slot);
        Outcome o = both(caller, regs, f.helpers);
        CHECK(o.r0 == (slot == 0 ? 12u : 1000u));
        CHECK(o.tail_calls == (slot == 0 ? 1u : 0u));
    }
}

TEST_CASE("tail call: slot updates from another thread are atomic (old or new program, never torn)") {
    Fixture f;
    uint32_t m = f.add_prog_array(1);
    LoadedProgram& a = f.load({mov(kR0, 1), exit_()});
    LoadedProgram& b = f.load({mov(kR0, 2), exit_()});
    std::vector<Insn> p;
    tail_call(p, m, 0);
    p.push_back(mov(kR0, 3)); // empty slot
    p.push_back(exit_());
    LoadedProgram& caller = f.load(p);
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; !done.load(); ++i) f.arrays[0]->set(0, i % 3 == 0 ? &a : i % 3 == 1 ? &b : nullptr);
    });
    int seen[4] = {0, 0, 0, 0};
    bool all_valid = true;
    for (int i = 0; i < 200000; ++i) {
        uint64_t r = run_jit(caller, {}, f.helpers).r0;
        if (r < 1 || r > 3)
            all_valid = false;
        else
            ++seen[r];
    }
    done = true;
    writer.join();
    CHECK(all_valid);
    CHECK(seen[1] + seen[2] + seen[3] == 200000);
}
