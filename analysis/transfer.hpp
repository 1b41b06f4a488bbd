// Transfer functions: the semantics of each instruction kind on the abstract state, one function per kind.
//
// These functions only compute what the instruction does; they never report. Safety is checked
// separately (analysis/checks.hpp) on the state *before* the instruction, as PREVAIL separates its
// assertion checking from its semantics. When an instruction would fail a check, the transfer function
// still yields a sound over-approximation (usually an unknown scalar) so that the analysis can go on.
//
// bpf2bpf calls and exit are handled by the fixpoint (analysis/fixpoint.hpp), which owns the frames.
#pragma once

#include <cstdint>

#include "analysis/abstract_state.hpp"
#include "verifier/ctx_layout.hpp"
#include "verifier/helper_protos.hpp"
#include "verifier/object.hpp"

namespace tailgate {

// Everything about the program that the transfer functions and checks read.
struct AnalysisEnv {
    const Object* obj = nullptr;
    const Program* prog = nullptr;
    const CtxLayout* ctx = nullptr; // nullptr: tailgate has no ctx table for the type
    CtxOptions ctx_opts;
    const HelperRegistry* helpers = nullptr;
    bool allow_uninit_stack = false; // VerifyOptions::allow_uninit_stack
    bool allow_ptr_leaks = false;    // VerifyOptions::allow_ptr_leaks
};

// Whether pointers a and b (non-NULL kinds) point into one object, so that their offsets order them and
// their difference is the difference of their offsets: one frame's stack, the packet, the ctx, the flow
// keys, one piece of helper memory (the same reference), or a value of a map with a single element (global
// data; not an inner map template, which stands for many maps) or of the same lookup (the same id). Values
// of one map from two lookups may be two elements.
bool same_object(const RegValue& a, const RegValue& b, const AnalysisEnv& env);

// One function per instruction kind (reads and writes `s`, s not bottom).
void exec_alu(const Alu& a, State& s, const AnalysisEnv& env);
void exec_endian(const Endian& e, State& s);
void exec_lddw(const LoadImm64& l, uint32_t pc, State& s, const AnalysisEnv& env);
void exec_load(const Load& l, uint32_t pc, State& s, const AnalysisEnv& env);
void exec_store(const Store& st, State& s);
void exec_atomic(const Atomic& a, State& s);
void exec_load_packet(const LoadPacket& l, State& s);
// The map a helper call names (its ConstMapPtr argument, a map or prog array pointer), or nullptr.
const MapDef* call_map(const Frame& f, const HelperProto& p, const AnalysisEnv& env);
// Helper call (including tail_call 12, which falls through here). Unknown helpers clobber like any call.
void exec_call(const Call& c, uint32_t pc, State& s, const AnalysisEnv& env);
// Dispatch for every straight-line kind (not Jump/Goto/CallLocal/Exit, which the fixpoint handles).
void exec_insn(const Insn& insn, uint32_t pc, State& s, const AnalysisEnv& env);

// Refine `s` for the edge of a conditional jump where the condition is `taken` or not. Sets s.bottom
// when the edge is infeasible. kernel: verifier.c check_cond_jmp_op() (reg_set_min_max,
// find_good_pkt_pointers, mark_ptr_or_null_regs, is_branch_taken).
void assume(const Jump& j, bool taken, State& s, const AnalysisEnv& env);

// --- helpers shared with checks -------------------------------------------------------------------------
// The value of a jump / ALU operand.
RegValue operand_value(const Frame& f, const Operand& o, bool is64);
// Stack access [off, off+size) (r10-relative, off possibly variable) of frame `frame`: byte index range
// [lo, hi) covering every possible access, clipped to nothing when entirely outside.
struct ByteRange {
    int64_t lo = 0, hi = 0; // r10-relative, hi exclusive
    bool constant = true;
};
ByteRange access_range(const ScalarValue& base_off, int64_t off, int64_t size);
// The value of the `size` bytes at constant r10-relative offset `off` of frame `f` (a load).
RegValue read_stack(const Frame& f, int64_t off, int size, bool sign_extend);
// Mark [lo, hi) of frame f as written with `v` (strong update when `strong`, else weak).
void write_stack(Frame& f, int64_t lo, int64_t hi, bool strong, const RegValue* v, bool zero);
// The constant of a readonly map value read (global .rodata), if known.
std::optional<uint64_t> read_rodata(const MapDef& m, int64_t off, int size);
// Packet bytes proved accessible after a packet pointer: the largest k with offset + k <= pkt_size
// (meta: meta_size), or nullopt.
std::optional<int64_t> packet_avail(const Frame& f, Reg r);

} // namespace tailgate
