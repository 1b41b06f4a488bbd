// Decoder and encoder for the eBPF ISA of RFC 9669.
//
// decode() reads: an array of 8-byte slots. Writes: one Insn per slot. Fails when: an opcode is not in the
// ISA, a field the encoding reserves is set, a register number exceeds r10, an lddw lacks its second half,
// or a jump/call target falls outside the array or into the second half of an lddw.
#include <string>

#include "verifier/isa.hpp"

namespace tailgate {
namespace {

// Instruction classes and fields (RFC 9669 section 3).
enum : uint8_t {
    kClsLd = 0x00, kClsLdx = 0x01, kClsSt = 0x02, kClsStx = 0x03,
    kClsAlu = 0x04, kClsJmp = 0x05, kClsJmp32 = 0x06, kClsAlu64 = 0x07,
};
enum : uint8_t { kSrcK = 0x00, kSrcX = 0x08 };
enum : uint8_t { kModeImm = 0x00, kModeAbs = 0x20, kModeInd = 0x40, kModeMem = 0x60, kModeMemSx = 0x80,
                 kModeAtomic = 0xc0 };
enum : uint8_t { kSizeW = 0x00, kSizeH = 0x08, kSizeB = 0x10, kSizeDw = 0x18 };
enum : int32_t { kAtomicFetch = 0x01, kAtomicXchg = 0xe0 | kAtomicFetch, kAtomicCmpXchg = 0xf0 | kAtomicFetch };

Error fail(size_t pc, const char* code, const std::string& what) {
    return make_error(code, "insn " + std::to_string(pc) + ": " + what);
}

std::string hex(unsigned v) {
    static const char* digits = "0123456789abcdef";
    std::string s = "0x";
    s += digits[(v >> 4) & 0xf];
    s += digits[v & 0xf];
    return s;
}

uint8_t width_of(uint8_t size_bits) {
    switch (size_bits) {
    case kSizeW: return 4;
    case kSizeH: return 2;
    case kSizeB: return 1;
    default: return 8;
    }
}

uint8_t size_bits_of(uint8_t width) {
    switch (width) {
    case 4: return kSizeW;
    case 2: return kSizeH;
    case 1: return kSizeB;
    default: return kSizeDw;
    }
}

Result<Insn> decode_alu(const RawInsn& in, size_t pc) {
    const bool is64 = (in.opcode & 0x07) == kClsAlu64;
    const uint8_t code = in.opcode & 0xf0;
    const bool x = (in.opcode & 0x08) == kSrcX;
    const std::string op = "opcode " + hex(in.opcode);
    if (code == 0xd0) { // END
        if (in.src != 0 || in.off != 0) return fail(pc, "reserved-field", op + " (byte swap) has src or off set");
        if (in.imm != 16 && in.imm != 32 && in.imm != 64)
            return fail(pc, "bad-opcode", op + " (byte swap) width " + std::to_string(in.imm) + " is not 16/32/64");
        if (is64 && x) return fail(pc, "bad-opcode", op + " is not an instruction (bswap takes no source bit)");
        ByteOrder order = is64 ? ByteOrder::Swap : (x ? ByteOrder::ToBe : ByteOrder::ToLe);
        return Insn{Endian{Reg(in.dst), uint8_t(in.imm), order}};
    }
    AluOp aop;
    switch (code) {
    case 0x00: aop = AluOp::Add; break;
    case 0x10: aop = AluOp::Sub; break;
    case 0x20: aop = AluOp::Mul; break;
    case 0x30: aop = AluOp::Div; break;
    case 0x40: aop = AluOp::Or; break;
    case 0x50: aop = AluOp::And; break;
    case 0x60: aop = AluOp::Lsh; break;
    case 0x70: aop = AluOp::Rsh; break;
    case 0x80: aop = AluOp::Neg; break;
    case 0x90: aop = AluOp::Mod; break;
    case 0xa0: aop = AluOp::Xor; break;
    case 0xb0: aop = AluOp::Mov; break;
    case 0xc0: aop = AluOp::Arsh; break;
    default: return fail(pc, "bad-opcode", op + " is not an instruction");
    }
    // off selects the signed variants of div/mod and the sign-extending moves; elsewhere it is reserved.
    if (in.off != 0) {
        if ((aop == AluOp::Div || aop == AluOp::Mod) && in.off == 1) {
            aop = aop == AluOp::Div ? AluOp::SDiv : AluOp::SMod;
        } else if (aop == AluOp::Mov && x && (in.off == 8 || in.off == 16 || (in.off == 32 && is64))) {
            aop = in.off == 8 ? AluOp::MovSx8 : in.off == 16 ? AluOp::MovSx16 : AluOp::MovSx32;
        } else {
            return fail(pc, "reserved-field", op + " has off " + std::to_string(in.off) + " (must be 0)");
        }
    }
    if (aop == AluOp::Neg) {
        if (x || in.src != 0 || in.imm != 0)
            return fail(pc, "reserved-field", op + " (neg) has a source operand set");
        return Insn{Alu{aop, is64, Reg(in.dst), Operand::of_imm(0)}};
    }
    if (x) {
        if (in.imm != 0) return fail(pc, "reserved-field", op + " with a register source has imm set");
        return Insn{Alu{aop, is64, Reg(in.dst), Operand::of_reg(Reg(in.src))}};
    }
    if (in.src != 0) return fail(pc, "reserved-field", op + " with an immediate source has src_reg set");
    return Insn{Alu{aop, is64, Reg(in.dst), Operand::of_imm(in.imm)}};
}

Result<Insn> decode_jmp(const RawInsn& in, size_t pc) {
    const bool is32 = (in.opcode & 0x07) == kClsJmp32;
    const uint8_t code = in.opcode & 0xf0;
    const bool x = (in.opcode & 0x08) == kSrcX;
    const std::string op = "opcode " + hex(in.opcode);
    const int64_t next = int64_t(pc) + 1;
    switch (code) {
    case 0x00: // JA
        if (x || in.src != 0 || in.dst != 0) return fail(pc, "reserved-field", op + " (goto) has registers set");
        if (is32) {
            if (in.off != 0) return fail(pc, "reserved-field", op + " (gotol) has off set");
            return Insn{Goto{uint32_t(next + in.imm), true}};
        }
        if (in.imm != 0) return fail(pc, "reserved-field", op + " (goto) has imm set");
        return Insn{Goto{uint32_t(next + in.off), false}};
    case 0x80: // CALL
        if (is32) return fail(pc, "bad-opcode", op + " is not an instruction (call is JMP class only)");
        if (in.off != 0) return fail(pc, "reserved-field", op + " (call) has off set");
        if (x) {
            // callx: RFC 9669 puts the register in dst_reg; LLVM before 17 put it in imm.
            if (in.src != 0) return fail(pc, "reserved-field", op + " (callx) has src_reg set");
            if (in.dst == 0 && in.imm > 0 && in.imm <= 10) return Insn{CallReg{Reg(in.imm)}};
            if (in.imm != 0) return fail(pc, "reserved-field", op + " (callx) has imm set");
            return Insn{CallReg{Reg(in.dst)}};
        }
        if (in.dst != 0) return fail(pc, "reserved-field", op + " (call) has dst_reg set");
        if (in.src == 0) return Insn{Call{in.imm}};
        if (in.src == 1) return Insn{CallLocal{uint32_t(next + in.imm)}};
        if (in.src == 2)
            return fail(pc, "bad-opcode", "call to a kernel function (kfunc, src_reg 2) is not supported");
        return fail(pc, "reserved-field", op + " (call) has src_reg " + std::to_string(in.src));
    case 0x90: // EXIT
        if (is32 || x) return fail(pc, "bad-opcode", op + " is not an instruction");
        if (in.src != 0 || in.dst != 0 || in.off != 0 || in.imm != 0)
            return fail(pc, "reserved-field", op + " (exit) has a field set");
        return Insn{Exit{}};
    default: break;
    }
    Cond cond;
    switch (code) {
    case 0x10: cond = Cond::Eq; break;
    case 0x20: cond = Cond::Gt; break;
    case 0x30: cond = Cond::Ge; break;
    case 0x40: cond = Cond::Set; break;
    case 0x50: cond = Cond::Ne; break;
    case 0x60: cond = Cond::SGt; break;
    case 0x70: cond = Cond::SGe; break;
    case 0xa0: cond = Cond::Lt; break;
    case 0xb0: cond = Cond::Le; break;
    case 0xc0: cond = Cond::SLt; break;
    case 0xd0: cond = Cond::SLe; break;
    default: return fail(pc, "bad-opcode", op + " is not an instruction");
    }
    Operand src = Operand::of_imm(in.imm);
    if (x) {
        if (in.imm != 0) return fail(pc, "reserved-field", op + " with a register source has imm set");
        src = Operand::of_reg(Reg(in.src));
    } else if (in.src != 0) {
        return fail(pc, "reserved-field", op + " with an immediate source has src_reg set");
    }
    return Insn{Jump{cond, is32, Reg(in.dst), src, uint32_t(next + in.off)}};
}

Result<Insn> decode_mem(std::span<const RawInsn> code, size_t pc) {
    const RawInsn& in = code[pc];
    const uint8_t cls = in.opcode & 0x07;
    const uint8_t mode = in.opcode & 0xe0;
    const uint8_t size = in.opcode & 0x18;
    const uint8_t width = width_of(size);
    const std::string op = "opcode " + hex(in.opcode);
    switch (cls) {
    case kClsLd:
        if (mode == kModeImm && size == kSizeDw) {
            if (pc + 1 >= code.size()) return fail(pc, "lddw-split", "lddw is missing its second half");
            const RawInsn& hi = code[pc + 1];
            if (hi.opcode != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0)
                return fail(pc, "lddw-split", "second half of lddw at insn " + std::to_string(pc + 1) +
                                                  " has opcode or fields set");
            if (in.off != 0) return fail(pc, "reserved-field", "lddw has off set");
            if (in.src > 6) return fail(pc, "reserved-field", "lddw has src_reg " + std::to_string(in.src));
            return Insn{LoadImm64{Reg(in.dst), uint8_t(in.src), in.imm, hi.imm}};
        }
        if ((mode == kModeAbs || mode == kModeInd) && size != kSizeDw) {
            // kernel: verifier.c check_ld_abs() "BPF_LD_[ABS|IND] uses reserved fields"
            if (in.dst != 0 || in.off != 0 || (mode == kModeAbs && in.src != 0))
                return fail(pc, "reserved-field", op + " (legacy packet load) uses reserved fields");
            return Insn{LoadPacket{width, mode == kModeInd, Reg(in.src), in.imm}};
        }
        return fail(pc, "bad-opcode", op + " is not an instruction");
    case kClsLdx:
        if (mode != kModeMem && !(mode == kModeMemSx && size != kSizeDw))
            return fail(pc, "bad-opcode", op + " is not an instruction");
        if (in.imm != 0) return fail(pc, "reserved-field", op + " (load) has imm set");
        return Insn{Load{Reg(in.dst), Reg(in.src), in.off, width, mode == kModeMemSx}};
    case kClsSt:
        if (mode != kModeMem) return fail(pc, "bad-opcode", op + " is not an instruction");
        if (in.src != 0) return fail(pc, "reserved-field", op + " (store immediate) has src_reg set");
        return Insn{Store{Reg(in.dst), in.off, width, Operand::of_imm(in.imm)}};
    default: // kClsStx
        if (mode == kModeMem) {
            if (in.imm != 0) return fail(pc, "reserved-field", op + " (store) has imm set");
            return Insn{Store{Reg(in.dst), in.off, width, Operand::of_reg(Reg(in.src))}};
        }
        if (mode == kModeAtomic && (size == kSizeW || size == kSizeDw)) {
            AtomicOp aop;
            const bool fetch = (in.imm & kAtomicFetch) != 0;
            switch (in.imm) {
            case 0x00: case 0x01: aop = AtomicOp::Add; break;
            case 0x40: case 0x41: aop = AtomicOp::Or; break;
            case 0x50: case 0x51: aop = AtomicOp::And; break;
            case 0xa0: case 0xa1: aop = AtomicOp::Xor; break;
            case kAtomicXchg: aop = AtomicOp::Xchg; break;
            case kAtomicCmpXchg: aop = AtomicOp::CmpXchg; break;
            default: return fail(pc, "bad-opcode", op + " (atomic) has unknown operation imm " + hex(in.imm));
            }
            return Insn{Atomic{aop, fetch, width, Reg(in.dst), in.off, Reg(in.src)}};
        }
        return fail(pc, "bad-opcode", op + " is not an instruction");
    }
}

} // namespace

Result<Insn> decode_one(std::span<const RawInsn> code, size_t pc) {
    const RawInsn& in = code[pc];
    if (in.dst > 10) return fail(pc, "bad-register", "dst_reg r" + std::to_string(in.dst) + " does not exist");
    if (in.src > 10 && (in.opcode & 0x07) != kClsLd)
        return fail(pc, "bad-register", "src_reg r" + std::to_string(in.src) + " does not exist");
    switch (in.opcode & 0x07) {
    case kClsAlu:
    case kClsAlu64: return decode_alu(in, pc);
    case kClsJmp:
    case kClsJmp32: return decode_jmp(in, pc);
    default: return decode_mem(code, pc);
    }
}

Result<std::vector<Insn>> decode(std::span<const RawInsn> code) {
    std::vector<Insn> out;
    out.reserve(code.size());
    for (size_t pc = 0; pc < code.size(); ++pc) {
        auto insn = decode_one(code, pc);
        if (!insn) return insn.error();
        const bool wide = std::holds_alternative<LoadImm64>(*insn);
        out.push_back(std::move(insn).value());
        if (wide) {
            out.push_back(LddwHigh{});
            ++pc;
        }
    }
    // Targets: inside the array, never the second half of an lddw.
    for (size_t pc = 0; pc < out.size(); ++pc) {
        int64_t target = -1;
        const char* what = "jump";
        if (auto* j = std::get_if<Jump>(&out[pc])) target = j->target;
        else if (auto* g = std::get_if<Goto>(&out[pc])) target = g->target;
        else if (auto* c = std::get_if<CallLocal>(&out[pc])) target = c->target, what = "call";
        else continue;
        // Targets were computed in 32-bit arithmetic; recover the signed offset to report it.
        if (target < 0 || size_t(target) >= out.size())
            return fail(pc, "jump-out-of-range", std::string(what) + " target " +
                                                     std::to_string(int32_t(uint32_t(target))) +
                                                     " is outside the program (0.." +
                                                     std::to_string(out.size() - 1) + ")");
        if (std::holds_alternative<LddwHigh>(out[size_t(target)]))
            return fail(pc, "jump-into-lddw",
                        std::string(what) + " target " + std::to_string(target) + " is the second half of an lddw");
    }
    return out;
}

namespace {

RawInsn make(uint8_t opcode, Reg dst, Reg src, int16_t off, int32_t imm) {
    RawInsn r;
    r.opcode = opcode;
    r.dst = dst & 0xf;
    r.src = src & 0xf;
    r.off = off;
    r.imm = imm;
    return r;
}

uint8_t alu_code(AluOp op) {
    switch (op) {
    case AluOp::Add: return 0x00;
    case AluOp::Sub: return 0x10;
    case AluOp::Mul: return 0x20;
    case AluOp::Div: case AluOp::SDiv: return 0x30;
    case AluOp::Or: return 0x40;
    case AluOp::And: return 0x50;
    case AluOp::Lsh: return 0x60;
    case AluOp::Rsh: return 0x70;
    case AluOp::Neg: return 0x80;
    case AluOp::Mod: case AluOp::SMod: return 0x90;
    case AluOp::Xor: return 0xa0;
    case AluOp::Mov: case AluOp::MovSx8: case AluOp::MovSx16: case AluOp::MovSx32: return 0xb0;
    case AluOp::Arsh: return 0xc0;
    }
    return 0;
}

int16_t alu_off(AluOp op) {
    switch (op) {
    case AluOp::SDiv: case AluOp::SMod: return 1;
    case AluOp::MovSx8: return 8;
    case AluOp::MovSx16: return 16;
    case AluOp::MovSx32: return 32;
    default: return 0;
    }
}

uint8_t cond_code(Cond c) {
    switch (c) {
    case Cond::Eq: return 0x10;
    case Cond::Gt: return 0x20;
    case Cond::Ge: return 0x30;
    case Cond::Set: return 0x40;
    case Cond::Ne: return 0x50;
    case Cond::SGt: return 0x60;
    case Cond::SGe: return 0x70;
    case Cond::Lt: return 0xa0;
    case Cond::Le: return 0xb0;
    case Cond::SLt: return 0xc0;
    case Cond::SLe: return 0xd0;
    }
    return 0;
}

int32_t atomic_imm(const Atomic& a) {
    switch (a.op) {
    case AtomicOp::Add: return 0x00 | (a.fetch ? kAtomicFetch : 0);
    case AtomicOp::Or: return 0x40 | (a.fetch ? kAtomicFetch : 0);
    case AtomicOp::And: return 0x50 | (a.fetch ? kAtomicFetch : 0);
    case AtomicOp::Xor: return 0xa0 | (a.fetch ? kAtomicFetch : 0);
    case AtomicOp::Xchg: return kAtomicXchg;
    case AtomicOp::CmpXchg: return kAtomicCmpXchg;
    }
    return 0;
}

struct Encoder {
    uint32_t pc;
    int32_t rel(uint32_t target) const { return int32_t(int64_t(target) - int64_t(pc) - 1); }

    std::vector<RawInsn> operator()(const Alu& a) const {
        uint8_t cls = a.is64 ? kClsAlu64 : kClsAlu;
        uint8_t src = a.src.is_reg ? kSrcX : kSrcK;
        return {make(uint8_t(alu_code(a.op) | src | cls), a.dst, a.src.is_reg ? a.src.reg : 0, alu_off(a.op),
                     a.src.is_reg ? 0 : int32_t(a.src.imm))};
    }
    std::vector<RawInsn> operator()(const Endian& e) const {
        uint8_t cls = e.order == ByteOrder::Swap ? kClsAlu64 : kClsAlu;
        uint8_t src = e.order == ByteOrder::ToBe ? kSrcX : kSrcK;
        return {make(uint8_t(0xd0 | src | cls), e.dst, 0, 0, e.bits)};
    }
    std::vector<RawInsn> operator()(const Jump& j) const {
        uint8_t cls = j.is32 ? kClsJmp32 : kClsJmp;
        uint8_t src = j.src.is_reg ? kSrcX : kSrcK;
        return {make(uint8_t(cond_code(j.cond) | src | cls), j.dst, j.src.is_reg ? j.src.reg : 0,
                     int16_t(rel(j.target)), j.src.is_reg ? 0 : int32_t(j.src.imm))};
    }
    std::vector<RawInsn> operator()(const Goto& g) const {
        if (g.wide) return {make(0x00 | kClsJmp32, 0, 0, 0, rel(g.target))};
        return {make(0x00 | kClsJmp, 0, 0, int16_t(rel(g.target)), 0)};
    }
    std::vector<RawInsn> operator()(const Call& c) const { return {make(0x85, 0, 0, 0, c.helper)}; }
    std::vector<RawInsn> operator()(const CallLocal& c) const { return {make(0x85, 0, 1, 0, rel(c.target))}; }
    std::vector<RawInsn> operator()(const CallReg& c) const { return {make(0x8d, c.reg, 0, 0, 0)}; }
    std::vector<RawInsn> operator()(const Exit&) const { return {make(0x95, 0, 0, 0, 0)}; }
    std::vector<RawInsn> operator()(const LoadImm64& l) const {
        return {make(0x18, l.dst, l.pseudo, 0, l.imm_lo), make(0, 0, 0, 0, l.imm_hi)};
    }
    std::vector<RawInsn> operator()(const LddwHigh&) const { return {}; }
    std::vector<RawInsn> operator()(const Load& l) const {
        uint8_t mode = l.sign_extend ? kModeMemSx : kModeMem;
        return {make(uint8_t(mode | size_bits_of(l.width) | kClsLdx), l.dst, l.base, l.off, 0)};
    }
    std::vector<RawInsn> operator()(const Store& s) const {
        if (s.value.is_reg)
            return {make(uint8_t(kModeMem | size_bits_of(s.width) | kClsStx), s.base, s.value.reg, s.off, 0)};
        return {make(uint8_t(kModeMem | size_bits_of(s.width) | kClsSt), s.base, 0, s.off, int32_t(s.value.imm))};
    }
    std::vector<RawInsn> operator()(const Atomic& a) const {
        return {make(uint8_t(kModeAtomic | size_bits_of(a.width) | kClsStx), a.base, a.src, a.off, atomic_imm(a))};
    }
    std::vector<RawInsn> operator()(const LoadPacket& p) const {
        uint8_t mode = p.indirect ? kModeInd : kModeAbs;
        return {make(uint8_t(mode | size_bits_of(p.width) | kClsLd), 0, p.indirect ? p.src : 0, 0, p.imm)};
    }
};

} // namespace

std::vector<RawInsn> encode(const Insn& insn, uint32_t pc) { return std::visit(Encoder{pc}, insn); }

} // namespace tailgate
