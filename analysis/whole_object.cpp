// Verify every program of a set of objects, then the whole-object tail-call graph; merge the two.
#include "analysis/whole_object.hpp"

#include <algorithm>

namespace tailgate {
namespace {

// The graph is the authority on targets: it also sees the manifest and the other objects.
void set_site_targets(const std::vector<const Object*>& objects, const TailCallGraph& graph, ProgramId id,
                      ProgramReport& report) {
    for (size_t s = 0; s < report.tail_calls.size(); ++s) {
        std::vector<std::string> targets;
        bool unknown = false;
        for (const auto& e : graph.edges) {
            if (e.from != id || e.site != s) continue;
            if (!e.slot) {
                unknown = true;
                continue;
            }
            const std::string& name = objects[e.to.object]->programs[e.to.program].name;
            if (std::find(targets.begin(), targets.end(), name) == targets.end()) targets.push_back(name);
        }
        report.tail_calls[s].targets = std::move(targets);
        report.tail_calls[s].unknown_slots = unknown;
    }
}

void merge_diagnostics(std::vector<Diagnostic> extra, ProgramReport& report, bool strict) {
    for (auto& d : extra) {
        const bool dup =
            std::any_of(report.diagnostics.begin(), report.diagnostics.end(), [&](const Diagnostic& o) {
                return o.code == d.code && o.insn == d.insn && o.severity == d.severity;
            });
        if (!dup) report.diagnostics.push_back(std::move(d));
    }
    std::stable_sort(
        report.diagnostics.begin(), report.diagnostics.end(),
        [](const Diagnostic& a, const Diagnostic& b) { return a.insn.value_or(0) < b.insn.value_or(0); });
    const bool rejected = std::any_of(report.diagnostics.begin(), report.diagnostics.end(),
                                      [&](const Diagnostic& d) { return is_rejecting(d, strict); });
    if (rejected) report.verdict = Verdict::Rejected;
}

} // namespace

Result<ObjectSetAnalysis> analyze_objects(const std::vector<const Object*>& objects,
                                          const VerifyOptions& verify,
                                          const std::vector<ManifestEntry>& manifest,
                                          const GraphOptions& graph) {
    ObjectSetAnalysis out;
    TG_TRY_ASSIGN(out.contents, build_prog_array_contents(objects, manifest, verify.prog_array));
    // Flags are resolved across objects above; verify_program sees only those naming its own programs.
    for (size_t o = 0; o < objects.size(); ++o) {
        VerifyOptions local = verify;
        local.prog_array.clear();
        for (const auto& f : verify.prog_array) {
            auto [file, map] = split_qualified(f.map);
            auto [pfile, prog] = split_qualified(f.program);
            if (object_matches(*objects[o], file) && object_matches(*objects[o], pfile) &&
                objects[o]->find_map(map) && objects[o]->find_program(prog))
                local.prog_array.push_back({map, f.index, prog});
        }
        auto& reports = out.reports.emplace_back();
        for (size_t p = 0; p < objects[o]->programs.size(); ++p) {
            TG_TRY_ASSIGN(ProgramReport r, verify_program(*objects[o], p, local));
            reports.push_back(std::move(r));
        }
    }
    out.graph = build_tail_call_graph(objects, out.reports, out.contents, graph);
    for (size_t o = 0; o < objects.size(); ++o)
        for (size_t p = 0; p < objects[o]->programs.size(); ++p) {
            const ProgramId id{o, p};
            set_site_targets(objects, out.graph, id, out.reports[o][p]);
            if (const TailCallNode* node = out.graph.node(id)) {
                out.reports[o][p].max_chain_length = node->max_chain_length;
                out.reports[o][p].chain_stack_bytes = node->chain_stack_bytes;
            }
            auto it = out.graph.diagnostics.find(id);
            merge_diagnostics(it == out.graph.diagnostics.end() ? std::vector<Diagnostic>{} : it->second,
                              out.reports[o][p], verify.strict);
        }
    return out;
}

} // namespace tailgate
