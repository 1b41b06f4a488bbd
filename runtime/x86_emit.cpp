// Emitter helpers of the x86-64 JIT; contracts in x86_emit.hpp.
#include "runtime/x86_emit.hpp"

namespace tailgate::rt::x86 {

using namespace Xbyak::util;
using Xbyak::Reg32;
using Xbyak::Reg64;

void X86Emit::emit_frame_prologue() {
    push(rbp);
    push(rbx);
    push(r12);
    push(r13);
    push(r14);
    push(r15);
    sub(rsp, kFrameBytes);
    lea(rbp, ptr[rsp + kMaxBpfStack]);
}

void X86Emit::emit_epilogue() {
    add(rsp, kFrameBytes);
    pop(r15);
    pop(r14);
    pop(r13);
    pop(r12);
    pop(rbx);
    pop(rbp);
    ret();
}

// Absolute call (the code buffer may be far from the binary's text): mov r11, imm64; call r11.
void X86Emit::emit_abs_call(const void* fn) {
    mov(kTmp2, reinterpret_cast<uint64_t>(fn));
    call(kTmp2);
}

// Division and modulo, unsigned and signed (RFC 9669 4.1; kernel core.c ALU_DIV/ALU_MOD/SDIV/SMOD with the
// verifier's do_misc_fixups() zero checks):
//   x / 0 = 0;  x % 0 = x (32-bit: zero-extended);  signed: LLONG_MIN / -1 = LLONG_MIN, x % -1 = 0.
// x86 div/idiv use rdx:rax (= r3:r0), so both are saved in r10/r11 and restored around the operation.
// A 32-bit divisor is tested as 32 bits (kernel commit 68fda450a7df "bpf: fix 32-bit divide by zero").
void X86Emit::emit_divmod(bool is_mod, bool is_signed, bool is64, const Reg64& d, const Reg64* src,
                          int64_t imm) {
    const Reg32 dvs32 = kTmp0.cvt32();
    const Xbyak::Reg& dvs = is64 ? static_cast<const Xbyak::Reg&>(kTmp0) : dvs32;
    Xbyak::Label zero, done, normal;

    if (src != nullptr)
        mov(kTmp0, *src);
    else
        mov(kTmp0, static_cast<uint64_t>(imm));
    mov(kTmp1, rax);
    mov(kTmp2, rdx);
    if (d != rax) mov(rax, d); // a dst of rdx still holds its value here
    test(dvs, dvs);
    jz(zero);
    if (is_signed) {
        cmp(dvs, -1);
        jne(normal);
        if (is_mod)
            xor_(eax, eax);
        else
            is64 ? neg(rax) : neg(eax);
        jmp(done);
        L(normal);
        is64 ? cqo() : cdq();
        idiv(dvs);
    } else {
        xor_(edx, edx);
        div(dvs);
    }
    if (is_mod) mov(rax, rdx); // 32-bit div wrote edx zero-extended
    jmp(done);
    L(zero);
    if (is_mod) {
        if (!is64) mov(eax, eax); // dst stays, zero-extended
    } else {
        xor_(eax, eax);
    }
    L(done);
    mov(kTmp0, rax);
    mov(rax, kTmp1);
    mov(rdx, kTmp2);
    mov(d, kTmp0);
}

// Shifts: the count is masked to 63 (64-bit) or 31 (32-bit) (RFC 9669; x86 masks cl the same way).
// A register count must be in cl, and cl is r4: r4 is parked in r11 meanwhile; if dst is r4 itself the
// shift is done on the parked copy. 32-bit shifts end with an explicit zero-extension (a count of 0
// leaves the register unwritten on x86).
void X86Emit::emit_shift(Shift kind, bool is64, const Reg64& d64, const Reg64* src, int64_t imm) {
    auto op = [&](const Xbyak::Operand& target, int imm_count) { // imm_count < 0: by cl
        const bool by_cl = imm_count < 0;
        switch (kind) {
        case Shift::Left: by_cl ? shl(target, cl) : shl(target, imm_count); break;
        case Shift::Right: by_cl ? shr(target, cl) : shr(target, imm_count); break;
        default: by_cl ? sar(target, cl) : sar(target, imm_count); break;
        }
    };
    auto shift = [&](const Reg64& target, int imm_count) {
        if (is64) {
            if (imm_count != 0) op(target, imm_count);
        } else {
            if (imm_count != 0) op(target.cvt32(), imm_count);
            mov(target.cvt32(), target.cvt32());
        }
    };
    if (src == nullptr) {
        shift(d64, static_cast<int>(imm & (is64 ? 63 : 31)));
    } else if (*src == rcx) {
        shift(d64, -1);
    } else {
        mov(kTmp2, rcx);
        mov(rcx, *src);
        shift(d64 == rcx ? kTmp2 : d64, -1);
        mov(rcx, kTmp2);
    }
}

// Byte order (RFC 9669 4.2): to-LE on x86 is a truncation; to-BE and ALU64 bswap swap; 16/32-bit results
// are zero-extended to 64 bits.
void X86Emit::emit_byte_order(const Reg64& d, uint8_t bits, bool swap) {
    switch (bits) {
    case 16:
        if (swap) rol(d.cvt16(), 8);
        movzx(d.cvt32(), d.cvt16());
        break;
    case 32:
        if (swap)
            bswap(d.cvt32());
        else
            mov(d.cvt32(), d.cvt32());
        break;
    default:
        if (swap) bswap(d);
        break;
    }
}

// Atomics (RFC 9669 5.3; kernel bpf_jit_comp.c emit_atomic / emit_atomic_rmw): lock-prefixed add/or/and/
// xor; fetch-add is lock xadd; xchg; cmpxchg compares with r0 (= rax) and leaves the old value in r0;
// fetch-or/and/xor are a cmpxchg loop (kernel: BPF_FETCH of and/or/xor). 32-bit results zero-extend.
void X86Emit::emit_atomic(AtomicOp op, bool fetch, uint8_t width, const Reg64& base, int16_t off,
                          const Reg64& s64) {
    const bool w64 = width == 8;
    const Reg32 s32 = s64.cvt32();
    const Xbyak::Reg& sv = w64 ? static_cast<const Xbyak::Reg&>(s64) : s32;
    lea(kTmp0, ptr[base + off]);
    const Xbyak::Address m = w64 ? qword[kTmp0] : dword[kTmp0];
    if (!fetch) {
        lock();
        switch (op) {
        case AtomicOp::Add: add(m, sv); break;
        case AtomicOp::Or: or_(m, sv); break;
        case AtomicOp::And: and_(m, sv); break;
        case AtomicOp::Xor: xor_(m, sv); break;
        case AtomicOp::Xchg: xchg(m, sv); break; // never without fetch (decoder), kept total
        case AtomicOp::CmpXchg: cmpxchg(m, sv); break;
        }
        return;
    }
    switch (op) {
    case AtomicOp::Add:
        lock();
        xadd(m, sv);
        return;
    case AtomicOp::Xchg: xchg(m, sv); return; // implicitly locked
    case AtomicOp::CmpXchg:
        lock();
        cmpxchg(m, sv);
        if (!w64) mov(eax, eax); // r0 = (u32)old also when the compare succeeded
        return;
    default: break;
    }
    // fetch or/and/xor: loop on cmpxchg with r0 parked in r10.
    const Reg64 val = s64 == rax ? kTmp1 : s64;
    const Reg32 val32 = val.cvt32();
    const Xbyak::Reg& vr = w64 ? static_cast<const Xbyak::Reg&>(val) : val32;
    const Reg32 t32 = kTmp2.cvt32();
    const Xbyak::Reg& t = w64 ? static_cast<const Xbyak::Reg&>(kTmp2) : t32;
    const Xbyak::Reg& acc = w64 ? static_cast<const Xbyak::Reg&>(rax) : eax;
    Xbyak::Label loop;
    mov(kTmp1, rax);
    mov(acc, m);
    L(loop);
    mov(t, acc);
    switch (op) {
    case AtomicOp::Or: or_(t, vr); break;
    case AtomicOp::And: and_(t, vr); break;
    default: xor_(t, vr); break;
    }
    lock();
    cmpxchg(m, t);
    jne(loop);
    // rax = old value (zero-extended for 32-bit). src receives it; r0 is restored unless src is r0.
    if (s64 == rax) return;
    mov(s64, rax);
    mov(rax, kTmp1);
}

} // namespace tailgate::rt::x86
