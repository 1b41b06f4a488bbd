// Tests of the corpus expectation parser (tests/corpus_expect.hpp) and of the corpus itself: every object
// was built, every expectation names a program of its object, every program has a verdict, every
// diagnostic code of issue 3 is covered, and (when llvm-objdump is installed) every `expect`/`tailcall`
// line is a line clang attributed to an instruction of that program.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/corpus_expect.hpp"

using namespace tailgate::corpus;

namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string corpus_source_dir() {
    std::string root = env_or_empty("TAILGATE_SOURCE_DIR");
    return root.empty() ? std::string("corpus") : root + "/corpus";
}

// FUNC symbols of an ELF file, with the name of their section and whether it is executable.
struct FuncSym {
    std::string name;
    std::string section;
    bool exec = false;
};
struct ElfSyms {
    std::vector<FuncSym> funcs;
    std::set<std::string> objects; // OBJECT symbols (maps, globals)
    bool ok = false;
};

ElfSyms read_elf_symbols(const std::string& path) {
    ElfSyms out;
    std::ifstream in(path, std::ios::binary);
    std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (buf.size() < sizeof(Elf64_Ehdr)) return out;
    Elf64_Ehdr eh;
    std::memcpy(&eh, buf.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) return out;
    if (eh.e_shoff + uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > buf.size()) return out;
    std::vector<Elf64_Shdr> sh(eh.e_shnum);
    std::memcpy(sh.data(), buf.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
    auto str_at = [&](const Elf64_Shdr& strtab, uint32_t off) -> std::string {
        if (strtab.sh_offset + off >= buf.size()) return "";
        return std::string(buf.data() + strtab.sh_offset + off);
    };
    const Elf64_Shdr& shstr = sh.at(eh.e_shstrndx);
    for (const Elf64_Shdr& s : sh) {
        if (s.sh_type != SHT_SYMTAB) continue;
        const Elf64_Shdr& strtab = sh.at(s.sh_link);
        size_t n = s.sh_size / sizeof(Elf64_Sym);
        for (size_t i = 0; i < n; ++i) {
            Elf64_Sym sym;
            std::memcpy(&sym, buf.data() + s.sh_offset + i * sizeof(Elf64_Sym), sizeof sym);
            int type = ELF64_ST_TYPE(sym.st_info);
            if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sh.size()) continue;
            if (type == STT_FUNC) {
                const Elf64_Shdr& sec = sh[sym.st_shndx];
                out.funcs.push_back({str_at(strtab, sym.st_name), str_at(shstr, sec.sh_name),
                                     (sec.sh_flags & SHF_EXECINSTR) != 0});
            } else if (type == STT_OBJECT) {
                out.objects.insert(str_at(strtab, sym.st_name));
            }
        }
    }
    out.ok = true;
    return out;
}

// Source lines clang attributed to the instructions of each function, from `llvm-objdump -d -l`.
// Empty map when llvm-objdump cannot be run.
std::map<std::string, std::set<uint32_t>> objdump_lines(const std::string& object, bool& available) {
    std::map<std::string, std::set<uint32_t>> lines;
    available = false;
    for (const char* tool : {"llvm-objdump-14", "llvm-objdump"}) {
        std::string cmd = std::string(tool) + " -d -l --no-show-raw-insn '" + object + "' 2>/dev/null";
        FILE* p = popen(cmd.c_str(), "r");
        if (!p) continue;
        std::string text;
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) text.append(chunk, n);
        int rc = pclose(p);
        if (rc != 0 || text.empty()) continue;
        available = true;
        std::istringstream in(text);
        std::string line, current;
        while (std::getline(in, line)) {
            // "0000000000000000 <dispatch>:" starts a function; "<LBB0_2>:" labels stay in it.
            size_t lt = line.find(" <");
            if (lt != std::string::npos && line.size() > 2 && line.substr(line.size() - 2) == ">:" &&
                line.find("<LBB") == std::string::npos) {
                current = line.substr(lt + 2, line.size() - lt - 4);
                continue;
            }
            // "; /path/file.c:42" names the line of the instructions below it.
            if (line.rfind("; ", 0) == 0 && line.find(".c:") != std::string::npos && !current.empty()) {
                size_t colon = line.rfind(':');
                uint32_t l = uint32_t(std::strtoul(line.c_str() + colon + 1, nullptr, 10));
                if (l) lines[current].insert(l);
            }
        }
        break;
    }
    return lines;
}

} // namespace

TEST_CASE("parser: directives, defaults and several directives on one line") {
    const char* src =
        "// tailgate: program name=disp verdict=accepted\n"
        "// tailgate: graph program=disp targets=b,a max_chain_length=1 chain_stack_bytes=0x10\n"
        "// tailgate: run program=disp packet=tcp4 return=2\n"
        "int disp() {\n"
        "  call(); // tailgate: expect code=tail-call-index severity=warning tailgate: tailcall "
        "map=jt index_min=0 index_max=255\n"
        "}\n"
        "// tailgate: program name=a verdict=rejected\n"
        "// tailgate: program name=a verdict=accepted when=strict\n"
        "// tailgate: program name=b verdict=accepted\n"
        "// tailgate: run program=b args=1,0x20 engine=jit return=18446744073709551615 "
        "prog_array=jt:1=a\n"
        "x; // tailgate: expect program=disp code=stack-limit severity=error when=max-chain-stack=64\n";
    CorpusFile f = parse_corpus_source(src, "x.c");
    REQUIRE(f.errors.empty());
    CHECK(f.object == "x.o");
    CHECK(f.program_names() == std::vector<std::string>{"disp", "a", "b"});
    REQUIRE(f.diagnostics.size() == 2);
    CHECK(f.diagnostics[0].program == "disp");
    CHECK(f.diagnostics[0].code == "tail-call-index");
    CHECK(f.diagnostics[0].severity == "warning");
    CHECK(f.diagnostics[0].line == 5);
    REQUIRE(f.tail_calls.size() == 1);
    CHECK(f.tail_calls[0].program == "disp");
    CHECK(f.tail_calls[0].line == 5);
    CHECK(f.tail_calls[0].index_max == 255);
    const GraphExpectation* g = f.graph_for("disp");
    REQUIRE(g != nullptr);
    CHECK(g->targets == std::vector<std::string>{"a", "b"});
    CHECK(g->max_chain_length == 1u);
    CHECK(g->chain_stack_bytes == 16u);
    CHECK(!g->cycle.has_value());
    REQUIRE(f.runs.size() == 2);
    CHECK(f.runs[0].packet == std::string("tcp4"));
    CHECK(f.runs[0].engines == std::vector<std::string>{"interp", "jit"});
    CHECK(f.runs[1].args == std::vector<uint64_t>{1, 32});
    CHECK(f.runs[1].engines == std::vector<std::string>{"jit"});
    CHECK(f.runs[1].ret == UINT64_MAX);
    CHECK(f.runs[1].prog_array == std::vector<std::string>{"jt:1=a"});

    SUBCASE("when selects verdicts and adds diagnostics") {
        CHECK(f.verdict_for("a")->verdict == Verdict::Rejected);
        CHECK(f.verdict_for("a", "strict")->verdict == Verdict::Accepted);
        CHECK(f.verdict_for("b", "strict")->verdict == Verdict::Accepted); // falls back to the default
        CHECK(f.verdict_for("nope") == nullptr);
        CHECK(f.diagnostics_for("disp").size() == 1);
        CHECK(f.diagnostics_for("disp", "max-chain-stack=64").size() == 2);
        CHECK(f.diagnostics_for("disp", "strict").size() == 1);
    }
}

TEST_CASE("parser: unless= drops a diagnostic under the options that lift it") {
    CorpusFile f =
        parse_corpus_source("// tailgate: program name=p verdict=rejected\n"
                            "// tailgate: program name=p verdict=accepted when=allow-uninit-stack\n"
                            "x; // tailgate: expect code=uninitialized-register severity=error "
                            "unless=allow-uninit-stack\n",
                            "u.c");
    REQUIRE(f.errors.empty());
    CHECK(f.diagnostics_for("p").size() == 1);
    CHECK(f.diagnostics_for("p", "strict").size() == 1);
    CHECK(f.diagnostics_for("p", "allow-uninit-stack").empty());
    CorpusFile both = parse_corpus_source("// tailgate: program name=p verdict=rejected\n"
                                          "x; // tailgate: expect code=memory-bounds severity=error "
                                          "when=strict unless=strict\n",
                                          "b.c");
    REQUIRE(both.errors.size() == 1);
    CHECK(both.errors[0] == "b.c:2: expect: both when= and unless=");
}

TEST_CASE("parser: errors name the file and line") {
    auto first_error = [](const char* src) {
        CorpusFile f = parse_corpus_source(src, "bad.c");
        return f.errors.empty() ? std::string() : f.errors.front();
    };
    CHECK(first_error("// tailgate: program name=p verdict=maybe") ==
          "bad.c:1: program: verdict must be accepted or rejected, not 'maybe'");
    CHECK(first_error("\n// tailgate: progam name=p verdict=accepted") ==
          "bad.c:2: unknown directive 'progam'");
    CHECK(first_error("// tailgate: program name=p verdict=accepted colour=red") ==
          "bad.c:1: program: unknown key 'colour'");
    CHECK(first_error("// tailgate: program name=p") == "bad.c:1: program: missing verdict=");
    CHECK(first_error("x; // tailgate: expect code=memory-bounds severity=error") ==
          "bad.c:1: expect: no program= and no program directive above");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "x; // tailgate: expect code=memory-bounds severity=fatal") ==
          "bad.c:2: expect: bad severity 'fatal'");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "x; // tailgate: expect code=Memory_Bounds severity=error") ==
          "bad.c:2: expect: bad code 'Memory_Bounds'");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "// tailgate: run program=p return=1") == "bad.c:2: run: needs packet= or args=");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "// tailgate: run program=p return=1 packet=a args=1") ==
          "bad.c:2: run: give packet= or args=, not both");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "// tailgate: graph program=p targets=q") ==
          "bad.c:2: graph target: program 'q' has no program directive");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "// tailgate: graph program=p targets= max_chain_length=34") ==
          "bad.c:2: graph: max_chain_length must be 0..33");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "x; // tailgate: tailcall map=m index_min=5 index_max=4") ==
          "bad.c:2: tailcall: index_min/index_max must be u32 numbers with min <= max");
    CHECK(first_error("// tailgate: program name=p verdict=accepted\n"
                      "// tailgate: program name=p verdict=rejected") ==
          "bad.c:2: program: second verdict for 'p'");
    CHECK(first_error("// tailgate: program name=p verdict=accepted name=q") ==
          "bad.c:1: key 'name' repeated");
    CHECK(first_error("// tailgate: program name verdict=accepted") == "bad.c:1: 'name' is not key=value");
    CHECK(first_error("// plain comment mentioning tailgate without the marker\nint x;").empty());
}

TEST_CASE("when_to_cli_args") {
    CHECK(when_to_cli_args("").empty());
    CHECK(when_to_cli_args("strict") == std::vector<std::string>{"--strict"});
    CHECK(when_to_cli_args("max-chain-stack=4096") == std::vector<std::string>{"--max-chain-stack", "4096"});
}

TEST_CASE("corpus: every file parses and covers every diagnostic code") {
    std::vector<CorpusFile> files = load_corpus_expectations(corpus_source_dir());
    REQUIRE(files.size() >= 20);
    std::set<std::string> codes;
    for (const CorpusFile& f : files) {
        INFO(f.source);
        for (const std::string& e : f.errors) CHECK_MESSAGE(false, e);
        CHECK(!f.programs.empty());
        for (const DiagnosticExpectation& d : f.diagnostics) {
            codes.insert(d.code);
            // An error expectation means the program is rejected under the same options.
            const VerdictExpectation* v = f.verdict_for(d.program, d.when);
            REQUIRE(v != nullptr);
            if (d.severity == "error") CHECK_MESSAGE(v->verdict == Verdict::Rejected, d.program);
        }
        for (const VerdictExpectation& v : f.programs) {
            // A rejected program has an error expectation; an accepted one has none.
            bool has_error = false;
            for (const DiagnosticExpectation& d : f.diagnostics_for(v.program, v.when))
                has_error |= d.severity == "error";
            bool strict_warning = false;
            if (v.when == "strict")
                for (const DiagnosticExpectation& d : f.diagnostics_for(v.program, v.when))
                    strict_warning |= d.severity == "warning";
            INFO(v.program);
            CHECK((v.verdict == Verdict::Rejected) == (has_error || strict_warning));
        }
    }
    // issue 3 item 4, every code; plus issue 5's tail-call-chain-stack.
    for (const char* code :
         {"invalid-instruction", "uninitialized-register", "ctx-access", "memory-bounds", "null-dereference",
          "pointer-arithmetic", "pointer-leak", "helper-argument", "unknown-helper", "invalid-return",
          "stack-limit", "call-depth", "unbounded-loop", "tail-call-ctx", "tail-call-map", "tail-call-index",
          "tail-call-stack", "tail-call-target-type", "tail-call-chain-stack"})
        CHECK_MESSAGE(codes.count(code), code);
}

TEST_CASE("corpus: packets named by run expectations exist") {
    std::string dir = corpus_source_dir();
    auto tcp4 = load_packet(dir, "tcp4");
    REQUIRE(tcp4.has_value());
    CHECK(tcp4->size() == 54);
    CHECK((*tcp4)[12] == 0x08);
    CHECK((*tcp4)[23] == 6); // IPv4 protocol TCP
    CHECK(!load_packet(dir, "no-such-packet").has_value());
    for (const CorpusFile& f : load_corpus_expectations(dir))
        for (const RunExpectation& r : f.runs)
            if (r.packet)
                CHECK_MESSAGE(load_packet(dir, *r.packet).has_value(), f.source << ": " << *r.packet);
}

TEST_CASE("corpus: every object was built and its programs match the expectations") {
    std::string obj_dir = env_or_empty("TAILGATE_CORPUS_DIR");
    REQUIRE_MESSAGE(!obj_dir.empty(), "TAILGATE_CORPUS_DIR is not set (run through meson test)");
    bool objdump = false;
    for (const CorpusFile& f : load_corpus_expectations(corpus_source_dir())) {
        INFO(f.source);
        std::string path = obj_dir + "/" + f.object;
        REQUIRE_MESSAGE(std::filesystem::exists(path), path << " was not built (corpus/meson.build)");
        ElfSyms syms = read_elf_symbols(path);
        REQUIRE(syms.ok);
        std::set<std::string> programs, text_funcs;
        for (const FuncSym& s : syms.funcs) {
            if (!s.exec) continue;
            (s.section == ".text" ? text_funcs : programs).insert(s.name);
        }
        std::vector<std::string> names = f.program_names();
        CHECK(std::set<std::string>(names.begin(), names.end()) == programs);
        for (const TailCallExpectation& t : f.tail_calls) CHECK_MESSAGE(syms.objects.count(t.map), t.map);
        for (const RunExpectation& r : f.runs)
            for (const std::string& pa : r.prog_array)
                CHECK_MESSAGE(syms.objects.count(pa.substr(0, pa.find(':'))), pa);

        bool available = false;
        std::map<std::string, std::set<uint32_t>> lines = objdump_lines(path, available);
        objdump |= available;
        if (!available) continue;
        auto line_in_program = [&](const std::string& prog, uint32_t line) {
            if (lines[prog].count(line)) return true;
            for (const std::string& sub : text_funcs)
                if (lines[sub].count(line)) return true;
            return false;
        };
        for (const DiagnosticExpectation& d : f.diagnostics)
            CHECK_MESSAGE(line_in_program(d.program, d.line),
                          d.program << " has no instruction on line " << d.line);
        for (const TailCallExpectation& t : f.tail_calls)
            CHECK_MESSAGE(line_in_program(t.program, t.line),
                          t.program << " has no instruction on line " << t.line);
    }
    if (!objdump)
        MESSAGE("llvm-objdump not found: expectation lines were not checked against the line table");
}
