// Assembler for the bpf_conformance syntax; see assembler.hpp for the grammar.
// Encodings follow RFC 9669 (opcode = class | size/op | mode/source).
#include "verifier/assembler.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <sstream>

namespace tailgate {
namespace {

// Instruction classes and fields (RFC 9669 section 3 / include/uapi/linux/bpf.h).
constexpr uint8_t kLd = 0x00, kLdx = 0x01, kSt = 0x02, kStx = 0x03, kAlu = 0x04, kJmp = 0x05, kJmp32 = 0x06,
                  kAlu64 = 0x07;
constexpr uint8_t kSrcX = 0x08;
constexpr uint8_t kSizeW = 0x00, kSizeH = 0x08, kSizeB = 0x10, kSizeDW = 0x18;
constexpr uint8_t kModeImm = 0x00, kModeAbs = 0x20, kModeInd = 0x40, kModeMem = 0x60, kModeMemSx = 0x80,
                  kModeAtomic = 0xc0;

struct AsmError {
    std::string code;
    std::string message;
};

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

// Parse [+|-](0x hex | decimal) into a wrapped 64-bit value; `neg` tells whether a minus sign was present and
// `mag` is the magnitude. Returns false on malformed text or a magnitude above 2^64-1.
bool parse_number(std::string_view s, bool& neg, uint64_t& mag) {
    neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), mag, base);
    return ec == std::errc() && p == s.data() + s.size();
}

class Assembler {
  public:
    explicit Assembler(uint32_t first_line) : first_line_(first_line) {}

    Result<std::vector<RawInsn>> run(std::string_view source);

  private:
    struct Fixup {
        size_t pc;
        std::string label;
        uint32_t line;
        bool in_imm; // call local / ja32: the offset goes to imm
    };

    uint32_t first_line_;
    uint32_t line_ = 0;
    std::vector<RawInsn> out_;
    std::map<std::string, size_t> labels_;
    std::vector<Fixup> fixups_;
    std::optional<size_t> first_exit_;

    AsmError err(std::string code, const std::string& what) const {
        return AsmError{std::move(code), "line " + std::to_string(line_) + ": " + what};
    }

    static RawInsn make(uint8_t opcode, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        RawInsn r;
        r.opcode = opcode;
        r.dst = dst & 0xf;
        r.src = src & 0xf;
        r.off = off;
        r.imm = imm;
        return r;
    }

    std::optional<AsmError> reg(const std::string& s, uint8_t& out) const {
        std::string_view v = s;
        if (!v.empty() && v[0] == '%') v.remove_prefix(1);
        if (v.size() < 2 || v[0] != 'r')
            return err("asm-bad-register", "expected a register, got '" + s + "'");
        unsigned n = 0;
        auto [p, ec] = std::from_chars(v.data() + 1, v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size() || n > 15)
            return err("asm-bad-register", "expected a register %r0..%r10, got '" + s + "'");
        out = static_cast<uint8_t>(n);
        return std::nullopt;
    }

    std::optional<AsmError> imm32(const std::string& s, int32_t& out) const {
        bool neg;
        uint64_t mag;
        if (!parse_number(s, neg, mag))
            return err("asm-bad-operand", "expected an immediate, got '" + s + "'");
        if (neg ? mag > (uint64_t{1} << 31) : mag > 0xffffffffull)
            return err("asm-out-of-range", "immediate '" + s + "' does not fit in 32 bits");
        out = static_cast<int32_t>(static_cast<uint32_t>(neg ? uint64_t{0} - mag : mag));
        return std::nullopt;
    }

    std::optional<AsmError> imm64(const std::string& s, uint64_t& out) const {
        bool neg;
        uint64_t mag;
        if (!parse_number(s, neg, mag))
            return err("asm-bad-operand", "expected an immediate, got '" + s + "'");
        if (neg && mag > (uint64_t{1} << 63))
            return err("asm-out-of-range", "immediate '" + s + "' does not fit in 64 bits");
        out = neg ? uint64_t{0} - mag : mag;
        return std::nullopt;
    }

    std::optional<AsmError> off16(const std::string& s, int16_t& out) const {
        bool neg;
        uint64_t mag;
        if (!parse_number(s, neg, mag)) return err("asm-bad-operand", "expected an offset, got '" + s + "'");
        if (neg ? mag > 32768 : mag > 32767)
            return err("asm-out-of-range", "offset '" + s + "' does not fit in 16 bits");
        out = static_cast<int16_t>(neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag));
        return std::nullopt;
    }

    // "[%rN]", "[%rN+off]", "[%rN-off]"
    std::optional<AsmError> mem(const std::string& s, uint8_t& base, int16_t& off) const {
        if (s.size() < 3 || s.front() != '[' || s.back() != ']')
            return err("asm-bad-operand", "expected a memory operand [%rN+off], got '" + s + "'");
        std::string inner = trim(std::string_view(s).substr(1, s.size() - 2));
        size_t sign = inner.find_first_of("+-");
        off = 0;
        if (auto e = reg(trim(inner.substr(0, sign)), base)) return e;
        if (sign != std::string::npos) {
            std::string num = trim(inner.substr(sign + 1));
            if (auto e = off16(inner.substr(sign, 1) + num, off)) return e;
        }
        return std::nullopt;
    }

    // Relative offset (+N/-N) or a label resolved later.
    std::optional<AsmError> target(const std::string& s, bool in_imm, int32_t& out) {
        if (s.empty()) return err("asm-bad-operand", "missing jump target");
        if (s[0] == '+' || s[0] == '-') {
            if (in_imm) return imm32(s, out);
            int16_t o;
            if (auto e = off16(s, o)) return e;
            out = o;
            return std::nullopt;
        }
        for (char c : s)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
                return err("asm-bad-operand", "bad label name '" + s + "'");
        fixups_.push_back(Fixup{out_.size(), s, line_, in_imm});
        out = 0;
        return std::nullopt;
    }

    std::optional<AsmError> need(const std::string& mn, const std::vector<std::string>& ops, size_t n) const {
        if (ops.size() != n)
            return err("asm-operand-count", "'" + mn + "' takes " + std::to_string(n) + " operand(s), got " +
                                                std::to_string(ops.size()));
        return std::nullopt;
    }

    std::optional<AsmError> line(const std::string& text);
    std::optional<AsmError> alu(const std::string& mn, const std::vector<std::string>& ops);
    std::optional<AsmError> jump(const std::string& mn, const std::vector<std::string>& ops);
    std::optional<AsmError> call(const std::vector<std::string>& words);
    std::optional<AsmError> lock(const std::vector<std::string>& words, const std::vector<std::string>& ops);
};

const std::map<std::string, uint8_t>& alu_ops() {
    static const std::map<std::string, uint8_t> m = {
        {"add", 0x00}, {"sub", 0x10},  {"mul", 0x20}, {"div", 0x30}, {"sdiv", 0x30},
        {"or", 0x40},  {"and", 0x50},  {"lsh", 0x60}, {"rsh", 0x70}, {"neg", 0x80},
        {"mod", 0x90}, {"smod", 0x90}, {"xor", 0xa0}, {"mov", 0xb0}, {"arsh", 0xc0}};
    return m;
}

const std::map<std::string, uint8_t>& jmp_ops() {
    static const std::map<std::string, uint8_t> m = {
        {"jeq", 0x10},  {"jgt", 0x20}, {"jge", 0x30}, {"jset", 0x40}, {"jne", 0x50}, {"jsgt", 0x60},
        {"jsge", 0x70}, {"jlt", 0xa0}, {"jle", 0xb0}, {"jslt", 0xc0}, {"jsle", 0xd0}};
    return m;
}

std::optional<AsmError> Assembler::alu(const std::string& mn, const std::vector<std::string>& ops) {
    // Byte swaps: be16/le32/swap64.
    for (auto [prefix, opcode] :
         {std::pair<const char*, uint8_t>{"be", 0xdc}, {"le", 0xd4}, {"bswap", 0xd7}, {"swap", 0xd7}}) {
        std::string p = prefix;
        if (mn.rfind(p, 0) == 0 &&
            (mn.substr(p.size()) == "16" || mn.substr(p.size()) == "32" || mn.substr(p.size()) == "64")) {
            if (auto e = need(mn, ops, 1)) return e;
            uint8_t d;
            if (auto e = reg(ops[0], d)) return e;
            out_.push_back(make(opcode, d, 0, 0, std::stoi(mn.substr(p.size()))));
            return std::nullopt;
        }
    }
    // movsx<from><class>: movsx832, movsx1664, movsx3264, ...
    if (mn.rfind("movsx", 0) == 0) {
        static const std::map<std::string, std::pair<int16_t, uint8_t>> sx = {{"movsx832", {8, kAlu}},
                                                                              {"movsx1632", {16, kAlu}},
                                                                              {"movsx864", {8, kAlu64}},
                                                                              {"movsx1664", {16, kAlu64}},
                                                                              {"movsx3264", {32, kAlu64}}};
        auto it = sx.find(mn);
        if (it == sx.end()) return err("asm-unknown-mnemonic", "unknown mnemonic '" + mn + "'");
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t d, s;
        if (auto e = reg(ops[0], d)) return e;
        if (auto e = reg(ops[1], s)) return e;
        out_.push_back(
            make(static_cast<uint8_t>(it->second.second | 0xb0 | kSrcX), d, s, it->second.first, 0));
        return std::nullopt;
    }
    bool is32 = mn.size() > 2 && mn.compare(mn.size() - 2, 2, "32") == 0;
    std::string base = is32 ? mn.substr(0, mn.size() - 2) : mn;
    auto it = alu_ops().find(base);
    if (it == alu_ops().end()) return err("asm-unknown-mnemonic", "unknown mnemonic '" + mn + "'");
    uint8_t cls = is32 ? kAlu : kAlu64;
    int16_t off = (base == "sdiv" || base == "smod") ? 1 : 0;
    uint8_t d;
    if (base == "neg") {
        if (auto e = need(mn, ops, 1)) return e;
        if (auto e = reg(ops[0], d)) return e;
        out_.push_back(make(static_cast<uint8_t>(cls | it->second), d, 0, 0, 0));
        return std::nullopt;
    }
    if (auto e = need(mn, ops, 2)) return e;
    if (auto e = reg(ops[0], d)) return e;
    if (!ops[1].empty() && (ops[1][0] == '%' || ops[1][0] == 'r')) {
        uint8_t s;
        if (auto e = reg(ops[1], s)) return e;
        out_.push_back(make(static_cast<uint8_t>(cls | it->second | kSrcX), d, s, off, 0));
    } else {
        int32_t imm;
        if (auto e = imm32(ops[1], imm)) return e;
        out_.push_back(make(static_cast<uint8_t>(cls | it->second), d, 0, off, imm));
    }
    return std::nullopt;
}

std::optional<AsmError> Assembler::jump(const std::string& mn, const std::vector<std::string>& ops) {
    if (mn == "ja" || mn == "ja32") {
        if (auto e = need(mn, ops, 1)) return e;
        bool wide = mn == "ja32";
        int32_t t;
        if (auto e = target(ops[0], wide, t)) return e;
        out_.push_back(wide ? make(kJmp32, 0, 0, 0, t) : make(kJmp, 0, 0, static_cast<int16_t>(t), 0));
        return std::nullopt;
    }
    bool is32 = mn.size() > 2 && mn.compare(mn.size() - 2, 2, "32") == 0;
    auto it = jmp_ops().find(is32 ? mn.substr(0, mn.size() - 2) : mn);
    if (it == jmp_ops().end()) return err("asm-unknown-mnemonic", "unknown mnemonic '" + mn + "'");
    if (auto e = need(mn, ops, 3)) return e;
    uint8_t cls = is32 ? kJmp32 : kJmp;
    uint8_t d;
    if (auto e = reg(ops[0], d)) return e;
    RawInsn r;
    if (!ops[1].empty() && (ops[1][0] == '%' || ops[1][0] == 'r')) {
        uint8_t s;
        if (auto e = reg(ops[1], s)) return e;
        r = make(static_cast<uint8_t>(cls | it->second | kSrcX), d, s, 0, 0);
    } else {
        int32_t imm;
        if (auto e = imm32(ops[1], imm)) return e;
        r = make(static_cast<uint8_t>(cls | it->second), d, 0, 0, imm);
    }
    int32_t t;
    if (auto e = target(ops[2], false, t)) return e;
    r.off = static_cast<int16_t>(t);
    out_.push_back(r);
    return std::nullopt;
}

// call N | call helper N | call local LABEL | call runtime N | call %rN
std::optional<AsmError> Assembler::call(const std::vector<std::string>& words) {
    if (words.size() == 1) {
        if (words[0][0] == '%') {
            uint8_t r;
            if (auto e = reg(words[0], r)) return e;
            out_.push_back(make(kJmp | 0x80 | kSrcX, r, 0, 0, 0)); // callx: register in dst (RFC 9669)
            return std::nullopt;
        }
        int32_t imm;
        if (auto e = imm32(words[0], imm)) return e;
        out_.push_back(make(kJmp | 0x80, 0, 0, 0, imm));
        return std::nullopt;
    }
    if (words.size() != 2) return err("asm-operand-count", "'call' takes a target or a mode and a target");
    if (words[0] == "local") {
        int32_t t;
        if (auto e = target(words[1], true, t)) return e;
        out_.push_back(make(kJmp | 0x80, 0, 1, 0, t));
        return std::nullopt;
    }
    if (words[0] == "helper" || words[0] == "runtime") {
        int32_t imm;
        if (auto e = imm32(words[1], imm)) return e;
        out_.push_back(make(kJmp | 0x80, 0, words[0] == "helper" ? 0 : 2, 0, imm));
        return std::nullopt;
    }
    return err("asm-bad-operand", "unknown call mode '" + words[0] + "' (helper, local, runtime)");
}

// lock [fetch] OP[32] [%rB+off], %rS
std::optional<AsmError> Assembler::lock(const std::vector<std::string>& words,
                                        const std::vector<std::string>& ops) {
    size_t i = 0;
    bool fetch = false;
    if (i < words.size() && words[i] == "fetch") {
        fetch = true;
        ++i;
    }
    if (i + 1 != words.size()) return err("asm-bad-operand", "expected 'lock [fetch] OP [mem], %reg'");
    std::string op = words[i];
    bool is32 = op.size() > 2 && op.compare(op.size() - 2, 2, "32") == 0;
    if (is32) op.resize(op.size() - 2);
    static const std::map<std::string, int32_t> codes = {{"add", 0x00}, {"or", 0x40},   {"and", 0x50},
                                                         {"xor", 0xa0}, {"xchg", 0xe1}, {"cmpxchg", 0xf1}};
    auto it = codes.find(op);
    if (it == codes.end()) return err("asm-unknown-mnemonic", "unknown atomic operation '" + words[i] + "'");
    if ((op == "xchg" || op == "cmpxchg") && fetch)
        return err("asm-bad-operand", "'" + op + "' always fetches; drop 'fetch'");
    if (auto e = need("lock " + words[i], ops, 2)) return e;
    uint8_t b, s;
    int16_t off;
    if (auto e = mem(ops[0], b, off)) return e;
    if (auto e = reg(ops[1], s)) return e;
    int32_t imm = it->second | (fetch ? 0x01 : 0);
    out_.push_back(
        make(static_cast<uint8_t>(kStx | kModeAtomic | (is32 ? kSizeW : kSizeDW)), b, s, off, imm));
    return std::nullopt;
}

std::optional<AsmError> Assembler::line(const std::string& raw_text) {
    std::string text = raw_text;
    if (auto h = text.find('#'); h != std::string::npos) text.resize(h);
    text = trim(text);
    // Labels: "name:" possibly followed by an instruction.
    while (true) {
        size_t colon = text.find(':');
        size_t space = text.find_first_of(" \t");
        if (colon == std::string::npos || (space != std::string::npos && space < colon)) break;
        std::string label = text.substr(0, colon);
        if (label.empty()) return err("asm-bad-operand", "empty label");
        if (labels_.count(label)) return err("asm-duplicate-label", "label '" + label + "' defined twice");
        labels_[label] = out_.size();
        text = trim(std::string_view(text).substr(colon + 1));
    }
    if (text.empty()) return std::nullopt;
    size_t sp = text.find_first_of(" \t");
    std::string mn = text.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : trim(std::string_view(text).substr(sp));
    // Leading space-separated words (call/lock modes), then comma-separated operands.
    auto split_commas = [](const std::string& s) {
        std::vector<std::string> v;
        if (trim(s).empty()) return v;
        std::stringstream ss(s);
        std::string part;
        while (std::getline(ss, part, ',')) v.push_back(trim(part));
        return v;
    };
    auto split_words = [](const std::string& s) {
        std::vector<std::string> v;
        std::stringstream ss(s);
        std::string w;
        while (ss >> w) v.push_back(w);
        return v;
    };
    if (mn == "exit") {
        if (!rest.empty()) return err("asm-operand-count", "'exit' takes no operand");
        if (!first_exit_) first_exit_ = out_.size();
        out_.push_back(make(kJmp | 0x90, 0, 0, 0, 0));
        return std::nullopt;
    }
    if (mn == "call") return call(split_words(rest));
    if (mn == "lock") {
        size_t bracket = rest.find('[');
        if (bracket == std::string::npos)
            return err("asm-bad-operand", "expected 'lock [fetch] OP [mem], %reg'");
        return lock(split_words(rest.substr(0, bracket)), split_commas(rest.substr(bracket)));
    }
    std::vector<std::string> ops = split_commas(rest);
    for (const auto& o : ops)
        if (o.empty()) return err("asm-bad-operand", "empty operand");
    if (mn == "lddw") {
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t d;
        uint64_t v;
        if (auto e = reg(ops[0], d)) return e;
        if (auto e = imm64(ops[1], v)) return e;
        out_.push_back(
            make(kLd | kModeImm | kSizeDW, d, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v))));
        out_.push_back(make(0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32))));
        return std::nullopt;
    }
    static const std::map<std::string, uint8_t> sizes = {
        {"b", kSizeB}, {"h", kSizeH}, {"w", kSizeW}, {"dw", kSizeDW}};
    auto sized = [&](const std::string& prefix, uint8_t& size) {
        if (mn.rfind(prefix, 0) != 0) return false;
        auto it = sizes.find(mn.substr(prefix.size()));
        if (it == sizes.end()) return false;
        size = it->second;
        return true;
    };
    uint8_t size = 0;
    if (sized("ldxs", size) && size != kSizeDW) {
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t d, b;
        int16_t off;
        if (auto e = reg(ops[0], d)) return e;
        if (auto e = mem(ops[1], b, off)) return e;
        out_.push_back(make(static_cast<uint8_t>(kLdx | kModeMemSx | size), d, b, off, 0));
        return std::nullopt;
    }
    if (sized("ldx", size)) {
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t d, b;
        int16_t off;
        if (auto e = reg(ops[0], d)) return e;
        if (auto e = mem(ops[1], b, off)) return e;
        out_.push_back(make(static_cast<uint8_t>(kLdx | kModeMem | size), d, b, off, 0));
        return std::nullopt;
    }
    if (sized("stx", size)) {
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t b, s;
        int16_t off;
        if (auto e = mem(ops[0], b, off)) return e;
        if (auto e = reg(ops[1], s)) return e;
        out_.push_back(make(static_cast<uint8_t>(kStx | kModeMem | size), b, s, off, 0));
        return std::nullopt;
    }
    if (sized("st", size)) {
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t b;
        int16_t off;
        int32_t imm;
        if (auto e = mem(ops[0], b, off)) return e;
        if (auto e = imm32(ops[1], imm)) return e;
        out_.push_back(make(static_cast<uint8_t>(kSt | kModeMem | size), b, 0, off, imm));
        return std::nullopt;
    }
    if (sized("ldabs", size) && size != kSizeDW) {
        if (auto e = need(mn, ops, 1)) return e;
        int32_t imm;
        if (auto e = imm32(ops[0], imm)) return e;
        out_.push_back(make(static_cast<uint8_t>(kLd | kModeAbs | size), 0, 0, 0, imm));
        return std::nullopt;
    }
    if (sized("ldind", size) && size != kSizeDW) {
        if (auto e = need(mn, ops, 2)) return e;
        uint8_t s;
        int32_t imm;
        if (auto e = reg(ops[0], s)) return e;
        if (auto e = imm32(ops[1], imm)) return e;
        out_.push_back(make(static_cast<uint8_t>(kLd | kModeInd | size), 0, s, 0, imm));
        return std::nullopt;
    }
    if (mn[0] == 'j') return jump(mn, ops);
    return alu(mn, ops);
}

Result<std::vector<RawInsn>> Assembler::run(std::string_view source) {
    std::stringstream ss{std::string(source)};
    std::string text;
    line_ = first_line_ - 1;
    while (std::getline(ss, text)) {
        ++line_;
        if (!text.empty() && text.back() == '\r') text.pop_back();
        if (auto e = line(text)) return make_error(e->code, e->message);
    }
    if (first_exit_ && !labels_.count("exit")) labels_["exit"] = *first_exit_;
    for (const Fixup& f : fixups_) {
        line_ = f.line;
        auto it = labels_.find(f.label);
        if (it == labels_.end()) {
            auto e = err("asm-unknown-label", "unknown label '" + f.label + "'");
            return make_error(e.code, e.message);
        }
        int64_t rel = static_cast<int64_t>(it->second) - static_cast<int64_t>(f.pc) - 1;
        if (f.in_imm) {
            out_[f.pc].imm = static_cast<int32_t>(rel);
        } else {
            if (rel < std::numeric_limits<int16_t>::min() || rel > std::numeric_limits<int16_t>::max()) {
                auto e = err("asm-out-of-range", "label '" + f.label + "' is too far for a 16-bit offset");
                return make_error(e.code, e.message);
            }
            out_[f.pc].off = static_cast<int16_t>(rel);
        }
    }
    return std::move(out_);
}

} // namespace

Result<std::vector<RawInsn>> assemble(std::string_view source, uint32_t first_line) {
    return Assembler(first_line == 0 ? 1 : first_line).run(source);
}

Result<ConformanceCase> parse_conformance(std::string_view text) {
    ConformanceCase c;
    enum class Sec { None, Asm, Raw, Mem, Result, Error, Ignored } sec = Sec::None;
    std::stringstream ss{std::string(text)};
    std::string line, raw_words, mem_words, result_text;
    uint32_t n = 0;
    while (std::getline(ss, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string t = trim(line);
        if (t.rfind("--", 0) == 0) {
            std::string name = trim(std::string_view(t).substr(2));
            if (name == "asm") {
                sec = Sec::Asm;
                c.asm_first_line = n + 1;
            } else if (name == "raw")
                sec = Sec::Raw;
            else if (name == "mem")
                sec = Sec::Mem;
            else if (name == "result")
                sec = Sec::Result;
            else if (name == "error")
                sec = Sec::Error;
            else if (name == "c" || name == "no register offset")
                sec = Sec::Ignored;
            else {
                c.unknown_sections.push_back(name);
                sec = Sec::Ignored;
            }
            continue;
        }
        switch (sec) {
        case Sec::Asm: c.asm_text += line + "\n"; break;
        case Sec::Raw: raw_words += " " + t; break;
        case Sec::Mem: mem_words += " " + t; break;
        case Sec::Result:
            if (!t.empty()) result_text = t;
            break;
        case Sec::Error:
            if (!t.empty()) c.error = t;
            break;
        default: break;
        }
    }
    std::stringstream mw(mem_words);
    std::string w;
    while (mw >> w) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v, 16);
        if (ec != std::errc() || p != w.data() + w.size() || v > 0xff)
            return make_error("conformance-bad-mem", "bad memory byte '" + w + "'");
        c.mem.push_back(static_cast<uint8_t>(v));
    }
    std::stringstream rw(raw_words);
    while (rw >> w) {
        bool neg;
        uint64_t v;
        if (!parse_number(w, neg, v) || neg)
            return make_error("conformance-bad-raw", "bad raw word '" + w + "'");
        RawInsn r;
        r.opcode = static_cast<uint8_t>(v);
        r.dst = static_cast<uint8_t>((v >> 8) & 0xf);
        r.src = static_cast<uint8_t>((v >> 12) & 0xf);
        r.off = static_cast<int16_t>(static_cast<uint16_t>(v >> 16));
        r.imm = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
        c.raw.push_back(r);
    }
    if (!result_text.empty()) {
        bool neg;
        uint64_t v;
        if (!parse_number(result_text, neg, v) || neg)
            return make_error("conformance-bad-result", "bad result '" + result_text + "'");
        c.result = v;
    }
    return c;
}

Result<std::vector<RawInsn>> conformance_program(const ConformanceCase& c) {
    if (!c.raw.empty()) return c.raw;
    return assemble(c.asm_text, c.asm_first_line);
}

} // namespace tailgate
