// Callbacks at run time (vm.hpp "Callbacks"): the helpers' side of calling a function of the running
// program, shared by bpf_loop and bpf_for_each_map_elem on both engines.
#include "runtime/vm.hpp"

namespace tailgate::rt {

void raise_fault(ExecEnv* env, RunFault fault, int64_t detail) {
    env->stop = kStopFault;
    env->stop_value = 0;
    env->fault = static_cast<uint32_t>(fault);
    env->fault_detail = detail;
}

uint64_t call_callback(ExecEnv* env, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                       uint64_t r5) {
    if (env->stop != 0) return 0;
    if (env->run_callback == nullptr) {
        raise_fault(env, RunFault::BadCallback, kCallbackNotAFunction);
        return 0;
    }
    // kernel: the verifier counts a callback's frame among the MAX_CALL_FRAMES of the call stack
    // (verifier.c push_callback_call() -> setup_func_entry()); verified code never gets here too deep.
    if (env->callback_depth >= static_cast<uint32_t>(kMaxCallFrames)) {
        raise_fault(env, RunFault::CallDepth, env->callback_depth);
        return 0;
    }
    const uint32_t pc = env->fault_pc; // the helper call's: callbacks make helper calls of their own
    const uint64_t args[5] = {r1, r2, r3, r4, r5};
    ++env->callback_depth;
    const uint64_t r0 = env->run_callback(env, fn, args);
    --env->callback_depth;
    if (env->stop == 0) env->fault_pc = pc;
    return r0;
}

} // namespace tailgate::rt
