// Graphviz and JSON renderings of a Cfg (declared in cfg.hpp).
#include <sstream>

#include <nlohmann/json.hpp>

#include "verifier/cfg.hpp"
#include "verifier/file_io.hpp"

namespace tailgate {

namespace {

std::string dot_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\' || c == '{' || c == '}' || c == '<' || c == '>' || c == '|') out += '\\';
        out += c;
    }
    return out;
}

std::vector<std::pair<uint32_t, std::string>> block_text(const CfgBlock& b, const Program& p) {
    std::vector<std::pair<uint32_t, std::string>> out;
    for (uint32_t pc = b.first; pc < b.end; ++pc) {
        if (std::holds_alternative<LddwHigh>(p.insns[pc])) continue;
        out.emplace_back(pc, to_text(p.insns[pc], pc));
    }
    return out;
}

} // namespace

std::string cfg_to_dot(const Cfg& cfg, const Program& program) {
    std::ostringstream o;
    o << "digraph \"" << dot_escape(program.name) << "\" {\n"
      << "  node [shape=record, fontname=\"monospace\", fontsize=10];\n"
      << "  compound=true;\n";
    for (size_t fi = 0; fi < cfg.functions.size(); ++fi) {
        const CfgFunction& f = cfg.functions[fi];
        o << "  subgraph cluster_f" << fi << " {\n    label=\"" << dot_escape(f.name) << " [" << f.start
          << ", " << f.end << ")" << (f.has_tail_call ? " tail-calls" : "")
          << (f.reachable ? "" : " unreachable") << "\";\n";
        for (uint32_t b : f.blocks) {
            const CfgBlock& bb = cfg.block(b);
            o << "    b" << b << " [label=\"{b" << b;
            for (const auto& [pc, text] : block_text(bb, program))
                o << "|" << pc << ": " << dot_escape(text) << "\\l";
            o << "}\"";
            if (!bb.reachable)
                o << ", style=filled, fillcolor=lightgrey";
            else if (bb.is_exit)
                o << ", peripheries=2";
            o << "];\n";
        }
        o << "  }\n";
    }
    for (uint32_t b = 0; b < cfg.num_blocks(); ++b)
        for (auto [it, end] = boost::out_edges(b, cfg.graph); it != end; ++it) {
            const CfgEdge& e = cfg.graph[*it];
            o << "  b" << b << " -> b" << boost::target(*it, cfg.graph) << " [label=\""
              << edge_kind_name(e.kind) << "\"" << (e.back ? ", style=dashed, constraint=false" : "")
              << "];\n";
        }
    for (const CfgCallSite& cs : cfg.call_sites)
        o << "  b" << cfg.block_of[cs.insn] << " -> b" << cfg.functions[cs.callee].entry << " [label=\""
          << (cs.kind == CallKind::Call ? "call" : "callback") << " @" << cs.insn
          << "\", color=blue, style=bold, lhead=cluster_f" << cs.callee << "];\n";
    o << "}\n";
    return o.str();
}

std::string cfg_to_json(const Cfg& cfg, const Program& program) {
    using nlohmann::json;
    auto block_id = [](uint32_t b) { return b == kNoBlock ? json(nullptr) : json(b); };
    json fns = json::array();
    for (const CfgFunction& f : cfg.functions) {
        json blocks = json::array();
        for (uint32_t b : f.blocks) {
            const CfgBlock& bb = cfg.block(b);
            json insns = json::array();
            for (const auto& [pc, text] : block_text(bb, program))
                insns.push_back({{"insn", pc}, {"text", text}});
            json succs = json::array();
            for (auto [it, end] = boost::out_edges(b, cfg.graph); it != end; ++it)
                succs.push_back({{"block", boost::target(*it, cfg.graph)},
                                 {"kind", edge_kind_name(cfg.graph[*it].kind)},
                                 {"back", cfg.graph[*it].back}});
            blocks.push_back({{"id", b},
                              {"first", bb.first},
                              {"last", bb.last},
                              {"end", bb.end},
                              {"exit", bb.is_exit},
                              {"reachable", bb.reachable},
                              {"idom", block_id(cfg.idom[b])},
                              {"tail_calls", bb.tail_calls},
                              {"calls", bb.local_calls},
                              {"insns", insns},
                              {"succs", succs}});
        }
        json loops = json::array();
        for (const CfgLoop& l : f.loops)
            loops.push_back({{"header", l.header}, {"latches", l.latches}, {"blocks", l.blocks}});
        fns.push_back({{"name", f.name},
                       {"start", f.start},
                       {"end", f.end},
                       {"entry", block_id(f.entry)},
                       {"reachable", f.reachable},
                       {"has_tail_call", f.has_tail_call},
                       {"irreducible", f.irreducible},
                       {"exits", f.exits},
                       {"unreachable", f.unreachable},
                       {"loops", loops},
                       {"blocks", blocks}});
    }
    json calls = json::array();
    for (const CfgCallSite& cs : cfg.call_sites)
        calls.push_back({{"insn", cs.insn},
                         {"caller", cfg.functions[cs.caller].name},
                         {"callee", cfg.functions[cs.callee].name},
                         {"kind", cs.kind == CallKind::Call ? "call" : "callback"}});
    json out = {
        {"program", program.name}, {"functions", fns}, {"calls", calls}, {"recursive", cfg.recursive}};
    return json_text(out) + "\n";
}

} // namespace tailgate
