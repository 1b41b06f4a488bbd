// Assembler for the bpf_conformance suite's eBPF assembly syntax (the `-- asm` sections of its .data files),
// and a parser for those .data files.
//
// Syntax (one instruction per line; `#` starts a comment; `name:` defines a label, alone or before an insn):
//   mov %r0, 1        add32 %r1, %r2       neg %r3          sdiv %r0, -3      movsx1632 %r0, %r1
//   be16 %r0          le64 %r0             swap32 %r0 (= bswap32)
//   ldxdw %r0, [%r1+8]   ldxsb %r0, [%r10-1]   stw [%r10-4], 7   stxb [%r1], %r2
//   lock add [%r10-8], %r1   lock fetch xor32 [%r1+4], %r2   lock xchg [...], %r1   lock cmpxchg32 [...], %r1
//   lddw %r0, 0x1122334455667788
//   ja L1   ja +2   ja32 L1   jeq %r1, 5, L2   jsgt32 %r1, %r2, -3
//   call 5   call helper 5   call local func   call %r2   exit
//   ldabsw 12   ldindh %r2, 4   (legacy packet loads)
// Immediates: decimal or 0x-hex, optionally signed; 32-bit fields accept [-2^31, 2^32). A jump target is a
// label or a signed relative offset (+N/-N, in slots after the next insn). The label `exit` names the first
// `exit` instruction unless the program defines it. Registers are %r0..%r10 (%r11..%r15 encode, for negative
// tests, and fail later in decode()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/isa.hpp"
#include "verifier/result.hpp"

namespace tailgate {

// Assemble a whole program. Fails on the first bad line; the message starts with "line N: " (1-based, counted
// in `source`, plus `first_line - 1`). Codes: asm-unknown-mnemonic, asm-operand-count, asm-bad-operand,
// asm-bad-register, asm-out-of-range, asm-unknown-label, asm-duplicate-label.
Result<std::vector<RawInsn>> assemble(std::string_view source, uint32_t first_line = 1);

// One bpf_conformance .data file.
struct ConformanceCase {
    std::string asm_text;             // the `-- asm` section (empty when absent)
    uint32_t asm_first_line = 0;      // line number of the first asm line in the file
    std::vector<RawInsn> raw;         // the `-- raw` section as instructions (empty when absent)
    std::vector<uint8_t> mem;         // `-- mem` bytes
    std::optional<uint64_t> result;   // `-- result`
    std::optional<std::string> error; // `-- error`
    // Sections the suite's own parser does not know (the suite skips such files). `-- c` and
    // `-- no register offset` are known and ignored, as the suite does.
    std::vector<std::string> unknown_sections;
};

// Parse a .data file as the suite's runner does (bpf_test_parser.cc). Codes: conformance-bad-mem,
// conformance-bad-raw, conformance-bad-result.
Result<ConformanceCase> parse_conformance(std::string_view text);

// The program of a case: `-- raw` when present (as the suite's runner does), else the assembled `-- asm`.
Result<std::vector<RawInsn>> conformance_program(const ConformanceCase& c);

} // namespace tailgate
