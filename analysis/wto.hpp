// Basic blocks and the weak topological order (Bourdoncle 1993) of one function of a Program.
//
// tailgate's own WTO over the Program's successor relation, restricted to one function: bpf2bpf calls do
// not end a block (the fixpoint analyses the callee in place), exits have no successor. Each block knows
// the heads of the components that contain it (innermost last), so the fixpoint can tell a loop's back
// edges from its entry edges and give each loop its own ghost iteration counter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verifier/object.hpp"

namespace tailgate {

struct WtoElem {
    uint32_t block = 0;
    bool component = false; // a loop: `block` is its head, `body` the rest in WTO order
    std::vector<WtoElem> body;
};

struct FunctionCfg {
    uint32_t function = 0;
    uint32_t start = 0, end = 0;
    std::vector<uint32_t> block_start, block_end; // [start, end) slot ranges, sorted
    std::vector<std::vector<uint32_t>> succ, pred;
    std::vector<WtoElem> wto;
    std::vector<int> loop_level;                 // per block: nesting level when it heads a loop, else -1
    std::vector<std::vector<uint32_t>> heads_of; // per block: heads of the enclosing loops, outermost first
    int max_depth = 0;                           // deepest loop nesting
    std::vector<std::string> problems; // jumps leaving the function, falling off its end, unreachable blocks

    int block_of(uint32_t pc) const; // -1 outside
    // Is block p inside the loop headed by h (p == h included)?
    bool in_loop(uint32_t p, uint32_t h) const;
};

// Reads: prog.insns and prog.functions[function]. Never fails; malformed control flow is listed in
// `problems` (with the instruction index first: "insn 12: ...").
FunctionCfg build_function_cfg(const Program& prog, uint32_t function);

// Index of the function starting at `pc`, or -1.
int function_starting_at(const Program& prog, uint32_t pc);

} // namespace tailgate
