// `tailgate cfg FILE.o [--program NAME] [--format dot|json]`: the control-flow graph of each program (or of
// NAME): basic blocks per function, edges, back edges and loops, unreachable blocks, the bpf2bpf calls.
// dot: one `digraph` per program (Graphviz accepts several graphs in one file).
// json: {"file": FILE, "programs": [<cfg_to_json() of each program>]}.
// Exit 0 when every CFG was built, 1 when a program is structurally invalid (jump out of its function, ...;
// one `tailgate: FILE: program NAME: ...` line on stderr per such program), 2 on bad input or usage.
#include <iostream>

#include <nlohmann/json.hpp>

#include "tools/cli.hpp"
#include "verifier/cfg.hpp"
#include "verifier/file_io.hpp"

namespace tailgate::cli {

namespace {

const CommandSpec kSpec{
    "cfg",
    "FILE.o [--program NAME] [--format dot|json]",
    "Print the control-flow graph of the programs of an eBPF object file: basic blocks per function (with\n"
    "their instructions), branch/fallthrough/goto edges, back edges and natural loops, unreachable blocks,\n"
    "dominators (json) and the bpf2bpf call graph.",
    {
        {"program", "NAME", "only this program", {}},
        {"format", "dot|json", "output format (default dot)", {"dot", "json"}},
    },
    1,
    1,
};

} // namespace

int cmd_cfg(const std::vector<std::string>& args) {
    int code = kExitOk;
    auto parsed = parse_or_exit(kSpec, args, code);
    if (!parsed) return code;
    const std::string& path = parsed->positional[0];
    auto obj = load_or_report(path);
    if (!obj) return kExitBadInput;

    auto selected = select_programs(*parsed, *obj, path);
    if (!selected) return kExitBadInput;
    const std::vector<const Program*>& progs = *selected;

    const bool json = parsed->get("format", "dot") == "json";
    nlohmann::json out = {{"file", path}, {"programs", nlohmann::json::array()}};
    int status = kExitOk;
    for (const Program* p : progs) {
        auto cfg = build_cfg(*p);
        if (!cfg.ok()) {
            std::cerr << "tailgate: " << path << ": program " << p->name << ": " << cfg.error().code << ": "
                      << cfg.error().message << std::endl;
            status = kExitFound;
            continue;
        }
        if (json)
            out["programs"].push_back(nlohmann::json::parse(cfg_to_json(*cfg, *p)));
        else
            std::cout << cfg_to_dot(*cfg, *p);
    }
    if (json) std::cout << json_text(out) << "\n";
    std::cout.flush();
    return status;
}

} // namespace tailgate::cli
