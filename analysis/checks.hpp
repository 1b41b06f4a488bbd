// Safety checks: a visitor over the instructions that reads the abstract state *before* each instruction
// and reports what could go wrong, separate from the semantics (analysis/transfer.hpp).
//
// Reads: the state, the program, the ctx table (verifier/ctx_layout.hpp) and the helper table
// (verifier/helper_protos.hpp). Writes: diagnostics (deduplicated per code and instruction), the tail-call
// sites with their proved index ranges, the ctx accesses the runtime rewrites, and the deepest stack byte
// each function touches.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/abstract_state.hpp"
#include "analysis/diagnostics.hpp"
#include "analysis/transfer.hpp"

namespace tailgate {

struct TailCallSite {
    uint32_t insn = 0;
    uint32_t function = 0; // index into Program::functions of the function holding the call
    // Every prog array r2 holds here, over all paths and calling contexts (several when a subprogram gets
    // the map as an argument: kernel selftest tailcall_bpf2bpf_hierarchy3; record_func_map() then poisons
    // the site's map and the JIT calls through whatever r2 holds), sorted; empty when r2 is never one.
    std::vector<int32_t> maps;
    int32_t map = -1;                   // the map when there is exactly one, else -1
    std::vector<std::string> map_names; // their names, in the order of `maps`

    uint64_t index_min = 0, index_max = 0xffffffffULL; // proved range of the u32 index (r3)
    std::vector<std::string> targets;                  // filled by analyze_objects(): programs in known slots
    // Some slot inside the proved index range has unknown contents ("dynamic" in a manifest, or no static
    // initialisation and no flag): the site may then reach any program of a compatible type.
    bool unknown_slots = false;
};

// The site's prog arrays for people: "jmp_table", "a or b", or "" when r2 is no prog array.
std::string map_label(const TailCallSite& site);

struct CtxAccessRecord {
    uint32_t insn = 0;
    int64_t offset = 0; // ctx offset (register offset + instruction offset)
    uint8_t size = 0;
    bool is_write = false;
};

struct CheckSink {
    std::vector<Diagnostic> diags;
    std::set<std::pair<uint32_t, std::string>> seen; // (insn, code) already reported
    std::map<uint32_t, TailCallSite> tail_calls;
    std::map<uint32_t, CtxAccessRecord> ctx_accesses;
    // per load/store/atomic: the pointer kind it first went through (kernel insn_aux_data ptr_type)
    std::map<uint32_t, std::pair<Kind, SockView>> access_bases;
    std::vector<int64_t> stack_depth; // per function: deepest byte below r10 touched (bytes)

    void report(const AnalysisEnv& env, Severity sev, const std::string& code, uint32_t insn,
                std::string message);
    void note_stack(uint32_t function, int64_t depth);
};

// Check one straight-line instruction (everything except Jump/Goto/CallLocal/Exit, which have their own
// entry points below) against the state before it.
void check_insn(const Insn& insn, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink);
// Conditional jump operands: initialised; pointer comparisons that mean nothing are allowed (privileged).
void check_jump(const Jump& j, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink);
// Exit: r0 initialised; for the main function r0 a scalar within the program type's return range
// (kernel: verifier.c check_return_code()), pointers reported as pointer-leak.
void check_exit(uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink);

} // namespace tailgate
