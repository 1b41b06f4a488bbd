// `tailgate graph FILE.o... [--format dot|json] [--prog-array MAP:IDX=PROG]... [--manifest FILE.json]`:
// the whole-object tail-call graph (analysis/tail_call_graph.hpp) of one or more objects, with each
// program's bpf2bpf call graph, its longest chain, reachable cycles and worst-case chain stack.
#include <iostream>
#include <memory>

#include "analysis/whole_object.hpp"
#include "tools/cli.hpp"

namespace tailgate::cli {
namespace {

const CommandSpec kSpec{
    "graph",
    "FILE.o... [--format dot|json] [--prog-array MAP:IDX=PROG]... [--manifest FILE.json]",
    "Print the tail-call graph of eBPF objects: one node per program (with its bpf2bpf functions), one edge\n"
    "per tail-call site and slot inside the site's proved index range, the longest chain (at most 33 tail\n"
    "calls), reachable cycles and the worst-case stack over a chain. Prog arrays hold their static\n"
    "initialisation, then the manifest's slots, then --prog-array's; slots nothing names are unknown\n"
    "(\"any program of a compatible type\").",
    {
        {"format", "dot|json", "output format (default dot)", {"dot", "json"}},
        {"prog-array", "MAP:IDX=PROG", "slot IDX of prog array MAP holds PROG (repeatable; FILE:NAME qualifies)", {}},
        {"manifest", "FILE.json", "prog-array contents: {\"prog_arrays\": {MAP: {IDX: PROG|\"dynamic\"}}}", {}},
    },
    1,
    SIZE_MAX,
};

} // namespace

int cmd_graph(const std::vector<std::string>& args) {
    int code = kExitOk;
    auto parsed = parse_or_exit(kSpec, args, code);
    if (!parsed) return code;
    auto flags = parse_prog_array_flags(*parsed);
    if (!flags) return usage_error(kSpec, flags.error().message);
    std::vector<ManifestEntry> manifest;
    if (parsed->has("manifest")) {
        auto m = read_manifest(parsed->get("manifest"));
        if (!m) return bad_input(parsed->get("manifest"), m.error().message);
        manifest = std::move(m).value();
    }
    std::vector<std::unique_ptr<Object>> owned;
    std::vector<const Object*> objects;
    for (const auto& path : parsed->positional) {
        auto obj = load_or_report(path);
        if (!obj) return kExitBadInput;
        owned.push_back(std::make_unique<Object>(std::move(*obj)));
        objects.push_back(owned.back().get());
    }
    VerifyOptions verify;
    verify.prog_array = std::move(flags).value();
    auto analysis = analyze_objects(objects, verify, manifest, GraphOptions{});
    if (!analysis) return bad_input(parsed->positional[0], analysis.error().message);
    if (parsed->get("format", "dot") == "json") std::cout << graph_to_json(objects, analysis->graph);
    else std::cout << graph_to_dot(objects, analysis->graph);
    std::cout.flush();
    return kExitOk;
}

} // namespace tailgate::cli
