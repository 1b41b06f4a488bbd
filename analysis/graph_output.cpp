// `tailgate graph` output: the tail-call graph together with each program's bpf2bpf call graph.
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/tail_call_graph.hpp"
#include "verifier/cfg.hpp"
#include "verifier/file_io.hpp"

namespace tailgate {
namespace {

std::string object_name(const Object& obj) { return std::filesystem::path(obj.path).filename().string(); }

std::string node_key(ProgramId id) { return "p" + std::to_string(id.object) + "_" + std::to_string(id.program); }

// A dot string literal; labels use dot's own "\\n" line breaks, so only quotes are escaped.
std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The program's bpf2bpf calls as (caller function name, callee function name, insn).
std::vector<std::tuple<std::string, std::string, uint32_t>> bpf2bpf_calls(const Program& prog) {
    std::vector<std::tuple<std::string, std::string, uint32_t>> calls;
    auto cfg = build_cfg(prog);
    if (!cfg) return calls;
    for (const auto& c : cfg->call_sites) {
        if (c.caller >= prog.functions.size() || c.callee >= prog.functions.size()) continue;
        calls.emplace_back(prog.functions[c.caller].name, prog.functions[c.callee].name, c.insn);
    }
    return calls;
}

std::string edge_label(const TailCallEdge& e) {
    std::string label = e.slot ? "[" + std::to_string(*e.slot) + "]" : "[?]";
    if (e.conversion) label += " via " + std::string(e.conversion->name);
    if (!e.compatible) label += " incompatible";
    return label;
}

} // namespace

std::string graph_to_dot(const std::vector<const Object*>& objects, const TailCallGraph& graph) {
    std::ostringstream out;
    out << "digraph tailcalls {\n  compound=true;\n  node [shape=box, fontname=monospace];\n";
    for (const auto& node : graph.nodes) {
        const Object& obj = *objects[node.id.object];
        const Program& prog = obj.programs[node.id.program];
        const std::string key = node_key(node.id);
        out << "  subgraph cluster_" << key << " {\n    label=" << quote(object_name(obj) + ": " + node.name)
            << ";\n    style=rounded;\n";
        out << "    " << key << " [label=" << quote(node.name + "\\n" + prog_type_name(node.type) +
                                                   "\\nchain " + std::to_string(node.max_chain_length) +
                                                   ", stack " + std::to_string(node.chain_stack_bytes) + " B")
            << (node.cycle ? ", color=red" : "") << "];\n";
        for (size_t f = 1; f < prog.functions.size(); ++f)
            out << "    " << key << "_f" << f << " [label=" << quote(prog.functions[f].name) << ", shape=ellipse];\n";
        for (const auto& [caller, callee, insn] : bpf2bpf_calls(prog)) {
            auto fn_key = [&](const std::string& name) {
                for (size_t f = 1; f < prog.functions.size(); ++f)
                    if (prog.functions[f].name == name) return key + "_f" + std::to_string(f);
                return key;
            };
            out << "    " << fn_key(caller) << " -> " << fn_key(callee) << " [style=dashed, label="
                << quote("call @" + std::to_string(insn)) << "];\n";
        }
        out << "  }\n";
    }
    for (const auto& e : graph.edges)
        out << "  " << node_key(e.from) << " -> " << node_key(e.to) << " [label=" << quote(edge_label(e))
            << (e.compatible ? "" : ", color=red") << (e.slot ? "" : ", style=dotted") << "];\n";
    out << "}\n";
    return out.str();
}

std::string graph_to_json(const std::vector<const Object*>& objects, const TailCallGraph& graph) {
    nlohmann::json programs = nlohmann::json::array();
    for (const auto& node : graph.nodes) {
        const Object& obj = *objects[node.id.object];
        const Program& prog = obj.programs[node.id.program];
        nlohmann::json calls = nlohmann::json::array();
        for (const auto& [caller, callee, insn] : bpf2bpf_calls(prog))
            calls.push_back({{"caller", caller}, {"callee", callee}, {"insn", insn}});
        nlohmann::json functions = nlohmann::json::array();
        for (const auto& f : prog.functions) functions.push_back(f.name);
        programs.push_back({{"object", object_name(obj)},
                            {"name", node.name},
                            {"type", prog_type_name(node.type)},
                            {"targets", node.targets},
                            {"unknown_targets", node.unknown_targets},
                            {"cycle", node.cycle},
                            {"max_chain_length", node.max_chain_length},
                            {"own_stack_bytes", node.own_stack},
                            {"chain_stack_bytes", node.chain_stack_bytes},
                            {"functions", functions},
                            {"calls", calls}});
    }
    nlohmann::json edges = nlohmann::json::array();
    for (const auto& e : graph.edges) {
        nlohmann::json j = {{"from", objects[e.from.object]->programs[e.from.program].name},
                            {"to", objects[e.to.object]->programs[e.to.program].name},
                            {"insn", e.insn},
                            {"slot", e.slot ? nlohmann::json(*e.slot) : nlohmann::json(nullptr)},
                            {"compatible", e.compatible},
                            {"retained_stack_bytes", e.retained_stack}};
        if (e.conversion) j["conversion"] = std::string(e.conversion->name);
        edges.push_back(std::move(j));
    }
    return json_text(nlohmann::json{{"programs", programs}, {"edges", edges}}) + "\n";
}

} // namespace tailgate
