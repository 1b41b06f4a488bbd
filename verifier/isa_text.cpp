// Instruction text in LLVM's BPF assembly syntax, as llvm-objdump prints it, so that `tailgate disasm` can be
// compared with `llvm-objdump -d` line for line. Encodings newer than LLVM 14 (signed div/mod, sign-extending
// moves and loads, bswap, gotol, callx) use the syntax later LLVM versions print.
#include <string>

#include "verifier/isa.hpp"

namespace tailgate {
namespace {

std::string reg(Reg r, bool is32) { return (is32 ? "w" : "r") + std::to_string(r); }

std::string signed_off(int64_t off) { return off < 0 ? " - " + std::to_string(-off) : " + " + std::to_string(off); }

std::string rel_target(uint32_t target, uint32_t pc) {
    int64_t d = int64_t(target) - int64_t(pc) - 1;
    return d < 0 ? std::to_string(d) : "+" + std::to_string(d);
}

std::string size_name(uint8_t width, bool is_signed = false) {
    return std::string(is_signed ? "s" : "u") + std::to_string(width * 8);
}

std::string mem(uint8_t width, Reg base, int16_t off, bool is_signed = false) {
    return "*(" + size_name(width, is_signed) + " *)(r" + std::to_string(base) + signed_off(off) + ")";
}

const char* alu_sym(AluOp op) {
    switch (op) {
    case AluOp::Add: return "+=";
    case AluOp::Sub: return "-=";
    case AluOp::Mul: return "*=";
    case AluOp::Div: return "/=";
    case AluOp::SDiv: return "s/=";
    case AluOp::Or: return "|=";
    case AluOp::And: return "&=";
    case AluOp::Lsh: return "<<=";
    case AluOp::Rsh: return ">>=";
    case AluOp::Mod: return "%=";
    case AluOp::SMod: return "s%=";
    case AluOp::Xor: return "^=";
    case AluOp::Arsh: return "s>>=";
    default: return "=";
    }
}

const char* cond_sym(Cond c) {
    switch (c) {
    case Cond::Eq: return "==";
    case Cond::Ne: return "!=";
    case Cond::Gt: return ">";
    case Cond::Ge: return ">=";
    case Cond::Lt: return "<";
    case Cond::Le: return "<=";
    case Cond::Set: return "&";
    case Cond::SGt: return "s>";
    case Cond::SGe: return "s>=";
    case Cond::SLt: return "s<";
    case Cond::SLe: return "s<=";
    }
    return "?";
}

const char* atomic_sym(AtomicOp op) {
    switch (op) {
    case AtomicOp::Add: return "add";
    case AtomicOp::Or: return "or";
    case AtomicOp::And: return "and";
    case AtomicOp::Xor: return "xor";
    default: return "?";
    }
}

struct Printer {
    uint32_t pc;

    std::string operator()(const Alu& a) const {
        const bool w = !a.is64;
        const std::string d = reg(a.dst, w);
        const std::string s = a.src.is_reg ? reg(a.src.reg, w) : std::to_string(a.src.imm);
        switch (a.op) {
        case AluOp::Neg: return d + " = -" + d;
        case AluOp::Mov: return d + " = " + s;
        case AluOp::MovSx8: return d + " = (s8)" + s;
        case AluOp::MovSx16: return d + " = (s16)" + s;
        case AluOp::MovSx32: return d + " = (s32)" + s;
        default: return d + " " + alu_sym(a.op) + " " + s;
        }
    }
    std::string operator()(const Endian& e) const {
        const char* name = e.order == ByteOrder::ToLe ? "le" : e.order == ByteOrder::ToBe ? "be" : "bswap";
        const std::string d = reg(e.dst, false);
        return d + " = " + name + std::to_string(e.bits) + " " + d;
    }
    std::string operator()(const Jump& j) const {
        const std::string s = j.src.is_reg ? reg(j.src.reg, j.is32) : std::to_string(j.src.imm);
        return "if " + reg(j.dst, j.is32) + " " + cond_sym(j.cond) + " " + s + " goto " + rel_target(j.target, pc);
    }
    std::string operator()(const Goto& g) const {
        return std::string(g.wide ? "gotol " : "goto ") + rel_target(g.target, pc);
    }
    std::string operator()(const Call& c) const { return "call " + std::to_string(c.helper); }
    std::string operator()(const CallLocal& c) const {
        return "call " + std::to_string(int64_t(c.target) - int64_t(pc) - 1);
    }
    std::string operator()(const CallReg& c) const { return "callx " + reg(c.reg, false); }
    std::string operator()(const Exit&) const { return "exit"; }
    std::string operator()(const LoadImm64& l) const {
        // objdump prints the 64-bit immediate as a signed number ("r3 = -1 ll").
        if (l.pseudo == 0) return reg(l.dst, false) + " = " + std::to_string(int64_t(l.value())) + " ll";
        return "ld_pseudo\t" + reg(l.dst, false) + ", " + std::to_string(l.pseudo) + ", " +
               std::to_string(l.pseudo == 2 || l.pseudo == 6 ? uint64_t(uint32_t(l.imm_hi)) : l.value());
    }
    std::string operator()(const LddwHigh&) const { return ""; }
    std::string operator()(const Load& l) const {
        return reg(l.dst, false) + " = " + mem(l.width, l.base, l.off, l.sign_extend);
    }
    std::string operator()(const Store& s) const {
        const std::string v = s.value.is_reg ? reg(s.value.reg, false) : std::to_string(s.value.imm);
        return mem(s.width, s.base, s.off) + " = " + v;
    }
    std::string operator()(const Atomic& a) const {
        const bool w = a.width == 4;
        const std::string src = reg(a.src, w && (a.fetch || a.op != AtomicOp::Add));
        const std::string addr = "r" + std::to_string(a.base) + signed_off(a.off);
        const std::string bits = w ? "32" : "64";
        switch (a.op) {
        case AtomicOp::Xchg: return src + " = xchg" + (w ? "32_32" : "_64") + "(" + addr + ", " + src + ")";
        case AtomicOp::CmpXchg:
            return reg(0, w) + " = cmpxchg" + (w ? "32_32" : "_64") + "(" + addr + ", " + reg(0, w) + ", " + src +
                   ")";
        default: break;
        }
        if (a.fetch)
            return src + " = atomic_fetch_" + atomic_sym(a.op) + "((u" + bits + " *)(" + addr + "), " + src + ")";
        const char* sym = a.op == AtomicOp::Add ? "+=" : a.op == AtomicOp::Or ? "|=" : a.op == AtomicOp::And ? "&=" : "^=";
        return "lock *(u" + bits + " *)(" + addr + ") " + sym + " " + src;
    }
    std::string operator()(const LoadPacket& p) const {
        const std::string where = p.indirect ? "r" + std::to_string(p.src) + (p.imm ? signed_off(p.imm) : "")
                                             : std::to_string(p.imm);
        return "r0 = *(" + size_name(p.width) + " *)skb[" + where + "]";
    }
};

} // namespace

std::string to_text(const Insn& insn, uint32_t pc) { return std::visit(Printer{pc}, insn); }

} // namespace tailgate
