// The routines the JIT's code calls; see jit_calls.hpp.
#include "runtime/jit_calls.hpp"

#include "runtime/jit_x86_64.hpp"
#include "runtime/x86_emit.hpp"

namespace tailgate::rt::jit_calls {

// LD_ABS / LD_IND. kernel: filter.c bpf_gen_ld_abs() + bpf_skb_load_helper_{8,16,32}(): the offset is the
// low 32 bits of (src + imm) as an int; a negative or out-of-bounds offset ends the program with r0 = 0.
uint64_t ld_packet(ExecEnv* env, uint64_t offset64, uint64_t width) {
    int32_t off = static_cast<int32_t>(static_cast<uint32_t>(offset64));
    if (off < 0 || env->packet == nullptr || static_cast<uint64_t>(off) + width > env->packet_len) {
        env->stop = 1;
        env->stop_value = 0;
        return 0;
    }
    const uint8_t* p = env->packet + off;
    uint64_t v = 0;
    for (uint64_t i = 0; i < width; ++i) v = (v << 8) | p[i]; // network byte order
    return v;
}

// Ends the run with a fault (vm.hpp RunFault) at `pc`; the emitted stop path adds the program's image.
void set_fault(ExecEnv* env, RunFault fault, uint64_t pc, int64_t detail) {
    env->fault_pc = static_cast<uint32_t>(pc);
    raise_fault(env, fault, detail);
}

// A helper call whose id was not in the HelperTable at compile time (7th argument: id, 8th: the call's
// pc). An id with no helper ends the run with the interpreter's "unknown-helper" fault.
uint64_t call_dynamic(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, ExecEnv* env,
                      uint64_t id, uint64_t pc) {
    HelperFn fn = nullptr;
    if (env->helpers != nullptr && id < static_cast<uint64_t>(HelperTable::kMaxHelperId))
        fn = env->helpers->get(static_cast<int32_t>(id));
    if (fn == nullptr) {
        set_fault(env, RunFault::UnknownHelper, pc, static_cast<int64_t>(id));
        return 0;
    }
    env->fault_pc = static_cast<uint32_t>(pc); // where a fault raised inside the helper is (raise_fault)
    return fn(r1, r2, r3, r4, r5, env);
}

// callx: the register's value names the helper (HelperTable::callx_id, as the interpreter reads it).
uint64_t callx(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, ExecEnv* env, uint64_t value,
               uint64_t pc) {
    const int64_t id = HelperTable::callx_id(value);
    if (id == kHelperTailCall) {
        set_fault(env, RunFault::CallxTailCall, pc, id);
        return 0;
    }
    if (id < 0) {
        set_fault(env, RunFault::UnknownHelper, pc, id);
        return 0;
    }
    return call_dynamic(r1, r2, r3, r4, r5, env, static_cast<uint64_t>(id), pc);
}

uint64_t run_callback(ExecEnv* env, uint64_t fn, const uint64_t* args) {
    const auto* cb = reinterpret_cast<const JitCallback*>(fn);
    if (cb->checked) {
        raise_fault(env, RunFault::BadCallback, kCallbackChecked);
        return 0;
    }
    return reinterpret_cast<HelperFn>(const_cast<void*>(cb->native))(args[0], args[1], args[2], args[3],
                                                                     args[4], env);
}

// Checked mode: may the program access [addr, addr + width) (width_write = width | write << 8)? The BPF
// stacks of the run's frames: the current frame's base is `frame` (its rsp), each caller's is kFrameStride
// higher, up to the first frame's r10 (env->jit_stack_top), and each frame's stack is its first 512 bytes;
// everything else is vm.hpp env_allows() (env.regions, the converted ctx). Returns 1 when allowed.
uint64_t check_access(ExecEnv* env, uint64_t addr, uint64_t frame, uint64_t width_write) {
    const uint64_t width = width_write & 0xff;
    const bool write = (width_write >> 8) != 0;
    const uint64_t top = env->jit_stack_top;
    if (addr >= frame && top >= frame + width && addr - frame <= top - frame - width &&
        (addr - frame) % x86::kFrameStride + width <= static_cast<uint64_t>(kMaxBpfStack))
        return 1;
    return env_allows(*env, addr, width, write) ? 1 : 0;
}

} // namespace tailgate::rt::jit_calls
