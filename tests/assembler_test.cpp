// The bpf_conformance-syntax assembler and .data parser (verifier/assembler.hpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "verifier/assembler.hpp"
#include "verifier/isa.hpp"

using namespace tailgate;

namespace {

uint64_t word(const RawInsn& r) {
    uint64_t w;
    std::memcpy(&w, &r, 8);
    return w;
}

std::vector<uint64_t> words(const std::string& text) {
    auto code = assemble(text);
    REQUIRE_MESSAGE(code.ok(), code.error().message);
    std::vector<uint64_t> v;
    for (const RawInsn& r : *code) v.push_back(word(r));
    return v;
}

} // namespace

TEST_CASE("encodings of each instruction family") {
    // Expected words: imm << 32 | off << 16 | src << 12 | dst << 8 | opcode.
    CHECK(words("mov %r0, 1") == std::vector<uint64_t>{0x00000001000000b7});
    CHECK(words("mov32 %r1, -1") == std::vector<uint64_t>{0xffffffff000001b4});
    CHECK(words("add %r2, %r3") == std::vector<uint64_t>{0x000000000000320f});
    CHECK(words("sdiv %r0, 3") == std::vector<uint64_t>{0x0000000300010037});
    CHECK(words("smod32 %r0, %r1") == std::vector<uint64_t>{0x000000000001109c});
    CHECK(words("neg %r4") == std::vector<uint64_t>{0x0000000000000487});
    CHECK(words("movsx1632 %r0, %r1") == std::vector<uint64_t>{0x00000000001010bc});
    CHECK(words("movsx3264 %r0, %r1") == std::vector<uint64_t>{0x00000000002010bf});
    CHECK(words("be16 %r0") == std::vector<uint64_t>{0x00000010000000dc});
    CHECK(words("le64 %r0") == std::vector<uint64_t>{0x00000040000000d4});
    CHECK(words("bswap32 %r0") == std::vector<uint64_t>{0x00000020000000d7});
    CHECK(words("ldxh %r3, [%r1+12]") == std::vector<uint64_t>{0x00000000000c1369});
    CHECK(words("ldxsb %r0, [%r10-1]") == std::vector<uint64_t>{0x00000000ffffa091});
    CHECK(words("stw [%r10-4], 7") == std::vector<uint64_t>{0x00000007fffc0a62});
    CHECK(words("stxdw [%r1], %r2") == std::vector<uint64_t>{0x000000000000217b});
    CHECK(words("lock fetch add32 [%r10-8], %r1") == std::vector<uint64_t>{0x00000001fff81ac3});
    CHECK(words("lock cmpxchg [%r10-8], %r1") == std::vector<uint64_t>{0x000000f1fff81adb});
    CHECK(words("lddw %r0, 0x1122334455667788") ==
          std::vector<uint64_t>{0x5566778800000018, 0x1122334400000000});
    CHECK(words("call 5") == std::vector<uint64_t>{0x0000000500000085});
    CHECK(words("call %r2") == std::vector<uint64_t>{0x000000000000028d});
    CHECK(words("exit") == std::vector<uint64_t>{0x0000000000000095});
    CHECK(words("ldabsh 12") == std::vector<uint64_t>{0x0000000c00000028});
    CHECK(words("ldindw %r2, 4") == std::vector<uint64_t>{0x0000000400002040});
}

TEST_CASE("labels, relative targets, the implicit exit label and local calls") {
    auto v = words("ja L\nmov %r0, 1\nL: jeq32 %r0, 0x80000000, +1\nja exit\ncall local f\nexit\nf:\nexit\n");
    REQUIRE(v.size() == 7);
    CHECK(v[0] == 0x0000000000010005);                              // ja +1
    CHECK(v[2] == 0x8000000000010016);                              // jeq32 r0, 0x80000000, +1
    CHECK(v[3] == 0x0000000000010005);                              // ja exit (slot 5) = +1
    CHECK(v[4] == 0x0000000100001085);                              // call local f: imm = +1, src = 1
    CHECK(words("ja32 t\nexit\nt: exit")[0] == 0x0000000100000006); // gotol: offset in imm
}

TEST_CASE("errors name the line and the problem") {
    auto check = [](const std::string& text, const std::string& code, const std::string& needle) {
        auto r = assemble(text);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == code);
        CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos, r.error().message);
    };
    check("mov %r0, 1\nfoo %r1\n", "asm-unknown-mnemonic", "line 2: unknown mnemonic 'foo'");
    check("exit\n\njne %r0, 1, nowhere\n", "asm-unknown-label", "line 3: unknown label 'nowhere'");
    check("mov %r0\n", "asm-operand-count", "line 1:");
    check("mov %x0, 1\n", "asm-bad-register", "line 1:");
    check("mov %r0, 0x100000000\n", "asm-out-of-range", "line 1:");
    check("ldxw %r0, [%r1+40000]\n", "asm-out-of-range", "line 1:");
    check("a:\na:\nexit\n", "asm-duplicate-label", "line 2: label 'a' defined twice");
    check("ldxw %r0, %r1\n", "asm-bad-operand", "line 1:");
    auto r = assemble("exit\nfoo\n", 10);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind("line 11:", 0) == 0);
}

TEST_CASE("every conformance file parses, assembles and decodes; -- raw matches -- asm") {
    const char* d = std::getenv("TAILGATE_CONFORMANCE_DIR");
    const std::filesystem::path dir = d != nullptr ? d : "../shared/conformance";
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".data") continue;
        ++files;
        CAPTURE(e.path().filename().string());
        std::ifstream in(e.path());
        std::stringstream ss;
        ss << in.rdbuf();
        auto c = parse_conformance(ss.str());
        REQUIRE(c.ok());
        CHECK(c->unknown_sections.empty());
        CHECK((c->result.has_value() || c->error.has_value()));
        auto code = assemble(c->asm_text, c->asm_first_line);
        REQUIRE_MESSAGE(code.ok(), code.error().message);
        CHECK(decode(*code).ok());
        if (!c->raw.empty()) {
            REQUIRE(c->raw.size() == code->size());
            for (size_t i = 0; i < code->size(); ++i) CHECK(word(c->raw[i]) == word((*code)[i]));
        }
    }
    CHECK(files == 313);
}

TEST_CASE("the .data parser reads mem, result and error sections") {
    auto c = parse_conformance("# c\n-- asm\nmov %r0, %r2\nexit\n-- mem\n00 01\nff\n-- result\n0x3\n");
    REQUIRE(c.ok());
    CHECK(c->mem == std::vector<uint8_t>{0x00, 0x01, 0xff});
    CHECK(c->result == 3u);
    CHECK(c->asm_first_line == 3);
    auto e = parse_conformance("-- asm\nexit\n-- error\nbad thing\n-- weird\nx\n");
    REQUIRE(e.ok());
    CHECK(e->error == std::string("bad thing"));
    CHECK(e->unknown_sections == std::vector<std::string>{"weird"});
    CHECK_FALSE(parse_conformance("-- mem\nzz\n").ok());
}
