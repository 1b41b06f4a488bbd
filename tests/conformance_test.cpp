// The bpf_conformance suite (TAILGATE_CONFORMANCE_DIR, 313 .data files) on both engines.
// Each file is a SUBCASE: assemble `-- asm` (or take `-- raw`, as the suite's runner does), run with the
// `-- mem` bytes, compare the whole 64-bit r0 with `-- result` (the suite's runner compares only the low 32
// bits; we are stricter), or expect a failure for `-- error`. A file the engines cannot run must be listed in
// kKnownFailures with its reason; a listed file that starts passing fails the test so the list stays true.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/conformance_run.hpp"
#include "verifier/assembler.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

// file name -> reason. Empty: every file passes on both engines.
const std::map<std::string, std::string> kKnownFailures = {};

std::filesystem::path conformance_dir() {
    const char* d = std::getenv("TAILGATE_CONFORMANCE_DIR");
    return d != nullptr ? std::filesystem::path(d) : std::filesystem::path("../shared/conformance");
}

std::vector<std::filesystem::path> data_files() {
    std::vector<std::filesystem::path> v;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(conformance_dir(), ec))
        if (e.path().extension() == ".data") v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Runs one file; returns "" on pass, else why it failed.
std::string run_case(const std::filesystem::path& file, Engine engine) {
    auto c = parse_conformance(read_file(file));
    if (!c) return "parse: " + c.error().message;
    if (!c->unknown_sections.empty()) return "needs unsupported section '-- " + c->unknown_sections[0] + "'";
    auto code = conformance_program(*c);
    if (!code) return "assemble: " + code.error().code + ": " + code.error().message;
    std::vector<uint8_t> mem = c->mem;
    auto r = run_conformance_program(*code, mem, engine);
    if (c->error) return r ? "expected error '" + *c->error + "' but ran, r0 = " + std::to_string(*r) : "";
    if (!r) return "run: " + r.error().code + ": " + r.error().message;
    if (!c->result) return "file has neither -- result nor -- error";
    if (*r != *c->result) {
        std::ostringstream os;
        os << std::hex << "r0 = 0x" << *r << ", expected 0x" << *c->result;
        return os.str();
    }
    return "";
}

void run_suite(Engine engine) {
    const auto files = data_files();
    for (const auto& file : files) {
        const std::string name = file.filename().string();
        SUBCASE(name.c_str()) {
            const std::string why = run_case(file, engine);
            auto known = kKnownFailures.find(name);
            if (known != kKnownFailures.end()) {
                MESSAGE(name << " (" << std::string(engine_name(engine))
                             << ") known failure: " << known->second);
                CHECK_MESSAGE(!why.empty(), name << " now passes: remove it from kKnownFailures");
            } else {
                CHECK_MESSAGE(why.empty(), name << " (" << std::string(engine_name(engine)) << "): " << why);
            }
        }
    }
}

} // namespace

TEST_CASE("conformance suite is present") {
    CHECK(data_files().size() == 313);
}

TEST_CASE("conformance: interpreter") {
    run_suite(Engine::Interp);
}

TEST_CASE("conformance: jit") {
    run_suite(Engine::Jit);
}

TEST_CASE("conformance: both engines run checked and refuse out-of-bounds memory") {
    // ldxdw r0, [r1+1] with 8 bytes of memory: one byte past the region.
    auto code = assemble("ldxdw %r0, [%r1+1]\nexit\n");
    REQUIRE(code.ok());
    auto in = assemble("ldxdw %r0, [%r1]\nexit\n");
    REQUIRE(in.ok());
    for (Engine e : {Engine::Interp, Engine::Jit}) {
        const std::string engine = engine_name(e);
        CAPTURE(engine);
        std::vector<uint8_t> mem(8, 0);
        auto r = run_conformance_program(*code, mem, e);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == "out-of-bounds-access");
        CHECK(r.error().message == "program 'conformance' insn 0: load of 8 bytes");
        mem = {1, 2, 3, 4, 5, 6, 7, 8};
        auto ok = run_conformance_program(*in, mem, e);
        REQUIRE(ok.ok());
        CHECK(*ok == 0x0807060504030201ull);
    }
}

TEST_CASE("conformance: unwind helper ends the program at once") {
    auto code = assemble("mov %r1, 0\ncall 5\nmov %r0, 7\nexit\n");
    REQUIRE(code.ok());
    std::vector<uint8_t> mem;
    for (Engine e : {Engine::Interp, Engine::Jit}) {
        const std::string engine = engine_name(e);
        CAPTURE(engine);
        auto r = run_conformance_program(*code, mem, e);
        REQUIRE(r.ok());
        CHECK(*r == 0);
    }
}
