// The diagnostic code table (issue 3 item 4) and Diagnostic helpers.
#include "analysis/diagnostics.hpp"

#include <array>

namespace tailgate {

const char* severity_name(Severity s) {
    switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
    }
    return "error";
}

std::optional<Severity> severity_from_name(std::string_view s) {
    if (s == "error") return Severity::Error;
    if (s == "warning") return Severity::Warning;
    if (s == "note") return Severity::Note;
    return std::nullopt;
}

Diagnostic make_diagnostic(Severity severity, std::string code, std::string message, const Program& prog,
                           uint32_t insn) {
    Diagnostic d;
    d.severity = severity;
    d.code = std::move(code);
    d.message = std::move(message);
    d.program = prog.name;
    d.insn = insn;
    if (insn < prog.lines.size() && prog.lines[insn]) d.loc = *prog.lines[insn];
    return d;
}

namespace {
constexpr std::array<DiagnosticCode, 22> kCodes{{
    {"invalid-instruction", Severity::Error, "InvalidInstruction",
     "The instruction is malformed, unsupported, unreachable (the kernel refuses dead code), or reached where "
     "it may not execute (e.g. the second half of an lddw, a write to r10, a reference to a map that does not "
     "exist)."},
    {"uninitialized-register", Severity::Error, "UninitializedRegister",
     "A register is read before any path has written it."},
    {"ctx-access", Severity::Error, "CtxAccess",
     "A context access uses an offset, size or write that the program type's ctx layout does not allow."},
    {"memory-bounds", Severity::Error, "MemoryBounds",
     "A stack, packet, map value or ctx access may fall outside the object it points into."},
    {"null-dereference", Severity::Error, "NullDereference",
     "A pointer that may be NULL (e.g. a map lookup result not yet checked) is dereferenced."},
    {"pointer-arithmetic", Severity::Error, "PointerArithmetic",
     "Arithmetic on a pointer that the kernel prohibits (unbounded or unknown offsets, operations other than "
     "add/sub, arithmetic on ctx or map pointers)."},
    {"pointer-leak", Severity::Error, "PointerLeak",
     "A kernel pointer escapes to memory or a value where user space could read it."},
    {"helper-argument", Severity::Error, "HelperArgument",
     "A helper call argument does not have the kind, size or initialisation the helper prototype requires."},
    {"unknown-helper", Severity::Error, "UnknownHelper",
     "The program calls a helper that does not exist or is not allowed for its program type."},
    {"invalid-return", Severity::Error, "InvalidReturn",
     "r0 at program exit is not initialised, is a pointer, or is outside the range the program type allows."},
    {"stack-limit", Severity::Error, "StackLimit",
     "A frame uses more than 512 bytes of stack, or the frames of a call chain do together."},
    {"call-depth", Severity::Error, "CallDepth", "The bpf2bpf call chain is deeper than 8 frames."},
    {"unbounded-loop", Severity::Error, "UnboundedLoop", "Termination of a loop could not be proved."},
    {"tail-call-ctx", Severity::Error, "TailCallCtx",
     "The first argument (r1) of bpf_tail_call is not the unmodified ctx pointer of this program."},
    {"tail-call-map", Severity::Error, "TailCallMap",
     "The second argument (r2) of bpf_tail_call is not a constant pointer to a PROG_ARRAY map."},
    {"tail-call-index", Severity::Warning, "TailCallIndex",
     "The index (r3) of bpf_tail_call may be at or above the prog array's max_entries; the tail call then "
     "falls through."},
    {"tail-call-stack", Severity::Error, "TailCallStack",
     "A subprogram that tail-calls is reached while its callers' frames hold 256 bytes or more of stack "
     "(kernel check_max_stack_depth_subprog)."},
    {"tail-call-target-type", Severity::Error, "TailCallTargetType",
     "The prog array can hold a program whose type or ctx differs from the caller's."},
    // Whole-object tail-call analysis (analysis/tail_call_graph.hpp).
    {"tail-call-chain-stack", Severity::Error, "TailCallChainStack",
     "The stack over a chain of up to 33 tail calls, with the caller frames kept below tail calls made from "
     "subprograms, exceeds --max-chain-stack."},
    {"tail-call-chain", Severity::Note, "TailCallChain",
     "A tail call on a cycle: a chain can reach the limit of 33 tail calls, after which the call falls "
     "through."},
    // References acquired from helpers (analysis/abstract_state.hpp State::refs).
    {"spin-lock", Severity::Error, "SpinLock",
     "bpf_spin_lock misuse: a second lock, an unlock without the lock or of another one, a helper call, tail "
     "call or LD_ABS while holding it, an exit with it held, or a load/store of the lock itself."},
    {"reference-leak", Severity::Error, "ReferenceLeak",
     "A reference acquired from a helper (bpf_ringbuf_reserve, bpf_sk_lookup_*) may still be held at program "
     "exit or at a tail call, or is acquired again before it was released."},
}};
} // namespace

std::span<const DiagnosticCode> diagnostic_codes() {
    return kCodes;
}

const DiagnosticCode* find_diagnostic_code(std::string_view code) {
    for (const auto& c : kCodes)
        if (c.code == code) return &c;
    return nullptr;
}

} // namespace tailgate
