// x86-64 JIT for eBPF (RFC 9669), emitted with xbyak into W^X memory. ABI: see jit_x86_64.hpp.
// Semantics follow the kernel's arch/x86/net/bpf_jit_comp.c (do_jit, emit_bpf_tail_call_indirect) and the
// interpreter kernel/bpf/core.c (___bpf_prog_run); layout ideas from uBPF's ubpf_jit_x86_64.c.
#include "runtime/jit_x86_64.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <xbyak/xbyak.h>

#include "runtime/exec_memory.hpp"
#include "runtime/jit_calls.hpp"
#include "runtime/x86_emit.hpp"

namespace tailgate::rt {

namespace {

using namespace Xbyak::util;
using namespace x86;
using Xbyak::Reg32;
using Xbyak::Reg64;

// eBPF register -> x86-64 register (kernel: bpf_jit_comp.c reg2hex[]). r1..r5 are the System V argument
// registers, so a helper call needs no shuffling; r6..r9 and r10 are callee-saved.
const Reg64 kRegMap[kNumRegs] = {
    rax, // r0: return value
    rdi, // r1: arg 1 (ctx at entry)
    rsi, // r2
    rdx, // r3
    rcx, // r4 (also the shift-count register: see emit_shift)
    r8,  // r5
    rbx, // r6
    r13, // r7
    r14, // r8
    r15, // r9
    rbp, // r10: frame pointer, top of the current 512-byte BPF stack
};
const Reg64 kEnv = r12; // ExecEnv* for the whole run (scratch registers and frame layout: x86_emit.hpp)

// Field offsets of the runtime structs the emitted code reads (measured on real objects: ProgArray and
// LoadedProgram are not standard layout, so offsetof is not available for them).
struct Layout {
    uint32_t pa_max_entries = 0, pa_slots = 0, lp_tail_entry = 0, lp_type = 0;
    bool ok = false;
};
Layout measure_layout() {
    Layout l;
    ProgArray pa(1);
    auto* pa_base = reinterpret_cast<const char*>(&pa);
    l.pa_max_entries = static_cast<uint32_t>(reinterpret_cast<const char*>(&pa.max_entries) - pa_base);
    l.pa_slots = static_cast<uint32_t>(reinterpret_cast<const char*>(&pa.slots) - pa_base);
    LoadedProgram lp;
    l.lp_tail_entry = static_cast<uint32_t>(reinterpret_cast<const char*>(&lp.jit.tail_entry) -
                                            reinterpret_cast<const char*>(&lp));
    l.lp_type =
        static_cast<uint32_t>(reinterpret_cast<const char*>(&lp.type) - reinterpret_cast<const char*>(&lp));
    static_assert(sizeof(ProgType) == 4, "the tail call compares the target's type as a dword");
    void* raw = nullptr;
    std::memcpy(&raw, reinterpret_cast<const char*>(&pa) + l.pa_slots, sizeof raw);
    l.ok = raw == static_cast<void*>(pa.slots.get());
    return l;
}
static_assert(sizeof(std::atomic<const LoadedProgram*>) == 8 &&
                  std::atomic<const LoadedProgram*>::is_always_lock_free,
              "prog-array slots are read with one plain 8-byte load (acquire on x86-64)");
static_assert(std::is_standard_layout_v<ExecEnv> && std::is_standard_layout_v<MapEntry>);

// The native code of one program and the name its faults report (its address is baked into the code).
struct JitImage {
    ExecMemory mem;
    size_t code_size = 0;
    std::string name;
    // The callback values its lddw pseudo 4's yield, one per callback function in slot order (made before
    // emitting: their addresses are baked into the code).
    std::vector<jit_calls::JitCallback> callbacks;
};

// One callback value per function an lddw pseudo 4 names, in slot order. A start outside the program is
// left out (its lddw is a bad-lddw fault).
std::vector<jit_calls::JitCallback> callback_values(const LoadedProgram& prog, bool checked) {
    std::set<uint32_t> starts;
    for (uint32_t pc = 0; pc < prog.insns.size(); ++pc)
        if (auto target = pseudo_func_target(prog.insns[pc], pc);
            target && *target >= 0 && static_cast<uint64_t>(*target) < prog.insns.size())
            starts.insert(static_cast<uint32_t>(*target));
    std::vector<jit_calls::JitCallback> v;
    for (uint32_t s : starts) v.push_back(jit_calls::JitCallback{s, nullptr, checked});
    return v;
}

// --- the emitter ------------------------------------------------------------------------------------------

class Emitter : public X86Emit {
  public:
    Emitter(const LoadedProgram& prog, const HelperTable& helpers, const JitOptions& options,
            const Layout& layout, const JitImage* image, size_t max_size, uint8_t* buf)
        : X86Emit(max_size, buf), prog_(prog), helpers_(helpers), checked_(options.checked),
          max_insns_(options.max_insns), layout_(layout), image_(image),
          callback_entry_(image->callbacks.size()) {}

    // Emits the whole program. Returns an error (code, message) or an empty code on success.
    Error emit_program();

    const uint8_t* entry_ptr() const { return getCode(); }
    const uint8_t* tail_entry_ptr() const { return tail_entry_; }
    // After ready(): the native entry of callback k (image->callbacks[k]).
    const void* callback_entry_ptr(size_t k) const { return callback_entry_[k].getAddress(); }

  private:
    const LoadedProgram& prog_;
    const HelperTable& helpers_;
    const bool checked_;
    const uint64_t max_insns_;
    const Layout& layout_;
    const JitImage* image_;
    std::vector<Xbyak::Label> insn_labels_;    // body of each slot
    std::vector<Xbyak::Label> func_entry_;     // per slot: subprogram entry stub (used if a call target)
    std::set<uint32_t> functions_;             // slots that start a function (callable)
    std::vector<Xbyak::Label> callback_entry_; // entry of image_->callbacks[k] (helper ABI)
    Xbyak::Label epilogue_, stop_exit_;
    const uint8_t* tail_entry_ = nullptr;
    // Out-of-line fault stubs, emitted after the body (a deque: labels must not move once used).
    struct FaultSite {
        Xbyak::Label label;
        RunFault fault;
        uint32_t pc;
        int64_t detail;
    };
    std::deque<FaultSite> faults_;

    static const Reg64& R(Reg r) { return kRegMap[r]; }

    // A stub that ends the run with `fault` at `pc`; jump to the returned label.
    Xbyak::Label& fault_at(RunFault fault, uint32_t pc, int64_t detail = 0) {
        faults_.push_back(FaultSite{Xbyak::Label(), fault, pc, detail});
        return faults_.back().label;
    }
    void emit_fault_stubs();
    void emit_stop_exit();

    Error emit_insn(uint32_t pc, const Insn& insn);
    void emit_alu(const Alu& a);
    void emit_jump(const Jump& j);
    void emit_load(const Load& l);
    void emit_store(const Store& s);
    void emit_helper_call(int32_t id, uint32_t pc);
    void emit_callx(Reg reg, uint32_t pc);
    void emit_dynamic_call(const void* fn, const Reg64& value, uint32_t pc);
    void emit_tail_call(uint32_t pc);
    void emit_access_check(uint32_t pc, RunFault fault, Reg base, int16_t off, uint8_t width, bool write);
    void emit_tail_call_convert(Xbyak::Label& out);
    void emit_ld_packet(const LoadPacket& lp);
    void emit_lddw(const LoadImm64& l, uint32_t pc);
    std::vector<uint32_t> lddw_high_; // second slots of lddw's: their labels lead to a fault stub
    void emit_stop_check();

    Xbyak::Address mem_at(int width, Reg base, int16_t off) {
        const Reg64& b = R(base);
        switch (width) {
        case 1: return byte[b + off];
        case 2: return word[b + off];
        case 4: return dword[b + off];
        default: return qword[b + off];
        }
    }
};

// After a helper: env->stop set -> end the program with env->stop_value (kernel analogue: none; this is
// the runtime's "unwind"/abort channel, vm.hpp).
void Emitter::emit_stop_check() {
    cmp(dword[kEnv + offsetof(ExecEnv, stop)], 0);
    jne(stop_exit_);
}

Error Emitter::emit_program() {
    const auto& insns = prog_.insns;
    const uint32_t n = static_cast<uint32_t>(insns.size());
    insn_labels_.resize(n + 1);
    func_entry_.resize(n + 1);
    for (uint32_t s : prog_.function_starts)
        if (s < n) functions_.insert(s);
    for (const Insn& insn : insns)
        if (const auto* c = std::get_if<CallLocal>(&insn); c && c->target < n) functions_.insert(c->target);

    // Main entry: full frame, r12 = env, fresh chain (kernel: emit_prologue zeroes tail_call_cnt).
    emit_frame_prologue();
    mov(kEnv, rdi);
    mov(dword[kEnv + offsetof(ExecEnv, tail_call_cnt)], 0);
    mov(dword[kEnv + offsetof(ExecEnv, stop)], 0);
    for (int i = 0; i < 5; ++i)
        mov(R(static_cast<Reg>(kR1 + i)), qword[kEnv + offsetof(ExecEnv, args) + 8 * i]);
    mov(qword[rsp + kDepthSlot], 1); // frame 1; a tail call keeps the frame and so the depth
    if (checked_) mov(qword[kEnv + offsetof(ExecEnv, jit_stack_top)], rbp);
    if (max_insns_ != 0) {
        mov(kTmp1, max_insns_);
        mov(qword[kEnv + offsetof(ExecEnv, insns_left)], kTmp1);
    }
    tail_entry_ = getCurr();

    for (const Insn& insn : insns) { // decode() guarantees this; checked so a bad IR cannot index past labels
        const auto* j = std::get_if<Jump>(&insn);
        const auto* g = std::get_if<Goto>(&insn);
        if ((j && j->target >= n) || (g && g->target >= n))
            return make_error("jit-unsupported", "jump target outside the program");
    }
    for (uint32_t pc = 0; pc < n; ++pc) {
        if (std::holds_alternative<LddwHigh>(insns[pc])) { // never reached by falling through: see below
            lddw_high_.push_back(pc);
            continue;
        }
        L(insn_labels_[pc]);
        if (max_insns_ != 0) { // the interpreter counts each insn before executing it
            sub(qword[kEnv + offsetof(ExecEnv, insns_left)], 1);
            jb(fault_at(RunFault::InsnLimit, pc, static_cast<int64_t>(max_insns_)));
        }
        Error e = emit_insn(pc, insns[pc]);
        if (!e.code.empty()) return e;
    }
    // Falling off the end (never in verified code): the interpreter's pc-out-of-range at pc = n.
    L(insn_labels_[n]);
    jmp(fault_at(RunFault::FellOff, n));
    L(epilogue_);
    emit_epilogue();
    emit_stop_exit();
    // Subprogram entry stubs: own frame, depth = caller's + 1 (the caller's depth slot is one whole frame
    // plus the return address above); the call site checked that it stays within kMaxCallFrames.
    for (uint32_t s : functions_) {
        L(func_entry_[s]);
        emit_frame_prologue();
        mov(kTmp2, qword[rsp + kCallerDepthSlot]);
        add(kTmp2, 1);
        mov(qword[rsp + kDepthSlot], kTmp2);
        jmp(insn_labels_[s]);
    }
    // Callback entries, called by helpers with the helper ABI (jit_calls::JitCallback): a frame like the main
    // entry's, env from r9, a bpf2bpf budget of its own (vm.hpp "Callbacks"); r1..r5 are already in place.
    for (size_t k = 0; k < callback_entry_.size(); ++k) {
        L(callback_entry_[k]);
        emit_frame_prologue();
        mov(kEnv, kTmp0);
        mov(qword[rsp + kDepthSlot], 1);
        jmp(insn_labels_[image_->callbacks[k].start]);
    }
    // A jump to the second slot of an lddw (unverified code): the interpreter's pc-out-of-range.
    for (uint32_t pc : lddw_high_) {
        L(insn_labels_[pc]);
        jmp(fault_at(RunFault::LddwHigh, pc));
    }
    emit_fault_stubs();
    return Error{};
}

// env->stop set (a helper's stop, or a fault): r0 = env->stop_value and return through every bpf2bpf frame
// (each caller tests env->stop after its call). A fault also records this program's image (its name).
void Emitter::emit_stop_exit() {
    Xbyak::Label not_fault;
    L(stop_exit_);
    cmp(dword[kEnv + offsetof(ExecEnv, stop)], kStopFault);
    jne(not_fault);
    mov(kTmp1, reinterpret_cast<uint64_t>(image_));
    mov(qword[kEnv + offsetof(ExecEnv, fault_image)], kTmp1);
    L(not_fault);
    mov(rax, qword[kEnv + offsetof(ExecEnv, stop_value)]);
    emit_epilogue();
}

void Emitter::emit_fault_stubs() {
    for (FaultSite& f : faults_) {
        L(f.label);
        mov(dword[kEnv + offsetof(ExecEnv, stop)], kStopFault);
        mov(qword[kEnv + offsetof(ExecEnv, stop_value)], 0);
        mov(dword[kEnv + offsetof(ExecEnv, fault)], static_cast<uint32_t>(f.fault));
        mov(dword[kEnv + offsetof(ExecEnv, fault_pc)], f.pc);
        mov(kTmp1, static_cast<uint64_t>(f.detail));
        mov(qword[kEnv + offsetof(ExecEnv, fault_detail)], kTmp1);
        jmp(stop_exit_);
    }
}

Error Emitter::emit_insn(uint32_t pc, const Insn& insn) {
    if (const auto* a = std::get_if<Alu>(&insn)) {
        emit_alu(*a);
    } else if (const auto* e = std::get_if<Endian>(&insn)) {
        emit_byte_order(R(e->dst), e->bits, e->order != ByteOrder::ToLe);
    } else if (const auto* j = std::get_if<Jump>(&insn)) {
        emit_jump(*j);
    } else if (const auto* g = std::get_if<Goto>(&insn)) {
        if (g->target != pc + 1) jmp(insn_labels_[g->target]);
    } else if (const auto* c = std::get_if<Call>(&insn)) {
        if (c->helper == kHelperTailCall)
            emit_tail_call(pc);
        else
            emit_helper_call(c->helper, pc);
    } else if (const auto* cl = std::get_if<CallLocal>(&insn)) {
        if (cl->target >= prog_.insns.size())
            return make_error("jit-unsupported", "call target out of range");
        // bpf2bpf: native call into the target's frame-building stub; r6-r9 and r10 come back restored.
        // kernel: verifier.c check_max_stack_depth_subprog(): 8 frames per program (interpreter's rule).
        cmp(qword[rsp + kDepthSlot], kMaxCallFrames);
        jae(fault_at(RunFault::CallDepth, pc));
        call(func_entry_[cl->target]);
        cmp(dword[kEnv + offsetof(ExecEnv, stop)], 0);
        jne(epilogue_); // the callee already holds stop_value in rax
    } else if (const auto* cr = std::get_if<CallReg>(&insn)) {
        emit_callx(cr->reg, pc);
    } else if (std::holds_alternative<Exit>(insn)) {
        jmp(epilogue_);
    } else if (const auto* l = std::get_if<LoadImm64>(&insn)) {
        emit_lddw(*l, pc);
    } else if (std::holds_alternative<LddwHigh>(insn)) {
        // second slot of an lddw: never executed, nothing to emit
    } else if (const auto* ld = std::get_if<Load>(&insn)) {
        if (checked_) emit_access_check(pc, RunFault::LoadOutOfBounds, ld->base, ld->off, ld->width, false);
        emit_load(*ld);
    } else if (const auto* st = std::get_if<Store>(&insn)) {
        if (checked_) emit_access_check(pc, RunFault::StoreOutOfBounds, st->base, st->off, st->width, true);
        emit_store(*st);
    } else if (const auto* at = std::get_if<Atomic>(&insn)) {
        if (checked_) emit_access_check(pc, RunFault::AtomicOutOfBounds, at->base, at->off, at->width, true);
        emit_atomic(at->op, at->fetch, at->width, R(at->base), at->off, R(at->src));
    } else if (const auto* lp = std::get_if<LoadPacket>(&insn)) {
        emit_ld_packet(*lp);
    }
    return Error{};
}

void Emitter::emit_alu(const Alu& a) {
    const Reg64& d64 = R(a.dst);
    const Reg32 d32 = d64.cvt32();
    const Xbyak::Reg& d = a.is64 ? static_cast<const Xbyak::Reg&>(d64) : d32;
    const bool imm = !a.src.is_reg;
    const Reg64& s64 = R(a.src.reg);
    const Reg32 s32 = s64.cvt32();
    const Xbyak::Reg& s = a.is64 ? static_cast<const Xbyak::Reg&>(s64) : s32;
    const auto imm32 = static_cast<uint32_t>(a.src.imm); // x86 sign-extends imm32 in 64-bit ops, as BPF does

    switch (a.op) {
    case AluOp::Add: imm ? add(d, imm32) : add(d, s); break;
    case AluOp::Sub: imm ? sub(d, imm32) : sub(d, s); break;
    case AluOp::Or: imm ? or_(d, imm32) : or_(d, s); break;
    case AluOp::And: imm ? and_(d, imm32) : and_(d, s); break;
    case AluOp::Xor: imm ? xor_(d, imm32) : xor_(d, s); break;
    case AluOp::Mul:
        imm ? imul(static_cast<const Xbyak::Reg&>(d), d, static_cast<int>(imm32)) : imul(d, s);
        break;
    case AluOp::Neg: a.is64 ? neg(d64) : neg(d32); break;
    case AluOp::Mov:
        if (imm)
            a.is64 ? mov(d64, static_cast<uint64_t>(a.src.imm)) : mov(d32, imm32);
        else
            a.is64 ? mov(d64, s64) : mov(d32, s32);
        break;
    case AluOp::MovSx8:
    case AluOp::MovSx16:
    case AluOp::MovSx32: {
        const int bits = a.op == AluOp::MovSx8 ? 8 : a.op == AluOp::MovSx16 ? 16 : 32;
        if (imm) { // not produced by the decoder (MOVSX is BPF_X only), kept total
            int64_t v = bits == 8 ? int8_t(a.src.imm) : bits == 16 ? int16_t(a.src.imm) : int32_t(a.src.imm);
            a.is64 ? mov(d64, static_cast<uint64_t>(v)) : mov(d32, static_cast<uint32_t>(v));
        } else if (bits == 32) {
            a.is64 ? movsxd(d64, s32) : mov(d32, s32);
        } else {
            const Xbyak::Reg& part = bits == 8 ? static_cast<const Xbyak::Reg&>(s64.cvt8()) : s64.cvt16();
            a.is64 ? movsx(d64, part) : movsx(d32, part); // 32-bit form zero-extends into the upper half
        }
        break;
    }
    case AluOp::Div:
    case AluOp::SDiv:
    case AluOp::Mod:
    case AluOp::SMod:
        emit_divmod(a.op == AluOp::Mod || a.op == AluOp::SMod, a.op == AluOp::SDiv || a.op == AluOp::SMod,
                    a.is64, R(a.dst), a.src.is_reg ? &R(a.src.reg) : nullptr, a.src.imm);
        break;
    case AluOp::Lsh:
    case AluOp::Rsh:
    case AluOp::Arsh:
        emit_shift(a.op == AluOp::Lsh   ? Shift::Left
                   : a.op == AluOp::Rsh ? Shift::Right
                                        : Shift::Arith,
                   a.is64, R(a.dst), a.src.is_reg ? &R(a.src.reg) : nullptr, a.src.imm);
        break;
    }
}

void Emitter::emit_jump(const Jump& j) {
    const Reg64& d64 = R(j.dst);
    const Reg32 d32 = d64.cvt32();
    const Xbyak::Reg& dr = j.is32 ? static_cast<const Xbyak::Reg&>(d32) : d64;
    const Reg64& s64 = R(j.src.reg);
    const Reg32 s32 = s64.cvt32();
    const Xbyak::Reg& sr = j.is32 ? static_cast<const Xbyak::Reg&>(s32) : s64;
    const auto imm32 = static_cast<uint32_t>(j.src.imm);
    if (j.cond == Cond::Set)
        j.src.is_reg ? test(dr, sr) : test(dr, imm32);
    else
        j.src.is_reg ? cmp(dr, sr) : cmp(dr, imm32);
    Xbyak::Label& t = insn_labels_[j.target];
    switch (j.cond) {
    case Cond::Eq: je(t); break;
    case Cond::Ne: jne(t); break;
    case Cond::Gt: ja(t); break;
    case Cond::Ge: jae(t); break;
    case Cond::Lt: jb(t); break;
    case Cond::Le: jbe(t); break;
    case Cond::Set: jnz(t); break;
    case Cond::SGt: jg(t); break;
    case Cond::SGe: jge(t); break;
    case Cond::SLt: jl(t); break;
    case Cond::SLe: jle(t); break;
    }
}

// Checked mode: jit_calls::check_access(env, base + off, this frame's rsp, width | write << 8) with r0-r5
// saved (six pushes keep rsp 16-byte aligned); a refusal jumps to the fault stub of this insn.
void Emitter::emit_access_check(uint32_t pc, RunFault fault, Reg base, int16_t off, uint8_t width,
                                bool write) {
    lea(kTmp1, ptr[R(base) + off]);
    const Reg64 saved[] = {rax, rdi, rsi, rdx, rcx, r8};
    for (const Reg64& r : saved) push(r);
    mov(rdi, kEnv);
    mov(rsi, kTmp1);
    lea(rdx, ptr[rsp + 6 * 8]); // the frame base before the pushes
    mov(ecx, static_cast<uint32_t>(width) | (write ? 0x100u : 0u));
    emit_abs_call(reinterpret_cast<const void*>(&jit_calls::check_access));
    mov(kTmp1, rax);
    for (int i = 5; i >= 0; --i) pop(saved[i]);
    test(kTmp1, kTmp1);
    jz(fault_at(fault, pc, width));
}

void Emitter::emit_load(const Load& l) {
    const Reg64& d = R(l.dst);
    const Reg64& b = R(l.base);
    if (l.sign_extend) {
        switch (l.width) {
        case 1: movsx(d, byte[b + l.off]); break;
        case 2: movsx(d, word[b + l.off]); break;
        case 4: movsxd(d, dword[b + l.off]); break;
        default: mov(d, qword[b + l.off]); break;
        }
        return;
    }
    switch (l.width) {
    case 1: movzx(d.cvt32(), byte[b + l.off]); break;
    case 2: movzx(d.cvt32(), word[b + l.off]); break;
    case 4: mov(d.cvt32(), dword[b + l.off]); break;
    default: mov(d, qword[b + l.off]); break;
    }
}

void Emitter::emit_store(const Store& s) {
    const Xbyak::Address m = mem_at(s.width, s.base, s.off);
    if (!s.value.is_reg) { // ST: imm truncated to the width; a DW store sign-extends imm32
        const auto v = static_cast<uint64_t>(s.value.imm);
        mov(m, s.width == 8 ? v : v & (s.width == 1 ? 0xffu : s.width == 2 ? 0xffffu : 0xffffffffu));
        return;
    }
    const Reg64& v = R(s.value.reg);
    switch (s.width) {
    case 1: mov(m, v.cvt8()); break;
    case 2: mov(m, v.cvt16()); break;
    case 4: mov(m, v.cvt32()); break;
    default: mov(m, v); break;
    }
}

void Emitter::emit_helper_call(int32_t id, uint32_t pc) {
    HelperFn fn = helpers_.get(id);
    if (fn != nullptr) {
        mov(dword[kEnv + offsetof(ExecEnv, fault_pc)], pc); // where a fault raised inside it is (raise_fault)
        mov(kTmp0, kEnv);                                   // 6th argument: env
        emit_abs_call(reinterpret_cast<const void*>(fn));
        emit_stop_check();
        return;
    }
    mov(kTmp1, static_cast<uint64_t>(static_cast<uint32_t>(id)));
    emit_dynamic_call(reinterpret_cast<const void*>(&jit_calls::call_dynamic), kTmp1, pc);
}

// callx: the register holds the helper id (uBPF / bpf_conformance "call %rN").
void Emitter::emit_callx(Reg reg, uint32_t pc) {
    emit_dynamic_call(reinterpret_cast<const void*>(&jit_calls::callx), R(reg), pc);
}

// fn(r1..r5, env, value, pc): jit_calls::call_dynamic / callx, which look the helper up at run time.
void Emitter::emit_dynamic_call(const void* fn, const Reg64& value, uint32_t pc) {
    mov(kTmp0, kEnv); // 6th argument: env
    mov(kTmp2, value);
    mov(kTmp1, pc);
    push(kTmp1); // 8th argument at [rsp + 8]
    push(kTmp2); // 7th at [rsp]; two pushes keep rsp 16-byte aligned
    emit_abs_call(fn);
    add(rsp, 16);
    emit_stop_check();
}

// bpf_tail_call(ctx = r1, map = r2, index = r3), as the kernel's emit_bpf_tail_call_indirect():
//   if ((u32)index >= array->max_entries) goto out;
//   if (tail_call_cnt >= MAX_TAIL_CALL_CNT) goto out;
//   prog = array->slots[index] (one 8-byte load: acquire on x86-64); if (!prog) goto out;  -- not counted
//   [runtime] prog->type != this program's type: r1 = converted ctx, or goto out when none is declared
//   tail_call_cnt++; goto *(prog->tail_entry)   -- same native frame, rsp/rbp unchanged, r1 = ctx;
//   the frame's depth becomes 1: the target's bpf2bpf frames are counted from here (interpreter.cpp)
// out: r0 = 0 and execution continues (vm.hpp). A map that is not a prog array also falls through.
void Emitter::emit_tail_call(uint32_t pc) {
    Xbyak::Label out;
    if (checked_) { // r2 must be an entry of this program's MapTable (interpreter: bad-tail-call-map)
        const MapTable* t = prog_.maps;
        if (t == nullptr || t->empty()) {
            jmp(fault_at(RunFault::BadTailCallMap, pc));
        } else {
            mov(kTmp1, reinterpret_cast<uint64_t>(t->data()));
            cmp(rsi, kTmp1);
            jb(fault_at(RunFault::BadTailCallMap, pc));
            mov(kTmp1, reinterpret_cast<uint64_t>(t->data() + t->size()));
            cmp(rsi, kTmp1);
            jae(fault_at(RunFault::BadTailCallMap, pc));
        }
    }
    test(rsi, rsi);
    jz(out);
    mov(kTmp1, qword[rsi + offsetof(MapEntry, progs)]);
    test(kTmp1, kTmp1);
    jz(out);
    mov(kTmp2.cvt32(), edx); // index as u32
    cmp(kTmp2.cvt32(), dword[kTmp1 + layout_.pa_max_entries]);
    jae(out);
    cmp(dword[kEnv + offsetof(ExecEnv, tail_call_cnt)], static_cast<uint32_t>(kMaxTailCallCnt));
    jae(out);
    mov(kTmp1, qword[kTmp1 + layout_.pa_slots]);
    mov(kTmp1, qword[kTmp1 + kTmp2 * 8]);
    test(kTmp1, kTmp1);
    jz(out);
    mov(kTmp2, qword[kTmp1 + layout_.lp_tail_entry]);
    test(kTmp2, kTmp2); // target not JIT-compiled: treated as an empty slot
    jz(out);
    emit_tail_call_convert(out);
    add(dword[kEnv + offsetof(ExecEnv, tail_call_cnt)], 1);
    mov(qword[rsp + kDepthSlot], 1); // the target's frame 0 is this frame: its own 8-frame budget starts
    jmp(kTmp2);
    L(out);
    xor_(eax, eax);
}

// Cross-type tail call (vm.hpp convert_ctx_for_tail_call): when the target (r10) has another type than
// this program, r1 becomes the converted ctx; no declared conversion -> `out` (not counted). Every other
// register keeps its value (r0-r5 and the tail entry in r11 are saved around the call).
void Emitter::emit_tail_call_convert(Xbyak::Label& out) {
    Xbyak::Label same;
    cmp(dword[kTmp1 + layout_.lp_type], static_cast<uint32_t>(prog_.type));
    je(same);
    const Reg64 saved[] = {rax, rdi, rsi, rdx, rcx, r8, kTmp2, kTmp2}; // 8 pushes keep rsp aligned
    for (const Reg64& r : saved) push(r);
    mov(rcx, rdi);
    mov(rdx, kTmp1);
    mov(esi, static_cast<uint32_t>(prog_.type));
    mov(rdi, kEnv);
    emit_abs_call(reinterpret_cast<const void*>(&convert_ctx_for_tail_call));
    mov(kTmp1, rax);
    for (int i = 7; i >= 0; --i) pop(saved[i]);
    test(kTmp1, kTmp1);
    jz(out);
    mov(rdi, kTmp1);
    L(same);
}

// LD_ABS / LD_IND (implicit skb in r6): r0 = ntoh(packet[imm (+ src)]). r1-r5 keep their values (the
// interpreter's choice, interpreter.hpp), so they are saved around the call; the stop test comes after
// the pops so the frame is balanced when it ends the program.
void Emitter::emit_ld_packet(const LoadPacket& lp) {
    if (lp.indirect) {
        mov(kTmp1, R(lp.src));
        add(kTmp1, static_cast<uint32_t>(lp.imm));
    } else {
        mov(kTmp1, static_cast<uint64_t>(static_cast<int64_t>(lp.imm)));
    }
    const Reg64 saved[] = {rdi, rsi, rdx, rcx, r8, r8}; // six pushes keep rsp 16-byte aligned
    for (const Reg64& r : saved) push(r);
    mov(rdi, kEnv);
    mov(rsi, kTmp1);
    mov(edx, static_cast<uint32_t>(lp.width));
    emit_abs_call(reinterpret_cast<const void*>(&jit_calls::ld_packet));
    for (int i = 5; i >= 0; --i) pop(saved[i]);
    emit_stop_check();
}

// lddw: plain 64-bit immediate, or a map / map value resolved against prog.maps (vm.hpp). What the
// runtime cannot resolve (unverified code) is the interpreter's bad-lddw fault when executed.
void Emitter::emit_lddw(const LoadImm64& l, uint32_t pc) {
    const Reg64& d = R(l.dst);
    if (l.pseudo == 0) {
        mov(d, l.value());
        return;
    }
    if (l.pseudo == 4) { // BPF_PSEUDO_FUNC: this image's callback value of the function
        const int64_t target = pseudo_func_target(l, pc);
        const auto& cbs = image_->callbacks;
        const auto it =
            std::find_if(cbs.begin(), cbs.end(), [&](const auto& c) { return c.start == target; });
        if (it == cbs.end())
            jmp(fault_at(RunFault::LddwPseudo, pc, l.pseudo));
        else
            mov(d, reinterpret_cast<uint64_t>(&*it));
        return;
    }
    const bool is_map = l.pseudo == 1 || l.pseudo == 5, is_value = l.pseudo == 2 || l.pseudo == 6;
    const auto idx = static_cast<uint32_t>(l.imm_lo);
    if (!is_map && !is_value) {
        jmp(fault_at(RunFault::LddwPseudo, pc, l.pseudo));
    } else if (prog_.maps == nullptr || idx >= prog_.maps->size()) {
        jmp(fault_at(RunFault::LddwNoMap, pc, idx));
    } else if (const MapEntry& me = (*prog_.maps)[idx]; is_map) {
        mov(d, reinterpret_cast<uint64_t>(&me));
    } else if (me.value_base == nullptr) {
        jmp(fault_at(RunFault::LddwNoValue, pc, idx));
    } else {
        mov(d, reinterpret_cast<uint64_t>(me.value_base) + static_cast<uint32_t>(l.imm_hi));
    }
}

} // namespace

Status jit_compile(LoadedProgram& prog, const HelperTable& helpers, const JitOptions& options) {
    static_assert(offsetof(ExecEnv, args) == 0);
    const Layout layout = measure_layout();
    if (!layout.ok) return make_error("jit-layout", "ProgArray::slots is not a plain pointer");
    size_t budget = 512 + prog.insns.size() * 96 + prog.function_starts.size() * 64;
    const std::vector<jit_calls::JitCallback> callbacks = callback_values(prog, options.checked);
    for (int attempt = 0; attempt < 4; ++attempt, budget *= 2) {
        auto mem = ExecMemory::allocate(budget);
        if (!mem) return mem.error();
        auto image = std::make_shared<JitImage>(); // before emitting: its address is baked into the code
        image->name = prog.name;
        image->callbacks = callbacks;
        const uint8_t* entry = nullptr;
        const uint8_t* tail_entry = nullptr;
        size_t used = 0;
        try {
            Emitter em(prog, helpers, options, layout, image.get(), mem->size(), mem->data());
            Error e = em.emit_program();
            if (!e.code.empty()) return e;
            em.ready();
            entry = em.entry_ptr();
            tail_entry = em.tail_entry_ptr();
            for (size_t k = 0; k < image->callbacks.size(); ++k)
                image->callbacks[k].native = em.callback_entry_ptr(k);
            used = em.getSize();
        } catch (const Xbyak::Error& err) {
            if (static_cast<int>(err) == Xbyak::ERR_CODE_IS_TOO_BIG) continue;
            return make_error("jit-emit", std::string("xbyak: ") + err.what());
        }
        image->code_size = used;
        image->mem = std::move(*mem);
        Status sealed = image->mem.seal(used);
        if (!sealed) return sealed.error();
        prog.jit.entry = entry;
        prog.jit.tail_entry = tail_entry;
        prog.jit.owner = std::shared_ptr<const void>(image, image.get());
        return Ok{};
    }
    return make_error("jit-emit", "native code of " + prog.name + " does not fit in " +
                                      std::to_string(budget) + " bytes");
}

Result<uint64_t> jit_execute(const LoadedProgram& prog, ExecEnv& env) {
    if (prog.jit.entry == nullptr) return make_error("not-compiled", prog.name + " has no native code");
    using Fn = uint64_t (*)(ExecEnv*);
    env.run_callback = &jit_calls::run_callback;
    env.engine = nullptr;
    env.callback_depth = 0;
    const uint64_t r0 = reinterpret_cast<Fn>(const_cast<void*>(prog.jit.entry))(&env);
    if (env.stop != kStopFault) return r0;
    const auto* image = static_cast<const JitImage*>(env.fault_image);
    return run_fault_error(static_cast<RunFault>(env.fault), image ? image->name : prog.name, env.fault_pc,
                           env.fault_detail);
}

size_t jit_code_size(const LoadedProgram& prog) {
    if (!prog.jit.owner) return 0;
    return static_cast<const JitImage*>(prog.jit.owner.get())->code_size;
}

} // namespace tailgate::rt
