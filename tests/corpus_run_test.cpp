// Every `run` expectation of the corpus (corpus/README.md), on each engine it names: a fresh Runtime per
// run (maps at their initial values), every program through the verifier, prog arrays from static
// initialisation plus the expectation's prog_array= slots, one run, r0 compared. The corpus holds the
// kernel's tail-call expectations (tail_chain.c: 33 tail calls; bpf2bpf_tail.c: a tail call from a
// subprogram returns to the subprogram's caller; tail_index.c: indexes 256 and -1 fall through,
// 0x100000000 is slot 0, an empty slot falls through).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "runtime/runtime.hpp"
#include "tests/corpus_expect.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
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
