// The x86-64 JIT: turns a LoadedProgram's instructions into native code, once, in W^X memory.
//
// Native ABI of the emitted code (every JIT'd program uses the same frame layout, so a tail call can jump
// from any program or subprogram frame into any other program):
//   entry:       uint64_t entry(ExecEnv* env)  (System V). Saves rbp, rbx, r12-r15, reserves a 512-byte
//                BPF stack (+8 alignment), sets r12 = env, zeroes env->tail_call_cnt and env->stop, loads
//                r1..r5 from env->args, then falls into the body. Returns r0.
//   tail_entry:  the body's first instruction, past the whole prologue. A tail call jumps here with the
//                current native frame (rsp, rbp = r10) reused: the native stack does not grow with a chain.
//   subprogram:  a bpf2bpf call is a native `call` to a stub that builds the same frame (same pushes, own
//                512-byte stack), so one epilogue serves main programs, subprograms and tail-call targets,
//                and a tail call from a subprogram returns the target's r0 to the subprogram's caller (the
//                callers' frames stay on the native stack, as in the kernel). Each frame records its
//                bpf2bpf depth; a program may use 8 frames (interpreter's rule), counted afresh from the
//                frame a tail call lands in; the call site that would make a 9th ends the run with a fault.
//   callback:    each function an lddw pseudo 4 names gets an entry with the helper ABI (r1..r5 in rdi, rsi,
//                rdx, rcx, r8; env in r9; r0 in rax) that builds the same frame with a bpf2bpf depth of 1;
//                the lddw yields the address of its jit_calls::JitCallback, which helpers call through
//                vm.hpp call_callback() (a C frame sits between the callback's frame and its caller's).
//   registers:   the table kRegMap in jit_x86_64.cpp (the kernel's mapping); r12 = ExecEnv*,
//                r9/r10/r11 scratch.
//   helpers:     r1..r5 are already rdi, rsi, rdx, rcx, r8; r9 = env; addresses are taken from the
//                HelperTable at compile time (an id unknown then is looked up in env->helpers at run time).
//                After every helper (and every bpf2bpf return) env->stop is tested; when set the program
//                ends at once with r0 = env->stop_value, unwinding every bpf2bpf frame.
//   faults:      unverified code gone wrong (vm.hpp RunFault: unknown helper, 9th frame, running off the end,
//                an lddw the runtime cannot resolve, and in checked mode a bad access or tail-call map)
//                sets env->stop = kStopFault and env->fault/fault_pc/fault_detail/fault_image, and ends
//                the run as a helper's stop does; jit_execute() turns it into the interpreter's Error.
// Checked mode (JitOptions::checked, for unverified code: the conformance plugin, tests): before every
// load, store and atomic the emitted code calls a bounds check (runtime/jit_calls.cpp check_access) that
// allows what the interpreter's checked mode allows: the BPF stack of the current frame and of its callers
// (each frame's [r10 - 512, r10), one frame per access; not a returned frame's), and vm.hpp env_allows()
// (env.regions, the converted ctx); a tail call
// checks that r2 is an entry of the program's MapTable. A violation ends the run with the interpreter's
// fault (out-of-bounds-access, bad-tail-call-map). Every program of a chain must be compiled in the same
// mode. Unchecked (the default): memory accesses are not bounds checked; run verified code only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/vm.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

// Compile prog.insns to native code and store it in prog.jit (entry, tail_entry, owner). The code lives
// as long as prog.jit.owner (i.e. the LoadedProgram). Reads prog.insns, prog.function_starts, prog.maps,
// prog.type (a tail call compares it with the target's type: set it before compiling) and the helper
// addresses in `helpers`. Fails with:
//   jit-unsupported  a jump or call target outside the program (decode() never produces one)
//   jit-layout       the runtime structs do not have the layout the emitted code assumes
//   jit-emit         the assembler failed (message from xbyak)
//   mmap-failed / mprotect-failed (ExecMemory)
struct JitOptions {
    bool checked = false; // bounds-check every memory access (see "Checked mode" above)
    // The interpreter's InterpOptions::max_insns (0: none): every executed instruction of the run counts,
    // across tail calls and subprograms (a counter in ExecEnv, set by the entry); the next one ends the run
    // with insn-limit. Every program of a chain must be compiled with the same limit.
    uint64_t max_insns = 0;
};
Status jit_compile(LoadedProgram& prog, const HelperTable& helpers, const JitOptions& options = {});

// Run a compiled program: r0 of the outermost exit (or env.stop_value when a helper set env.stop). env.args
// are r1..r5. Fails with "not-compiled" (no prog.jit.entry) or with the interpreter's Error for a fault
// (vm.hpp run_fault_error: unknown-helper, call-depth-exceeded, pc-out-of-range, bad-lddw and, checked,
// out-of-bounds-access, bad-tail-call-map), naming the faulting
// program (a tail-call target, maybe) and instruction.
Result<uint64_t> jit_execute(const LoadedProgram& prog, ExecEnv& env);

// Bytes of native code emitted for prog (0 when not compiled).
size_t jit_code_size(const LoadedProgram& prog);

} // namespace tailgate::rt
