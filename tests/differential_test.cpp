// Differential test: the interpreter and the JIT run the same programs on the same inputs and must agree on
// r0 and on memory.
//  1. the bpf_conformance programs (TAILGATE_CONFORMANCE_DIR): r0 and the test memory after the run;
//  2. the corpus (TAILGATE_CORPUS_DIR): every program the verifier accepts, on every corpus packet (packet
//     types) or a few argument vectors, with the prog arrays of every `run` expectation: r0, tail calls,
//     the packet, redirect/perf records, trace output and the contents of every map after the run;
//  3. random straight-line ALU/jump/memory/atomic programs from a fixed seed: r0, all registers and memory.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/conformance_run.hpp"
#include "runtime/interpreter.hpp"
#include "runtime/jit_x86_64.hpp"
#include "runtime/runtime.hpp"
#include "tests/corpus_expect.hpp"
#include "verifier/assembler.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string hex(uint64_t v) {
    std::ostringstream os;
    os << "0x" << std::hex << v;
    return os.str();
}

} // namespace

// ---- 1. conformance programs
// -------------------------------------------------------------------------------

TEST_CASE("differential: conformance programs, r0 and memory") {
    const std::filesystem::path dir = env_or("TAILGATE_CONFORMANCE_DIR", "../shared/conformance");
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".data") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() == 313);
    size_t compared = 0;
    for (const auto& file : files) {
        auto c = parse_conformance(read_file(file));
        if (!c || !c->unknown_sections.empty() || c->error) continue;
        auto code = conformance_program(*c);
        if (!code) continue;
        std::vector<uint8_t> mem_i = c->mem, mem_j = c->mem;
        auto ri = run_conformance_program(*code, mem_i, Engine::Interp);
        auto rj = run_conformance_program(*code, mem_j, Engine::Jit);
        INFO(file.filename().string());
        REQUIRE(ri.ok() == rj.ok());
        if (ri.ok()) {
            CHECK(hex(*ri) == hex(*rj));
            CHECK(mem_i == mem_j);
            ++compared;
        }
    }
    CHECK(compared >= 300);
}

// ---- 2. corpus programs
// ------------------------------------------------------------------------------------

namespace {

struct Snapshot {
    bool ok = false;
    std::string error;
    uint64_t ret = 0;
    uint32_t tail_calls = 0;
    std::vector<uint8_t> packet;
    std::string redirect;
    std::vector<std::string> perf;
    std::string trace;
    std::vector<std::string> maps; // "name: key=value ..." for every iterable map
};

std::string bytes_hex(const uint8_t* p, size_t n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

std::string dump_map(Map& m) {
    const MapDef& def = m.def();
    switch (def.type) {
    case MapType::Array:
    case MapType::PercpuArray:
    case MapType::Hash:
    case MapType::PercpuHash:
    case MapType::LruHash:
    case MapType::LruPercpuHash: break;
    default: return def.name + ": (not compared)";
    }
    std::string out = def.name + ":";
    std::vector<uint8_t> key(def.key_size), next(def.key_size), value(def.value_size);
    const void* cur = nullptr;
    for (uint32_t guard = 0; guard < 1u << 20 && m.get_next_key(cur, next.data()) == 0; ++guard) {
        key = next;
        cur = key.data();
        if (m.lookup_copy(key.data(), value.data()) == 0)
            out += " " + bytes_hex(key.data(), key.size()) + "=" + bytes_hex(value.data(), value.size());
    }
    return out;
}

Snapshot run_corpus(const Object& obj, const std::vector<ProgArrayAssignment>& slots,
                    const std::string& program, const ContextInput& input, Engine engine) {
    Snapshot s;
    RuntimeOptions ro;
    ro.trace_out = nullptr;
    Runtime rt(ro);
    // An assignment without a program empties the slot after load (corpus/README.md, run prog_array=).
    std::vector<ProgArrayAssignment> fills, deletions;
    for (const auto& a : slots) (a.program.empty() ? deletions : fills).push_back(a);
    auto st = rt.load(obj, fills);
    for (const auto& d : deletions)
        if (st) st = rt.set_prog_slot(d.map, d.index, "");
    if (!st) {
        s.error = "load: " + st.error().code;
        return s;
    }
    RunRequest req;
    req.program = program;
    req.engine = engine;
    req.input = input;
    auto r = rt.run(req);
    if (!r) {
        s.error = "run: " + r.error().code;
        return s;
    }
    s.ok = true;
    s.ret = r->ret;
    s.tail_calls = r->tail_calls;
    s.packet = r->packet;
    if (r->redirect)
        s.redirect = std::to_string(r->redirect->helper) + "/" + std::to_string(r->redirect->target) + "/" +
                     r->redirect->map;
    for (const auto& p : r->perf)
        s.perf.push_back(p.map + "/" + std::to_string(p.index) + "/" +
                         bytes_hex(p.data.data(), p.data.size()));
    s.trace = rt.host().trace_log;
    for (const MapDef& def : obj.maps)
        if (Map* m = rt.map(def.name)) s.maps.push_back(dump_map(*m));
    return s;
}

std::optional<ProgArrayAssignment> parse_slot(const std::string& s) {
    auto colon = s.rfind(':');
    auto eq = s.find('=', colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || eq == std::string::npos) return std::nullopt;
    return ProgArrayAssignment{
        s.substr(0, colon),
        static_cast<uint32_t>(std::stoul(s.substr(colon + 1, eq - colon - 1), nullptr, 0)), s.substr(eq + 1)};
}

} // namespace

TEST_CASE("differential: corpus programs on every packet / argument vector, r0, packet, maps, records") {
    const std::string source_dir = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus";
    const std::string object_dir = env_or("TAILGATE_CORPUS_DIR", "corpus");
    auto files = corpus::load_corpus_expectations(source_dir);
    REQUIRE(!files.empty());
    std::vector<std::vector<uint8_t>> packets;
    for (const char* name : {"arp", "icmp4", "tcp4", "udp4", "short"})
        if (auto p = corpus::load_packet(source_dir, name)) packets.push_back(*p);
    REQUIRE(packets.size() >= 4);
    const std::vector<std::vector<uint64_t>> arg_sets = {
        {}, {0, 1, 2, 3, 4, 5}, {59, 0xffffffffffffffffull, 7}, {1, 0x100000000ull, 256}};
    size_t compared = 0;
    for (const auto& f : files) {
        auto obj = load_object(object_dir + "/" + f.object);
        if (!obj) {
            FAIL_CHECK(f.object << ": " << obj.error().message);
            continue;
        }
        // prog-array configurations: static initialisation, plus each run expectation's assignments
        std::vector<std::vector<ProgArrayAssignment>> configs = {{}};
        for (const auto& r : f.runs) {
            std::vector<ProgArrayAssignment> slots;
            for (const auto& s : r.prog_array)
                if (auto a = parse_slot(s)) slots.push_back(*a);
            if (!slots.empty()) configs.push_back(slots);
        }
        for (const Program& prog : obj->programs) {
            std::vector<ContextInput> inputs;
            if (takes_packet(prog.type))
                for (const auto& p : packets) inputs.push_back(ContextInput{p, {}});
            else
                for (const auto& a : arg_sets) inputs.push_back(ContextInput{{}, a});
            for (const auto& cfg : configs)
                for (const ContextInput& in : inputs) {
                    Snapshot i = run_corpus(*obj, cfg, prog.name, in, Engine::Interp);
                    Snapshot j = run_corpus(*obj, cfg, prog.name, in, Engine::Jit);
                    INFO(f.object << " " << prog.name << " packet bytes " << in.packet.size() << " args "
                                  << in.args.size() << " config " << cfg.size());
                    CHECK(i.ok == j.ok);
                    CHECK(i.error == j.error);
                    if (!i.ok || !j.ok) continue; // rejected by the verifier, or bad input for this type
                    CHECK(hex(i.ret) == hex(j.ret));
                    CHECK(i.tail_calls == j.tail_calls);
                    CHECK(i.packet == j.packet);
                    CHECK(i.redirect == j.redirect);
                    CHECK(i.perf == j.perf);
                    CHECK(i.trace == j.trace);
                    CHECK(i.maps == j.maps);
                    ++compared;
                }
        }
    }
    MESSAGE("corpus runs compared: " << compared);
    CHECK(compared > 0);
}

// ---- 3. random programs
// ------------------------------------------------------------------------------------

namespace {

// Registers the generator may write: all but r6, which holds the memory pointer.
const Reg kWritable[] = {kR0, kR1, kR2, kR3, kR4, kR5, kR7, kR8, kR9};
constexpr int kMemBytes = 64;              // data area at r6
constexpr int kDumpAt = kMemBytes;         // r0..r9 dumped after it
constexpr int kStackDumpAt = kDumpAt + 80; // 64 bytes of the stack copied after the registers
constexpr int kTotalMem = kStackDumpAt + 64;

class Gen {
  public:
    explicit Gen(uint64_t seed) : rng_(seed) {}

    std::vector<Insn> program(int body_len) {
        std::vector<Insn> p;
        p.push_back(Alu{AluOp::Mov, true, kR6, Operand::of_reg(kR1)});
        for (Reg r : kWritable) lddw(p, r, value());
        for (int i = 0; i < 8; ++i)
            p.push_back(Store{kR10, static_cast<int16_t>(-8 - 8 * i), 8, Operand::of_reg(kWritable[i])});
        // body: slots reserved first so forward jumps can target any later body slot or the epilogue
        const size_t body_start = p.size();
        std::vector<std::vector<Insn>> body(static_cast<size_t>(body_len));
        for (auto& slot : body) slot = insn();
        size_t pos = body_start;
        std::vector<size_t> starts;
        for (auto& slot : body) {
            starts.push_back(pos);
            pos += slot.size();
        }
        const size_t epilogue = pos;
        for (size_t k = 0; k < body.size(); ++k)
            for (Insn& insn : body[k]) {
                if (auto* j = std::get_if<Jump>(&insn)) j->target = pick_target(starts, k, epilogue);
                if (auto* g = std::get_if<Goto>(&insn)) g->target = pick_target(starts, k, epilogue);
                p.push_back(insn);
            }
        for (Reg r = 0; r <= 9; ++r)
            p.push_back(Store{kR6, static_cast<int16_t>(kDumpAt + 8 * r), 8, Operand::of_reg(r)});
        for (int i = 0; i < 8; ++i) {
            p.push_back(Load{kR2, kR10, static_cast<int16_t>(-8 - 8 * i), 8, false});
            p.push_back(Store{kR6, static_cast<int16_t>(kStackDumpAt + 8 * i), 8, Operand::of_reg(kR2)});
        }
        p.push_back(Exit{});
        return p;
    }

  private:
    std::mt19937_64 rng_;

    uint64_t below(uint64_t n) { return rng_() % n; }
    Reg wreg() { return kWritable[below(std::size(kWritable))]; }
    Reg rreg() { return wreg(); } // r6 (the buffer address) never feeds a value: results stay comparable

    uint64_t value() {
        static const uint64_t edges[] = {0,
                                         1,
                                         2,
                                         31,
                                         32,
                                         63,
                                         64,
                                         0x7fffffff,
                                         0x80000000,
                                         0xffffffff,
                                         0x100000000,
                                         0x7fffffffffffffff,
                                         0x8000000000000000,
                                         0xffffffffffffffff,
                                         0xffffffff80000000};
        switch (below(3)) {
        case 0: return edges[below(std::size(edges))];
        case 1: return below(200) - 100;
        default: return rng_();
        }
    }
    int64_t imm() { return static_cast<int32_t>(value()); }

    static void lddw(std::vector<Insn>& p, Reg d, uint64_t v) {
        p.push_back(LoadImm64{d, 0, static_cast<int32_t>(v), static_cast<int32_t>(v >> 32)});
        p.push_back(LddwHigh{});
    }

    uint32_t pick_target(const std::vector<size_t>& starts, size_t k, size_t epilogue) {
        size_t n = starts.size() - k; // candidates: starts[k+1..] and the epilogue
        size_t c = 1 + below(std::min<size_t>(n, 6));
        return static_cast<uint32_t>(k + c < starts.size() ? starts[k + c] : epilogue);
    }

    std::vector<Insn> insn() {
        const uint64_t kind = below(100);
        if (kind < 55) { // ALU
            static const AluOp ops[] = {AluOp::Add,     AluOp::Sub,     AluOp::Mul, AluOp::Div, AluOp::SDiv,
                                        AluOp::Or,      AluOp::And,     AluOp::Lsh, AluOp::Rsh, AluOp::Neg,
                                        AluOp::Mod,     AluOp::SMod,    AluOp::Xor, AluOp::Mov, AluOp::MovSx8,
                                        AluOp::MovSx16, AluOp::MovSx32, AluOp::Arsh};
            AluOp op = ops[below(std::size(ops))];
            bool is64 = below(2) == 0;
            const bool movsx = op == AluOp::MovSx8 || op == AluOp::MovSx16 || op == AluOp::MovSx32;
            if (op == AluOp::MovSx32) is64 = true;
            Operand s = (movsx || below(2) == 0) ? Operand::of_reg(rreg()) : Operand::of_imm(imm());
            return {Alu{op, is64, wreg(), s}};
        }
        if (kind < 60) {
            static const uint8_t bits[] = {16, 32, 64};
            static const ByteOrder orders[] = {ByteOrder::ToLe, ByteOrder::ToBe, ByteOrder::Swap};
            return {Endian{wreg(), bits[below(3)], orders[below(3)]}};
        }
        if (kind < 75) { // conditional jump (target fixed up later)
            Cond c = static_cast<Cond>(below(11));
            Operand s = below(2) == 0 ? Operand::of_reg(rreg()) : Operand::of_imm(imm());
            return {Jump{c, below(2) == 0, rreg(), s, 0}};
        }
        if (kind < 77) return {Goto{0}};
        static const uint8_t widths[] = {1, 2, 4, 8};
        const uint8_t w = widths[below(4)];
        if (kind < 84) { // load from data or stack
            bool stack = below(2) == 0;
            bool sx = w != 8 && below(3) == 0;
            if (stack)
                return {
                    Load{wreg(), kR10, static_cast<int16_t>(-64 + static_cast<int>(below(65 - w))), w, sx}};
            return {Load{wreg(), kR6, static_cast<int16_t>(below(kMemBytes - w + 1)), w, sx}};
        }
        if (kind < 92) { // store
            Operand v = below(2) == 0 ? Operand::of_reg(rreg()) : Operand::of_imm(imm());
            if (below(2) == 0)
                return {Store{kR10, static_cast<int16_t>(-64 + static_cast<int>(below(65 - w))), w, v}};
            return {Store{kR6, static_cast<int16_t>(below(kMemBytes - w + 1)), w, v}};
        }
        if (kind < 97) { // atomic on the data area, naturally aligned
            static const AtomicOp aops[] = {AtomicOp::Add, AtomicOp::Or,   AtomicOp::And,
                                            AtomicOp::Xor, AtomicOp::Xchg, AtomicOp::CmpXchg};
            AtomicOp op = aops[below(6)];
            bool fetch = op == AtomicOp::Xchg || op == AtomicOp::CmpXchg || below(2) == 0;
            uint8_t aw = below(2) == 0 ? 4 : 8;
            auto off = static_cast<int16_t>(aw * below(kMemBytes / aw));
            return {Atomic{op, fetch, aw, kR6, off, wreg()}};
        }
        // lddw of an edge value
        std::vector<Insn> v;
        lddw(v, wreg(), value());
        return v;
    }
};

} // namespace

TEST_CASE("differential: random straight-line ALU/jump/memory programs (fixed seed)") {
    Gen gen(0x7461696c67617465ull);
    HelperTable helpers;
    int programs = 0;
    for (int n = 0; n < 10000; ++n) {
        LoadedProgram prog;
        prog.name = "random" + std::to_string(n);
        prog.insns = gen.program(8 + n % 40);
        REQUIRE(jit_compile(prog, helpers).ok());
        std::vector<uint8_t> mem_i(kTotalMem), mem_j(kTotalMem);
        for (int k = 0; k < kMemBytes; ++k) mem_i[k] = mem_j[k] = static_cast<uint8_t>(k * 37 + n);
        ExecEnv ei, ej;
        ei.args[0] = reinterpret_cast<uint64_t>(mem_i.data());
        ej.args[0] = reinterpret_cast<uint64_t>(mem_j.data());
        ei.args[1] = ej.args[1] = kTotalMem;
        ei.helpers = ej.helpers = &helpers;
        auto ri = interpret(prog, ei);
        REQUIRE(ri.ok());
        const auto rjr = jit_execute(prog, ej);
        REQUIRE(rjr.ok());
        const uint64_t rj = *rjr;
        INFO("program " << n);
        CHECK(hex(*ri) == hex(rj));
        // the dumped r6 is the buffer address, which differs: blank it before comparing
        std::memset(mem_i.data() + kDumpAt + 8 * kR6, 0, 8);
        std::memset(mem_j.data() + kDumpAt + 8 * kR6, 0, 8);
        if (mem_i != mem_j) {
            for (size_t k = 0; k < mem_i.size(); k += 8) {
                uint64_t a, b;
                std::memcpy(&a, mem_i.data() + k, 8);
                std::memcpy(&b, mem_j.data() + k, 8);
                if (a != b) MESSAGE("offset " << k << ": interp " << hex(a) << " jit " << hex(b));
            }
            for (size_t pc = 0; pc < prog.insns.size(); ++pc)
                MESSAGE(pc << ": " << to_text(prog.insns[pc], static_cast<uint32_t>(pc)));
        }
        CHECK(mem_i == mem_j);
        ++programs;
    }
    CHECK(programs == 10000);
}
