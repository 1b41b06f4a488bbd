// Callbacks on both engines (vm.hpp "Callbacks"): bpf_loop and bpf_for_each_map_elem call a function of the
// running program in a frame on top of the caller's; a tail call, a helper's stop and a fault inside a
// callback end as they would in the caller; nesting is bounded; checked mode refuses callbacks.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/conformance_run.hpp"
#include "runtime/helpers_impl.hpp"
#include "runtime/maps.hpp"
#include "tests/jit_test_util.hpp"

using namespace tailgate;
using namespace tailgate::rt;
using namespace tailgate::jit_testing;

namespace {

// lddw dst, callback at slot `target` (BPF_PSEUDO_FUNC: imm relative to the slot after the lddw).
void lddw_func(std::vector<Insn>& p, Reg dst, uint32_t target) {
    const auto at = static_cast<int32_t>(p.size());
    p.push_back(LoadImm64{dst, 4, static_cast<int32_t>(target) - at - 1, 0});
    p.push_back(LddwHigh{});
}

// bpf_loop(nr, callback at slot `callback`, NULL, 0): six slots (the lddw takes two).
void call_loop(std::vector<Insn>& p, int64_t nr, uint32_t callback) {
    p.push_back(mov(kR1, nr));
    lddw_func(p, kR2, callback);
    p.push_back(mov(kR3, 0));
    p.push_back(mov(kR4, 0));
    p.push_back(call(kHelperLoop));
}

Insn st_imm(Reg base, int16_t off, uint8_t width, int64_t imm) {
    return Store{base, off, width, Operand::of_imm(imm)};
}

// main: *(u64 *)(r10 - 8) = 0; r0 = bpf_loop(r1 = nr, callback at kCb, &counter, flags);
//       r0 = r0 * 1000 + counter; exit.
// callback kCb: *(u64 *)r2 += index (r1); r0 = index >= stop ? 1 : 0; exit.
constexpr uint32_t kCb = 13;
std::vector<Insn> loop_program(int64_t nr, int64_t stop, int64_t flags = 0) {
    std::vector<Insn> p = {st_imm(kR10, -8, 8, 0), mov(kR1, nr)};
    lddw_func(p, kR2, kCb);
    p.push_back(movr(kR3, kR10));
    p.push_back(addi(kR3, -8));
    p.push_back(mov(kR4, flags));
    p.push_back(call(kHelperLoop));
    p.push_back(ldx(kR6, kR10, -8, 8));
    p.push_back(alu(AluOp::Mul, true, kR0, Operand::of_imm(1000)));
    p.push_back(alu(AluOp::Add, true, kR0, Operand::of_reg(kR6)));
    p.push_back(exit_());
    p.push_back(exit_()); // slot 12: padding so the callback starts at kCb
    REQUIRE(p.size() == kCb);
    p.push_back(ldx(kR3, kR2, 0, 8));
    p.push_back(alu(AluOp::Add, true, kR3, Operand::of_reg(kR1)));
    p.push_back(stx(kR2, 0, 8, kR3));
    p.push_back(mov(kR0, 0));
    p.push_back(Jump{Cond::Lt, false, kR1, Operand::of_imm(stop), kCb + 6});
    p.push_back(mov(kR0, 1));
    p.push_back(exit_());
    return p;
}

struct Engines {
    Fixture f;
    Engines() { install_builtin_helpers(f.helpers); }
};

} // namespace

TEST_CASE("bpf_loop runs the callback with the index and the caller's stack pointer until it returns 1") {
    Engines e;
    // all 5 runs: 0 + 1 + 2 + 3 + 4 = 10
    CHECK(both(e.f.load(loop_program(5, 100), {0, kCb}), {}, e.f.helpers).r0 == 5 * 1000 + 10);
    // stops after index 3 (4 runs): 0 + 1 + 2 + 3 = 6
    CHECK(both(e.f.load(loop_program(10, 3), {0, kCb}), {}, e.f.helpers).r0 == 4 * 1000 + 6);
    // no runs
    CHECK(both(e.f.load(loop_program(0, 3), {0, kCb}), {}, e.f.helpers).r0 == 0);
    // kernel bpf_loop(): flags -> -EINVAL, more than BPF_MAX_LOOPS -> -E2BIG, the callback never runs
    CHECK(both(e.f.load(loop_program(3, 100, 1), {0, kCb}), {}, e.f.helpers).r0 == uint64_t(-22) * 1000);
    CHECK(both(e.f.load(loop_program(int64_t{kMaxLoops} + 1, 100), {0, kCb}), {}, e.f.helpers).r0 ==
          uint64_t(-7) * 1000);
}

TEST_CASE("a tail call inside a callback replaces the callback's frame; its target's r0 is the callback's") {
    Engines e;
    const uint32_t pa = e.f.add_prog_array(1);
    LoadedProgram& target = e.f.load({mov(kR0, 1), exit_()});
    // main: r0 = bpf_loop(10, cb, 0, 0); exit.  cb (slot 7): tail call pa[0]; r0 = 0; exit
    std::vector<Insn> p;
    call_loop(p, 10, 7);
    p.push_back(exit_());
    REQUIRE(p.size() == 7);
    tail_call(p, pa, 0);
    p.push_back(mov(kR0, 0));
    p.push_back(exit_());
    LoadedProgram& main = e.f.load(p, {0, 7});
    e.f.arrays.back()->set(0, &target);
    Outcome o = both(main, {}, e.f.helpers);
    CHECK(o.r0 == 1); // the first run's target returned 1: the loop stopped after one run
    CHECK(o.tail_calls == 1);
    e.f.arrays.back()->set(0, nullptr); // an empty slot falls through: ten runs returning 0
    o = both(main, {}, e.f.helpers);
    CHECK(o.r0 == 10);
    CHECK(o.tail_calls == 0);
}

TEST_CASE("a helper's stop inside a callback ends the whole run") {
    Engines e;
    e.f.helpers.set(kFirstHostHelperId, helper_unwind);
    // main: bpf_loop(3, cb, 0, 0); r0 = 99; exit.  cb (slot 8): r1 = 0; call unwind; r0 = 0; exit
    std::vector<Insn> p;
    call_loop(p, 3, 8);
    p.push_back(mov(kR0, 99));
    p.push_back(exit_());
    REQUIRE(p.size() == 8);
    p.push_back(mov(kR1, 0));
    p.push_back(call(kFirstHostHelperId));
    p.push_back(mov(kR0, 0));
    p.push_back(exit_());
    CHECK(both(e.f.load(p, {0, 8}), {}, e.f.helpers).r0 == 0);
}

TEST_CASE("unverified code: callbacks nested too deep, a callback in checked mode, a bad callback value") {
    Engines e;
    // main: bpf_loop(1, cb, 0, 0); exit.  cb (slot 7): the same again, forever
    std::vector<Insn> p;
    for (int twice = 0; twice < 2; ++twice) {
        call_loop(p, 1, 7);
        p.push_back(exit_());
    }
    REQUIRE(p.size() == 14);
    LoadedProgram& nest = e.f.load(p, {0, 7});
    same_error(e.f, nest, "call-depth-exceeded",
               "program '" + nest.name + "' insn 12: more than 8 call frames");
    Engines c;
    c.f.options.checked = true;
    LoadedProgram& checked = c.f.load(loop_program(5, 100), {0, kCb});
    same_error(c.f, checked, "bad-callback",
               "program '" + checked.name + "' insn 7: checked mode does not run callbacks");
    // The interpreter knows its callback values: anything else is refused (the JIT trusts verified code).
    std::vector<Insn> bogus = {mov(kR1, 1), mov(kR2, 12345),   mov(kR3, 0),
                               mov(kR4, 0), call(kHelperLoop), exit_()};
    ExecEnv env;
    env.helpers = &e.f.helpers;
    auto r = interpret(e.f.load(bogus), env);
    REQUIRE(!r.ok());
    CHECK(r.error().code == "bad-callback");
}

TEST_CASE("bpf_for_each_map_elem walks arrays and hashes; the callback may delete the element it visits") {
    for (Engine engine : {Engine::Jit, Engine::Interp}) {
        CAPTURE(engine_name(engine));
        Engines e;
        MapDef def;
        def.name = "h";
        def.type = MapType::Hash;
        def.key_size = 4;
        def.value_size = 8;
        def.max_entries = 8;
        auto hash = Map::create(def);
        REQUIRE(hash.ok());
        Map& m = **hash;
        for (uint32_t k : {3u, 5u, 7u}) {
            const uint64_t v = k * 10;
            REQUIRE(m.update(&k, &v, kBpfAny) == 0);
        }
        e.f.maps.push_back(m.entry());
        // main: *(u64 *)(r10 - 8) = 0; r0 = for_each(map 0, cb, &sum, 0); r0 = r0 * 1000 + sum; exit
        // cb (slot 14): *(u64 *)r4 += *(u32 *)r2 + *(u64 *)r3; bpf_map_delete_elem(r1, r2); r0 = 0; exit
        std::vector<Insn> p = {st_imm(kR10, -8, 8, 0)};
        lddw(p, kR1, 0, 1);
        lddw_func(p, kR2, 14);
        p.push_back(movr(kR3, kR10));
        p.push_back(addi(kR3, -8));
        p.push_back(mov(kR4, 0));
        p.push_back(call(kHelperForEachMapElem));
        p.push_back(ldx(kR6, kR10, -8, 8));
        p.push_back(alu(AluOp::Mul, true, kR0, Operand::of_imm(1000)));
        p.push_back(alu(AluOp::Add, true, kR0, Operand::of_reg(kR6)));
        p.push_back(exit_());
        p.push_back(exit_()); // padding
        REQUIRE(p.size() == 14);
        p.push_back(ldx(kR5, kR2, 0, 4));
        p.push_back(ldx(kR0, kR3, 0, 8));
        p.push_back(alu(AluOp::Add, true, kR5, Operand::of_reg(kR0)));
        p.push_back(ldx(kR0, kR4, 0, 8));
        p.push_back(alu(AluOp::Add, true, kR0, Operand::of_reg(kR5)));
        p.push_back(stx(kR4, 0, 8, kR0));
        p.push_back(call(3)); // bpf_map_delete_elem(map, key)
        p.push_back(mov(kR0, 0));
        p.push_back(exit_());
        LoadedProgram& prog = e.f.load(p, {0, 14});
        Outcome o =
            engine == Engine::Jit ? run_jit(prog, {}, e.f.helpers) : run_interp(prog, {}, e.f.helpers);
        CHECK(o.r0 == 3 * 1000 + (3 + 30) + (5 + 50) + (7 + 70));
        CHECK(m.size() == 0);
        // an empty hash: nothing visited
        o = engine == Engine::Jit ? run_jit(prog, {}, e.f.helpers) : run_interp(prog, {}, e.f.helpers);
        CHECK(o.r0 == 0);
    }
}
