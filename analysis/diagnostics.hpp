// Diagnostics: what the verifier reports about a program, and the table of stable diagnostic codes.
//
// Every check emits Diagnostics with one of the codes of diagnostic_codes() (issue 3 item 4); the table
// is also where the SARIF rules come from. Errors reject a program; warnings do not, unless --strict;
// notes only add context (e.g. the proved tail-call index range).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/object.hpp"

namespace tailgate {

enum class Severity : uint8_t { Error, Warning, Note };
const char* severity_name(Severity s); // "error", "warning", "note"
std::optional<Severity> severity_from_name(std::string_view s);

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string code;             // one of diagnostic_codes() (kebab-case), e.g. "tail-call-index"
    std::string message;          // one line, names the values involved
    std::string program;          // the program's name ("" for an object-level diagnostic)
    std::optional<uint32_t> insn; // instruction (slot) index inside the program, when about one
    std::optional<SourceLoc> loc; // from the line info of `insn`, when present
};

// Convenience constructor: fills loc from prog.lines[insn] when the program has line info.
Diagnostic make_diagnostic(Severity severity, std::string code, std::string message, const Program& prog,
                           uint32_t insn);

struct DiagnosticCode {
    std::string_view code;        // "memory-bounds"
    Severity default_severity;    // what the checks normally emit
    std::string_view name;        // "MemoryBounds" (SARIF rule name)
    std::string_view description; // one sentence
};

// Every stable code, in the order of issue 3 item 4:
// invalid-instruction, uninitialized-register, ctx-access, memory-bounds, null-dereference,
// pointer-arithmetic, pointer-leak, helper-argument, unknown-helper, invalid-return, stack-limit,
// call-depth, unbounded-loop, tail-call-ctx, tail-call-map, tail-call-index, tail-call-stack,
// tail-call-target-type; then codes of later issues (whole-object tail-call analysis).
std::span<const DiagnosticCode> diagnostic_codes();
// nullptr for a code not in the table.
const DiagnosticCode* find_diagnostic_code(std::string_view code);

// True when the diagnostic rejects the program: any error, and warnings too when strict.
inline bool is_rejecting(const Diagnostic& d, bool strict) {
    return d.severity == Severity::Error || (strict && d.severity == Severity::Warning);
}

} // namespace tailgate
