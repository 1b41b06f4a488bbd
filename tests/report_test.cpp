// Rendering of verification results (analysis/report_format.hpp) on synthetic reports: text lines in gcc
// style, JSON field names of issue 3 item 6, SARIF 2.1.0 shape; and the diagnostic code table.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/diagnostics.hpp"
#include "analysis/report_format.hpp"

using namespace tailgate;
using json = nlohmann::ordered_json;

namespace {

Diagnostic diag(Severity sev, std::string code, std::string msg, std::string prog,
                std::optional<uint32_t> insn, std::optional<SourceLoc> loc) {
    Diagnostic d;
    d.severity = sev;
    d.code = std::move(code);
    d.message = std::move(msg);
    d.program = std::move(prog);
    d.insn = insn;
    d.loc = std::move(loc);
    return d;
}

VerifyRun sample_run() {
    ProgramReport dispatch;
    dispatch.name = "dispatch";
    dispatch.section = "xdp";
    dispatch.type = ProgType::Xdp;
    dispatch.verdict = Verdict::Accepted;
    dispatch.instructions = 26;
    dispatch.stack_depth = 0;
    TailCallSite site;
    site.insn = 23;
    site.map = 0;
    site.map_names = {"jmp_table"};
    site.index_min = 0;
    site.index_max = 4294967295ULL;
    site.targets = {"parse_tcp", "parse_udp"};
    dispatch.tail_calls.push_back(site);
    dispatch.diagnostics.push_back(
        diag(Severity::Warning, "tail-call-index",
             "r3 ∈ [0, 4294967295] may exceed max_entries 4 of map 'jmp_table'; the "
             "tail call then falls through",
             "dispatch", 23, SourceLoc{"x.c", 30, 2}));

    ProgramReport bad;
    bad.name = "bad";
    bad.section = "tc";
    bad.type = ProgType::SchedCls;
    bad.verdict = Verdict::Rejected;
    bad.instructions = 5;
    bad.stack_depth = 8;
    bad.diagnostics.push_back(diag(Severity::Error, "memory-bounds", "read of 4 bytes at packet offset 14",
                                   "bad", 3, std::nullopt));

    ObjectReport obj;
    obj.file = "x.o";
    obj.programs = {dispatch, bad};
    VerifyRun run;
    run.objects.push_back(obj);
    return run;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("diagnostic codes: the issue's list, unique, each described") {
    const std::vector<std::string> expected = {
        "invalid-instruction", "uninitialized-register", "ctx-access",    "memory-bounds",
        "null-dereference",    "pointer-arithmetic",     "pointer-leak",  "helper-argument",
        "unknown-helper",      "invalid-return",         "stack-limit",   "call-depth",
        "unbounded-loop",      "tail-call-ctx",          "tail-call-map", "tail-call-index",
        "tail-call-stack",     "tail-call-target-type"};
    auto codes = diagnostic_codes();
    REQUIRE(codes.size() >= expected.size()); // the list first; later issues may add codes
    std::set<std::string> names, ids;
    for (size_t i = 0; i < codes.size(); ++i) {
        if (i < expected.size()) CHECK(codes[i].code == expected[i]);
        ids.insert(std::string(codes[i].code));
        CHECK(!codes[i].description.empty());
        CHECK(!codes[i].name.empty());
        names.insert(std::string(codes[i].name));
    }
    CHECK(names.size() == codes.size());
    CHECK(ids.size() == codes.size());
    CHECK(find_diagnostic_code("tail-call-index")->default_severity == Severity::Warning);
    CHECK(find_diagnostic_code("nope") == nullptr);
    CHECK(std::string(severity_name(Severity::Note)) == "note");
    CHECK(severity_from_name("warning") == Severity::Warning);
    CHECK_FALSE(severity_from_name("fatal").has_value());
}

TEST_CASE("make_diagnostic takes the line info of the instruction") {
    Program p;
    p.name = "f";
    p.lines = {std::nullopt, SourceLoc{"a.c", 7, 3}};
    Diagnostic d = make_diagnostic(Severity::Error, "memory-bounds", "m", p, 1);
    REQUIRE(d.loc);
    CHECK(d.loc->line == 7);
    CHECK(d.program == "f");
    CHECK(d.insn == 1u);
    CHECK_FALSE(make_diagnostic(Severity::Error, "memory-bounds", "m", p, 0).loc);
    CHECK_FALSE(make_diagnostic(Severity::Error, "memory-bounds", "m", p, 9).loc);
    CHECK(is_rejecting(d, false));
    d.severity = Severity::Warning;
    CHECK_FALSE(is_rejecting(d, false));
    CHECK(is_rejecting(d, true));
}

TEST_CASE("text: gcc-style diagnostic lines, verdict lines, summary") {
    auto ls = lines(format_text(sample_run()));
    REQUIRE(ls.size() == 6);
    CHECK(ls[0] == "x.c:30:2: warning: r3 ∈ [0, 4294967295] may exceed max_entries 4 of map 'jmp_table'; the "
                   "tail call then falls through (program dispatch, insn 23) [tail-call-index]");
    CHECK(ls[1].rfind("x.o: dispatch (xdp): accepted", 0) == 0);
    CHECK(ls[1].find("26 instructions") != std::string::npos);
    CHECK(ls[1].find("1 tail call,") != std::string::npos);
    CHECK(ls[2] == "  tail call at insn 23: map jmp_table, index ∈ [0, 4294967295] → parse_tcp, parse_udp");
    CHECK(ls[3] == "x.o: error: read of 4 bytes at packet offset 14 (program bad, insn 3) [memory-bounds]");
    CHECK(ls[4].rfind("x.o: bad (sched_cls): rejected", 0) == 0);
    CHECK(ls[5] == "2 programs: 1 accepted, 1 rejected; 1 error, 1 warning");
}

TEST_CASE("json: the fields of the issue") {
    json j = to_json(sample_run());
    CHECK(j["tool"]["name"] == "tailgate");
    CHECK(j["tool"]["version"].is_string());
    REQUIRE(j["objects"].size() == 1);
    const json& o = j["objects"][0];
    CHECK(o["file"] == "x.o");
    CHECK(o["diagnostics"].is_array());
    REQUIRE(o["programs"].size() == 2);
    const json& p = o["programs"][0];
    CHECK(p["name"] == "dispatch");
    CHECK(p["section"] == "xdp");
    CHECK(p["type"] == "xdp");
    CHECK(p["verdict"] == "accepted");
    CHECK(p["instructions"] == 26);
    CHECK(p["stack_depth"] == 0);
    REQUIRE(p["tail_calls"].size() == 1);
    const json& t = p["tail_calls"][0];
    CHECK(t["insn"] == 23);
    CHECK(t["map"] == "jmp_table");
    CHECK(t["index_min"] == 0);
    CHECK(t["index_max"] == 4294967295ULL);
    CHECK(t["targets"] == json::array({"parse_tcp", "parse_udp"}));
    REQUIRE(p["diagnostics"].size() == 1);
    const json& d = p["diagnostics"][0];
    CHECK(d["severity"] == "warning");
    CHECK(d["code"] == "tail-call-index");
    CHECK(d["message"].get<std::string>().find("max_entries 4") != std::string::npos);
    CHECK(d["insn"] == 23);
    CHECK(d["file"] == "x.c");
    CHECK(d["line"] == 30);
    CHECK(d["column"] == 2);
    const json& bd = o["programs"][1]["diagnostics"][0];
    CHECK(o["programs"][1]["verdict"] == "rejected");
    CHECK(bd["file"].is_null());
    CHECK(bd["line"].is_null());
    CHECK(bd["insn"] == 3);
    const json& s = j["summary"];
    CHECK(s["programs"] == 2);
    CHECK(s["accepted"] == 1);
    CHECK(s["rejected"] == 1);
    CHECK(s["errors"] == 1);
    CHECK(s["warnings"] == 1);
}

TEST_CASE("sarif: 2.1.0 with a rule per code and a physical location per result") {
    VerifyRun run = sample_run();
    run.objects[0].diagnostics.push_back(
        diag(Severity::Note, "some-new-code", "object-level note", "", std::nullopt, std::nullopt));
    json s = to_sarif(run);
    CHECK(s["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
    CHECK(s["version"] == "2.1.0");
    REQUIRE(s["runs"].size() == 1);
    const json& r = s["runs"][0];
    CHECK(r["tool"]["driver"]["name"] == "tailgate");
    const json& rules = r["tool"]["driver"]["rules"];
    REQUIRE(rules.size() == diagnostic_codes().size() + 1); // plus the unknown code used
    for (size_t i = 0; i < diagnostic_codes().size(); ++i) {
        CHECK(rules[i]["id"] == std::string(diagnostic_codes()[i].code));
        CHECK(rules[i]["shortDescription"]["text"].is_string());
        CHECK(rules[i]["defaultConfiguration"]["level"].is_string());
    }
    const json& results = r["results"];
    REQUIRE(results.size() == 3);
    for (const json& res : results) {
        size_t ri = res["ruleIndex"].get<size_t>();
        REQUIRE(ri < rules.size());
        CHECK(rules[ri]["id"] == res["ruleId"]);
        CHECK(res["message"]["text"].is_string());
        REQUIRE(res["locations"].size() == 1);
        CHECK(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
    // object-level first, then per program in order
    CHECK(results[0]["level"] == "note");
    CHECK(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "x.o");
    CHECK(results[1]["ruleId"] == "tail-call-index");
    CHECK(results[1]["level"] == "warning");
    const json& phys = results[1]["locations"][0]["physicalLocation"];
    CHECK(phys["artifactLocation"]["uri"] == "x.c");
    CHECK(phys["region"]["startLine"] == 30);
    CHECK(phys["region"]["startColumn"] == 2);
    CHECK(results[1]["locations"][0]["logicalLocations"][0]["name"] == "dispatch");
    CHECK(results[1]["properties"]["insn"] == 23);
    CHECK(results[2]["level"] == "error");
    CHECK_FALSE(results[2]["locations"][0]["physicalLocation"].contains("region"));
}

TEST_CASE("summary counts object-level diagnostics and verdicts") {
    VerifyRun run = sample_run();
    run.objects[0].diagnostics.push_back(
        diag(Severity::Error, "invalid-instruction", "x", "", std::nullopt, {}));
    RunSummary s = summarize(run);
    CHECK(s.programs == 2);
    CHECK(s.errors == 2);
    CHECK(s.warnings == 1);
    VerifyRun empty;
    CHECK(lines(format_text(empty)).back() == "0 programs: 0 accepted, 0 rejected; 0 errors, 0 warnings");
}
