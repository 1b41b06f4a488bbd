// CFG construction and the per-function analyses (reachability, RPO, dominators, back edges, loops) and
// the bpf2bpf call graph.
#include "verifier/cfg.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <boost/graph/dominator_tree.hpp>

namespace tailgate {

const char* edge_kind_name(EdgeKind k) {
    switch (k) {
    case EdgeKind::Fallthrough: return "fallthrough";
    case EdgeKind::Taken: return "taken";
    case EdgeKind::NotTaken: return "not_taken";
    case EdgeKind::Goto: return "goto";
    }
    return "unknown";
}

std::vector<std::pair<uint32_t, EdgeKind>> Cfg::successors(uint32_t b) const {
    std::vector<std::pair<uint32_t, EdgeKind>> out;
    for (auto [it, end] = boost::out_edges(b, graph); it != end; ++it)
        out.emplace_back(uint32_t(boost::target(*it, graph)), graph[*it].kind);
    return out;
}

std::vector<std::pair<uint32_t, EdgeKind>> Cfg::predecessors(uint32_t b) const {
    std::vector<std::pair<uint32_t, EdgeKind>> out;
    for (auto [it, end] = boost::in_edges(b, graph); it != end; ++it)
        out.emplace_back(uint32_t(boost::source(*it, graph)), graph[*it].kind);
    return out;
}

bool Cfg::dominates(uint32_t a, uint32_t b) const {
    if (a >= num_blocks() || b >= num_blocks()) return false;
    if (graph[a].function != graph[b].function || !graph[a].reachable || !graph[b].reachable) return false;
    for (uint32_t x = b; x != kNoBlock; x = idom[x])
        if (x == a) return true;
    return false;
}

int Cfg::innermost_loop(uint32_t b) const {
    if (b >= num_blocks()) return -1;
    const auto& loops = functions[graph[b].function].loops;
    int best = -1;
    for (size_t i = 0; i < loops.size(); ++i) {
        if (!std::binary_search(loops[i].blocks.begin(), loops[i].blocks.end(), b)) continue;
        if (best < 0 || loops[i].blocks.size() < loops[size_t(best)].blocks.size()) best = int(i);
    }
    return best;
}

namespace {

Error bad(uint32_t pc, const std::string& what) {
    return make_error("invalid-instruction", "insn " + std::to_string(pc) + ": " + what);
}

// Function ranges: from the program, or derived like verifier.c check_subprogs() (starts at 0 and at each
// call / pseudo-func target).
Result<std::vector<Subprogram>> function_ranges(const Program& p) {
    const auto n = uint32_t(p.insns.size());
    if (!p.functions.empty()) {
        std::vector<Subprogram> fs = p.functions;
        for (const auto& f : fs)
            if (f.start >= f.end || f.end > n)
                return bad(f.start, "function '" + f.name + "' has an empty or out-of-range slot range [" +
                                        std::to_string(f.start) + ", " + std::to_string(f.end) + ")");
        return fs;
    }
    std::set<uint32_t> starts{0};
    for (uint32_t pc = 0; pc < n; ++pc) {
        int64_t t = -1;
        if (const auto* c = std::get_if<CallLocal>(&p.insns[pc])) t = c->target;
        if (auto f = pseudo_func_target(p.insns[pc], pc)) t = *f;
        if (t < 0) continue;
        if (t >= n) return bad(pc, "call target " + std::to_string(t) + " is outside the program");
        starts.insert(uint32_t(t));
    }
    std::vector<Subprogram> fs;
    for (auto it = starts.begin(); it != starts.end(); ++it) {
        auto next = std::next(it);
        uint32_t end = next == starts.end() ? n : *next;
        std::string name = *it == 0 ? p.name : "func_" + std::to_string(*it);
        fs.push_back(Subprogram{name, *it, end});
    }
    return fs;
}

// Per-function graph analyses on a local copy of the function's blocks.
void analyse_function(Cfg& cfg, uint32_t fi) {
    CfgFunction& fn = cfg.functions[fi];
    CfgGraph& g = cfg.graph;
    // A function's blocks are consecutive vertex indexes (build_cfg adds them function by function).
    const uint32_t first_block = fn.blocks.front();
    auto local = [first_block](uint32_t b) { return b - first_block; };

    // Iterative DFS from the entry: reachability, postorder, retreating (back) edges.
    enum Color : uint8_t { White, Grey, Black };
    std::vector<Color> color(fn.blocks.size(), White);
    std::vector<uint32_t> post;
    using OutIt = boost::graph_traits<CfgGraph>::out_edge_iterator;
    std::vector<std::pair<uint32_t, std::pair<OutIt, OutIt>>> stack;
    stack.emplace_back(fn.entry, boost::out_edges(fn.entry, g));
    color[local(fn.entry)] = Grey;
    while (!stack.empty()) {
        auto& [b, range] = stack.back();
        if (range.first == range.second) {
            color[local(b)] = Black;
            post.push_back(b);
            stack.pop_back();
            continue;
        }
        auto e = *range.first++;
        uint32_t t = uint32_t(boost::target(e, g));
        Color& c = color[local(t)];
        if (c == Grey) g[e].back = true;
        if (c == White) {
            c = Grey;
            stack.emplace_back(t, boost::out_edges(t, g));
        }
    }
    fn.rpo.assign(post.rbegin(), post.rend());
    for (uint32_t b : fn.blocks) {
        g[b].reachable = color[local(b)] != White;
        if (!g[b].reachable)
            fn.unreachable.push_back(b);
        else {
            if (g[b].is_exit) fn.exits.push_back(b);
            if (!g[b].tail_calls.empty()) fn.has_tail_call = true;
        }
    }

    // Dominators of the reachable blocks: boost::lengauer_tarjan_dominator_tree on the local graph.
    using Local = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
    Local lg(fn.blocks.size());
    for (uint32_t b : fn.blocks)
        for (auto [it, end] = boost::out_edges(b, g); it != end; ++it)
            boost::add_edge(local(b), local(uint32_t(boost::target(*it, g))), lg);
    const auto none = boost::graph_traits<Local>::null_vertex();
    std::vector<boost::graph_traits<Local>::vertex_descriptor> dom(fn.blocks.size(), none);
    auto dom_map = boost::make_iterator_property_map(dom.begin(), boost::get(boost::vertex_index, lg));
    boost::lengauer_tarjan_dominator_tree(lg, boost::vertex(local(fn.entry), lg), dom_map);
    for (size_t i = 0; i < fn.blocks.size(); ++i)
        cfg.idom[fn.blocks[i]] = dom[i] == none ? kNoBlock : fn.blocks[dom[i]];

    // Natural loops: for each back edge latch -> header with header dominating latch, the body is the header
    // plus every block that reaches the latch without passing the header. A back edge whose target does not
    // dominate its source makes the function irreducible.
    std::map<uint32_t, CfgLoop> loops;
    for (uint32_t b : fn.blocks) {
        if (!g[b].reachable) continue;
        for (auto [it, end] = boost::out_edges(b, g); it != end; ++it) {
            if (!g[*it].back) continue;
            uint32_t h = uint32_t(boost::target(*it, g));
            if (!cfg.dominates(h, b)) {
                fn.irreducible = true;
                continue;
            }
            CfgLoop& loop = loops[h];
            loop.header = h;
            if (std::find(loop.latches.begin(), loop.latches.end(), b) == loop.latches.end())
                loop.latches.push_back(b);
            std::set<uint32_t> body(loop.blocks.begin(), loop.blocks.end());
            body.insert(h);
            std::vector<uint32_t> work{b};
            while (!work.empty()) {
                uint32_t x = work.back();
                work.pop_back();
                if (!body.insert(x).second) continue;
                for (auto [pi, pe] = boost::in_edges(x, g); pi != pe; ++pi) {
                    uint32_t p = uint32_t(boost::source(*pi, g));
                    if (g[p].reachable) work.push_back(p);
                }
            }
            loop.blocks.assign(body.begin(), body.end());
        }
    }
    for (auto& [h, loop] : loops) fn.loops.push_back(std::move(loop));
    std::stable_sort(fn.loops.begin(), fn.loops.end(),
                     [](const CfgLoop& a, const CfgLoop& b) { return a.blocks.size() > b.blocks.size(); });
}

} // namespace

Result<Cfg> build_cfg(const Program& program) {
    const auto& insns = program.insns;
    const auto n = uint32_t(insns.size());
    if (n == 0) return bad(0, "the program has no instructions");
    TG_TRY_ASSIGN(std::vector<Subprogram> ranges, function_ranges(program));

    Cfg cfg;
    cfg.block_of.assign(n, kNoBlock);
    std::vector<uint32_t> fn_of(n, kNoBlock);
    for (uint32_t fi = 0; fi < ranges.size(); ++fi) {
        for (uint32_t s = ranges[fi].start; s < ranges[fi].end; ++s) {
            if (fn_of[s] != kNoBlock)
                return bad(s,
                           "functions '" + ranges[fn_of[s]].name + "' and '" + ranges[fi].name + "' overlap");
            fn_of[s] = fi;
        }
        CfgFunction f;
        f.name = ranges[fi].name;
        f.start = ranges[fi].start;
        f.end = ranges[fi].end;
        cfg.functions.push_back(std::move(f));
    }
    auto is_start = [&](int64_t t, uint32_t& fi) {
        if (t < 0 || t >= n || fn_of[size_t(t)] == kNoBlock) return false;
        fi = fn_of[size_t(t)];
        return cfg.functions[fi].start == t;
    };

    // Leaders and structural checks (kernel: verifier.c check_subprogs()).
    std::vector<bool> leader(n, false);
    for (auto& f : cfg.functions) {
        leader[f.start] = true;
        uint32_t last = f.end - 1;
        if (std::holds_alternative<LddwHigh>(insns[last]) && last > f.start) --last;
        if (!std::holds_alternative<Exit>(insns[last]) && !std::holds_alternative<Goto>(insns[last]))
            return bad(last, "last insn is not an exit or jmp (function '" + f.name + "')");
    }
    for (uint32_t pc = 0; pc < n; ++pc) {
        if (fn_of[pc] == kNoBlock) continue;
        const CfgFunction& f = cfg.functions[fn_of[pc]];
        int64_t target = -1;
        if (const auto* j = std::get_if<Jump>(&insns[pc])) target = j->target;
        if (const auto* g = std::get_if<Goto>(&insns[pc])) target = g->target;
        if (target >= 0) {
            if (target < f.start || target >= f.end)
                return bad(pc, "jump out of range from insn " + std::to_string(pc) + " to " +
                                   std::to_string(target));
            leader[size_t(target)] = true;
        }
        if ((target >= 0 || std::holds_alternative<Exit>(insns[pc])) && pc + 1 < n) leader[pc + 1] = true;
        uint32_t callee = 0;
        if (const auto* c = std::get_if<CallLocal>(&insns[pc])) {
            if (!is_start(c->target, callee))
                return bad(pc, "bpf2bpf call target " + std::to_string(c->target) +
                                   " is not the start of a function");
            cfg.call_sites.push_back(CfgCallSite{pc, fn_of[pc], callee, CallKind::Call});
        }
        if (auto t = pseudo_func_target(insns[pc], pc)) {
            if (!is_start(*t, callee))
                return bad(pc,
                           "pseudo-func target " + std::to_string(*t) + " is not the start of a function");
            cfg.call_sites.push_back(CfgCallSite{pc, fn_of[pc], callee, CallKind::Callback});
        }
    }

    // Blocks, in slot order within each function.
    for (uint32_t fi = 0; fi < cfg.functions.size(); ++fi) {
        CfgFunction& f = cfg.functions[fi];
        for (uint32_t pc = f.start; pc < f.end; ++pc) {
            if (leader[pc]) {
                CfgBlock b;
                b.first = pc;
                b.function = fi;
                f.blocks.push_back(uint32_t(boost::add_vertex(b, cfg.graph)));
            }
            CfgBlock& b = cfg.graph[f.blocks.back()];
            cfg.block_of[pc] = f.blocks.back();
            b.end = pc + 1;
            if (std::holds_alternative<LddwHigh>(insns[pc])) continue;
            b.last = pc;
            if (const auto* c = std::get_if<Call>(&insns[pc]); c && c->helper == kHelperTailCall)
                b.tail_calls.push_back(pc);
            if (std::holds_alternative<CallLocal>(insns[pc])) b.local_calls.push_back(pc);
            b.is_exit = std::holds_alternative<Exit>(insns[pc]);
        }
        f.entry = f.blocks.front();
    }

    // Edges.
    for (uint32_t bi = 0; bi < cfg.num_blocks(); ++bi) {
        const CfgBlock b = cfg.graph[bi];
        const Insn& last = insns[b.last];
        if (const auto* j = std::get_if<Jump>(&last)) {
            boost::add_edge(bi, cfg.block_of[j->target], CfgEdge{EdgeKind::Taken}, cfg.graph);
            boost::add_edge(bi, cfg.block_of[b.end], CfgEdge{EdgeKind::NotTaken}, cfg.graph);
        } else if (const auto* g = std::get_if<Goto>(&last)) {
            boost::add_edge(bi, cfg.block_of[g->target], CfgEdge{EdgeKind::Goto}, cfg.graph);
        } else if (!b.is_exit) {
            boost::add_edge(bi, cfg.block_of[b.end], CfgEdge{EdgeKind::Fallthrough}, cfg.graph);
        }
    }

    cfg.idom.assign(cfg.num_blocks(), kNoBlock);
    for (uint32_t fi = 0; fi < cfg.functions.size(); ++fi) analyse_function(cfg, fi);

    // Call graph; function reachability through calls in reachable blocks; recursion (a cycle).
    cfg.calls = CallGraph(cfg.functions.size());
    for (const CfgCallSite& cs : cfg.call_sites) boost::add_edge(cs.caller, cs.callee, cs, cfg.calls);
    std::vector<uint8_t> state(cfg.functions.size(), 0); // 0 new, 1 on stack, 2 done
    using CallOut = boost::graph_traits<CallGraph>::out_edge_iterator;
    std::vector<std::pair<uint32_t, std::pair<CallOut, CallOut>>> stack;
    stack.emplace_back(0u, boost::out_edges(0, cfg.calls));
    state[0] = 1;
    cfg.functions[0].reachable = true;
    while (!stack.empty()) {
        auto& [f, range] = stack.back();
        if (range.first == range.second) {
            state[f] = 2;
            stack.pop_back();
            continue;
        }
        const CfgCallSite& cs = cfg.calls[*range.first++];
        if (!cfg.graph[cfg.block_of[cs.insn]].reachable) continue;
        if (state[cs.callee] == 1) cfg.recursive = true;
        if (state[cs.callee] == 0) {
            state[cs.callee] = 1;
            cfg.functions[cs.callee].reachable = true;
            stack.emplace_back(cs.callee, boost::out_edges(cs.callee, cfg.calls));
        }
    }
    return cfg;
}

} // namespace tailgate
