// Corpus-driven verifier suite: every corpus program's verdict, its diagnostics (code, severity, source
// line) and its tail-call sites (map, proved index range) as its `// tailgate:` comments state
// (format: corpus/README.md; parser: tests/corpus_expect.hpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdlib>
#include <set>
#include <sstream>
#include <tuple>

#include "analysis/verify.hpp"
#include "tests/corpus_expect.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : fallback;
}

// Options for a `when=` value this suite can honour; nullopt for options of later issues
// (--max-chain-stack belongs to the whole-object analysis).
std::optional<VerifyOptions> options_for(std::string_view when) {
    VerifyOptions o;
    if (when.empty()) return o;
    if (when == "strict") {
        o.strict = true;
        return o;
    }
    if (when == "allow-ptr-leaks") {
        o.allow_ptr_leaks = true;
        return o;
    }
    if (when == "allow-uninit-stack") {
        o.allow_uninit_stack = true;
        return o;
    }
    return std::nullopt;
}

using DiagKey = std::tuple<std::string, std::string, uint32_t>; // code, severity, line

std::string show(const std::set<DiagKey>& s) {
    std::string out;
    for (const auto& [c, sev, l] : s) out += " " + c + "/" + sev + "@" + std::to_string(l);
    return out.empty() ? " (none)" : out;
}

std::string dump(const ProgramReport& r) {
    std::string s;
    for (const Diagnostic& d : r.diagnostics)
        s += "\n  insn " + std::to_string(d.insn.value_or(0)) + " line " +
             std::to_string(d.loc ? d.loc->line : 0) + " " + d.code + ": " + d.message;
    return s;
}

uint32_t line_of(const Program& p, uint32_t insn) {
    return insn < p.lines.size() && p.lines[insn] ? p.lines[insn]->line : 0;
}

} // namespace

TEST_CASE("every corpus program gets the stated verdict, diagnostics and tail-call ranges") {
    const std::string src_dir = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus";
    const std::string obj_dir = env_or("TAILGATE_CORPUS_DIR", "corpus");
    auto files = corpus::load_corpus_expectations(src_dir);
    REQUIRE(!files.empty());
    size_t programs_checked = 0;
    for (const corpus::CorpusFile& cf : files) {
        INFO("corpus file " << cf.source);
        for (const std::string& e : cf.errors) FAIL_CHECK("expectation parse error: " << e);
        auto obj = load_object(obj_dir + "/" + cf.object);
        REQUIRE_MESSAGE(obj.ok(), (obj.ok() ? std::string() : obj.error().code + ": " + obj.error().message));
        for (const std::string& name : cf.program_names()) {
            INFO("program " << name);
            size_t idx = obj->programs.size();
            for (size_t i = 0; i < obj->programs.size(); ++i)
                if (obj->programs[i].name == name) idx = i;
            REQUIRE_MESSAGE(idx < obj->programs.size(), "program " << name << " not in " << cf.object);
            const Program& prog = obj->programs[idx];

            // every `when` that matters for this program, and the default
            std::set<std::string> whens = {""};
            for (const auto& v : cf.programs)
                if (v.program == name) whens.insert(v.when);
            for (const auto& d : cf.diagnostics)
                if (d.program == name) whens.insert(d.when);
            for (const std::string& when : whens) {
                auto opts = options_for(when);
                if (!opts) continue;
                INFO("when=" << when);
                auto rep = verify_program(*obj, idx, *opts);
                REQUIRE(rep.ok());
                ++programs_checked;
                INFO("diagnostics:" << dump(*rep));
                if (const auto* v = cf.verdict_for(name, when)) {
                    Verdict want =
                        v->verdict == corpus::Verdict::Accepted ? Verdict::Accepted : Verdict::Rejected;
                    CHECK_MESSAGE(rep->verdict == want, name << " should be " << verdict_name(want));
                }
                std::set<DiagKey> want, got;
                for (const auto& d : cf.diagnostics_for(name, when))
                    if (d.severity != "note") want.insert({d.code, d.severity, d.line});
                for (const Diagnostic& d : rep->diagnostics)
                    if (d.severity != Severity::Note)
                        got.insert({d.code, severity_name(d.severity), d.loc ? d.loc->line : 0});
                CHECK_MESSAGE(got == want, name << ": expected" << show(want) << ", got" << show(got));
            }

            // tail-call sites: the map and the proved u32 index range on the stated line
            auto rep = verify_program(*obj, idx, VerifyOptions{});
            REQUIRE(rep.ok());
            for (const auto& tc : cf.tail_calls) {
                if (tc.program != name) continue;
                bool found = false;
                for (const TailCallSite& s : rep->tail_calls) {
                    if (line_of(prog, s.insn) != tc.line || map_label(s) != tc.map) continue;
                    found = true;
                    CHECK_MESSAGE(s.index_min == tc.index_min,
                                  name << " line " << tc.line << ": index_min " << s.index_min);
                    CHECK_MESSAGE(s.index_max == tc.index_max,
                                  name << " line " << tc.line << ": index_max " << s.index_max);
                }
                CHECK_MESSAGE(found,
                              name << ": no tail-call site of map " << tc.map << " on line " << tc.line);
            }
        }
    }
    CHECK(programs_checked > 40);
}
