// `tailgate disasm` against `llvm-objdump -d -r`: for every corpus object (TAILGATE_CORPUS_DIR/*.o) and
// every loader fixture, each executable section is compared instruction for instruction (per section, per
// slot; whitespace normalised; objdump's `<LBB0_2>` jump labels dropped) and relocation for relocation.
// A second check walks each loaded program (main function + appended subprograms) and compares the text
// `tailgate disasm` prints for every slot with objdump's text at the slot the program copied it from.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/test_support.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
namespace fs = std::filesystem;

namespace {

using testing::env_or;

std::vector<std::string> objects() {
    std::vector<std::string> out;
    for (const char* n :
         {"legacy20", "legacy28", "legacy36", "legacy_nosize", "globals", "btf_maps", "encodings"})
        out.push_back(testing::fixture_object(n));
    const std::vector<std::string> corpus = testing::corpus_objects();
    out.insert(out.end(), corpus.begin(), corpus.end());
    return out;
}

std::string normalise(const std::string& s) {
    static const std::regex label(R"(\s*<[^<>]*>\s*$)");
    std::string t = std::regex_replace(s, label, "");
    std::string out;
    bool space = false;
    for (char c : t) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

struct Dump {
    std::map<std::pair<std::string, uint32_t>, std::string> insns; // (section, slot) -> text
    std::set<std::tuple<std::string, uint32_t, std::string, std::string>>
        relocs; // section, slot, kind, symbol
};

Dump objdump(const std::string& path) {
    const std::string tool = env_or("TAILGATE_OBJDUMP", "llvm-objdump-14");
    const testing::CommandResult r = testing::run_command(tool + " -d -r --no-show-raw-insn '" + path + "'");
    REQUIRE_MESSAGE(r.status == 0, tool << " failed on " << path << ": " << r.err);
    const std::string& text = r.out;

    static const std::regex section(R"(^Disassembly of section (.*):$)");
    static const std::regex insn(R"(^\s*(\d+):\t(.*)$)");
    static const std::regex reloc(R"(^\s+([0-9a-f]+):\s+(R_BPF_\S+)\s+(.*)$)");
    Dump d;
    std::string current;
    std::istringstream in(text);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_match(line, m, section)) {
            current = m[1];
        } else if (std::regex_match(line, m, reloc)) {
            d.relocs.emplace(current, uint32_t(std::stoull(m[1], nullptr, 16) / 8), m[2], normalise(m[3]));
        } else if (std::regex_match(line, m, insn)) {
            d.insns[{current, uint32_t(std::stoul(m[1]))}] = normalise(m[2]);
        }
    }
    return d;
}

// Text of slot k of `code` as tailgate prints it; empty for the second half of an lddw.
std::string ours(std::span<const RawInsn> code, uint32_t k) {
    auto insn = decode_one(code, k);
    if (!insn.ok()) return "<decode error: " + insn.error().message + ">";
    return normalise(to_text(*insn, k));
}

// LLVM 14's printer drops the immediate of LD_IND (`r0 = *(u32 *)skb[r2]` for skb[r2 + 4]); tailgate prints
// it. The only difference accepted: ours with the `+ N`/`- N` removed equals objdump's.
bool same_modulo_ld_ind_imm(const std::string& objdump_text, const std::string& mine) {
    static const std::regex ind(R"(skb\[(r\d+) [-+] \d+\])");
    return std::regex_replace(mine, ind, "skb[$1]") == objdump_text;
}

} // namespace

TEST_CASE("every executable section matches llvm-objdump -d -r") {
    const std::vector<std::string> objs = objects();
    REQUIRE_FALSE(objs.empty());
    size_t compared = 0;
    std::map<std::string, std::string> differences; // objdump text -> ours, one example per distinct pair
    for (const std::string& path : objs) {
        CAPTURE(path);
        const Dump d = objdump(path);
        auto secs = load_code_sections(path);
        REQUIRE_MESSAGE(secs.ok(), secs.error().message);
        std::set<std::pair<std::string, uint32_t>> seen;
        for (const CodeSection& s : *secs) {
            for (uint32_t k = 0; k < s.code.size(); ++k) {
                auto it = d.insns.find({s.name, k});
                if (it == d.insns.end()) {
                    // The second slot of an lddw has no objdump line; anything else must have one.
                    const bool lddw_high =
                        k > 0 && s.code[k - 1].opcode == 0x18 && seen.count({s.name, k - 1});
                    CHECK_MESSAGE(lddw_high,
                                  path << " " << s.name << " slot " << k << " missing from objdump");
                    continue;
                }
                seen.insert({s.name, k});
                const std::string mine = ours(s.code, k);
                ++compared;
                if (mine != it->second && !same_modulo_ld_ind_imm(it->second, mine)) {
                    differences.emplace(it->second, mine);
                    FAIL_CHECK(path << " " << s.name << " slot " << k << ": objdump `" << it->second
                                    << "`, tailgate `" << mine << "`");
                }
            }
            for (const RelocNote& r : s.relocs) {
                CHECK_MESSAGE(d.relocs.count({s.name, r.insn, r.kind, r.symbol}) == 1,
                              path << " " << s.name << " slot " << r.insn << ": relocation " << r.kind << " "
                                   << r.symbol << " not in objdump's output");
            }
        }
        // Every objdump instruction belongs to a section we read.
        for (const auto& [key, text] : d.insns) {
            CHECK_MESSAGE(seen.count(key) == 1, path << " " << key.first << " slot " << key.second << " `"
                                                     << text << "` not in tailgate's sections");
        }
        size_t our_relocs = 0;
        for (const CodeSection& s : *secs) our_relocs += s.relocs.size();
        CHECK_MESSAGE(our_relocs == d.relocs.size(), path);
    }
    MESSAGE(compared << " instructions compared; " << differences.size() << " distinct differences");
    CHECK(compared > 0);
}

TEST_CASE("tailgate disasm's program view shows each slot as objdump does at its origin") {
    for (const std::string& path : objects()) {
        CAPTURE(path);
        auto obj = load_object(path);
        REQUIRE_MESSAGE(obj.ok(), obj.error().code << ": " << obj.error().message);
        auto secs = load_code_sections(path);
        REQUIRE(secs.ok());
        const Dump d = objdump(path);
        for (const Program& p : obj->programs) {
            REQUIRE(p.original.size() == p.insns.size());
            for (size_t fi = 0; fi < p.functions.size(); ++fi) {
                const Subprogram& f = p.functions[fi];
                const std::string sec_name = fi == 0 ? p.section : ".text";
                const CodeSection* cs = nullptr;
                for (const CodeSection& s : *secs) {
                    if (s.name == sec_name) cs = &s;
                }
                REQUIRE(cs != nullptr);
                const Subprogram* origin = nullptr;
                for (const Subprogram& sym : cs->symbols) {
                    if (sym.name == f.name) origin = &sym;
                }
                REQUIRE_MESSAGE(origin != nullptr, f.name);
                REQUIRE(origin->end - origin->start == f.end - f.start);
                for (uint32_t k = f.start; k < f.end; ++k) {
                    if (std::holds_alternative<LddwHigh>(p.insns[k])) continue;
                    auto it = d.insns.find({sec_name, origin->start + (k - f.start)});
                    REQUIRE(it != d.insns.end());
                    // Relative jumps are unchanged by copying; calls and lddw show the file's encoding.
                    CHECK_MESSAGE(normalise(to_text(*decode_one(p.original, k), k)) ==
                                      normalise(to_text(*decode_one(cs->code, origin->start + (k - f.start)),
                                                        origin->start + (k - f.start))),
                                  p.name << " slot " << k);
                }
            }
        }
    }
}
