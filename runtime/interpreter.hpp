// The eBPF interpreter: runs a LoadedProgram's decoded instructions (the whole RFC 9669 ISA as decode()
// produces it) with bpf2bpf frames, helper calls through env.helpers, and tail calls performed inline with
// the kernel's semantics (see vm.hpp for the contract shared with the JIT).
//
// Frames: up to kMaxCallFrames (8) per program; each frame has its own 512-byte stack (r10 = its top) and a
// CallLocal saves r6-r9 and r10, restored by the callee's exit. The interpreter itself has no undefined
// behaviour: unaligned accesses go through memcpy, shifts are masked, INT_MIN / -1 and division by zero
// follow RFC 9669 (x / 0 = 0, x % 0 = x, signed overflow wraps).
//
// Semantic choices the JIT must share (differential tests compare them):
//  * after a tail call that falls through, r0 = 0; after a taken tail call every register keeps its value;
//  * callx (CallReg): the register holds a helper id (the bpf_conformance/uBPF convention; the kernel
//    verifier rejects callx, so only unverified code reaches it);
//  * LD_ABS/LD_IND: offset = (int32_t)(src + imm) (src only for LD_IND), bytes read from env.packet in
//    network byte order into r0; an offset < 0 or past packet_len ends the whole program with r0 = 0
//    (kernel: bpf_skb_load_helper_* failure path of convert_bpf_ld_abs()); r1-r5 are left unchanged.
#pragma once

#include <cstdint>

#include "runtime/vm.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

struct InterpOptions {
    // Checked mode: every load/store/atomic must fall inside the stack of the running frame or a caller's
    // (one frame per access), or one of env.regions
    // (stores: a writable one) or, for a load, the converted ctx of a cross-type tail call (vm.hpp
    // env_allows), and a tail-call map must be an entry of the running program's MapTable.
    // Used for unverified code (conformance plugin, tests); the Runtime runs unchecked (also --no-verify).
    bool checked = false;
    // Stop with "insn-limit" after this many executed instructions (0: no limit).
    uint64_t max_insns = 0;
};

// Run `prog` from slot 0: r1..r5 = env.args, r10 = top of frame 0. Returns r0 of the outermost exit (or
// env.stop_value when a helper set env.stop, or 0 after an out-of-bounds LD_ABS/LD_IND).
// Fails with (message names pc and program):
//   out-of-bounds-access  checked mode: a memory access outside the allowed regions
//   bad-tail-call-map     checked mode: r2 of a tail call is not a map of the program
//   unknown-helper        no helper registered under the id
//   call-depth-exceeded   a bpf2bpf call would give one program a 9th frame (a tail call from a subprogram
//                         starts the target's frame count at that frame, as the kernel's JIT does)
//   bad-lddw              lddw map reference with no MapTable entry, an unsupported pseudo (3: BTF
//                         variable), or a pseudo func (4) pointing outside the program
//   bad-callback          a helper was given a callback that is no function of the program, or checked mode
//                         (vm.hpp "Callbacks"; callbacks run in frames on top of the helper's caller)
//   pc-out-of-range       execution fell off the end of the instruction array
//   insn-limit            options.max_insns reached
Result<uint64_t> interpret(const LoadedProgram& prog, ExecEnv& env, const InterpOptions& options = {});

} // namespace tailgate::rt
