// Stack limits over the bpf2bpf call graph (kernel: verifier.c check_max_stack_depth() /
// check_max_stack_depth_subprog()), with the JIT's frame rounding (round_up(depth, 16)).
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/checks.hpp"
#include "analysis/transfer.hpp"

namespace tailgate {

struct FunctionStack {
    uint32_t function = 0;
    int64_t depth = 0;          // deepest stack byte touched (bytes below r10)
    int64_t rounded = 0;        // round_up(depth, 16)
    bool has_tail_call = false; // contains `call 12`
    int64_t max_caller_stack =
        0;                  // largest sum of rounded caller frames on a call path from the main function
    bool reachable = false; // on some call path from the main function
};

// Reads: prog's functions and CallLocal instructions (the static call graph, as the kernel walks it) and
// `depth` (per function, from the analysis). Reports into sink:
//   stack-limit     a frame over 512 bytes, or a call whose callee makes the combined (rounded) stack of the
//                   chain exceed 512 ("combined stack size of %d calls is %d"), on that call instruction;
//   tail-call-stack a call entering a subprogram that tail-calls while the callers' frames hold >= 256 bytes,
//                   on that call instruction.
std::vector<FunctionStack> check_stack(const AnalysisEnv& env, const std::vector<int64_t>& depth,
                                       CheckSink& sink);

inline int64_t jit_frame_size(int64_t depth) {
    return (depth + 15) / 16 * 16;
} // kernel: round_up_stack_depth() (JIT)

} // namespace tailgate
