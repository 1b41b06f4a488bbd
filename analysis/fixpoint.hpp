// The forward fixpoint: each function is analysed over its weak topological order (analysis/wto.hpp) with
// widening at loop heads (after two plain joins) and two narrowing passes, then one checking pass that runs
// the safety checks (analysis/checks.hpp) on the stabilised states.
//
// States are kept per basic block (post-states, and pre-states of loop heads), never per instruction.
// Outside loop heads a block's state is a small disjunction (Disjuncts): where paths meet with a register
// or spilled slot holding different kinds of value (a packet pointer on one path, a stack buffer or NULL
// on another: `p = in_packet ? hdr : (copied ? buf : NULL)`), joining would leave a value that is neither
// and the program would be rejected, while the kernel explores each path on its own and accepts it. Such
// states stay apart (up to kMaxDisjuncts per block, then they are joined), and so do states that differ in
// which stack bytes are written (a result written through a pointer on some paths only); loop heads join
// everything, so widening and the termination proof see one state.
// A bpf2bpf call is analysed in context: the callee's own fixpoint runs on the caller's state with a new
// frame pushed, once per call site and calling context (results are cached per site and entry state), up
// to 8 frames (kernel MAX_CALL_FRAMES). Its exit states come back apart, as disjuncts, so the caller's
// check of the result (`if (!pick(&out)) return`) can drop the paths that did not write `out`.
//
// bpf_loop(nr_loops, callback, ctx, flags) and bpf_for_each_map_elem(map, callback, ctx, flags): the
// callback is analysed like a bpf2bpf callee (a new frame; r1 = the index, r2 = ctx for bpf_loop; r1 = map,
// r2 = key, r3 = value, r4 = ctx for for_each) but as a loop body: the state after the helper is the
// fixpoint of "the caller's state, or the caller's state after one more run of the callback" (zero to N
// runs), with widening.
//
// Termination: every loop head gets a ghost counter in the zone (0 on entry, +1 on each back edge) and
// snapshots of r0..r9 at the head. After narrowing, a loop is proved to terminate when its counter is
// bounded, or when some register is bounded at the head and strictly monotone along every back edge (a
// ranking function). Otherwise it is reported as `unbounded-loop`: the analysis could not bound the number
// of iterations (e.g. the exit condition never bounds the loop variable).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "analysis/abstract_state.hpp"
#include "analysis/checks.hpp"
#include "analysis/transfer.hpp"
#include "analysis/wto.hpp"

namespace tailgate {

// A block's states: each is analysed on its own; empty means unreachable.
using Disjuncts = std::vector<State>;

class Analyzer {
  public:
    // Reads env.prog / env.obj for the whole run; reports into `sink`.
    Analyzer(const AnalysisEnv& env, CheckSink& sink);

    // The state at the program's entry: r1 = ctx, r10 = frame pointer, everything else uninitialised.
    State entry_state() const;
    // Analyse function `fn` from `entry` (whose top frame belongs to fn). With `checking`, the checks run
    // on the stabilised states (and in every callee reached). Returns the states at its exits, kept apart
    // where joining would lose a pointer or a result written into a caller's frame (empty when it never
    // returns).
    Disjuncts analyze_function(uint32_t fn, const State& entry, bool checking);

    const FunctionCfg& cfg(uint32_t fn);
    // For stack_check: the bpf2bpf call sites seen (caller function, insn, callee function).
    struct CallSite {
        uint32_t caller = 0, insn = 0, callee = 0;
    };
    const std::vector<CallSite>& call_sites() const { return call_sites_; }

  private:
    struct Run;
    void run_elems(Run& run, const std::vector<WtoElem>& elems);
    void run_component(Run& run, const WtoElem& comp);
    void forget_states(Run& run, const std::vector<WtoElem>& elems);
    Disjuncts pull(Run& run, uint32_t b);
    Disjuncts edge_state(Run& run, uint32_t p, uint32_t b);
    uint32_t exec_zext_idiom(Run& run, uint32_t pc, uint32_t end, State& st);
    bool loop_terminates(Run& run, uint32_t h, const State& pre);
    bool refine_induction(Run& run, uint32_t h, State& pre);
    void exec_block(Run& run, uint32_t b, const Disjuncts& in);
    void exec_block_state(Run& run, uint32_t b, State st, uint32_t from);
    Disjuncts exec_call_local(const CallLocal& c, uint32_t pc, const State& s, bool checking);
    State exec_callback_call(const Call& c, uint32_t pc, const State& s, bool checking);
    bool may_enter(uint32_t callee, uint32_t pc, const State& s, bool checking);
    Frame new_frame(uint32_t fn) const;

    const AnalysisEnv& env_;
    CheckSink& sink_;
    std::vector<std::unique_ptr<FunctionCfg>> cfgs_;
    std::vector<int64_t> thr_signed_;
    std::vector<uint64_t> thr_unsigned_;
    struct CacheEntry {
        State entry;
        Disjuncts exits;
        bool checked = false;
    };
    std::map<uint32_t, std::vector<CacheEntry>> cache_; // per call-site insn
    std::vector<CallSite> call_sites_;
};

} // namespace tailgate
