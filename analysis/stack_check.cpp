// Static stack-depth rules of the kernel over the bpf2bpf call graph.
#include "analysis/stack_check.hpp"
#include "analysis/wto.hpp"

#include <algorithm>

namespace tailgate {

namespace {

struct Walker {
    const AnalysisEnv& env;
    CheckSink& sink;
    std::vector<FunctionStack>& fs;
    std::vector<std::vector<std::pair<uint32_t, uint32_t>>> calls; // per function: (insn, callee)
    std::vector<uint32_t> path;

    // kernel: check_max_stack_depth_subprog(): depth = sum of the rounded frames on the path, this frame
    // included
    void walk(uint32_t fn, int64_t callers, int frames) {
        FunctionStack& me = fs[fn];
        me.reachable = true;
        me.max_caller_stack = std::max(me.max_caller_stack, callers);
        int64_t depth = callers + me.rounded;
        path.push_back(fn);
        for (auto [insn, callee] : calls[fn]) {
            if (std::find(path.begin(), path.end(), callee) != path.end())
                continue;                              // recursion: reported by the analysis
            if (frames + 1 > kMaxCallFrames) continue; // call-depth: reported by the analysis
            const FunctionStack& c = fs[callee];
            if (c.has_tail_call && depth >= kTailCallStackCap)
                sink.report(env, Severity::Error, "tail-call-stack", insn,
                            "tail_calls are not allowed when call stack of previous frames is " +
                                std::to_string(depth) + " bytes. Too large: '" +
                                env.prog->functions[callee].name +
                                "' makes a tail call and its callers' frames hold " + std::to_string(depth) +
                                " >= 256 bytes (the JIT keeps them below each tail call)");
            if (depth + c.rounded > kMaxBpfStack)
                sink.report(
                    env, Severity::Error, "stack-limit", insn,
                    "combined stack size of " + std::to_string(frames + 1) + " calls is " +
                        std::to_string(depth + c.rounded) + " bytes. Too large (at most 512; entering '" +
                        env.prog->functions[callee].name + "' with " + std::to_string(c.rounded) + " bytes)");
            walk(callee, depth, frames + 1);
        }
        path.pop_back();
    }
};

} // namespace

std::vector<FunctionStack> check_stack(const AnalysisEnv& env, const std::vector<int64_t>& depth,
                                       CheckSink& sink) {
    const Program& prog = *env.prog;
    size_t n = prog.functions.size();
    std::vector<FunctionStack> fs(n);
    Walker w{env, sink, fs, std::vector<std::vector<std::pair<uint32_t, uint32_t>>>(n), {}};
    for (size_t i = 0; i < n; ++i) {
        fs[i].function = uint32_t(i);
        fs[i].depth = i < depth.size() ? depth[i] : 0;
        fs[i].rounded = jit_frame_size(fs[i].depth);
        const Subprogram& f = prog.functions[i];
        for (uint32_t pc = f.start; pc < f.end && pc < prog.insns.size();
             pc += uint32_t(slots(prog.insns[pc]))) {
            const Insn& in = prog.insns[pc];
            if (const auto* c = std::get_if<Call>(&in); c && c->helper == kHelperTailCall)
                fs[i].has_tail_call = true;
            if (const auto* cl = std::get_if<CallLocal>(&in)) {
                int callee = function_starting_at(prog, cl->target);
                if (callee >= 0) w.calls[i].push_back({pc, uint32_t(callee)});
            }
            // a callback's frame sits on top of the frame that passes it (kernel:
            // check_max_stack_depth_subprog() follows bpf_pseudo_func as well as bpf_pseudo_call)
            if (const auto* l = std::get_if<LoadImm64>(&in); l && l->pseudo == 4) {
                int callee = function_starting_at(prog, uint32_t(pseudo_func_target(*l, pc)));
                if (callee >= 0) w.calls[i].push_back({pc, uint32_t(callee)});
            }
        }
        if (fs[i].depth > kMaxBpfStack)
            sink.report(env, Severity::Error, "stack-limit", f.start,
                        "stack size of '" + f.name + "' is " + std::to_string(fs[i].depth) +
                            " bytes. Too large (at most 512)");
    }
    if (n > 0) w.walk(0, 0, 1);
    return fs;
}

} // namespace tailgate
