// Emitter helpers of the x86-64 JIT (runtime/jit_x86_64.cpp): the frame every JIT'd function shares, and
// the eBPF operations whose x86 forms need fixed registers (div/idiv: rdx:rax; shifts: cl; cmpxchg: rax).
// They take x86 registers, already mapped by jit_x86_64.cpp's register table, and rely on two facts of that
// table: eBPF r0 is rax (cmpxchg's comparand and result) and eBPF r4 is rcx (handled when it is the
// shift count or the shifted register). r9, r10, r11 are scratch; every helper preserves all others.
#pragma once

#include <cstdint>

#include <xbyak/xbyak.h>

#include "verifier/isa.hpp"

namespace tailgate::rt::x86 {

inline const Xbyak::Reg64 kTmp0{Xbyak::Operand::R9};  // scratch; the 6th argument register (env for helpers)
inline const Xbyak::Reg64 kTmp1{Xbyak::Operand::R10}; // scratch
inline const Xbyak::Reg64 kTmp2{Xbyak::Operand::R11}; // scratch; holds the target of absolute calls

// Native frame below the 6 pushed registers: the BPF stack plus 8 bytes that keep rsp 16-byte aligned and
// hold the frame's bpf2bpf depth (1 = main). From rsp: [0, 512) BPF stack, [512] depth, the 6 pushed
// registers, the return address; the caller's rsp is rsp + kFrameStride (576): a bpf2bpf call is a native
// call made at the caller's frame base.
inline constexpr int kFrameBytes = kMaxBpfStack + 8;
inline constexpr int kDepthSlot = kMaxBpfStack;
inline constexpr int kFrameStride = kFrameBytes + 6 * 8 + 8;
inline constexpr int kCallerDepthSlot = kFrameStride + kDepthSlot;

enum class Shift : uint8_t { Left, Right, Arith };

class X86Emit : public Xbyak::CodeGenerator {
  public:
    // Emits into buf[0, max_size) (caller-owned, writable); forward jumps are near by default.
    X86Emit(size_t max_size, uint8_t* buf) : Xbyak::CodeGenerator(max_size, buf) { setDefaultJmpNEAR(true); }

  protected:
    // push rbp, rbx, r12-r15; reserve kFrameBytes; rbp = top of the BPF stack.
    void emit_frame_prologue();
    // Undo emit_frame_prologue and return (r0 stays in rax).
    void emit_epilogue();
    // call through r11 (the code buffer may be further than rel32 from the binary's text).
    void emit_abs_call(const void* fn);
    // dst = dst {/,%} src-or-imm, 64- or 32-bit, unsigned or signed, with the eBPF rules for 0 and -1.
    void emit_divmod(bool is_mod, bool is_signed, bool is64, const Xbyak::Reg64& dst, const Xbyak::Reg64* src,
                     int64_t imm);
    // dst = dst {<<, >>, s>>} (src or imm) masked to 63/31.
    void emit_shift(Shift kind, bool is64, const Xbyak::Reg64& dst, const Xbyak::Reg64* src, int64_t imm);
    // to-LE (truncate) or swap of the low `bits` bits, zero-extended.
    void emit_byte_order(const Xbyak::Reg64& dst, uint8_t bits, bool swap);
    // eBPF atomic on [base + off] with src (r0 = rax for cmpxchg).
    void emit_atomic(AtomicOp op, bool fetch, uint8_t width, const Xbyak::Reg64& base, int16_t off,
                     const Xbyak::Reg64& src);
};

} // namespace tailgate::rt::x86
