// Text, JSON and SARIF renderings of a VerifyRun (see report_format.hpp for each format's shape).
#include "analysis/report_format.hpp"

#include <cctype>
#include <map>
#include <sstream>
#include <string_view>

#include "verifier/prog_type.hpp"

#ifndef TAILGATE_VERSION
#define TAILGATE_VERSION "0.0.0"
#endif

namespace tailgate {

using json = nlohmann::ordered_json;

RunSummary summarize(const VerifyRun& run) {
    RunSummary s;
    auto count = [&](const std::vector<Diagnostic>& ds) {
        for (const Diagnostic& d : ds) {
            if (d.severity == Severity::Error)
                ++s.errors;
            else if (d.severity == Severity::Warning)
                ++s.warnings;
            else
                ++s.notes;
        }
    };
    for (const ObjectReport& o : run.objects) {
        count(o.diagnostics);
        for (const ProgramReport& p : o.programs) {
            ++s.programs;
            (p.verdict == Verdict::Accepted ? s.accepted : s.rejected) += 1;
            count(p.diagnostics);
        }
    }
    return s;
}

namespace {

std::string plural(size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

void text_diagnostic(std::ostringstream& os, const std::string& object, const Diagnostic& d) {
    if (d.loc && d.loc->line) {
        os << d.loc->file << ':' << d.loc->line;
        if (d.loc->column) os << ':' << d.loc->column;
    } else {
        os << object;
    }
    os << ": " << severity_name(d.severity) << ": " << d.message;
    if (!d.program.empty() || d.insn) {
        os << " (";
        if (!d.program.empty()) os << "program " << d.program << (d.insn ? ", " : "");
        if (d.insn) os << "insn " << *d.insn;
        os << ')';
    }
    os << " [" << d.code << "]\n";
}

std::string range_text(uint64_t lo, uint64_t hi) {
    if (lo == hi) return "= " + std::to_string(lo);
    return "∈ [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

} // namespace

std::string format_text(const VerifyRun& run) {
    std::ostringstream os;
    for (const ObjectReport& o : run.objects) {
        for (const Diagnostic& d : o.diagnostics) text_diagnostic(os, o.file, d);
        for (const ProgramReport& p : o.programs) {
            for (const Diagnostic& d : p.diagnostics) text_diagnostic(os, o.file, d);
            size_t errors = 0, warnings = 0;
            for (const Diagnostic& d : p.diagnostics) {
                errors += d.severity == Severity::Error;
                warnings += d.severity == Severity::Warning;
            }
            os << o.file << ": " << p.name << " (" << prog_type_name(p.type)
               << "): " << verdict_name(p.verdict) << " — " << plural(p.instructions, "instruction")
               << ", stack " << p.stack_depth << " bytes, " << plural(p.tail_calls.size(), "tail call")
               << ", " << plural(errors, "error") << ", " << plural(warnings, "warning") << "\n";
            for (const TailCallSite& t : p.tail_calls) {
                os << "  tail call at insn " << t.insn << ": map "
                   << (t.map_names.empty() ? "?" : map_label(t)) << ", index "
                   << range_text(t.index_min, t.index_max);
                os << " → ";
                for (size_t i = 0; i < t.targets.size(); ++i) os << (i ? ", " : "") << t.targets[i];
                if (t.unknown_slots)
                    os << (t.targets.empty() ? "" : ", ")
                       << "any program of a compatible type (slots not known)";
                else if (t.targets.empty())
                    os << "no known target";
                os << "\n";
            }
        }
    }
    RunSummary s = summarize(run);
    os << plural(s.programs, "program") << ": " << s.accepted << " accepted, " << s.rejected << " rejected; "
       << plural(s.errors, "error") << ", " << plural(s.warnings, "warning");
    if (run.strict) os << " (--strict: warnings reject)";
    os << "\n";
    return os.str();
}

namespace {

json diagnostic_json(const Diagnostic& d) {
    json j = {{"severity", severity_name(d.severity)}, {"code", d.code}, {"message", d.message}};
    if (!d.program.empty()) j["program"] = d.program;
    j["insn"] = d.insn ? json(*d.insn) : json(nullptr);
    bool loc = d.loc && d.loc->line;
    j["file"] = loc ? json(d.loc->file) : json(nullptr);
    j["line"] = loc ? json(d.loc->line) : json(nullptr);
    j["column"] = loc ? json(d.loc->column) : json(nullptr);
    return j;
}

} // namespace

json to_json(const VerifyRun& run) {
    json objects = json::array();
    for (const ObjectReport& o : run.objects) {
        json programs = json::array();
        for (const ProgramReport& p : o.programs) {
            json tail_calls = json::array();
            for (const TailCallSite& t : p.tail_calls)
                tail_calls.push_back({{"insn", t.insn},
                                      {"map", t.map_names.empty() ? json(nullptr) : json(map_label(t))},
                                      {"maps", t.map_names},
                                      {"index_min", t.index_min},
                                      {"index_max", t.index_max},
                                      {"targets", t.targets},
                                      {"unknown_slots", t.unknown_slots}});
            json diags = json::array();
            for (const Diagnostic& d : p.diagnostics) diags.push_back(diagnostic_json(d));
            json functions = json::array();
            for (const FunctionReport& f : p.functions)
                functions.push_back({{"name", f.name},
                                     {"start", f.start},
                                     {"stack_depth", f.stack_depth},
                                     {"has_tail_call", f.has_tail_call},
                                     {"max_caller_stack", f.max_caller_stack}});
            programs.push_back({{"name", p.name},
                                {"section", p.section},
                                {"type", prog_type_name(p.type)},
                                {"verdict", verdict_name(p.verdict)},
                                {"instructions", p.instructions},
                                {"stack_depth", p.stack_depth},
                                {"tail_calls", tail_calls},
                                {"diagnostics", diags},
                                {"functions", functions}});
            // Whole-object results (issue 5), when the program was analysed with its objects.
            if (p.max_chain_length) programs.back()["max_chain_length"] = *p.max_chain_length;
            if (p.chain_stack_bytes) programs.back()["chain_stack_bytes"] = *p.chain_stack_bytes;
        }
        json diags = json::array();
        for (const Diagnostic& d : o.diagnostics) diags.push_back(diagnostic_json(d));
        objects.push_back({{"file", o.file}, {"programs", programs}, {"diagnostics", diags}});
    }
    RunSummary s = summarize(run);
    return {{"tool", {{"name", "tailgate"}, {"version", TAILGATE_VERSION}}},
            {"strict", run.strict},
            {"objects", objects},
            {"summary",
             {{"programs", s.programs},
              {"accepted", s.accepted},
              {"rejected", s.rejected},
              {"errors", s.errors},
              {"warnings", s.warnings}}}};
}

namespace {

const char* sarif_level(Severity s) {
    switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
    }
    return "error";
}

json sarif_rule(const std::string& id, const std::string& name, const std::string& description,
                Severity level) {
    return {{"id", id},
            {"name", name},
            {"shortDescription", {{"text", description}}},
            {"fullDescription", {{"text", description}}},
            {"defaultConfiguration", {{"level", sarif_level(level)}}}};
}

// A URI reference for a path: percent-encode what RFC 3986 does not allow verbatim.
std::string path_uri(const std::string& path) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        if (std::isalnum(c) ||
            std::string_view("-._~/:@!$&'()*+,;=").find(char(c)) != std::string_view::npos) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

} // namespace

json to_sarif(const VerifyRun& run) {
    json rules = json::array();
    std::map<std::string, size_t> rule_index;
    for (const DiagnosticCode& c : diagnostic_codes()) {
        rule_index[std::string(c.code)] = rules.size();
        rules.push_back(sarif_rule(std::string(c.code), std::string(c.name), std::string(c.description),
                                   c.default_severity));
    }
    auto index_of = [&](const Diagnostic& d) {
        auto it = rule_index.find(d.code);
        if (it != rule_index.end()) return it->second;
        size_t i = rules.size();
        rule_index[d.code] = i;
        rules.push_back(sarif_rule(d.code, d.code, "tailgate diagnostic " + d.code, d.severity));
        return i;
    };
    json results = json::array();
    auto add = [&](const std::string& object, const Diagnostic& d) {
        json phys;
        if (d.loc && d.loc->line) {
            json region = {{"startLine", d.loc->line}};
            if (d.loc->column) region["startColumn"] = d.loc->column;
            phys = {{"artifactLocation", {{"uri", path_uri(d.loc->file)}}}, {"region", region}};
        } else {
            phys = {{"artifactLocation", {{"uri", path_uri(object)}}}};
        }
        json location = {{"physicalLocation", phys}};
        if (!d.program.empty())
            location["logicalLocations"] = json::array({{{"name", d.program}, {"kind", "function"}}});
        json props = {{"object", object}};
        if (!d.program.empty()) props["program"] = d.program;
        if (d.insn) props["insn"] = *d.insn;
        size_t ri = index_of(d);
        results.push_back({{"ruleId", d.code},
                           {"ruleIndex", ri},
                           {"level", sarif_level(d.severity)},
                           {"message", {{"text", d.message}}},
                           {"locations", json::array({location})},
                           {"properties", props}});
    };
    json artifacts = json::array();
    for (const ObjectReport& o : run.objects) {
        artifacts.push_back(
            {{"location", {{"uri", path_uri(o.file)}}}, {"roles", json::array({"analysisTarget"})}});
        for (const Diagnostic& d : o.diagnostics) add(o.file, d);
        for (const ProgramReport& p : o.programs)
            for (const Diagnostic& d : p.diagnostics) add(o.file, d);
    }
    json driver = {{"name", "tailgate"},
                   {"version", TAILGATE_VERSION},
                   {"semanticVersion", TAILGATE_VERSION},
                   {"rules", rules}};
    RunSummary s = summarize(run);
    json run_j = {{"tool", {{"driver", driver}}},
                  {"artifacts", artifacts},
                  {"results", results},
                  {"columnKind", "unicodeCodePoints"},
                  {"properties",
                   {{"programs", s.programs},
                    {"accepted", s.accepted},
                    {"rejected", s.rejected},
                    {"strict", run.strict}}}};
    return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
            {"version", "2.1.0"},
            {"runs", json::array({run_j})}};
}

} // namespace tailgate
