// The out-of-line routines the x86-64 JIT's code calls (runtime/jit_x86_64.cpp): packet loads, run-time
// helper lookup (an id unknown at compile time, callx), checked-mode bounds checks, and the fault record.
// Internal to the JIT: System V functions whose addresses the emitted code calls.
#pragma once

#include <cstdint>

#include "runtime/vm.hpp"

namespace tailgate::rt::jit_calls {

// LD_ABS / LD_IND: r0 = ntoh(packet[(int32_t)offset64, + width)); out of bounds ends the run with r0 = 0.
uint64_t ld_packet(ExecEnv* env, uint64_t offset64, uint64_t width);

// Ends the run with `fault` at `pc` (env->stop = kStopFault); the emitted stop path adds the image.
void set_fault(ExecEnv* env, RunFault fault, uint64_t pc, int64_t detail);

// A helper whose id was not in the HelperTable at compile time (7th argument id, 8th the call's pc).
uint64_t call_dynamic(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, ExecEnv* env,
                      uint64_t id, uint64_t pc);

// callx: the register's value names the helper (HelperTable::callx_id).
uint64_t callx(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, ExecEnv* env, uint64_t value,
               uint64_t pc);

// A callback value of the JIT (what its lddw pseudo 4 yields): the function's entry with the helper ABI
// (r1..r5 in rdi, rsi, rdx, rcx, r8; env in r9; r0 in rax), one per callback function of an image.
struct JitCallback {
    uint32_t start = 0;           // the function's first slot
    const void* native = nullptr; // its entry (filled once the code is placed)
    bool checked = false;         // compiled in checked mode: refused (vm.hpp "Callbacks")
};

// ExecEnv::run_callback of JIT runs.
uint64_t run_callback(ExecEnv* env, uint64_t fn, const uint64_t* args);

// Checked mode: 1 when [addr, addr + width) may be accessed (width_write = width | write << 8) by code
// whose current frame base (rsp) is `frame`.
uint64_t check_access(ExecEnv* env, uint64_t addr, uint64_t frame, uint64_t width_write);

} // namespace tailgate::rt::jit_calls
