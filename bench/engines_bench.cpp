// Prints ns/run of the interpreter and the JIT on a few programs (never run by the tests):
//   alu_loop     1000 iterations of mixed 64/32-bit ALU work with a conditional back edge
//   mem_atomic   stack and memory loads/stores plus lock-prefixed atomics, 256 iterations
//   bpf2bpf      200 bpf2bpf calls (a new 512-byte frame each)
//   tail_chain   a self-tail-calling program: the entry plus 33 tail calls
//   corpus       with TAILGATE_CORPUS_DIR set: proto_dispatch.o's xdp entry on a TCP packet (Runtime API)
// Usage: engines_bench [runs]   (default 20000)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/interpreter.hpp"
#include "runtime/jit_x86_64.hpp"
#include "runtime/runtime.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

Insn alu(AluOp op, bool is64, Reg d, Operand s) {
    return Alu{op, is64, d, s};
}
Insn movi(Reg d, int64_t v) {
    return Alu{AluOp::Mov, true, d, Operand::of_imm(v)};
}
Insn movr(Reg d, Reg s) {
    return Alu{AluOp::Mov, true, d, Operand::of_reg(s)};
}

std::vector<Insn> alu_loop() {
    return {movi(kR0, 1),
            movi(kR2, 1000),
            movi(kR3, 7),
            alu(AluOp::Mul, true, kR0, Operand::of_imm(31)), // 3: loop
            alu(AluOp::Xor, true, kR0, Operand::of_reg(kR2)),
            alu(AluOp::Add, false, kR3, Operand::of_reg(kR0)),
            alu(AluOp::Rsh, true, kR3, Operand::of_imm(3)),
            alu(AluOp::Mod, true, kR0, Operand::of_imm(1000003)),
            alu(AluOp::Add, true, kR0, Operand::of_reg(kR3)),
            alu(AluOp::Sub, true, kR2, Operand::of_imm(1)),
            Jump{Cond::Ne, false, kR2, Operand::of_imm(0), 3},
            Exit{}};
}

std::vector<Insn> mem_atomic() {
    return {movi(kR2, 256),
            movi(kR0, 0),
            Load{kR3, kR1, 0, 8, false}, // 2: loop
            alu(AluOp::Add, true, kR3, Operand::of_reg(kR2)),
            Store{kR10, -8, 8, Operand::of_reg(kR3)},
            Load{kR4, kR10, -8, 4, true},
            Store{kR1, 8, 4, Operand::of_reg(kR4)},
            Atomic{AtomicOp::Add, false, 8, kR1, 16, kR2},
            Atomic{AtomicOp::Add, true, 8, kR1, 24, kR3},
            alu(AluOp::Add, true, kR0, Operand::of_reg(kR3)),
            alu(AluOp::Sub, true, kR2, Operand::of_imm(1)),
            Jump{Cond::Ne, false, kR2, Operand::of_imm(0), 2},
            Exit{}};
}

std::vector<Insn> bpf2bpf() {
    return {movi(kR6, 200),
            movi(kR7, 0),
            CallLocal{8}, // 2: loop
            alu(AluOp::Add, true, kR7, Operand::of_reg(kR0)),
            alu(AluOp::Sub, true, kR6, Operand::of_imm(1)),
            Jump{Cond::Ne, false, kR6, Operand::of_imm(0), 2},
            movr(kR0, kR7),
            Exit{},
            Store{kR10, -8, 8, Operand::of_reg(kR6)},
            Load{kR0, kR10, -8, 8, false},
            Exit{}}; // 8: sub
}

template <class F> double ns_per(F&& f, uint64_t runs) {
    auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < runs; ++i) f();
    auto t1 = std::chrono::steady_clock::now();
    return double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) / double(runs);
}

void report(const char* name, double interp, double jit) {
    std::printf("%-12s interp %10.1f ns/run   jit %10.1f ns/run   speed-up %5.1fx\n", name, interp, jit,
                jit > 0 ? interp / jit : 0.0);
}

} // namespace

int main(int argc, char** argv) {
    const uint64_t runs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
    HelperTable helpers;
    MapTable maps;
    ProgArray pa(1);
    maps.push_back(MapEntry{nullptr, &pa, nullptr});
    std::vector<uint8_t> mem(64);
    struct Case {
        const char* name;
        std::vector<Insn> insns;
        std::vector<uint32_t> funcs;
    };
    std::vector<Insn> chain = {LoadImm64{kR2, 1, 0, 0}, LddwHigh{},   movi(kR3, 0),
                               Call{kHelperTailCall},   movi(kR0, 1), Exit{}};
    std::vector<Case> cases = {{"alu_loop", alu_loop(), {0}},
                               {"mem_atomic", mem_atomic(), {0}},
                               {"bpf2bpf", bpf2bpf(), {0, 8}},
                               {"tail_chain", chain, {0}}};
    for (Case& c : cases) {
        LoadedProgram p;
        p.name = c.name;
        p.insns = c.insns;
        p.function_starts = c.funcs;
        p.maps = &maps;
        if (auto st = jit_compile(p, helpers); !st) {
            std::fprintf(stderr, "%s: %s\n", c.name, st.error().message.c_str());
            return 1;
        }
        pa.set(0, std::string(c.name) == "tail_chain" ? &p : nullptr);
        ExecEnv env;
        env.args[0] = reinterpret_cast<uint64_t>(mem.data());
        env.helpers = &helpers;
        const double ti = ns_per([&] { (void)interpret(p, env); }, runs);
        const double tj = ns_per([&] { (void)jit_execute(p, env); }, runs);
        report(c.name, ti, tj);
        pa.set(0, nullptr);
    }
    if (const char* dir = std::getenv("TAILGATE_CORPUS_DIR")) {
        auto obj = load_object(std::string(dir) + "/proto_dispatch.o");
        if (!obj) {
            std::fprintf(stderr, "corpus: %s\n", obj.error().message.c_str());
            return 0;
        }
        // Ethernet + IPv4 + TCP, 54 bytes
        std::vector<uint8_t> pkt = {0,    0, 0,  0,  0,    2,    0,    0,    0,  0,  0, 1, 0x08, 0x00,
                                    0x45, 0, 0,  40, 0,    0,    0,    0,    64, 6,  0, 0, 10,   0,
                                    0,    1, 10, 0,  0,    2,    0x30, 0x39, 0,  80, 0, 0, 0,    0,
                                    0,    0, 0,  0,  0x50, 0x02, 0x20, 0,    0,  0,  0, 0};
        double t[2] = {0, 0};
        for (Engine e : {Engine::Interp, Engine::Jit}) {
            RuntimeOptions ro;
            ro.trace_out = nullptr;
            Runtime rt(ro);
            if (auto st = rt.load(*obj); !st) return 0;
            const Program& entry = obj->programs.front();
            RunRequest req;
            req.program = entry.name;
            req.engine = e;
            req.input.packet = pkt;
            req.repeat = runs;
            auto r = rt.run(req);
            if (!r) {
                std::fprintf(stderr, "corpus %s: %s\n", entry.name.c_str(), r.error().message.c_str());
                return 0;
            }
            t[e == Engine::Jit] = r->ns_per_run;
        }
        report("corpus", t[0], t[1]);
    }
    return 0;
}
