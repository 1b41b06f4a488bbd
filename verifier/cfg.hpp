// The control-flow graph of a Program (Boost.Graph): basic blocks per function, intraprocedural edges,
// exit blocks, unreachable blocks, reverse postorder, dominators, back edges and natural loops, and the
// bpf2bpf call graph between the program's functions.
//
// Shape: one CfgGraph holds the blocks of every function of the program. Edges never cross functions: a
// bpf2bpf call (CallLocal) stays inside its block and continues at the next instruction, like a helper
// call; the call itself is an edge of the CallGraph. An `exit` ends its block with no successor (in a
// subprogram it returns to the caller). An LD_ABS/LD_IND may also end the program (out-of-bounds load);
// that implicit exit is not an edge.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate {

inline constexpr uint32_t kNoBlock = std::numeric_limits<uint32_t>::max();

enum class EdgeKind : uint8_t {
    Fallthrough, // the next instruction starts another block
    Taken,       // conditional jump, condition true
    NotTaken,    // conditional jump, condition false (next instruction)
    Goto,        // unconditional jump
};
const char* edge_kind_name(EdgeKind k); // "fallthrough", "taken", "not_taken", "goto"

struct CfgBlock {
    uint32_t first = 0;                // slot of the first instruction
    uint32_t last = 0;                 // slot of the last instruction (the first slot of an lddw)
    uint32_t end = 0;                  // one past the last slot
    uint32_t function = 0;             // index into Program::functions / Cfg::functions
    bool is_exit = false;              // ends with `exit`
    bool reachable = false;            // reachable from its function's entry
    std::vector<uint32_t> tail_calls;  // slots of `call 12` in the block
    std::vector<uint32_t> local_calls; // slots of bpf2bpf calls in the block
};

struct CfgEdge {
    EdgeKind kind = EdgeKind::Fallthrough;
    bool back = false; // a retreating edge of the DFS from the function entry (target still on the stack)
};

using CfgGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, CfgBlock, CfgEdge>;
using CfgVertex = boost::graph_traits<CfgGraph>::vertex_descriptor; // == block index

struct CfgLoop {
    uint32_t header = 0;           // block
    std::vector<uint32_t> latches; // blocks with a back edge to the header
    std::vector<uint32_t> blocks;  // the natural loop's body (header included), sorted
};

struct CfgFunction {
    std::string name;
    uint32_t start = 0, end = 0;       // slot range
    uint32_t entry = kNoBlock;         // entry block
    std::vector<uint32_t> blocks;      // all blocks of the function, by start slot
    std::vector<uint32_t> exits;       // reachable blocks ending in `exit`
    std::vector<uint32_t> unreachable; // blocks not reachable from the entry
    std::vector<uint32_t> rpo;         // reachable blocks in reverse postorder (entry first)
    std::vector<CfgLoop> loops;        // natural loops (one per header), outer loops first
    bool irreducible = false;          // a back edge whose target does not dominate its source
    bool has_tail_call = false;        // contains a reachable `call 12`
    bool reachable = false;            // reachable from function 0 in the call graph
};

enum class CallKind : uint8_t {
    Call,     // CallLocal: bpf2bpf call
    Callback, // lddw pseudo 4 (BPF_PSEUDO_FUNC): the function is passed to a helper (bpf_loop, ...)
};

struct CfgCallSite {
    uint32_t insn = 0;
    uint32_t caller = 0; // function index
    uint32_t callee = 0; // function index
    CallKind kind = CallKind::Call;
};

using CallGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, CfgCallSite>;

struct Cfg {
    CfgGraph graph;                 // vertex i is block i
    std::vector<uint32_t> block_of; // per slot: its block (both slots of an lddw), kNoBlock outside functions
    std::vector<CfgFunction> functions;  // parallel to Program::functions (or derived, see build_cfg)
    std::vector<uint32_t> idom;          // per block: immediate dominator (kernel-independent, from
                                         // boost::lengauer_tarjan_dominator_tree on its function);
                                         // kNoBlock for function entries and unreachable blocks
    CallGraph calls;                     // vertex i is function i; one edge per call site
    std::vector<CfgCallSite> call_sites; // the same edges, by instruction
    bool recursive = false;              // the call graph has a cycle

    size_t num_blocks() const { return boost::num_vertices(graph); }
    const CfgBlock& block(uint32_t b) const { return graph[b]; }
    // Successor / predecessor block indexes of b (with edge kinds).
    std::vector<std::pair<uint32_t, EdgeKind>> successors(uint32_t b) const;
    std::vector<std::pair<uint32_t, EdgeKind>> predecessors(uint32_t b) const;
    // Does block a dominate block b (same function; a block dominates itself)?
    bool dominates(uint32_t a, uint32_t b) const;
    // Innermost loop (index into functions[f].loops) containing block b, or -1.
    int innermost_loop(uint32_t b) const;
};

// Build the CFG of a program.
// Reads: program.insns (decoded) and program.functions. When functions is empty (hand-built programs), the
//   functions are derived as the kernel's check_subprogs() does: function 0 at slot 0 plus one per CallLocal
//   target and per lddw pseudo-func target, each running to the next start.
// Writes: the Cfg described above.
// Fails with code "invalid-instruction" (message "insn N: ...") when, as in kernel verifier.c
//   check_subprogs(): a jump leaves its function ("jump out of range from insn N to M"); the last
//   instruction of a function is not `exit` or `goto` ("last insn is not an exit or jmp"); a bpf2bpf call
//   or pseudo-func lddw does not target the start of a function; the instruction array is empty or a
//   function range is empty or outside the program.
Result<Cfg> build_cfg(const Program& program);

// Graphviz text: one cluster per function, one node per block (instructions in llvm-objdump syntax),
// edges labelled by kind, back edges dashed, unreachable blocks grey, call edges between clusters.
std::string cfg_to_dot(const Cfg& cfg, const Program& program);

// JSON text (pretty-printed):
// {"program": NAME, "functions": [{"name", "start", "end", "entry", "reachable", "has_tail_call",
//   "irreducible", "exits": [...], "unreachable": [...], "loops": [{"header", "latches", "blocks"}],
//   "blocks": [{"id", "first", "last", "end", "exit", "reachable", "idom", "tail_calls", "calls",
//   "insns": [{"insn", "text"}], "succs": [{"block", "kind", "back"}]}]}],
//  "calls": [{"insn", "caller", "callee", "kind"}], "recursive": bool}
std::string cfg_to_json(const Cfg& cfg, const Program& program);

} // namespace tailgate
