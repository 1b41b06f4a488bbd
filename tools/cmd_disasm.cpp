// `tailgate disasm FILE.o [--program NAME] [--format text|json]`: the maps of an object and each program's
// instructions in llvm-objdump syntax (the encoding as stored in the file, so that the text matches
// `llvm-objdump -d -r`), each relocation resolved to its symbol name, and the C source line above each group
// of instructions that come from the same line.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tools/cli.hpp"
#include "verifier/file_io.hpp"
#include "verifier/isa.hpp"

namespace tailgate::cli {

namespace {

const CommandSpec kSpec{
    "disasm",
    "FILE.o [--program NAME] [--format text|json]",
    "Print the maps (name, type, key/value size, max_entries, static prog-array slots) and the programs\n"
    "(section, type, instructions with relocations and source lines) of an eBPF object file.",
    {
        {"program", "NAME", "only this program", {}},
        {"format", "text|json", "output format (default text)", {"text", "json"}},
    },
    1,
    1,
};

// Source files, read once each; a file that cannot be read is remembered as missing.
class SourceCache {
  public:
    // The text of `line` in `file`, or nullopt when the file or line is not available.
    std::optional<std::string> line(const std::string& file, uint32_t line_no) {
        auto it = files_.find(file);
        if (it == files_.end()) {
            std::vector<std::string> lines;
            std::ifstream in(file);
            if (in) {
                std::string l;
                while (std::getline(in, l)) {
                    if (!l.empty() && l.back() == '\r') l.pop_back();
                    lines.push_back(std::move(l));
                }
            }
            it = files_.emplace(file, std::move(lines)).first;
        }
        if (line_no == 0 || line_no > it->second.size()) return std::nullopt;
        return it->second[line_no - 1];
    }

  private:
    std::map<std::string, std::vector<std::string>> files_;
};

// Text of slot k as llvm-objdump shows it: decoded from the file's encoding (before relocation).
std::string insn_text(const Program& p, uint32_t k) {
    if (k < p.original.size()) {
        auto insn = decode_one(p.original, k);
        if (insn.ok()) return to_text(*insn, k);
    }
    return to_text(p.insns[k], k);
}

std::string map_line(const MapDef& m) {
    std::ostringstream os;
    os << m.name << ": " << map_type_name(m.type) << " key_size " << m.key_size << " value_size "
       << m.value_size << " max_entries " << m.max_entries;
    if (m.flags) os << " flags 0x" << std::hex << m.flags << std::dec;
    if (m.origin == MapOrigin::Legacy) os << " (legacy maps section)";
    if (m.origin == MapOrigin::GlobalData)
        os << (m.readonly ? " (global data, read-only)" : " (global data)");
    if (m.origin == MapOrigin::InnerTemplate) os << " (inner map template)";
    if (m.spin_lock_off >= 0) os << " bpf_spin_lock at " << m.spin_lock_off;
    return os.str();
}

void print_text(const Object& obj, const std::vector<const Program*>& progs) {
    SourceCache sources;
    std::cout << "file: " << obj.path << "\n";
    if (!obj.license.empty()) std::cout << "license: " << obj.license << "\n";
    std::cout << "\nmaps:\n";
    if (obj.maps.empty()) std::cout << "  (none)\n";
    for (const MapDef& m : obj.maps) {
        std::cout << "  " << map_line(m) << "\n";
        for (const auto& [slot, prog] : m.prog_slots)
            std::cout << "    slot " << slot << ": " << prog << "\n";
        for (const auto& [slot, map] : m.inner_map_slots)
            std::cout << "    slot " << slot << ": map " << map << "\n";
    }
    for (const Program* p : progs) {
        std::cout << "\nprogram " << p->name << " (section " << p->section << ", type "
                  << prog_type_name(p->type) << (p->autoload ? "" : ", not auto-loaded") << "):\n";
        std::map<uint32_t, std::string> fn_start;
        for (const Subprogram& f : p->functions) fn_start[f.start] = f.name;
        std::multimap<uint32_t, const RelocNote*> relocs;
        for (const RelocNote& r : p->relocs) relocs.emplace(r.insn, &r);
        std::optional<std::pair<std::string, uint32_t>> last_line;
        for (uint32_t k = 0; k < p->insns.size(); ++k) {
            if (std::holds_alternative<LddwHigh>(p->insns[k])) continue;
            if (auto f = fn_start.find(k); f != fn_start.end()) {
                std::cout << "\n<" << f->second << ">:\n";
                last_line.reset();
            }
            if (k < p->lines.size() && p->lines[k]) {
                const SourceLoc& loc = *p->lines[k];
                std::pair<std::string, uint32_t> key{loc.file, loc.line};
                if (!last_line || *last_line != key) {
                    auto text = sources.line(loc.file, loc.line);
                    if (text)
                        std::cout << "; " << *text << "\n";
                    else
                        std::cout << "; " << loc.file << ":" << loc.line << "\n";
                    last_line = key;
                }
            }
            std::string idx = std::to_string(k);
            if (idx.size() < 8) idx.insert(0, 8 - idx.size(), ' ');
            std::cout << idx << ":\t" << insn_text(*p, k) << "\n";
            auto [b, e] = relocs.equal_range(k);
            for (auto it = b; it != e; ++it)
                std::cout << "\t\t" << it->second->kind << "\t" << it->second->symbol << "\n";
        }
    }
}

void print_json(const Object& obj, const std::vector<const Program*>& progs) {
    nlohmann::ordered_json out;
    out["file"] = obj.path;
    out["maps"] = nlohmann::ordered_json::array();
    for (const MapDef& m : obj.maps) {
        nlohmann::ordered_json jm;
        jm["name"] = m.name;
        jm["type"] = map_type_name(m.type);
        jm["key_size"] = m.key_size;
        jm["value_size"] = m.value_size;
        jm["max_entries"] = m.max_entries;
        jm["slots"] = nlohmann::ordered_json::object();
        for (const auto& [slot, prog] : m.prog_slots) jm["slots"][std::to_string(slot)] = prog;
        for (const auto& [slot, map] : m.inner_map_slots) jm["slots"][std::to_string(slot)] = map;
        if (m.inner_map >= 0) jm["inner_map"] = obj.maps[size_t(m.inner_map)].name;
        if (m.origin == MapOrigin::InnerTemplate) jm["inner_map_template"] = true;
        if (m.spin_lock_off >= 0) jm["spin_lock_off"] = m.spin_lock_off;
        out["maps"].push_back(std::move(jm));
    }
    out["programs"] = nlohmann::ordered_json::array();
    for (const Program* p : progs) {
        nlohmann::ordered_json jp;
        jp["name"] = p->name;
        jp["section"] = p->section;
        jp["type"] = prog_type_name(p->type);
        jp["instructions"] = nlohmann::ordered_json::array();
        for (uint32_t k = 0; k < p->insns.size(); ++k) {
            if (std::holds_alternative<LddwHigh>(p->insns[k])) continue;
            nlohmann::ordered_json ji;
            ji["index"] = k;
            ji["text"] = insn_text(*p, k);
            if (k < p->lines.size() && p->lines[k]) {
                ji["file"] = p->lines[k]->file;
                ji["line"] = p->lines[k]->line;
            } else {
                ji["file"] = nullptr;
                ji["line"] = nullptr;
            }
            jp["instructions"].push_back(std::move(ji));
        }
        out["programs"].push_back(std::move(jp));
    }
    std::cout << json_text(out) << "\n";
}

} // namespace

int cmd_disasm(const std::vector<std::string>& args) {
    int code = kExitOk;
    auto parsed = parse_or_exit(kSpec, args, code);
    if (!parsed) return code;
    const std::string& path = parsed->positional[0];
    auto obj = load_or_report(path);
    if (!obj) return kExitBadInput;

    auto selected = select_programs(*parsed, *obj, path);
    if (!selected) return kExitBadInput;
    const std::vector<const Program*>& progs = *selected;
    if (parsed->get("format", "text") == "json")
        print_json(*obj, progs);
    else
        print_text(*obj, progs);
    std::cout.flush();
    return kExitOk;
}

} // namespace tailgate::cli
