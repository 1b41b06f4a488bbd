// The whole-object tail-call graph (analysis/tail_call_graph.hpp, whole_object.hpp): the corpus's `graph`
// expectations, --max-chain-stack, the manifest, --prog-array across objects, owner types and conversions.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "analysis/whole_object.hpp"
#include "tests/corpus_expect.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
std::string corpus_dir() {
    return env_or("TAILGATE_CORPUS_DIR", "build/corpus");
}
std::string source_dir() {
    return env_or("TAILGATE_SOURCE_DIR", ".");
}

struct Loaded {
    std::vector<std::unique_ptr<Object>> owned;
    std::vector<const Object*> objects;
};

Loaded load(const std::vector<std::string>& names) {
    Loaded l;
    for (const auto& n : names) {
        auto obj = load_object(corpus_dir() + "/" + n);
        REQUIRE_MESSAGE(obj.ok(), n << ": " << (obj.ok() ? "" : obj.error().message));
        l.owned.push_back(std::make_unique<Object>(std::move(obj).value()));
        l.objects.push_back(l.owned.back().get());
    }
    return l;
}

ObjectSetAnalysis analyze(const Loaded& l, VerifyOptions v = {}, std::vector<ManifestEntry> manifest = {},
                          GraphOptions g = {}) {
    auto a = analyze_objects(l.objects, v, manifest, g);
    REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.error().message));
    return std::move(a).value();
}

const ProgramReport* report_of(const ObjectSetAnalysis& a, const Loaded& l, const std::string& name) {
    for (size_t o = 0; o < l.objects.size(); ++o)
        for (size_t p = 0; p < l.objects[o]->programs.size(); ++p)
            if (l.objects[o]->programs[p].name == name) return &a.reports[o][p];
    return nullptr;
}

const TailCallNode* node_of(const ObjectSetAnalysis& a, const std::string& name) {
    for (const auto& n : a.graph.nodes)
        if (n.name == name) return &n;
    return nullptr;
}

bool has_diag(const ProgramReport& r, const std::string& code, Severity sev,
              std::optional<uint32_t> line = {}) {
    return std::any_of(r.diagnostics.begin(), r.diagnostics.end(), [&](const Diagnostic& d) {
        return d.code == code && d.severity == sev && (!line || (d.loc && d.loc->line == *line));
    });
}

} // namespace

TEST_CASE("every graph expectation of the corpus holds") {
    auto files = corpus::load_corpus_expectations(source_dir() + "/corpus");
    REQUIRE(!files.empty());
    size_t checked = 0;
    for (const auto& file : files) {
        if (file.graphs.empty()) continue;
        CAPTURE(file.source);
        Loaded l = load({file.object});
        auto a = analyze(l);
        for (const auto& g : file.graphs) {
            CAPTURE(g.program);
            const TailCallNode* n = node_of(a, g.program);
            REQUIRE(n != nullptr);
            CHECK(n->unknown_targets == g.targets_unknown);
            if (!g.targets_unknown) {
                auto targets = n->targets;
                std::sort(targets.begin(), targets.end());
                CHECK(targets == g.targets);
            }
            if (g.max_chain_length) CHECK(n->max_chain_length == int(*g.max_chain_length));
            if (g.chain_stack_bytes) CHECK(n->chain_stack_bytes == int64_t(*g.chain_stack_bytes));
            if (g.cycle) CHECK(n->cycle == *g.cycle);
            if (!g.cross_type.empty()) {
                bool crossed =
                    std::any_of(a.graph.edges.begin(), a.graph.edges.end(), [&](const TailCallEdge& e) {
                        return e.from == n->id && e.conversion &&
                               prog_type_name(e.conversion->to) == g.cross_type;
                    });
                CHECK(crossed);
            }
            ++checked;
        }
    }
    CHECK(checked >= 20);
}

TEST_CASE("--max-chain-stack turns a deep chain into tail-call-chain-stack where the corpus says") {
    auto files = corpus::load_corpus_expectations(source_dir() + "/corpus");
    size_t checked = 0;
    for (const auto& file : files)
        for (const auto& d : file.diagnostics) {
            if (d.code != "tail-call-chain-stack") continue;
            const std::string prefix = "max-chain-stack=";
            REQUIRE(d.when.rfind(prefix, 0) == 0);
            Loaded l = load({file.object});
            GraphOptions g;
            g.max_chain_stack = std::stoll(d.when.substr(prefix.size()));
            auto a = analyze(l, {}, {}, g);
            const ProgramReport* r = report_of(a, l, d.program);
            REQUIRE(r != nullptr);
            CHECK(has_diag(*r, "tail-call-chain-stack", Severity::Error, d.line));
            const auto* v = file.verdict_for(d.program, d.when);
            REQUIRE(v != nullptr);
            CHECK((r->verdict == tailgate::Verdict::Rejected) == (v->verdict == corpus::Verdict::Rejected));
            // Without the option the same program is not rejected for its chain.
            auto plain = analyze(l);
            CHECK_FALSE(has_diag(*report_of(plain, l, d.program), "tail-call-chain-stack", Severity::Error));
            ++checked;
        }
    CHECK(checked >= 1);
}

TEST_CASE("chain stack by hand: frames kept below tail calls from subprograms add up to 33 times") {
    Loaded l = load({"chain_stack.o"});
    auto a = analyze(l);
    // deep_chain: 240-byte frame, calls hop (no frame) which tail-calls deep_chain; each of the 33 tail
    // calls keeps one deep_chain frame: 33 * 240 + 240.
    CHECK(node_of(a, "deep_chain")->chain_stack_bytes == 33 * 240 + 240);
    CHECK(node_of(a, "deep_chain")->max_chain_length == 33);
    CHECK(node_of(a, "shallow")->chain_stack_bytes == 240);
    GraphOptions tight;
    tight.max_chain_stack = 8160;
    auto at_limit = analyze(l, {}, {}, tight);
    CHECK_FALSE(has_diag(*report_of(at_limit, l, "deep_chain"), "tail-call-chain-stack", Severity::Error));
    tight.max_chain_stack = 8159;
    auto over = analyze(l, {}, {}, tight);
    CHECK(has_diag(*report_of(over, l, "deep_chain"), "tail-call-chain-stack", Severity::Error));
    CHECK(report_of(over, l, "deep_chain")->verdict == tailgate::Verdict::Rejected);
}

TEST_CASE("cycles get a note where the 34th tail call falls through") {
    Loaded l = load({"tail_cycle.o"});
    auto a = analyze(l);
    CHECK(node_of(a, "ping")->cycle);
    CHECK(has_diag(*report_of(a, l, "ping"), "tail-call-chain", Severity::Note));
    CHECK(report_of(a, l, "ping")->verdict == tailgate::Verdict::Accepted);
}

TEST_CASE("a manifest fills unknown slots, possibly with programs of another object") {
    Loaded l = load({"maps_programs.o", "neg_tailcall.o"});
    auto before = analyze(l);
    CHECK(node_of(before, "cls_mark")->unknown_targets);

    const auto dir = std::filesystem::temp_directory_path() / "tailgate_graph_test";
    std::filesystem::create_directories(dir);
    const auto path = (dir / "manifest.json").string();
    std::ofstream(path)
        << R"({"prog_arrays": {"legacy_jmp": {"0": "neg_tailcall.o:tc_target", "1": "cls_mark"}}})";
    auto manifest = read_manifest(path);
    REQUIRE(manifest.ok());
    REQUIRE(manifest->size() == 2);
    auto a = analyze(l, {}, *manifest);
    const TailCallNode* n = node_of(a, "cls_mark");
    CHECK_FALSE(n->unknown_targets);
    auto targets = n->targets;
    std::sort(targets.begin(), targets.end());
    CHECK(targets == std::vector<std::string>{"cls_mark", "tc_target"});
    CHECK(n->cycle);
    const ProgramReport* r = report_of(a, l, "cls_mark");
    REQUIRE(r->tail_calls.size() == 1);
    CHECK(r->tail_calls[0].targets.size() == 2);

    // "dynamic" keeps a slot unknown.
    std::ofstream(path) << R"({"prog_arrays": {"legacy_jmp": {"0": "dynamic"}}})";
    auto dyn = analyze(l, {}, *read_manifest(path));
    CHECK(node_of(dyn, "cls_mark")->unknown_targets);

    // Malformed manifests are refused with a reason.
    std::ofstream(path) << R"({"prog_arrays": {"legacy_jmp": {"zero": "cls_mark"}}})";
    CHECK(read_manifest(path).error().code == "bad-manifest");
    std::ofstream(path) << "not json";
    CHECK(read_manifest(path).error().code == "bad-manifest");
    std::ofstream(path) << R"({"prog_arrays": {"no_such_map": {"0": "cls_mark"}}})";
    CHECK(analyze_objects(l.objects, {}, *read_manifest(path), {}).error().code == "bad-prog-array");
    std::filesystem::remove_all(dir);
}

TEST_CASE("--prog-array across objects checks kernel compatibility on the new edge") {
    Loaded l = load({"proto_dispatch.o", "neg_tailcall.o"});
    VerifyOptions v;
    v.prog_array.push_back(
        {"jmp_table", 6, "neg_tailcall.o:tc_target"}); // a sched_cls program in an xdp array
    auto a = analyze(l, v);
    const ProgramReport* r = report_of(a, l, "dispatch");
    CHECK(has_diag(*r, "tail-call-target-type", Severity::Error));
    CHECK(r->verdict == tailgate::Verdict::Rejected);
    auto plain = analyze(l);
    CHECK(report_of(plain, l, "dispatch")->verdict == tailgate::Verdict::Accepted);
    // A slot out of range is refused.
    v.prog_array = {{"jmp_table", 100000, "parse_tcp"}};
    CHECK(analyze_objects(l.objects, v, {}, {}).error().code == "bad-prog-array");
}

TEST_CASE("declared conversions allow exactly the declared cross-type edges") {
    REQUIRE(find_ctx_conversion(ProgType::Kprobe, ProgType::GenericProbe) != nullptr);
    CHECK(find_ctx_conversion(ProgType::Kprobe, ProgType::RawTracepoint) == nullptr);
    CHECK(find_ctx_conversion(ProgType::GenericProbe, ProgType::Kprobe) == nullptr);
    // convert_ctx: args[i] = PT_REGS_PARM(i+1), probe_id = the source type.
    const CtxConversion& c = *find_ctx_conversion(ProgType::Kprobe, ProgType::GenericProbe);
    std::vector<uint8_t> regs(c.src_size), out(c.dst_size, 0xff);
    for (size_t i = 0; i < regs.size(); ++i) regs[i] = uint8_t(i);
    convert_ctx(c, regs.data(), out.data());
    for (uint32_t i = 0; i < kGenericProbeArgs; ++i)
        CHECK(std::equal(out.begin() + 8 * i, out.begin() + 8 * i + 8, regs.begin() + kPtRegsArgOffset[i]));
    uint64_t probe_id = 0;
    std::memcpy(&probe_id, out.data() + kGenericProbeIdOffset, 8);
    CHECK(probe_id == uint64_t(ProgType::Kprobe));

    Loaded l = load({"cross_type.o"});
    auto a = analyze(l);
    CHECK(report_of(a, l, "probe_entry")->verdict == tailgate::Verdict::Accepted);
    CHECK(report_of(a, l, "probe_to_tp")->verdict == tailgate::Verdict::Rejected);
    CHECK(has_diag(*report_of(a, l, "probe_to_tp"), "tail-call-target-type", Severity::Error));
}

TEST_CASE("a prog array has one owner type: the first program to use it") {
    // Two callers of one prog array, an XDP one and a tc one (kernel: bpf_prog_map_compatible).
    Object obj;
    obj.path = "synthetic.o";
    MapDef jt;
    jt.name = "jt";
    jt.type = MapType::ProgArray;
    jt.key_size = jt.value_size = 4;
    jt.max_entries = 4;
    obj.maps.push_back(jt);
    for (auto [name, type] :
         {std::pair{"xdp_user", ProgType::Xdp}, std::pair{"tc_user", ProgType::SchedCls}}) {
        Program p;
        p.name = name;
        p.type = type;
        p.functions.push_back({name, 0, 1});
        obj.programs.push_back(p);
    }
    std::vector<std::vector<ProgramReport>> reports(1);
    for (const auto& p : obj.programs) {
        ProgramReport r;
        r.name = p.name;
        r.type = p.type;
        r.functions.push_back({p.name, 0, 64, true, 0});
        TailCallSite site;
        site.insn = 0;
        site.maps = {0};
        site.map = 0;
        site.map_names = {"jt"};
        site.index_min = 0;
        site.index_max = 3;
        r.tail_calls.push_back(site);
        reports[0].push_back(r);
    }
    ProgArrayContents contents; // nothing describes jt: unknown slots
    auto g = build_tail_call_graph({&obj}, reports, contents, {});
    auto errors = [&](ProgramId id) {
        std::vector<Diagnostic> out;
        if (g.diagnostics.count(id))
            for (const auto& d : g.diagnostics.at(id))
                if (d.severity == Severity::Error) out.push_back(d);
        return out;
    };
    CHECK(errors({0, 0}).empty());
    REQUIRE(errors({0, 1}).size() == 1);
    CHECK(errors({0, 1})[0].code == "tail-call-target-type");
    CHECK(errors({0, 1})[0].message.find("owned by 'xdp_user'") != std::string::npos);
    // Unknown slots reach every compatible program: each caller reaches only itself, so both cycle.
    CHECK(g.node({0, 0})->unknown_targets);
    CHECK(g.node({0, 0})->cycle);
    CHECK(g.node({0, 0})->max_chain_length == 33);
    CHECK(g.node({0, 0})->chain_stack_bytes == 64);
}

namespace {

// "from>to slot S kept K" for every edge: the slot it goes through and the caller frames kept below it.
std::multiset<std::string> edge_list(const ObjectSetAnalysis& a) {
    std::multiset<std::string> out;
    for (const auto& e : a.graph.edges)
        out.insert(a.graph.node(e.from)->name + ">" + a.graph.node(e.to)->name + " slot " +
                   (e.slot ? std::to_string(*e.slot) : "?") + " kept " + std::to_string(e.retained_stack));
    return out;
}

// "fn F [MIN,MAX]" for every tail-call site of a program: the function holding it and the proved range.
std::vector<std::string> site_list(const ProgramReport& r) {
    std::vector<std::string> out;
    for (const auto& s : r.tail_calls)
        out.push_back("fn " + std::to_string(s.function) + " [" + std::to_string(s.index_min) + "," +
                      std::to_string(s.index_max) + "]");
    return out;
}

} // namespace

// The kernel tail-call selftest ports (corpus/ksft_*.c): what their `graph` directives do not state — the
// exact edges with their slots and the frames kept below each, and every site's function and index range —
// against the hand counts written in those files.
TEST_CASE("kernel selftest ports: edges, kept frames and sites by hand") {
    {
        Loaded l = load({"ksft_tailcall1.o"});
        auto a = analyze(l);
        std::vector<std::string> sites;
        for (int k = 0; k < 3; ++k)
            for (int i = 0; i < 4; ++i)
                sites.push_back("fn 0 [" + std::to_string(k) + "," + std::to_string(k) + "]");
        CHECK(site_list(*report_of(a, l, "entry")) == sites);
        std::multiset<std::string> edges;
        for (int k = 0; k < 3; ++k)
            for (int i = 0; i < 4; ++i)
                edges.insert("entry>classifier_" + std::to_string(k) + " slot " + std::to_string(k) +
                             " kept 0");
        CHECK(edge_list(a) == edges);
    }
    {
        Loaded l = load({"ksft_tailcall2.o"});
        auto a = analyze(l);
        CHECK(edge_list(a) ==
              std::multiset<std::string>{
                  "entry>classifier_0 slot 0 kept 0", "entry>classifier_2 slot 2 kept 0",
                  "entry>classifier_3 slot 3 kept 0", "classifier_0>classifier_1 slot 1 kept 0",
                  "classifier_1>classifier_2 slot 2 kept 0", "classifier_3>classifier_4 slot 4 kept 0",
                  "classifier_4>classifier_3 slot 3 kept 0"});
    }
    {
        // entry: slot 1 from its main function, slot 0 from subprog_tail (function 1); frames 0.
        Loaded l = load({"ksft_tailcall_bpf2bpf1.o"});
        auto a = analyze(l);
        CHECK(site_list(*report_of(a, l, "entry")) == std::vector<std::string>{"fn 0 [1,1]", "fn 1 [0,0]"});
        CHECK(edge_list(a) == std::multiset<std::string>{"entry>classifier_1 slot 1 kept 0",
                                                         "entry>classifier_0 slot 0 kept 0"});
    }
    {
        // The key 1 or 0 (by the first packet byte) of the 1-slot array: only slot 0 is an edge.
        Loaded l = load({"ksft_tailcall_bpf2bpf2.o"});
        auto a = analyze(l);
        CHECK(site_list(*report_of(a, l, "classifier_0")) == std::vector<std::string>{"fn 1 [0,1]"});
        CHECK(edge_list(a) == std::multiset<std::string>{"entry>classifier_0 slot 0 kept 0",
                                                         "classifier_0>classifier_0 slot 0 kept 0"});
    }
    {
        // 128-byte main frames stay below the tail calls made from the 64-byte subprograms; key 10 is no
        // edge.
        Loaded l = load({"ksft_tailcall_bpf2bpf3.o"});
        auto a = analyze(l);
        CHECK(site_list(*report_of(a, l, "entry")) == std::vector<std::string>{"fn 1 [0,0]"});
        CHECK(site_list(*report_of(a, l, "classifier_0")) == std::vector<std::string>{"fn 1 [1,10]"});
        CHECK(edge_list(a) == std::multiset<std::string>{"entry>classifier_0 slot 0 kept 128",
                                                         "classifier_0>classifier_1 slot 1 kept 128"});
        for (const char* name : {"entry", "classifier_0"}) {
            const ProgramReport& r = *report_of(a, l, name);
            REQUIRE(r.functions.size() == 2);
            CHECK(round_frame(r.functions[0].stack_depth) == 128);
            CHECK(round_frame(r.functions[1].stack_depth) == 64);
            CHECK(r.functions[1].max_caller_stack == 128);
            CHECK(node_of(a, name)->own_stack == 192);
        }
    }
    {
        // Every site in a subprogram below a frameless main function; subprog_tail_2 keeps `key` (16 B).
        Loaded l = load({"ksft_tailcall_bpf2bpf4.o"});
        auto a = analyze(l);
        for (const char* name : {"entry", "classifier_0", "classifier_1", "classifier_2"})
            CHECK(site_list(*report_of(a, l, name)) ==
                  std::vector<std::string>{std::string("fn 1 [") + (name == std::string("entry") ? "0,0]"
                                                                    : name == std::string("classifier_0")
                                                                        ? "1,1]"
                                                                        : "2,2]")});
        CHECK(edge_list(a) == std::multiset<std::string>{"entry>classifier_0 slot 0 kept 0",
                                                         "classifier_0>classifier_1 slot 1 kept 0",
                                                         "classifier_1>classifier_2 slot 2 kept 0",
                                                         "classifier_2>classifier_2 slot 2 kept 0"});
        CHECK(node_of(a, "classifier_2")->own_stack == 16);
    }
    {
        // sockex3's parse chain: one merged dispatch site per program; bpf_func_mpls's key is 2 or 4, proved
        // as the interval [2, 4] (so slot 3 counts, see the file's hand count).
        Loaded l = load({"ksft_sockex3.o"});
        auto a = analyze(l);
        const std::vector<std::string> parsers = {"bpf_func_vlan", "bpf_func_mpls", "bpf_func_ip",
                                                  "bpf_func_ipv6"};
        std::multiset<std::string> edges;
        for (const char* from : {"main_prog", "bpf_func_vlan", "bpf_func_ip", "bpf_func_ipv6"}) {
            CHECK(site_list(*report_of(a, l, from)) == std::vector<std::string>{"fn 0 [1,4]"});
            for (size_t s = 0; s < parsers.size(); ++s)
                edges.insert(std::string(from) + ">" + parsers[s] + " slot " + std::to_string(s + 1) +
                             " kept 0");
        }
        CHECK(site_list(*report_of(a, l, "bpf_func_mpls")) == std::vector<std::string>{"fn 0 [2,4]"});
        for (size_t s = 1; s < parsers.size(); ++s)
            edges.insert("bpf_func_mpls>" + parsers[s] + " slot " + std::to_string(s + 1) + " kept 0");
        CHECK(edge_list(a) == edges);
        CHECK(node_of(a, "bpf_func_ip")->own_stack == 48);
        CHECK(node_of(a, "bpf_func_ipv6")->own_stack == 64);
        CHECK(node_of(a, "main_prog")->own_stack == 0);
    }
}

TEST_CASE("a site reached with several prog arrays reads the slots of each") {
    // ksft_tailcall_hierarchy3: subprog_tail(skb, map) is called with jmp_table0 and jmp_table1 (kernel:
    // record_func_map() poisons the site's map; the JIT calls through whatever r2 holds). Slot 0 of both
    // holds classifier_0, so the site reaches classifier_0 and nothing else.
    Loaded l = load({"ksft_tailcall_hierarchy3.o"});
    auto a = analyze(l);
    const ProgramReport& r = *report_of(a, l, "classifier_0");
    REQUIRE(r.tail_calls.size() == 1);
    CHECK(r.tail_calls[0].map == -1);
    CHECK(r.tail_calls[0].maps.size() == 2);
    CHECK(map_label(r.tail_calls[0]) == "jmp_table0 or jmp_table1");
    CHECK(r.tail_calls[0].map_names == std::vector<std::string>{"jmp_table0", "jmp_table1"});
    CHECK(r.tail_calls[0].function == 1);
    CHECK(r.tail_calls[0].targets == std::vector<std::string>{"classifier_0"});
    const TailCallNode* n = node_of(a, "classifier_0");
    CHECK_FALSE(n->unknown_targets);
    CHECK(n->targets == std::vector<std::string>{"classifier_0"});
    CHECK(n->cycle);
    CHECK(n->max_chain_length == 33);
    CHECK(n->chain_stack_bytes == 33 * 16 + 16);
    // A site whose r2 is no prog array at all (a tail-call-map error) still gets no edge.
    Loaded bad = load({"neg_tailcall.o"});
    auto b = analyze(bad);
    for (const char* name : {"map_is_hash", "map_is_value", "map_is_scalar"}) {
        CAPTURE(name);
        const TailCallNode* m = node_of(b, name);
        REQUIRE(m != nullptr);
        CHECK(m->targets.empty());
        CHECK_FALSE(m->unknown_targets);
    }
}
