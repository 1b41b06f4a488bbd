// verify_program(): the verifier's public entry. Runs the abstract interpreter over one program of a loaded
// object, the safety checks, the stack rules and the per-site tail-call checks, and returns the report the
// CLI prints and the runtime consumes (ctx accesses to rewrite).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/checks.hpp"
#include "analysis/diagnostics.hpp"
#include "verifier/ctx_conversion.hpp"
#include "verifier/helper_protos.hpp"
#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate {

// `--prog-array MAP:IDX=PROG`: slot IDX of prog-array MAP holds program PROG.
struct ProgArrayAssignment {
    std::string map;
    uint32_t index = 0;
    std::string program;
};

struct VerifyOptions {
    bool strict = false; // warnings reject too
    std::vector<ProgArrayAssignment> prog_array;
    const HelperRegistry* helpers = nullptr; // nullptr: the built-in table
    uint32_t tracepoint_size = 0;            // ctx size of a tracepoint program (0: kernel bound)
    // kernel: env->allow_uninit_stack (privileged loads, CAP_PERFMON, since 6.3 "bpf: Allow reads from
    // uninit stack"): a read of stack bytes never written, directly or by a helper, gives an unknown value
    // instead of `uninitialized-register`. Off: the unprivileged rule, which refuses such reads.
    bool allow_uninit_stack = false;
    // kernel: env->allow_ptr_leaks (bpf_allow_ptr_leaks(): CAP_PERFMON): a pointer may be stored into a map
    // value, the packet or the ctx, passed as a plain helper argument, read through a helper or changed by
    // an atomic operation on the stack; it is a number from then on. Off: the unprivileged rule, which
    // reports each as pointer-leak. (A pointer is still filled whole, and r0 at exit is still a number.)
    bool allow_ptr_leaks = false;
};

enum class Verdict : uint8_t { Accepted, Rejected };
const char* verdict_name(Verdict v); // "accepted", "rejected"

// Per function of the program (main function first).
struct FunctionReport {
    std::string name;
    uint32_t start = 0;
    int64_t stack_depth = 0; // deepest byte below r10 the function touches
    bool has_tail_call = false;
    int64_t max_caller_stack = 0; // largest sum of callers' frames (rounded to 16) on a path from main
};

struct ProgramReport {
    std::string name;
    std::string section;
    ProgType type = ProgType::Unspec;
    Verdict verdict = Verdict::Accepted;
    uint32_t instructions = 0;
    int64_t stack_depth = 0;              // the main function's (kernel: prog->aux->stack_depth)
    std::vector<TailCallSite> tail_calls; // by instruction; targets: static slots + --prog-array in range
    std::vector<Diagnostic> diagnostics;  // sorted by instruction
    std::vector<CtxAccessRecord> ctx_accesses; // by instruction
    std::vector<FunctionReport> functions;
    // Whole-object results (analysis/whole_object.hpp), set when the program was analysed with its objects:
    // the longest chain of tail calls from it (at most 33) and the worst-case stack over such a chain.
    std::optional<int> max_chain_length;
    std::optional<int64_t> chain_stack_bytes;

    size_t errors() const;
    size_t warnings() const;
};

// Reads: obj.programs[program_index] and obj.maps. Fails with "bad-program-index" when out of range;
// everything about the program itself is reported as diagnostics, never as an Error.
Result<ProgramReport> verify_program(const Object& obj, size_t program_index, const VerifyOptions& options);

// kernel: core.c __bpf_prog_map_compatible(): may a prog array owned by `owner` (of `owner_obj`) hold `fp`
// (of `fp_obj`)? The same program type (or a declared ctx conversion, then *conversion is set), expected
// attach type and xdp_has_frags, and no cgroup storage but the owner's. Returns "" when it may, else why not.
std::string prog_array_incompatibility(const Object& owner_obj, const Program& owner, const Object& fp_obj,
                                       const Program& fp, const CtxConversion** conversion);

// The programs a prog-array slot range can hold: static slots and --prog-array assignments with index in
// [lo, hi], in slot order (duplicates removed).
std::vector<std::string> prog_array_targets(const Object& obj, int32_t map, uint64_t lo, uint64_t hi,
                                            const VerifyOptions& options);

} // namespace tailgate
