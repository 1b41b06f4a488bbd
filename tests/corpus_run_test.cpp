// Every `run` expectation of the corpus (corpus/README.md), on each engine it names: a fresh Runtime per
// run (maps at their initial values), every program through the verifier, prog arrays from static
// initialisation plus the expectation's prog_array= slots, one run, r0 compared. The corpus holds the
// kernel's tail-call expectations (tail_chain.c: 33 tail calls; bpf2bpf_tail.c: a tail call from a
// subprogram returns to the subprogram's caller; tail_index.c: indexes 256 and -1 fall through,
// 0x100000000 is slot 0, an empty slot falls through).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>

#include "runtime/runtime.hpp"
#include "tests/corpus_expect.hpp"
#include "tests/test_support.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

using testing::env_or;

// A fresh runtime with `object` of the built corpus loaded (traces discarded), as each run directive gets.
std::unique_ptr<Runtime> corpus_runtime(const std::string& object) {
    auto obj = load_object(env_or("TAILGATE_CORPUS_DIR", "corpus") + "/" + object);
    REQUIRE_MESSAGE(obj.ok(), object << ": " << (obj.ok() ? "" : obj.error().message));
    RuntimeOptions ro;
    ro.trace_out = nullptr;
    auto rt = std::make_unique<Runtime>(ro);
    REQUIRE(rt->load(*obj).ok());
    return rt;
}

std::optional<ProgArrayAssignment> parse_slot(const std::string& s) {
    auto colon = s.rfind(':');
    auto eq = s.find('=', colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || eq == std::string::npos) return std::nullopt;
    return ProgArrayAssignment{s.substr(0, colon),
                               uint32_t(std::stoul(s.substr(colon + 1, eq - colon - 1), nullptr, 0)),
                               s.substr(eq + 1)};
}

} // namespace

TEST_CASE("corpus run expectations on the interpreter and the JIT") {
    const std::string source_dir = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus";
    const std::string object_dir = env_or("TAILGATE_CORPUS_DIR", "corpus");
    auto files = corpus::load_corpus_expectations(source_dir);
    REQUIRE(!files.empty());
    size_t runs = 0;
    for (const auto& f : files) {
        for (const auto& e : f.errors) FAIL_CHECK("corpus parse error: " << e);
        for (const auto& r : f.runs) {
            for (const std::string& engine_s : r.engines) {
                INFO(f.source << ":" << r.line << " run " << r.program << " engine=" << engine_s);
                auto engine = engine_from_name(engine_s);
                REQUIRE(engine.has_value());
                auto obj = load_object(object_dir + "/" + f.object);
                if (!obj.ok()) {
                    FAIL_CHECK("load_object: " << obj.error().code << ": " << obj.error().message);
                    continue;
                }
                // MAP:IDX=PROG fills a slot at load; MAP:IDX= (no program) then empties it, as the kernel
                // selftests' bpf_map_delete_elem() on the prog array does.
                std::vector<ProgArrayAssignment> slots, deletions;
                for (const auto& s : r.prog_array) {
                    auto a = parse_slot(s);
                    REQUIRE_MESSAGE(a.has_value(), "bad prog_array " << s);
                    (a->program.empty() ? deletions : slots).push_back(*a);
                }
                RuntimeOptions ro;
                ro.trace_out = nullptr;
                Runtime rt(ro);
                auto loaded = rt.load(*obj, slots);
                for (const auto& d : deletions)
                    if (loaded.ok()) loaded = rt.set_prog_slot(d.map, d.index, "");
                if (!loaded.ok()) {
                    FAIL_CHECK("load: " << loaded.error().code << ": " << loaded.error().message);
                    continue;
                }
                ContextInput in;
                if (r.packet) {
                    auto pkt = corpus::load_packet(source_dir, *r.packet);
                    REQUIRE_MESSAGE(pkt.has_value(), "packet " << *r.packet);
                    in.packet = *pkt;
                }
                if (r.args) in.args = *r.args;
                auto res = rt.run(RunRequest{r.program, *engine, in, 1});
                if (!res.ok()) {
                    FAIL_CHECK("run: " << res.error().code << ": " << res.error().message);
                    continue;
                }
                CHECK(res->ret == r.ret);
                ++runs;
            }
        }
    }
    MESSAGE("corpus runs executed: " << runs);
    CHECK(runs > 0);
}

namespace {

// One kernel-selftest run that the `run` directives cannot state: globals the test writes into .bss
// before the run (prog_tests/tailcalls.c: selector, noise) and counters it reads from .bss after (count).
// Offsets are the variables' .bss offsets (llvm-objdump -t on the built object).
struct BssRun {
    const char* object;
    const char* packet;
    std::vector<std::pair<uint32_t, uint32_t>> writes; // .bss offset -> u32 written before the run
    std::vector<uint32_t> empty_slots;                 // jmp_table slots deleted before the run
    uint64_t ret;
    std::optional<std::pair<uint32_t, uint32_t>> count; // .bss offset -> u32 expected after the run
    uint32_t tail_calls;
    const char* program = "entry";
};

uint32_t* bss_u32(Runtime& rt, uint32_t offset) {
    Map* bss = rt.map(".bss");
    REQUIRE(bss != nullptr);
    REQUIRE(offset + 4 <= bss->def().value_size);
    uint32_t key = 0;
    auto* base = static_cast<uint8_t*>(bss->lookup(&key));
    REQUIRE(base != nullptr);
    return reinterpret_cast<uint32_t*>(base + offset);
}

} // namespace

TEST_CASE("kernel tail-call selftests: globals written before the run, counters read after") {
    const std::string source_dir = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus";
    const std::vector<BssRun> cases = {
        // test_tailcall_3 / _6 / bpf2bpf_2: retval 1, count == 33 (entry's call + 32 self calls).
        {"ksft_tailcall3.o", "zero128", {}, {}, 1, {{0, 33}}, 33},
        {"ksft_tailcall6.o", "zero128", {}, {}, 1, {{0, 33}}, 33},
        {"ksft_tailcall_bpf2bpf2.o", "zero128", {}, {}, 1, {{0, 33}}, 33},
        // test_tailcall_bpf2bpf_4(noise false/true): retval 54 * 3, count == 31.
        {"ksft_tailcall_bpf2bpf4.o", "pkt_v4", {{4, 0}}, {}, 162, {{0, 31}}, 33},
        {"ksft_tailcall_bpf2bpf4.o", "pkt_v4", {{4, 1}}, {}, 162, {{0, 31}}, 33},
        // test_tailcall_4: selector = i -> i; selector = i with slot i deleted -> 3.
        {"ksft_tailcall4.o", "zero128", {{0, 1}}, {}, 1, {}, 1},
        {"ksft_tailcall4.o", "zero128", {{0, 2}}, {}, 2, {}, 1},
        {"ksft_tailcall4.o", "zero128", {{0, 1}}, {0, 1}, 3, {}, 0},
        {"ksft_tailcall4.o", "zero128", {{0, 2}}, {0, 1, 2}, 3, {}, 0},
        // test_tailcall_5: selector 1111 / 1234 / 5678 -> 0 / 1 / 2; with slot i deleted -> 3.
        {"ksft_tailcall5.o", "zero128", {{0, 1111}}, {}, 0, {}, 1},
        {"ksft_tailcall5.o", "zero128", {{0, 1234}}, {}, 1, {}, 1},
        {"ksft_tailcall5.o", "zero128", {{0, 5678}}, {}, 2, {}, 1},
        {"ksft_tailcall5.o", "zero128", {{0, 1234}}, {0, 1}, 3, {}, 0},
        {"ksft_tailcall5.o", "zero128", {{0, 5678}}, {0, 1, 2}, 3, {}, 0},
        // test_tailcall_bpf2bpf_6: retval 0, done == 1.
        {"ksft_tailcall_bpf2bpf6.o", "pkt_v4", {}, {}, 0, {{0, 1}}, 1},
        // hierarchy_1: 33 tail calls in all, two subprogram calls per entry run: count == 34.
        {"ksft_tailcall_hierarchy1.o", "zero128", {}, {}, 1, {{0, 34}}, 33},
        // hierarchy_2 (__retval(33)): count0 == 33, count1 == 0: the limit is reached under subprog_tail0.
        {"ksft_tailcall_hierarchy2.o", "zero128", {}, {}, 33, {{0, 33}}, 33, "tailcall_bpf2bpf_hierarchy_2"},
        {"ksft_tailcall_hierarchy2.o", "zero128", {}, {}, 33, {{4, 0}}, 33, "tailcall_bpf2bpf_hierarchy_2"},
        // hierarchy_3 (__retval(33)): classifier_0 runs 33 times through jmp_table0 and jmp_table1.
        {"ksft_tailcall_hierarchy3.o", "zero128", {}, {}, 33, {{0, 33}}, 33, "tailcall_bpf2bpf_hierarchy_3"},
    };
    for (const BssRun& c : cases)
        for (Engine engine : {Engine::Interp, Engine::Jit}) {
            INFO(c.object << " engine " << engine_name(engine) << " writes " << c.writes.size() << " deleted "
                          << c.empty_slots.size());
            auto runtime = corpus_runtime(c.object);
            Runtime& rt = *runtime;
            for (uint32_t slot : c.empty_slots) REQUIRE(rt.set_prog_slot("jmp_table", slot, "").ok());
            for (auto [offset, value] : c.writes) *bss_u32(rt, offset) = value;
            ContextInput in;
            auto pkt = corpus::load_packet(source_dir, c.packet);
            REQUIRE(pkt.has_value());
            in.packet = *pkt;
            auto res = rt.run(RunRequest{c.program, engine, in, 1});
            REQUIRE_MESSAGE(res.ok(), (res.ok() ? "" : res.error().code + ": " + res.error().message));
            CHECK(res->ret == c.ret);
            CHECK(res->tail_calls == c.tail_calls);
            if (c.count) CHECK(*bss_u32(rt, c.count->first) == c.count->second);
        }
}

TEST_CASE("kernel selftest hierarchy_1: a second run after the slot is deleted counts once more (35)") {
    const std::string source_dir = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus";
    for (Engine engine : {Engine::Interp, Engine::Jit}) {
        INFO("engine " << engine_name(engine));
        auto runtime = corpus_runtime("ksft_tailcall_hierarchy1.o");
        Runtime& rt = *runtime;
        ContextInput in;
        in.packet = *corpus::load_packet(source_dir, "zero128");
        auto first = rt.run(RunRequest{"entry", engine, in, 1});
        REQUIRE(first.ok());
        CHECK(first->ret == 1);
        CHECK(*bss_u32(rt, 0) == 34);
        REQUIRE(rt.set_prog_slot("jmp_table", 0, "").ok());
        auto second = rt.run(RunRequest{"entry", engine, in, 1});
        REQUIRE(second.ok());
        CHECK(second->ret == 1);
        CHECK(second->tail_calls == 0);
        CHECK(*bss_u32(rt, 0) == 35);
    }
}

TEST_CASE("kernel sample sockex3: each flow counted in hash_map; 40 VLAN tags stop at 33 tail calls") {
    const std::string source_dir = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus";
    struct Case {
        const char* packet;
        uint32_t tail_calls; // main -> ip; main -> vlan -> ip; main -> vlan x 33
        // flow_key_record {src, dst, ports, ip_proto} as LD_ABS loads them (host order); none: no flow
        std::optional<std::array<uint32_t, 4>> key;
        uint64_t bytes; // skb->len: the frame a raw socket sees
    };
    const std::vector<Case> cases = {
        {"sock_raw_tcp4", 1, std::array<uint32_t, 4>{0x0a000001, 0x0a000002, (40000u << 16) | 80, 6}, 54},
        {"sock_raw_vlan_udp4", 2, std::array<uint32_t, 4>{0x0a000001, 0x0a000002, (40000u << 16) | 53, 17},
         46},
        {"sock_raw_vlan40", 33, std::nullopt, 0},
    };
    for (const Case& c : cases)
        for (Engine engine : {Engine::Interp, Engine::Jit}) {
            INFO(c.packet << " engine " << engine_name(engine));
            auto runtime = corpus_runtime("ksft_sockex3.o");
            Runtime& rt = *runtime;
            ContextInput in;
            auto pkt = corpus::load_packet(source_dir, c.packet);
            REQUIRE(pkt.has_value());
            in.packet = *pkt;
            auto res = rt.run(RunRequest{"main_prog", engine, in, 1});
            REQUIRE_MESSAGE(res.ok(), (res.ok() ? "" : res.error().code + ": " + res.error().message));
            CHECK(res->ret == 0);
            CHECK(res->tail_calls == c.tail_calls);
            Map* flows = rt.map("hash_map");
            REQUIRE(flows != nullptr);
            if (!c.key) {
                CHECK(flows->size() == 0);
                continue;
            }
            CHECK(flows->size() == 1);
            uint64_t pair[2] = {0, 0}; // packets, bytes
            REQUIRE(flows->lookup_copy(c.key->data(), pair) == 0);
            CHECK(pair[0] == 1);
            CHECK(pair[1] == c.bytes);
        }
}

TEST_CASE("kernel sample tracex5: the syscall number picks the handler; others fall through and print") {
    struct Case {
        std::vector<uint64_t> args; // PT_REGS_PARM1 (syscall number), PARM2 (struct seccomp_data *)
        uint32_t tail_calls;
        const char* trace;
    };
    const std::vector<Case> cases = {
        {{9}, 1, "mmap\n"},                                       // -> bpf_func_SYS__NR_mmap
        {{102}, 0, "syscall=102 (one of get/set uid/pid/gid)\n"}, // getuid: empty slot, falls through
        {{1, 0}, 1, ""}, // -> write handler: the probe read of NULL faults, zero-fills, no print
        {{4096}, 0, ""}, // >= max_entries: falls through, not a get/set id syscall
    };
    for (const Case& c : cases)
        for (Engine engine : {Engine::Interp, Engine::Jit}) {
            INFO("syscall " << c.args[0] << " engine " << engine_name(engine));
            auto runtime = corpus_runtime("ksft_tracex5.o");
            Runtime& rt = *runtime;
            ContextInput in;
            in.args = c.args;
            auto res = rt.run(RunRequest{"bpf_prog1", engine, in, 1});
            REQUIRE_MESSAGE(res.ok(), (res.ok() ? "" : res.error().code + ": " + res.error().message));
            CHECK(res->ret == 0);
            CHECK(res->tail_calls == c.tail_calls);
            CHECK(rt.host().trace_log == c.trace);
        }
}
