// The eBPF instruction set (RFC 9669) as tailgate's IR.
//
// RawInsn is the 8-byte encoding as found in an ELF section. Insn is the decoded form: a std::variant of
// small structs, one per instruction kind. A decoded program keeps one Insn per 8-byte slot, so indexes
// match the kernel's and llvm-objdump's instruction numbering; the second slot of an `lddw` holds an
// LddwHigh placeholder that is never executed. Jump and local-call targets are absolute slot indexes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "verifier/result.hpp"

namespace tailgate {

struct RawInsn {
    uint8_t opcode = 0;
    uint8_t dst : 4 = 0;
    uint8_t src : 4 = 0;
    int16_t off = 0;
    int32_t imm = 0;
};
static_assert(sizeof(RawInsn) == 8, "eBPF instructions are 8 bytes");

using Reg = uint8_t; // r0..r10
inline constexpr Reg kR0 = 0, kR1 = 1, kR2 = 2, kR3 = 3, kR4 = 4, kR5 = 5, kR6 = 6, kR7 = 7, kR8 = 8, kR9 = 9,
                     kR10 = 10;
inline constexpr int kNumRegs = 11;

// Second operand of ALU and conditional-jump instructions: a register or a sign-extended 32-bit immediate.
struct Operand {
    bool is_reg = false;
    Reg reg = 0;
    int64_t imm = 0;
    static Operand of_reg(Reg r) { return Operand{true, r, 0}; }
    static Operand of_imm(int64_t v) { return Operand{false, 0, v}; }
};

enum class AluOp : uint8_t {
    Add,
    Sub,
    Mul,
    Div,
    SDiv,
    Or,
    And,
    Lsh,
    Rsh,
    Neg,
    Mod,
    SMod,
    Xor,
    Mov,
    MovSx8,
    MovSx16,
    MovSx32, // sign-extending moves (MOVSX, off = 8/16/32)
    Arsh,
};

struct Alu {
    AluOp op;
    bool is64; // ALU64 class; false: 32-bit operation, result zero-extended
    Reg dst;
    Operand src;
};

enum class ByteOrder : uint8_t { ToLe, ToBe, Swap }; // Swap: ALU64|END (bswap, unconditional)

struct Endian {
    Reg dst;
    uint8_t bits; // 16, 32 or 64
    ByteOrder order;
};

enum class Cond : uint8_t { Eq, Ne, Gt, Ge, Lt, Le, Set, SGt, SGe, SLt, SLe };

struct Jump { // conditional jump
    Cond cond;
    bool is32; // JMP32 class: compare the low 32 bits
    Reg dst;
    Operand src;
    uint32_t target;
};

struct Goto {
    uint32_t target;
    bool wide = false; // JMP32|JA with a 32-bit offset in imm ("gotol")
};

struct Call { // helper call (src_reg 0)
    int32_t helper;
};

struct CallLocal { // bpf2bpf call (src_reg 1)
    uint32_t target;
};

struct CallReg { // callx: call the function whose address is in a register
    Reg reg;
};

struct Exit {};

// lddw. pseudo is the src_reg field: 0 plain 64-bit immediate, 1 map by fd/index, 2 map value
// (imm_hi is the offset), 3 BTF variable, 4 function, 5 map by index, 6 map value by index.
// After loading, pseudo 1 and 2 carry the index of the map in Object::maps in imm_lo.
struct LoadImm64 {
    Reg dst;
    uint8_t pseudo;
    int32_t imm_lo;
    int32_t imm_hi;
    uint64_t value() const { return (uint64_t(uint32_t(imm_hi)) << 32) | uint32_t(imm_lo); }
};

struct LddwHigh {}; // second slot of an lddw

struct Load { // LDX
    Reg dst;
    Reg base;
    int16_t off;
    uint8_t width;    // bytes: 1, 2, 4, 8
    bool sign_extend; // LDXS (MEMSX)
};

struct Store { // ST (immediate) and STX (register)
    Reg base;
    int16_t off;
    uint8_t width;
    Operand value;
};

enum class AtomicOp : uint8_t { Add, Or, And, Xor, Xchg, CmpXchg };

struct Atomic {
    AtomicOp op;
    bool fetch;    // BPF_FETCH: src receives the old value (always set for Xchg and CmpXchg)
    uint8_t width; // 4 or 8
    Reg base;
    int16_t off;
    Reg src;
};

struct LoadPacket { // legacy LD_ABS / LD_IND: r0 = ntoh(*(width*)(skb->data + [src +] imm))
    uint8_t width;  // 1, 2, 4
    bool indirect;
    Reg src; // for LD_IND
    int32_t imm;
};

using Insn = std::variant<Alu, Endian, Jump, Goto, Call, CallLocal, CallReg, Exit, LoadImm64, LddwHigh, Load,
                          Store, Atomic, LoadPacket>;

// The slot an lddw pseudo func (BPF_PSEUDO_FUNC, pseudo 4) at `pc` names: imm is relative to the next slot.
// May lie outside the program; callers check.
inline int64_t pseudo_func_target(const LoadImm64& l, uint32_t pc) {
    return int64_t(pc) + 1 + l.imm_lo;
}
// The same for any instruction: nullopt unless it is an lddw pseudo func.
inline std::optional<int64_t> pseudo_func_target(const Insn& insn, uint32_t pc) {
    const auto* l = std::get_if<LoadImm64>(&insn);
    if (!l || l->pseudo != 4) return std::nullopt;
    return pseudo_func_target(*l, pc);
}

// Decode a whole instruction array. Fails on the first malformed slot, with codes:
//   bad-opcode, reserved-field (a field the encoding requires to be zero is not), bad-register,
//   lddw-split (an lddw whose second half is missing or malformed), jump-out-of-range,
//   jump-into-lddw (a jump or call whose target is the second half of an lddw).
// The message starts with "insn N: ".
Result<std::vector<Insn>> decode(std::span<const RawInsn> code);

// Decode one instruction at `pc` (an lddw reads code[pc + 1]); no range check of jump targets.
Result<Insn> decode_one(std::span<const RawInsn> code, size_t pc);

// Encode back (one slot; an lddw yields its first slot, LddwHigh its second given the LoadImm64).
std::vector<RawInsn> encode(const Insn& insn, uint32_t pc);

// Text in llvm-objdump's BPF syntax ("r1 = *(u32 *)(r1 + 0)", "if r2 > r3 goto +5", "call 12", "exit").
// Jump offsets are printed relative (+N/-N) as objdump does; pc is the slot index of the instruction.
std::string to_text(const Insn& insn, uint32_t pc);

// Number of 8-byte slots an instruction takes (2 for lddw).
inline int slots(const Insn& insn) {
    return std::holds_alternative<LoadImm64>(insn) ? 2 : 1;
}

// Well-known helper and limit numbers.
inline constexpr int32_t kHelperTailCall = 12;
inline constexpr int32_t kHelperForEachMapElem = 164;    // bpf_for_each_map_elem(map, callback, ctx, flags)
inline constexpr int32_t kHelperLoop = 181;              // bpf_loop(nr_loops, callback, ctx, flags)
inline constexpr uint32_t kMaxLoops = uint32_t(1) << 23; // kernel/bpf/bpf_iter.c BPF_MAX_LOOPS
inline constexpr int kMaxTailCallCnt = 33;               // include/linux/bpf.h MAX_TAIL_CALL_CNT
inline constexpr int kMaxBpfStack = 512;                 // include/linux/filter.h MAX_BPF_STACK
inline constexpr int kMaxCallFrames = 8;                 // include/linux/bpf_verifier.h MAX_CALL_FRAMES
inline constexpr int kTailCallStackCap = 256;            // verifier.c check_max_stack_depth_subprog()

} // namespace tailgate
