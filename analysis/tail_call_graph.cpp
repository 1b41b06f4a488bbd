// The whole-object tail-call graph: edges, compatibility, owner types, cycles and chain bounds.
#include "analysis/tail_call_graph.hpp"

#include <algorithm>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>

namespace tailgate {
namespace {

struct Indexer {               // ProgramId <-> dense node index
    std::vector<size_t> first; // per object: index of its first program's node
    size_t of(ProgramId id) const { return first[id.object] + id.program; }
};

const Program& program_of(const std::vector<const Object*>& objects, ProgramId id) {
    return objects[id.object]->programs[id.program];
}

// The deepest bpf2bpf call chain of a program: for each function, its callers' frames plus its own frame.
int64_t own_stack(const ProgramReport& r) {
    int64_t deepest = 0;
    for (const auto& f : r.functions)
        deepest = std::max(deepest, f.max_caller_stack + round_frame(f.stack_depth));
    return deepest;
}

// Frames that stay below the target when the site's function makes the tail call: its callers' frames.
int64_t retained_stack(const ProgramReport& r, const TailCallSite& site) {
    if (site.function == 0 || site.function >= r.functions.size()) return 0;
    return r.functions[site.function].max_caller_stack;
}

void add_diag(TailCallGraph& g, const Program& prog, ProgramId id, Severity sev, const char* code,
              uint32_t insn, std::string message) {
    auto& list = g.diagnostics[id];
    for (const auto& d : list)
        if (d.insn == insn && d.code == code && d.message == message) return;
    list.push_back(make_diagnostic(sev, code, std::move(message), prog, insn));
}

// Edges of one site: for each prog array that reaches it (usually one; several when a subprogram gets the
// map as an argument, as in the kernel selftest tailcall_bpf2bpf_hierarchy3), each slot in the proved index
// range that holds a program, and every compatible program for an unknown slot in range. A site whose r2 is
// no prog array at all is a tail-call-map error: no edge.
void expand_site(const std::vector<const Object*>& objects, const ProgArrayContents& contents, ProgramId from,
                 const ProgramReport& report, size_t site_index, TailCallGraph& g, TailCallNode& node) {
    const TailCallSite& site = report.tail_calls[site_index];
    const Program& caller = program_of(objects, from);
    const int64_t retained = retained_stack(report, site);
    bool unknown = false;
    for (int32_t map_index : site.maps) {
        const MapDef& map = objects[from.object]->maps[size_t(map_index)];
        if (map.max_entries == 0 || site.index_min >= map.max_entries || site.index_min > site.index_max)
            continue;
        const uint64_t hi = std::min<uint64_t>(site.index_max, map.max_entries - 1);
        auto add_edge = [&](ProgramId to, std::optional<uint32_t> slot) {
            TailCallEdge e{from, site_index, site.insn, to, slot, nullptr, true, retained};
            const Program& target = program_of(objects, to);
            std::string why = prog_array_incompatibility(*objects[from.object], caller, *objects[to.object],
                                                         target, &e.conversion);
            if (!why.empty()) {
                e.compatible = false;
                add_diag(g, caller, from, Severity::Error, "tail-call-target-type", site.insn,
                         "slot " + std::to_string(*slot) + " of prog array '" + map.name + "' holds '" +
                             target.name + "': " + why + " (kernel: __bpf_prog_map_compatible)");
            }
            g.edges.push_back(e);
            if (std::find(node.targets.begin(), node.targets.end(), target.name) == node.targets.end())
                node.targets.push_back(target.name);
        };
        auto described = contents.described.find(MapId{from.object, map_index});
        if (described == contents.described.end()) {
            unknown = true;
            continue;
        }
        for (auto it = described->second.lower_bound(uint32_t(site.index_min));
             it != described->second.end() && it->first <= hi; ++it) {
            if (it->second.program)
                add_edge(*it->second.program, it->first);
            else
                unknown = true;
        }
    }
    if (!unknown) return;
    // "Any program of a compatible type": every loaded program the kernel would let into this prog array.
    node.unknown_targets = true;
    for (size_t o = 0; o < objects.size(); ++o)
        for (size_t p = 0; p < objects[o]->programs.size(); ++p) {
            const CtxConversion* conv = nullptr;
            if (prog_array_incompatibility(*objects[from.object], caller, *objects[o],
                                           objects[o]->programs[p], &conv)
                    .empty() &&
                conv == nullptr)
                g.edges.push_back(TailCallEdge{from, site_index, site.insn, ProgramId{o, p}, std::nullopt,
                                               nullptr, true, retained});
        }
}

// kernel: core.c bpf_prog_map_compatible(): the first program to use a prog array owns it; every other
// program that uses it must match the owner.
void check_owners(const std::vector<const Object*>& objects,
                  const std::vector<std::vector<ProgramReport>>& reports, TailCallGraph& g) {
    std::map<MapId, ProgramId> owner;
    for (size_t o = 0; o < reports.size(); ++o)
        for (size_t p = 0; p < reports[o].size(); ++p)
            for (const auto& site : reports[o][p].tail_calls)
                for (int32_t map_index : site.maps) {
                    const ProgramId id{o, p};
                    auto [it, inserted] = owner.emplace(MapId{o, map_index}, id);
                    if (inserted || it->second == id) continue;
                    const Program& first = program_of(objects, it->second);
                    const Program& prog = program_of(objects, id);
                    const CtxConversion* conv = nullptr;
                    std::string why = prog_array_incompatibility(*objects[it->second.object], first,
                                                                 *objects[o], prog, &conv);
                    if (why.empty() && conv == nullptr) continue;
                    if (why.empty()) why = "'" + prog.name + "' is " + prog_type_name(prog.type);
                    add_diag(g, prog, id, Severity::Error, "tail-call-target-type", site.insn,
                             "prog array '" + objects[o]->maps[size_t(map_index)].name + "' is owned by '" +
                                 first.name + "' (" + prog_type_name(first.type) +
                                 "), the first program to use it: " + why +
                                 " (kernel: bpf_prog_map_compatible)");
                }
}

} // namespace

const TailCallNode* TailCallGraph::node(ProgramId id) const {
    for (const auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

TailCallGraph build_tail_call_graph(const std::vector<const Object*>& objects,
                                    const std::vector<std::vector<ProgramReport>>& reports,
                                    const ProgArrayContents& contents, const GraphOptions& options) {
    TailCallGraph g;
    Indexer ix;
    for (size_t o = 0; o < objects.size(); ++o) {
        ix.first.push_back(g.nodes.size());
        for (size_t p = 0; p < objects[o]->programs.size(); ++p) {
            TailCallNode n;
            n.id = {o, p};
            n.name = objects[o]->programs[p].name;
            n.type = objects[o]->programs[p].type;
            n.own_stack = p < reports[o].size() ? own_stack(reports[o][p]) : 0;
            g.nodes.push_back(std::move(n));
        }
    }
    for (size_t o = 0; o < reports.size(); ++o)
        for (size_t p = 0; p < reports[o].size(); ++p)
            for (size_t s = 0; s < reports[o][p].tail_calls.size(); ++s)
                expand_site(objects, contents, {o, p}, reports[o][p], s, g, g.nodes[ix.of({o, p})]);
    check_owners(objects, reports, g);

    // Cycles: strongly connected components of the program graph (a self tail call is a cycle too).
    const size_t n = g.nodes.size();
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS> bg(n);
    std::vector<bool> self_loop(n, false);
    for (const auto& e : g.edges) {
        boost::add_edge(ix.of(e.from), ix.of(e.to), bg);
        if (e.from == e.to) self_loop[ix.of(e.from)] = true;
    }
    std::vector<size_t> comp(n);
    const size_t ncomp = n ? boost::strong_components(bg, comp.data()) : 0;
    std::vector<size_t> comp_size(ncomp, 0);
    for (size_t v = 0; v < n; ++v) ++comp_size[comp[v]];
    auto cyclic = [&](size_t v) { return comp_size[comp[v]] > 1 || self_loop[v]; };
    for (size_t v = 0; v < n; ++v) { // a cycle reachable from v
        std::vector<bool> seen(n, false);
        std::vector<size_t> work{v};
        seen[v] = true;
        while (!work.empty() && !g.nodes[v].cycle) {
            size_t u = work.back();
            work.pop_back();
            if (cyclic(u)) g.nodes[v].cycle = true;
            for (auto [ei, ee] = boost::out_edges(u, bg); ei != ee; ++ei) {
                size_t w = boost::target(*ei, bg);
                if (!seen[w]) seen[w] = true, work.push_back(w);
            }
        }
    }

    // Chain bounds over at most 33 tail calls (kernel MAX_TAIL_CALL_CNT):
    //   stack[k][v] = max(own_stack(v), max over edges v->w of retained(edge) + stack[k-1][w])
    //   len[k][v]   = max(0, max over edges v->w of 1 + len[k-1][w])
    std::vector<int64_t> stack(n), next_stack(n);
    std::vector<int> len(n, 0), next_len(n);
    for (size_t v = 0; v < n; ++v) stack[v] = g.nodes[v].own_stack;
    std::vector<int64_t> before_last(stack); // stack[k-1], for naming the worst edge
    for (int k = 1; k <= kMaxTailCallCnt; ++k) {
        for (size_t v = 0; v < n; ++v) next_stack[v] = g.nodes[v].own_stack, next_len[v] = 0;
        for (const auto& e : g.edges) {
            const size_t v = ix.of(e.from), w = ix.of(e.to);
            next_stack[v] = std::max(next_stack[v], e.retained_stack + stack[w]);
            next_len[v] = std::max(next_len[v], 1 + len[w]);
        }
        if (k == kMaxTailCallCnt) before_last = stack;
        stack.swap(next_stack);
        len.swap(next_len);
    }
    for (size_t v = 0; v < n; ++v) {
        g.nodes[v].chain_stack_bytes = stack[v];
        g.nodes[v].max_chain_length = len[v];
    }

    // Where chains reach the limit: a tail call inside a cycle can be the 34th; it then falls through.
    for (const auto& e : g.edges) {
        const size_t v = ix.of(e.from), w = ix.of(e.to);
        if (comp[v] != comp[w] || !cyclic(v)) continue;
        const Program& caller = program_of(objects, e.from);
        add_diag(g, caller, e.from, Severity::Note, "tail-call-chain", e.insn,
                 "this tail call is on a cycle ('" + caller.name + "' -> '" + g.nodes[w].name +
                     "'): a chain can reach the limit of " + std::to_string(kMaxTailCallCnt) +
                     " tail calls, after which this call falls through and '" + caller.name + "' continues");
    }

    if (options.max_chain_stack) {
        for (size_t v = 0; v < n; ++v) {
            const TailCallNode& node = g.nodes[v];
            if (node.chain_stack_bytes <= *options.max_chain_stack) continue;
            // Blame the first tail call of a worst chain (or the entry when the program alone is too deep).
            uint32_t insn = 0;
            for (const auto& e : g.edges)
                if (ix.of(e.from) == v &&
                    e.retained_stack + before_last[ix.of(e.to)] == node.chain_stack_bytes) {
                    insn = e.insn;
                    break;
                }
            const Program& prog = program_of(objects, node.id);
            add_diag(g, prog, node.id, Severity::Error, "tail-call-chain-stack", insn,
                     "the stack over a chain of up to " + std::to_string(kMaxTailCallCnt) +
                         " tail calls from '" + node.name + "' can reach " +
                         std::to_string(node.chain_stack_bytes) + " bytes, more than --max-chain-stack " +
                         std::to_string(*options.max_chain_stack) +
                         " (caller frames stay on the stack below tail calls made from subprograms)");
        }
    }
    return g;
}

} // namespace tailgate
