// Shared by tests/jit_test.cpp and tests/jit_tail_call_test.cpp: program builders, a fixture that JIT-
// compiles programs against one map table, and runners for both engines.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/interpreter.hpp"
#include "runtime/jit_x86_64.hpp"

namespace tailgate::jit_testing {

using namespace tailgate::rt;

// --- tiny program builders ---------------------------------------------------------------------------------
inline Insn alu(AluOp op, bool is64, Reg d, Operand s) {
    return Alu{op, is64, d, s};
}
inline Insn mov(Reg d, int64_t imm) {
    return Alu{AluOp::Mov, true, d, Operand::of_imm(imm)};
}
inline Insn movr(Reg d, Reg s) {
    return Alu{AluOp::Mov, true, d, Operand::of_reg(s)};
}
inline Insn addi(Reg d, int64_t imm) {
    return Alu{AluOp::Add, true, d, Operand::of_imm(imm)};
}
inline Insn exit_() {
    return Exit{};
}
inline Insn ldx(Reg d, Reg b, int16_t off, uint8_t w, bool sx = false) {
    return Load{d, b, off, w, sx};
}
inline Insn stx(Reg b, int16_t off, uint8_t w, Reg v) {
    return Store{b, off, w, Operand::of_reg(v)};
}
inline Insn call(int32_t id) {
    return Call{id};
}
inline void lddw(std::vector<Insn>& p, Reg d, uint64_t v, uint8_t pseudo = 0) {
    p.push_back(LoadImm64{d, pseudo, static_cast<int32_t>(v), static_cast<int32_t>(v >> 32)});
    p.push_back(LddwHigh{});
}

struct Fixture {
    HelperTable helpers;
    JitOptions options; // how load() compiles (checked mode for unverified-code tests)
    MapTable maps;
    std::vector<std::unique_ptr<ProgArray>> arrays;
    std::vector<std::unique_ptr<LoadedProgram>> progs;

    LoadedProgram& load(std::vector<Insn> insns, std::vector<uint32_t> funcs = {0},
                        ProgType type = ProgType::Unspec) {
        auto p = std::make_unique<LoadedProgram>();
        p->type = type; // baked into the tail-call sequence: set before compiling
        p->name = "p" + std::to_string(progs.size());
        p->insns = std::move(insns);
        p->function_starts = std::move(funcs);
        p->maps = &maps;
        Status st = jit_compile(*p, helpers, options);
        REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
        progs.push_back(std::move(p));
        return *progs.back();
    }
    // Adds a prog array as map index maps.size(); maps must not grow after programs are loaded.
    uint32_t add_prog_array(uint32_t n) {
        arrays.push_back(std::make_unique<ProgArray>(n));
        maps.push_back(MapEntry{nullptr, arrays.back().get(), nullptr});
        return static_cast<uint32_t>(maps.size() - 1);
    }
};

struct Outcome {
    uint64_t r0 = 0;
    std::vector<uint8_t> mem;
    uint32_t tail_calls = 0;
};

inline Outcome run_jit(const LoadedProgram& p, std::vector<uint8_t> mem, const HelperTable& h,
                       void* host = nullptr) {
    ExecEnv env;
    env.args[0] = reinterpret_cast<uint64_t>(mem.data());
    env.args[1] = mem.size();
    env.helpers = &h;
    env.host = host;
    Outcome o;
    auto r = jit_execute(p, env);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    o.r0 = *r;
    o.tail_calls = env.tail_call_cnt;
    o.mem = std::move(mem);
    return o;
}

inline Outcome run_interp(const LoadedProgram& p, std::vector<uint8_t> mem, const HelperTable& h,
                          void* host = nullptr) {
    ExecEnv env;
    env.args[0] = reinterpret_cast<uint64_t>(mem.data());
    env.args[1] = mem.size();
    env.helpers = &h;
    env.host = host;
    auto r = interpret(p, env);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    Outcome o;
    o.r0 = *r;
    o.tail_calls = env.tail_call_cnt;
    o.mem = std::move(mem);
    return o;
}

// Runs on both engines; requires equal r0, memory and tail-call count; returns the JIT's outcome.
inline Outcome both(const LoadedProgram& p, std::vector<uint8_t> mem, const HelperTable& h,
                    void* host = nullptr) {
    Outcome j = run_jit(p, mem, h, host);
    Outcome i = run_interp(p, mem, h, host);
    CHECK(j.r0 == i.r0);
    CHECK(j.mem == i.mem);
    if (j.mem != i.mem)
        for (size_t k = 0; k + 8 <= j.mem.size(); k += 8) {
            uint64_t a, b;
            std::memcpy(&a, j.mem.data() + k, 8);
            std::memcpy(&b, i.mem.data() + k, 8);
            if (a != b) MESSAGE("mem[" << k << "]: jit " << std::hex << a << " interp " << b);
        }
    CHECK(j.tail_calls == i.tail_calls);
    return j;
}

// The same error (code and message) on both engines (checked: as the fixture compiled p).
inline void same_error(const Fixture& f, const LoadedProgram& p, const char* code,
                       const std::string& message) {
    ExecEnv e1, e2;
    e1.helpers = e2.helpers = &f.helpers;
    InterpOptions o;
    o.checked = f.options.checked;
    auto j = jit_execute(p, e1);
    auto i = interpret(p, e2, o);
    REQUIRE(!j.ok());
    REQUIRE(!i.ok());
    CHECK(j.error().code == code);
    CHECK(i.error().code == code);
    CHECK(j.error().message == message);
    CHECK(i.error().message == message);
}

// Test helpers: a weighted sum of the arguments; "unwind" (helper 5 of the conformance suite); and one that
// records its frame address in the std::vector<uintptr_t> at env->host.
inline uint64_t helper_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ExecEnv*) {
    return a + 2 * b + 3 * c + 4 * d + 5 * e;
}
inline uint64_t helper_unwind(uint64_t a, uint64_t, uint64_t, uint64_t, uint64_t, ExecEnv* env) {
    if (a == 0) {
        env->stop = 1;
        env->stop_value = 0;
    }
    return a;
}
inline uint64_t helper_sp(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, ExecEnv* env) {
    auto* v = static_cast<std::vector<uintptr_t>*>(env->host);
    v->push_back(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
    return 0;
}

// r2 = map (lddw pseudo 1), r3 = index, call 12
inline void tail_call(std::vector<Insn>& p, uint32_t map, uint64_t index) {
    lddw(p, kR3, index);
    p.push_back(LoadImm64{kR2, 1, static_cast<int32_t>(map), 0});
    p.push_back(LddwHigh{});
    p.push_back(call(kHelperTailCall));
}

} // namespace tailgate::jit_testing
