// The interpreter (runtime/interpreter.hpp) and the vm.hpp contract it shares with the JIT: tail calls with
// the kernel's semantics, bpf2bpf frames, helpers, lddw map resolution, LD_ABS/LD_IND, checked mode.
// Tests of shared semantics run on both engines, so the JIT is held to the same expectations.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "runtime/conformance_run.hpp"
#include "runtime/interpreter.hpp"
#include "runtime/jit_x86_64.hpp"
#include "verifier/assembler.hpp"
#include "verifier/ctx_conversion.hpp"
#include "verifier/ctx_layout.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

// Assemble; `lddw %rX, 0xfeed0000000N` becomes a map reference (pseudo 1) to map N, and
// `lddw %rX, 0xfeee0000000N` a map value reference (pseudo 2, offset 0) to map N.
LoadedProgram make_prog(const std::string& name, const std::string& text, const MapTable* maps) {
    auto code = assemble(text);
    REQUIRE_MESSAGE(code.ok(), code.error().message);
    for (size_t i = 0; i + 1 < code->size(); ++i) {
        RawInsn& lo = (*code)[i];
        RawInsn& hi = (*code)[i + 1];
        if (lo.opcode != 0x18) continue;
        if (hi.imm == 0xfeed || hi.imm == 0xfeee) {
            lo.src = hi.imm == 0xfeed ? 1 : 2;
            hi.imm = 0;
        }
        ++i;
    }
    auto p = load_raw_program(*code, name);
    REQUIRE_MESSAGE(p.ok(), p.error().message);
    p->maps = maps;
    return std::move(p).value();
}

uint64_t count_helper(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, ExecEnv* env) {
    ++*static_cast<uint64_t*>(env->host);
    return 0;
}

uint64_t add_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, ExecEnv*) {
    return a + b + c + d + e;
}

struct Fixture {
    HelperTable helpers;
    std::deque<LoadedProgram> progs; // stable addresses
    MapTable maps;
    ProgArray pa{4};
    uint64_t counter = 0;

    Fixture() {
        helpers.set(100, &count_helper);
        helpers.set(101, &add_helper);
        maps.push_back(MapEntry{nullptr, &pa, nullptr});
    }
    LoadedProgram& add(const std::string& name, const std::string& text) {
        progs.push_back(make_prog(name, text, &maps));
        return progs.back();
    }
    // Compile every program for the JIT (no-op for the interpreter).
    void prepare(Engine e, const JitOptions& options = {}) {
        if (e != Engine::Jit) return;
        for (LoadedProgram& p : progs) {
            auto st = jit_compile(p, helpers, options);
            REQUIRE_MESSAGE(st.ok(), st.error().message);
        }
    }
    Result<uint64_t> run(Engine e, const LoadedProgram& p, ExecEnv& env) {
        env.helpers = &helpers;
        env.host = &counter;
        if (e == Engine::Jit) return jit_execute(p, env);
        return interpret(p, env);
    }
};

const Engine kEngines[] = {Engine::Interp, Engine::Jit};

} // namespace

TEST_CASE("a self-tail-calling program makes exactly 33 tail calls") {
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        LoadedProgram& self = f.add("self", R"(
            mov %r6, %r1
            call 100
            mov %r1, %r6
            lddw %r2, 0xfeed00000000
            mov %r3, 0
            call 12
            mov %r0, 7
            exit)");
        f.prepare(e);
        f.pa.set(0, &self);
        ExecEnv env;
        auto r = f.run(e, self, env);
        REQUIRE(r.ok());
        CHECK(*r == 7);
        CHECK(f.counter == 34); // the entry program + 33 tail calls
        CHECK(env.tail_call_cnt == 33);
    }
}

TEST_CASE("tail-call index is a u32 checked against max_entries; empty slots fall through uncounted") {
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        LoadedProgram& target = f.add("target", "mov %r0, 42\nexit\n");
        auto caller = [&](const std::string& index) -> LoadedProgram& {
            return f.add("caller_" + index,
                         "lddw %r2, 0xfeed00000000\nlddw %r3, " + index + "\ncall 12\nmov %r0, 1\nexit\n");
        };
        LoadedProgram& c256 = caller("256");
        LoadedProgram& cneg = caller("-1");
        LoadedProgram& cbig = caller("0x100000000");
        LoadedProgram& c4 = caller("4");
        LoadedProgram& cempty = caller("2");
        f.prepare(e);
        f.pa.set(0, &target);
        struct Case {
            LoadedProgram* p;
            uint64_t r0;
            uint32_t count;
        } cases[] = {{&c256, 1, 0}, {&cneg, 1, 0}, {&cbig, 42, 1}, {&c4, 1, 0}, {&cempty, 1, 0}};
        for (const Case& c : cases) {
            CAPTURE(c.p->name);
            ExecEnv env;
            auto r = f.run(e, *c.p, env);
            REQUIRE(r.ok());
            CHECK(*r == c.r0);
            CHECK(env.tail_call_cnt == c.count);
        }
    }
}

TEST_CASE("a tail call from a subprogram returns the target's r0 to the subprogram's caller") {
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        LoadedProgram& target = f.add("target", "mov %r7, 1000\nmov %r0, 42\nexit\n");
        LoadedProgram& main = f.add("main", R"(
            mov %r6, %r1
            mov %r7, 5
            stdw [%r10-8], 9
            call local sub
            add %r0, %r7
            ldxdw %r1, [%r10-8]
            add %r0, %r1
            exit
            sub:
            mov %r7, 100
            stdw [%r10-8], 77
            lddw %r2, 0xfeed00000000
            mov %r3, 0
            call 12
            mov %r0, 1
            exit)");
        f.prepare(e);
        f.pa.set(0, &target);
        ExecEnv env;
        auto r = f.run(e, main, env);
        REQUIRE(r.ok());
        CHECK(*r == 42 + 5 + 9); // r7 and the caller's stack survive; the target's r0 comes back
        CHECK(env.tail_call_cnt == 1);
    }
}

TEST_CASE("the tail-call counter is shared by subprogram tail calls of one chain") {
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        // Each run of `prog` calls sub, which tail-calls prog again: the chain ends after 33 tail calls.
        LoadedProgram& prog = f.add("prog", R"(
            call 100
            call local sub
            exit
            sub:
            lddw %r2, 0xfeed00000000
            mov %r3, 0
            call 12
            mov %r0, 3
            exit)");
        f.prepare(e);
        f.pa.set(0, &prog);
        ExecEnv env;
        auto r = f.run(e, prog, env);
        REQUIRE(r.ok());
        CHECK(*r == 3);
        CHECK(f.counter == 34);
        CHECK(env.tail_call_cnt == 33);
    }
}

TEST_CASE("bpf2bpf calls: arguments, r6-r9 preserved, separate 512-byte frames, helpers") {
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        LoadedProgram& p = f.add("p", R"(
            mov %r6, 6
            mov %r9, 9
            stdw [%r10-512], 11
            mov %r1, 1
            mov %r2, 2
            call local f1
            jne %r6, 6, bad
            jne %r9, 9, bad
            ldxdw %r1, [%r10-512]
            jne %r1, 11, bad
            exit
            bad:
            mov %r0, -1
            exit
            f1:
            mov %r6, 60
            stdw [%r10-512], 22
            mov %r3, 3
            mov %r4, 4
            mov %r5, 5
            call 101
            exit)");
        f.prepare(e);
        ExecEnv env;
        auto r = f.run(e, p, env);
        REQUIRE(r.ok());
        CHECK(*r == 15);
    }
}

TEST_CASE("interpreter: eight frames are allowed, a ninth fails cleanly") {
    Fixture f;
    auto chain = [](int calls) {
        std::string s;
        for (int i = 0; i < calls; ++i)
            s += "call local f" + std::to_string(i) + "\nexit\nf" + std::to_string(i) + ":\n";
        return s + "mov %r0, 8\nexit\n";
    };
    ExecEnv env;
    auto ok = f.run(Engine::Interp, f.add("seven", chain(7)), env);
    REQUIRE(ok.ok());
    CHECK(*ok == 8);
    auto bad = f.run(Engine::Interp, f.add("eight", chain(8)), env);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "call-depth-exceeded");
}

TEST_CASE("lddw map value reference and an unknown helper") {
    Fixture f;
    uint8_t value[16] = {};
    f.maps.push_back(MapEntry{nullptr, nullptr, value});
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        std::memset(value, 0, sizeof value);
        value[8] = 5;
        LoadedProgram& p = f.add("v", "lddw %r1, 0xfeee00000001\nldxdw %r0, [%r1+8]\nstdw [%r1], 3\nexit\n");
        f.prepare(e);
        ExecEnv env;
        auto r = f.run(e, p, env);
        REQUIRE(r.ok());
        CHECK(*r == 5);
        CHECK(value[0] == 3);
    }
    ExecEnv env;
    auto r = f.run(Engine::Interp, f.add("u", "call 999\nexit\n"), env);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unknown-helper");
}

TEST_CASE("LD_ABS / LD_IND read the packet in network order; out of bounds ends the program with 0") {
    const uint8_t packet[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0xaa, 0xbb};
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        LoadedProgram& abs = f.add("abs", "ldabsh 12\nexit\n");
        LoadedProgram& ind = f.add("ind", "mov %r6, %r1\nmov %r2, 10\nldindw %r2, 2\nexit\n");
        LoadedProgram& oob = f.add("oob", "mov %r0, 5\nldabsw 13\nmov %r0, 6\nexit\n");
        LoadedProgram& neg = f.add("neg", "mov %r0, 5\nmov %r2, -20\nldindb %r2, 2\nmov %r0, 6\nexit\n");
        f.prepare(e);
        auto run = [&](const LoadedProgram& p) {
            ExecEnv env;
            env.packet = packet;
            env.packet_len = sizeof packet;
            auto r = f.run(e, p, env);
            REQUIRE(r.ok());
            return *r;
        };
        CHECK(run(abs) == 0x0800);
        CHECK(run(ind) == 0x0800aabbu);
        CHECK(run(oob) == 0);
        CHECK(run(neg) == 0);
    }
}

TEST_CASE("interpreter checked mode: read-only regions, foreign tail-call maps, instruction limit") {
    Fixture f;
    uint8_t ro[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    MemRegion region{ro, sizeof ro, false};
    InterpOptions checked;
    checked.checked = true;
    ExecEnv env;
    env.helpers = &f.helpers;
    env.regions = &region;
    env.num_regions = 1;
    env.args[0] = reinterpret_cast<uint64_t>(ro);

    auto rd = interpret(f.add("rd", "ldxb %r0, [%r1]\nexit\n"), env, checked);
    REQUIRE(rd.ok());
    CHECK(*rd == 1);
    auto wr = interpret(f.add("wr", "stb [%r1], 2\nexit\n"), env, checked);
    REQUIRE_FALSE(wr.ok());
    CHECK(wr.error().code == "out-of-bounds-access");
    CHECK(ro[0] == 1);
    auto tc = interpret(f.add("tc", "mov %r2, %r10\nmov %r3, 0\ncall 12\nexit\n"), env, checked);
    REQUIRE_FALSE(tc.ok());
    CHECK(tc.error().code == "bad-tail-call-map");
    checked.max_insns = 1000;
    auto loop = interpret(f.add("loop", "ja -1\nexit\n"), env, checked);
    REQUIRE_FALSE(loop.ok());
    CHECK(loop.error().code == "insn-limit");
}

TEST_CASE("checked mode: a cross-type tail call's converted ctx is readable, not writable") {
    // entry (kprobe, ctx = regs in a region) tail-calls slot 0, a generic_probe program that reads its
    // converted ctx: args[0] + probe_id * 1000.
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        const CtxConversion* conv = find_ctx_conversion(ProgType::Kprobe, ProgType::GenericProbe);
        REQUIRE(conv != nullptr);
        std::vector<uint8_t> regs(kPtRegsSize, 0);
        const uint64_t arg0 = 0x1234;
        std::memcpy(regs.data() + conv->copies[0].src_offset, &arg0, sizeof arg0);
        MemRegion region{regs.data(), regs.size(), true};
        InterpOptions checked;
        checked.checked = true;
        const std::string entry_text = "lddw %r2, 0xfeed00000000\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit\n";
        LoadedProgram& entry = f.add("entry", entry_text);
        entry.type = ProgType::Kprobe;
        LoadedProgram& reader =
            f.add("reader", "ldxdw %r0, [%r1+" + std::to_string(kGenericProbeIdOffset) +
                                "]\nmul %r0, 1000\nldxdw %r2, [%r1]\nadd %r0, %r2\nexit\n");
        reader.type = ProgType::GenericProbe;
        LoadedProgram& writer = f.add("writer", "stdw [%r1], 7\nmov %r0, 3\nexit\n");
        writer.type = ProgType::GenericProbe;
        JitOptions jit_checked;
        jit_checked.checked = true;
        f.prepare(e, jit_checked);
        auto run = [&](const LoadedProgram& target) {
            f.pa.set(0, &target);
            ExecEnv env;
            env.helpers = &f.helpers;
            env.regions = &region;
            env.num_regions = 1;
            env.args[0] = reinterpret_cast<uint64_t>(regs.data());
            return e == Engine::Jit ? jit_execute(entry, env) : interpret(entry, env, checked);
        };
        auto r = run(reader);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        CHECK(*r == uint64_t(ProgType::Kprobe) * 1000 + arg0);
        auto w = run(writer);
        REQUIRE_FALSE(w.ok());
        CHECK(w.error().code == "out-of-bounds-access");
        CHECK(w.error().message == "program 'writer' insn 0: store of 8 bytes");
    }
}

TEST_CASE("prog-array updates from another thread: a run sees the old or the new program") {
    for (Engine e : kEngines) {
        CAPTURE(std::string(engine_name(e)));
        Fixture f;
        LoadedProgram& a = f.add("a", "mov %r0, 1\nexit\n");
        LoadedProgram& b = f.add("b", "mov %r0, 2\nexit\n");
        LoadedProgram& entry =
            f.add("entry", "lddw %r2, 0xfeed00000000\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit\n");
        f.prepare(e);
        f.pa.set(0, &a);
        std::atomic<bool> done{false};
        std::thread flipper([&] {
            for (int i = 0; i < 20000; ++i) f.pa.set(0, (i & 1) ? &a : &b);
            done = true;
        });
        bool all_valid = true;
        int runs = 0;
        while (!done || runs < 1000) {
            ExecEnv env;
            auto r = f.run(e, entry, env);
            all_valid = all_valid && r.ok() && (*r == 1 || *r == 2);
            ++runs;
        }
        flipper.join();
        CHECK(all_valid);
    }
}

TEST_CASE("ALU corner cases of RFC 9669 on both engines") {
    struct Case {
        const char* text;
        uint64_t r0;
    } cases[] = {
        {"lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", 0x8000000000000000ull},
        {"lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", 0},
        {"mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", 0x80000000ull},
        {"mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit", 7},
        {"lddw %r0, 0xffffffff00000007\nmov %r1, 0\nmod32 %r0, %r1\nexit", 7},
        {"mov %r0, -7\nsmod %r0, 2\nexit", static_cast<uint64_t>(-1)},
        {"mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit", 2},
        {"mov32 %r0, 1\nmov %r1, 33\nlsh32 %r0, %r1\nexit", 2},
        {"mov32 %r0, 0x80000000\narsh32 %r0, 4\nexit", 0xf8000000ull},
        {"mov %r0, 0x1234\nbe16 %r0\nexit", 0x3412},
        {"lddw %r0, 0x1122334455667788\nle32 %r0\nexit", 0x55667788},
        {"mov %r1, -1\nmovsx832 %r0, %r1\nexit", 0xffffffffull},
        {"stw [%r10-4], -2\nldxsw %r0, [%r10-4]\nexit", static_cast<uint64_t>(-2)},
        {"stdw [%r10-8], 5\nmov %r1, 3\nlock fetch add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor "
         "%r0, %r1\nexit",
         0x805},
        {"stdw [%r10-8], 5\nmov %r0, 5\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r1, [%r10-8]\nlsh "
         "%r1, 8\nor %r0, %r1\nexit",
         0x905},
    };
    for (Engine e : kEngines) {
        for (const Case& c : cases) {
            CAPTURE(std::string(engine_name(e)));
            CAPTURE(std::string(c.text));
            auto code = assemble(c.text);
            REQUIRE(code.ok());
            std::vector<uint8_t> mem;
            auto r = run_conformance_program(*code, mem, e);
            REQUIRE(r.ok());
            CHECK(*r == c.r0);
        }
    }
}
