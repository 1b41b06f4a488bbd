// The `tailgate` binary as users and CI see it: exit codes (0 ok, 1 a problem found, 2 bad input or usage
// with exactly one line on stderr), the verify formats (gcc-style text lines that point at real files, the
// JSON fields of issue 3, SARIF 2.1.0 whose results all have a rule and a location), --strict, and the
// other commands' JSON. Runs TAILGATE_BIN on the built corpus.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/test_support.hpp"

using namespace tailgate::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

// A usage or input error: exit 2, nothing on stdout, exactly one line on stderr starting with `tailgate`.
void check_usage_error(const std::string& args, const std::string& must_mention) {
    CAPTURE(args);
    const CommandResult r = run_tailgate(args);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("tailgate", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_MESSAGE(r.err.find(must_mention) != std::string::npos, r.err);
}

json parse_json(const CommandResult& r) {
    json j = json::parse(r.out, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << r.out.substr(0, 400));
    return j;
}

std::string packet(const std::string& name) {
    return env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus/packets/" + name + ".hex";
}

} // namespace

TEST_CASE("--help and --version exit 0; an unknown command or option exits 2 with one line") {
    CommandResult r = run_tailgate("--help");
    CHECK(r.status == 0);
    for (const char* cmd : {"disasm", "cfg", "asm", "run", "verify", "graph"})
        CHECK_MESSAGE(r.out.find(std::string("  ") + cmd + " ") != std::string::npos, cmd);
    r = run_tailgate("--version");
    CHECK(r.status == 0);
    CHECK(r.out.rfind("tailgate ", 0) == 0);

    check_usage_error("frob", "frob");
    for (const char* cmd : {"disasm", "cfg", "run --program p", "verify", "graph"}) {
        check_usage_error(std::string(cmd) + " --bogus " + corpus_object("tail_index"), "--bogus");
        check_usage_error(std::string(cmd) + " /nonexistent/x.o", "/nonexistent/x.o");
    }
    check_usage_error("run " + corpus_object("tail_index"), "--program");
}

TEST_CASE("verify exit codes: 0 all accepted, 1 any rejected, 2 bad input; --strict makes warnings count") {
    CHECK(run_tailgate("verify " + corpus_object("proto_dispatch")).status == 0);
    CHECK(run_tailgate("verify " + corpus_object("neg_memory")).status == 1);
    // One rejected object among accepted ones rejects the run.
    CHECK(run_tailgate("verify " + corpus_object("proto_dispatch") + " " + corpus_object("neg_memory"))
              .status == 1);
    // tail_index has tail-call-index warnings only.
    CHECK(run_tailgate("verify " + corpus_object("tail_index")).status == 0);
    CHECK(run_tailgate("verify --strict " + corpus_object("tail_index")).status == 1);
    // uninit_slot reads a stack slot written on one path: refused unless --allow-uninit-stack
    CHECK(run_tailgate("verify --program uninit_slot " + corpus_object("neg_stack")).status == 1);
    CHECK(run_tailgate("verify --allow-uninit-stack --program uninit_slot " + corpus_object("neg_stack"))
              .status == 0);

    check_usage_error("verify --format xml " + corpus_object("tail_index"), "xml");
    check_usage_error("verify --program nosuch " + corpus_object("tail_index"), "nosuch");
    check_usage_error("verify --prog-array junk " + corpus_object("tail_index"), "junk");
    check_usage_error("verify --max-chain-stack lots " + corpus_object("tail_index"), "lots");
    check_usage_error("verify", "verify");
    // A bad object among good ones: exit 2, nothing half-printed on stdout.
    const std::string not_elf = env_or("TAILGATE_SOURCE_DIR", ".") + "/corpus/README.md";
    check_usage_error("verify " + corpus_object("proto_dispatch") + " " + quoted(not_elf), "README.md");
}

TEST_CASE("verify text: gcc-style diagnostic lines naming files that exist, verdict lines and a summary") {
    const CommandResult r =
        run_tailgate("verify " + corpus_object("neg_memory") + " " + corpus_object("tail_index"));
    REQUIRE(r.status == 1);
    static const std::regex diag(R"(^(.+):(\d+):(\d+): (error|warning|note): (.+) \[([a-z-]+)\]$)");
    static const std::regex verdict(R"(^.+\.o: \S+ \(\S+\): (accepted|rejected) — .*$)");
    static const std::regex summary(
        R"(^(\d+) programs?: (\d+) accepted, (\d+) rejected; (\d+) errors?, (\d+) warnings?$)");
    std::istringstream in(r.out);
    std::string line;
    int diagnostics = 0, verdicts = 0, summaries = 0;
    std::set<std::string> codes;
    while (std::getline(in, line)) {
        CAPTURE(line);
        std::smatch m;
        if (std::regex_match(line, m, diag)) {
            ++diagnostics;
            codes.insert(m[6]);
            // The path is one an editor can open: normalised, no "/../".
            CHECK(fs::exists(m[1].str()));
            CHECK(m[1].str().find("/../") == std::string::npos);
            CHECK(std::stoi(m[2]) > 0);
        } else if (std::regex_match(line, verdict)) {
            ++verdicts;
        } else if (std::regex_match(line, m, summary)) {
            ++summaries;
            CHECK(std::stoi(m[1]) == std::stoi(m[2]) + std::stoi(m[3]));
            CHECK(std::stoi(m[3]) > 0);
        } else {
            // Anything else is an indented detail line (tail-call sites).
            CHECK(line.rfind("  ", 0) == 0);
        }
    }
    CHECK(diagnostics > 0);
    CHECK(codes.count("memory-bounds") == 1);
    CHECK(codes.count("tail-call-index") == 1);
    CHECK(verdicts > 0);
    CHECK(summaries == 1);
}

TEST_CASE("verify JSON has the fields of issue 3, and its summary adds up") {
    const CommandResult r = run_tailgate("verify --format json " + corpus_object("proto_dispatch") + " " +
                                         corpus_object("neg_memory") + " " + corpus_object("tail_index"));
    REQUIRE(r.status == 1);
    const json j = parse_json(r);
    CHECK(j.at("tool").at("name") == "tailgate");
    CHECK(j.at("tool").at("version").is_string());
    REQUIRE(j.at("objects").size() == 3);
    int programs = 0, accepted = 0, rejected = 0, errors = 0, warnings = 0;
    bool saw_targets = false;
    for (const json& obj : j.at("objects")) {
        CHECK(obj.at("file").is_string());
        CHECK(obj.at("diagnostics").is_array());
        for (const json& p : obj.at("programs")) {
            ++programs;
            for (const char* key : {"name", "section", "type", "verdict"}) CHECK(p.at(key).is_string());
            CHECK(p.at("instructions").get<int>() > 0);
            CHECK(p.at("stack_depth").get<int>() >= 0);
            const std::string verdict = p.at("verdict");
            CHECK((verdict == "accepted" || verdict == "rejected"));
            (verdict == "accepted" ? accepted : rejected)++;
            bool has_error = false;
            for (const json& d : p.at("diagnostics")) {
                const std::string sev = d.at("severity");
                CHECK((sev == "error" || sev == "warning" || sev == "note"));
                if (sev == "error") ++errors, has_error = true;
                if (sev == "warning") ++warnings;
                CHECK(d.at("code").is_string());
                CHECK(!d.at("message").get<std::string>().empty());
                CHECK(d.at("insn").is_number_integer());
                CHECK(d.at("file").is_string());
                CHECK(d.at("line").get<int>() > 0);
                CHECK(d.at("column").is_number_integer());
            }
            CHECK(has_error == (verdict == "rejected"));
            for (const json& t : p.at("tail_calls")) {
                CHECK(t.at("insn").is_number_integer());
                CHECK(t.at("map").is_string());
                CHECK(t.at("index_min").get<uint64_t>() <= t.at("index_max").get<uint64_t>());
                CHECK(t.at("targets").is_array());
                CHECK(t.at("unknown_slots").is_boolean());
                if (p.at("name") == "dispatch") {
                    CHECK(t.at("map") == "jmp_table");
                    CHECK(t.at("maps") == json::array({"jmp_table"}));
                    CHECK(t.at("targets") == json::array({"parse_tcp", "parse_udp"}));
                    CHECK(t.at("unknown_slots") == false);
                    saw_targets = true;
                }
            }
        }
    }
    CHECK(saw_targets);
    const json& s = j.at("summary");
    CHECK(s.at("programs") == programs);
    CHECK(s.at("accepted") == accepted);
    CHECK(s.at("rejected") == rejected);
    CHECK(s.at("errors") == errors);
    CHECK(s.at("warnings") == warnings);
    CHECK(rejected > 0);
    CHECK(warnings > 0);
}

TEST_CASE("verify says when a site's slots are not known (issue 5: any program of a compatible type)") {
    // maps_programs' prog array has no static initialisation: cls_mark's site can reach any classifier.
    const CommandResult r =
        run_tailgate("verify --format json --program cls_mark " + corpus_object("maps_programs"));
    REQUIRE(r.status == 0);
    const json j = parse_json(r);
    const json& p = j.at("objects")[0].at("programs")[0];
    REQUIRE(p.at("name") == "cls_mark");
    REQUIRE(p.at("tail_calls").size() == 1);
    const json& site = p.at("tail_calls")[0];
    CHECK(site.at("unknown_slots") == true);
    CHECK(std::find(site.at("targets").begin(), site.at("targets").end(), "cls_mark") ==
          site.at("targets").end());

    const CommandResult text = run_tailgate("verify --program cls_mark " + corpus_object("maps_programs"));
    CHECK(text.status == 0);
    CHECK(text.out.find("any program of a compatible type (slots not known)") != std::string::npos);
    CHECK(text.out.find("no known target") == std::string::npos);

    // --prog-array describes the map as static initialisation does: the named slots hold their programs,
    // the others are empty.
    const CommandResult flagged = run_tailgate(
        "verify --prog-array legacy_jmp:0=cls_mark --program cls_mark " + corpus_object("maps_programs"));
    CHECK(flagged.out.find("index ∈ [0, 3] → cls_mark\n") != std::string::npos);
    CHECK(flagged.out.find("slots not known") == std::string::npos);

    // A manifest can name some slots and leave others "dynamic": both are said.
    const auto manifest = std::filesystem::temp_directory_path() /
                          ("tailgate-cli-manifest-" + std::to_string(getpid()) + ".json");
    { std::ofstream(manifest) << R"({"prog_arrays": {"legacy_jmp": {"0": "cls_mark", "2": "dynamic"}}})"; }
    const CommandResult mixed = run_tailgate("verify --format json --manifest " + manifest.string() +
                                             " --program cls_mark " + corpus_object("maps_programs"));
    std::filesystem::remove(manifest);
    REQUIRE(mixed.status == 0);
    const json mixed_site = parse_json(mixed).at("objects")[0].at("programs")[0].at("tail_calls")[0];
    CHECK(mixed_site.at("targets") == json::array({"cls_mark"}));
    CHECK(mixed_site.at("unknown_slots") == true);
}

TEST_CASE("verify SARIF 2.1.0: every result names a declared rule and a physical location") {
    const CommandResult r = run_tailgate("verify --format sarif " + corpus_object("neg_memory") + " " +
                                         corpus_object("tail_index"));
    REQUIRE(r.status == 1);
    const json j = parse_json(r);
    CHECK(j.at("version") == "2.1.0");
    REQUIRE(j.at("runs").size() == 1);
    const json& run = j.at("runs")[0];
    CHECK(run.at("tool").at("driver").at("name") == "tailgate");
    std::set<std::string> rules;
    for (const json& rule : run.at("tool").at("driver").at("rules")) rules.insert(rule.at("id"));
    for (const char* code :
         {"memory-bounds", "tail-call-index", "tail-call-ctx", "tail-call-map", "tail-call-stack",
          "tail-call-target-type", "unbounded-loop", "ctx-access", "pointer-leak"})
        CHECK_MESSAGE(rules.count(code) == 1, code);
    REQUIRE(!run.at("results").empty());
    std::set<std::string> levels;
    for (const json& res : run.at("results")) {
        CHECK(rules.count(res.at("ruleId").get<std::string>()) == 1);
        levels.insert(res.at("level"));
        CHECK(!res.at("message").at("text").get<std::string>().empty());
        const json& loc = res.at("locations").at(0).at("physicalLocation");
        CHECK(!loc.at("artifactLocation").at("uri").get<std::string>().empty());
        CHECK(loc.at("region").at("startLine").get<int>() > 0);
    }
    CHECK(levels.count("error") == 1);
    CHECK(levels.count("warning") == 1);
}

TEST_CASE("graph, disasm, cfg and run: JSON output and exit codes") {
    CommandResult r = run_tailgate("graph --format json " + corpus_object("tail_cycle"));
    REQUIRE(r.status == 0);
    json j = parse_json(r);
    CHECK(!j.at("edges").empty());
    CHECK(!j.at("programs").empty());
    r = run_tailgate("graph --format dot " + corpus_object("tail_cycle"));
    CHECK(r.status == 0);
    CHECK(r.out.rfind("digraph", 0) == 0);

    r = run_tailgate("disasm --format json " + corpus_object("tail_index"));
    REQUIRE(r.status == 0);
    j = parse_json(r);
    CHECK(j.at("maps").at(0).at("type") == "prog_array");
    CHECK(!j.at("programs").at(0).at("instructions").empty());

    r = run_tailgate("cfg --format json --program idx_unbounded " + corpus_object("tail_index"));
    REQUIRE(r.status == 0);
    j = parse_json(r);
    CHECK(j.at("programs").size() == 1);
    check_usage_error("cfg --program nosuch " + corpus_object("tail_index"), "nosuch");

    for (const char* engine : {"interp", "jit"}) {
        CAPTURE(engine);
        r = run_tailgate(std::string("run --format json --engine ") + engine +
                         " --program dispatch --packet " + quoted(packet("tcp4")) + " " +
                         corpus_object("proto_dispatch"));
        REQUIRE(r.status == 0);
        j = parse_json(r);
        CHECK(j.at("program") == "dispatch");
        CHECK(j.at("engine") == engine);
        CHECK(j.at("return").is_number_unsigned());
        CHECK(j.at("runs") == 1);
        CHECK(j.at("ns_per_run").is_number());
    }
    // A rejected program is not run: exit 1 and the reason.
    r = run_tailgate("run --program pkt_no_check --packet " + quoted(packet("tcp4")) + " " +
                     corpus_object("neg_memory"));
    CHECK(r.status == 1);
    CHECK(r.err.find("rejected") != std::string::npos);
    check_usage_error("run --program dispatch --engine gpu " + corpus_object("proto_dispatch"), "gpu");
    check_usage_error("run --program dispatch --packet /nonexistent/p.hex " + corpus_object("proto_dispatch"),
                      "/nonexistent/p.hex");
}
