// The whole-object tail-call graph (issue 5). The kernel checks tail calls one program at a time and leaves
// the rest to run time; with every program of one or more objects verified and the prog arrays' contents
// known (prog_array_contents.hpp) tailgate proves, before load:
//   * which programs each tail-call site can reach (only slots inside the site's proved index range);
//   * that every edge is compatible (kernel core.c __bpf_prog_map_compatible: program type, expected attach
//     type, xdp_has_frags), or crosses types through a declared conversion (verifier/ctx_conversion.hpp),
//     and that every prog array has one owner type;
//   * the cycles, the longest chain (at most MAX_TAIL_CALL_CNT = 33 tail calls) and where chains fall through;
//   * the worst-case stack over any chain of up to 33 tail calls, counting the bpf2bpf caller frames that
//     stay below a tail call made from a subprogram (the ~8 KiB worst case behind the kernel's 256-byte rule,
//     verifier.c check_max_stack_depth_subprog()).
//
// build_tail_call_graph() reads: the objects, their verify reports, the prog-array contents. Writes: a
// TailCallGraph. Never fails: problems are diagnostics (tail-call-target-type, tail-call-chain-stack errors;
// notes on chains that reach the 33-call limit).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/diagnostics.hpp"
#include "analysis/prog_array_contents.hpp"
#include "analysis/verify.hpp"
#include "verifier/ctx_conversion.hpp"
#include "verifier/object.hpp"

namespace tailgate {

struct TailCallEdge {
    ProgramId from;
    size_t site = 0;          // index into the caller's ProgramReport::tail_calls
    uint32_t insn = 0;        // the tail call instruction in the caller
    ProgramId to;
    std::optional<uint32_t> slot;  // nullopt: reached through an unknown slot ("any compatible program")
    const CtxConversion* conversion = nullptr; // set when the edge crosses types through a declared conversion
    bool compatible = true;
    int64_t retained_stack = 0; // bytes of caller frames that stay below the target (0 from the main function)
};

struct TailCallNode {
    ProgramId id;
    std::string name;
    ProgType type = ProgType::Unspec;
    int64_t own_stack = 0;          // deepest bpf2bpf call chain of the program (frames rounded up to 16)
    std::vector<std::string> targets; // programs the program's sites can reach, in slot order, no duplicates
    bool unknown_targets = false;   // some site can reach a slot whose content is unknown
    bool cycle = false;             // a cycle of tail calls is reachable from here
    int max_chain_length = 0;       // longest chain of tail calls from here (at most 33)
    int64_t chain_stack_bytes = 0;  // worst-case stack over any chain of up to 33 tail calls from here
};

struct GraphOptions {
    std::optional<int64_t> max_chain_stack; // --max-chain-stack BYTES: exceeding it is an error
};

struct TailCallGraph {
    std::vector<TailCallNode> nodes; // one per program of every object, in object then program order
    std::vector<TailCallEdge> edges;
    std::map<ProgramId, std::vector<Diagnostic>> diagnostics; // per program (caller of the site)

    const TailCallNode* node(ProgramId id) const;
};

// reports[o][p] is verify_program()'s report on objects[o]->programs[p].
TailCallGraph build_tail_call_graph(const std::vector<const Object*>& objects,
                                    const std::vector<std::vector<ProgramReport>>& reports,
                                    const ProgArrayContents& contents, const GraphOptions& options);

// Frame size as the x86-64 JIT reserves it (verifier.c round_up_stack_depth(): round_up(depth, 16)).
inline int64_t round_frame(int64_t depth) { return (depth + 15) / 16 * 16; }

// Text for `tailgate graph`: Graphviz dot (program nodes with their bpf2bpf functions as a cluster, tail-call
// edges labelled with the slot) and JSON ({"programs": [...], "edges": [...]}).
std::string graph_to_dot(const std::vector<const Object*>& objects, const TailCallGraph& graph);
std::string graph_to_json(const std::vector<const Object*>& objects, const TailCallGraph& graph);

} // namespace tailgate
