// The runtime core shared by the engines (interpreter, JIT) and the maps/helpers/run layer.
//
// Contract (other runtime engineers rely on this; change it only together with the owner, 'interp'):
//  * LoadedProgram: one program ready to run: decoded insns (after ctx-access rewriting), function starts,
//    stack size, the MapTable its lddw's resolve against, and (when JITed) its native entry points.
//    LoadedPrograms live as long as the runtime that created them; engines keep raw pointers to them.
//  * lddw resolution: the Insn LoadImm64 with pseudo 1 (map) or 2 (map value) carries imm_lo = index into
//    Object::maps. At run time it indexes the program's MapTable (std::vector<MapEntry>):
//      pseudo 1 -> reinterpret_cast<uint64_t>(&table[imm_lo])           (a MapEntry*, the "map pointer")
//      pseudo 2 -> reinterpret_cast<uint64_t>(table[imm_lo].value_base) + (uint32_t)imm_hi
//    Helpers therefore receive a MapEntry* wherever the kernel passes a `struct bpf_map *`; use map_of().
//    MapEntry is standard layout so the JIT can read `progs` at a fixed offset.
//  * Maps: rt::Map (runtime/maps.hpp, rtenv) holds ordinary maps; MapEntry::map points at it. Prog arrays are
//    read by the engines through MapEntry::progs, a ProgArray (below) whose slots are the atomics that count:
//    whoever builds the MapTable creates one ProgArray per prog-array MapDef (Map's own prog slots are not
//    read by the engines).
//  * Helpers: HelperFn(r1..r5, env) -> r0, looked up by id in a HelperTable owned by the runtime instance
//    (no globals). Register every helper before loading/JITing programs: the JIT may bake addresses in.
//    Helper 12 (bpf_tail_call) is never called through the table: both engines perform it inline.
//  * bpf_tail_call(ctx, map, index), exactly as the kernel's x86-64 JIT (emit_bpf_tail_call_indirect):
//      idx = (uint32_t)r3; pa = ((MapEntry*)r2)->progs;  (pa == nullptr: not a prog array -> fall through)
//      if idx >= pa->max_entries                  -> fall through
//      if env->tail_call_cnt >= kMaxTailCallCnt   -> fall through (33 tail calls per chain)
//      target = pa->slots[idx].load(acquire); if !target -> fall through, NOT counted
//      env->tail_call_cnt++; continue at the target's first insn with r1 unchanged (the ctx), the
//      current frame's stack replaced by the target's own frame, no native stack growth.
//    After a fall-through r0 is 0. The counter is shared by the whole chain (ExecEnv), including tail calls
//    made from bpf2bpf subprograms. A tail call from a subprogram replaces only that frame: when the target
//    exits, its r0 returns to the subprogram's caller (r6-r9 of the caller restored as for a normal return).
//  * Prog-array updates from another thread: ProgArray::set() is an atomic release store; engines load the
//    slot with acquire, so a running chain sees the old or the new program, never a torn one.
//  * Per run: ExecEnv (below). Initial registers: r1..r5 = env.args[0..4] (args[0] is the ctx pointer; the
//    others are 0 except for the conformance plugin, which passes the memory length in r2), r10 = top of
//    a fresh 512-byte stack frame. A helper can end the program at once by setting env->stop (r0 =
//    env->stop_value): engines test it after every helper call (used for "unwind" and for aborts). Both
//    engines reset env.tail_call_cnt and env.stop when a run starts (a run is a new chain).
//  * bpf2bpf: at most 8 frames per program (kernel MAX_CALL_FRAMES); a tail call from a subprogram at frame d
//    starts the target's count at d, so one chain may nest deeper (as in the kernel's JIT).
//  * LD_ABS/LD_IND read env.packet[0, packet_len) in network byte order; out of bounds ends the program with
//    r0 = 0 (kernel: bpf_skb_load_helper_*; the interpreter's and JIT's "return 0" path).
//  * Callbacks (bpf_loop, bpf_for_each_map_elem): an lddw pseudo 4 (BPF_PSEUDO_FUNC) yields a callback value
//    whose meaning is the engine's own; a helper calls it with call_callback(env, value, r1..r5), which runs
//    the function in a new frame on top of the helper's caller (its stack stays valid: callback_ctx points
//    into it) with a bpf2bpf budget of its own, and returns its r0. A tail call inside a callback replaces
//    the callback's frame (its target's r0 is the callback's). Callbacks nest at most kMaxCallFrames deep.
//    Both engines refuse callbacks in checked mode (bad-callback): their frames are not in its stack model.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "verifier/ctx_conversion.hpp"
#include "verifier/helper_protos.hpp"
#include "verifier/isa.hpp"
#include "verifier/object.hpp"
#include "verifier/prog_type.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

struct ExecEnv;
struct LoadedProgram;

// A helper: r0 = fn(r1, r2, r3, r4, r5, env).
using HelperFn = uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, ExecEnv*);

// id -> helper. Ids are the kernel's (enum bpf_func_id) for kernel helpers, below kFirstHostHelperId; a host
// registers its own in [kFirstHostHelperId, kHelperIdEnd) (verifier/helper_protos.hpp) with a prototype the
// verifier's registry also knows (Runtime::register_helper). Two dense parts, one per id range.
class HelperTable {
  public:
    static constexpr int32_t kMaxHelperId = kHelperIdEnd;
    // Fails (returns false) for an id outside [0, kMaxHelperId) or a null fn.
    bool set(int32_t id, HelperFn fn) {
        if (id < 0 || id >= kMaxHelperId || fn == nullptr) return false;
        std::vector<HelperFn>& part = id < kFirstHostHelperId ? kernel_ : host_;
        const size_t i = index(id);
        if (i >= part.size()) part.resize(i + 1, nullptr);
        part[i] = fn;
        return true;
    }
    // nullptr when no helper has this id.
    HelperFn get(int32_t id) const {
        if (id < 0) return nullptr;
        const std::vector<HelperFn>& part = id < kFirstHostHelperId ? kernel_ : host_;
        const size_t i = index(id);
        return i < part.size() ? part[i] : nullptr;
    }
    // callx (unverified code only): the register holds a helper id (the uBPF / bpf_conformance convention);
    // a value outside the table's range is id -1.
    static int64_t callx_id(uint64_t reg) {
        return reg < static_cast<uint64_t>(kMaxHelperId) ? static_cast<int64_t>(reg) : -1;
    }

  private:
    std::vector<HelperFn> kernel_; // ids [0, kFirstHostHelperId)
    std::vector<HelperFn> host_;   // ids [kFirstHostHelperId, kMaxHelperId), index id - kFirstHostHelperId

    // Index of id (>= 0) in its part.
    static size_t index(int32_t id) {
        return static_cast<size_t>(id < kFirstHostHelperId ? id : id - kFirstHostHelperId);
    }
};

// A map as the helpers see it: the rtenv engineer's concrete class (runtime/maps.hpp). Engines never call it;
// only helpers do, so vm.hpp needs just the name.
class Map;

// A BPF_MAP_TYPE_PROG_ARRAY at run time. Slots hold LoadedProgram pointers, updated atomically.
struct ProgArray {
    uint32_t max_entries = 0;
    std::unique_ptr<std::atomic<const LoadedProgram*>[]> slots;

    explicit ProgArray(uint32_t n) : max_entries(n), slots(new std::atomic<const LoadedProgram*>[n]) {
        for (uint32_t i = 0; i < n; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
    }
    // nullptr when out of range or empty.
    const LoadedProgram* get(uint32_t index) const {
        return index < max_entries ? slots[index].load(std::memory_order_acquire) : nullptr;
    }
    // false when index >= max_entries (kernel: -E2BIG). prog may be nullptr (delete).
    bool set(uint32_t index, const LoadedProgram* prog) {
        if (index >= max_entries) return false;
        slots[index].store(prog, std::memory_order_release);
        return true;
    }
};
static_assert(sizeof(std::unique_ptr<std::atomic<const LoadedProgram*>[]>) == sizeof(void*));

// One entry per Object::maps index. Exactly one of map / progs is set for a real map.
struct MapEntry {
    Map* map = nullptr;            // ordinary maps (what helpers operate on)
    ProgArray* progs = nullptr;    // prog arrays (what bpf_tail_call reads)
    uint8_t* value_base = nullptr; // array/global data: address of the value of key 0 (lddw pseudo 2 base)
};
static_assert(std::is_standard_layout_v<MapEntry>);
using MapTable = std::vector<MapEntry>;

// The MapEntry an lddw pseudo 1 produced (helpers get it in a register).
inline MapEntry* map_entry_of(uint64_t reg) {
    return reinterpret_cast<MapEntry*>(reg);
}
inline Map* map_of(uint64_t reg) {
    return reg ? map_entry_of(reg)->map : nullptr;
}

// Faults of unverified code (verified code cannot reach them): how a run ends when the program does what the
// kernel's verifier would have refused. Both engines report a fault as the same Error (run_fault_error), so
// `tailgate run` prints the same line for either engine.
enum class RunFault : uint32_t {
    None = 0,
    UnknownHelper,   // "unknown-helper": no helper with the id (detail = the id; callx: -1 when out of range)
    CallxTailCall,   // "unknown-helper": callx naming bpf_tail_call (the engines perform it only inline)
    CallDepth,       // "call-depth-exceeded": a bpf2bpf call needing a 9th frame
    FellOff,         // "pc-out-of-range": execution ran past the last instruction (pc = the count)
    LoadOutOfBounds, // "out-of-bounds-access" (checked mode; detail = the access width)
    StoreOutOfBounds,  //   idem, a store
    AtomicOutOfBounds, //   idem, an atomic
    BadTailCallMap,    // "bad-tail-call-map" (checked mode): r2 of a tail call is not a map of the program
    LddwPseudo,        // "bad-lddw": an lddw pseudo the runtime does not resolve (detail = the pseudo: 3, 4)
    LddwNoMap,         // "bad-lddw": an lddw map index with no MapTable entry (detail = the index)
    LddwNoValue,       // "bad-lddw": a map-value lddw on a map without direct value access (detail = index)
    LddwHigh,          // "pc-out-of-range": execution reached the second slot of an lddw
    InsnLimit,         // "insn-limit": the run's instruction limit reached (detail = the limit)
    BadCallback,       // "bad-callback": detail kCallbackNotAFunction or kCallbackChecked (vm.hpp callbacks)
};
inline constexpr int64_t kCallbackNotAFunction = 0; // the value is no function of the running program
inline constexpr int64_t kCallbackChecked = 1;      // checked mode runs no callbacks

// The value of env.stop with which a run ends on a fault (env.fault, fault_pc and fault_detail say which).
inline constexpr uint32_t kStopFault = 0x7a170001;

// Error{code, "program 'NAME' insn PC: what"}: the shape of every engine error naming an instruction.
Error run_error(const std::string& code, const std::string& program, uint32_t pc, const std::string& what);
// The Error of a fault at `pc` of `program` (detail: see RunFault).
Error run_fault_error(RunFault fault, const std::string& program, uint32_t pc, int64_t detail);

// A memory region the checked mode lets a program touch (besides its own stack).
struct MemRegion {
    uint8_t* base = nullptr;
    uint64_t size = 0;
    bool writable = true;
};

// Native code of a JITed program. `entry` is called as uint64_t(*)(ExecEnv*) (the JIT engineer documents
// the exact ABI in runtime/jit.hpp); `tail_entry` is where a tail call into this program jumps (past the
// part of the prologue that sets up the counter/frame). Both null when not JITed.
struct JitCode {
    const void* entry = nullptr;
    const void* tail_entry = nullptr;
    std::shared_ptr<const void> owner; // keeps the executable mapping alive
};

struct LoadedProgram {
    JitCode jit; // first member: the JIT reads jit.tail_entry at a fixed offset
    std::string name;
    ProgType type = ProgType::Unspec;
    std::vector<Insn> insns; // one per slot, ctx accesses already rewritten for the runtime's ctx
    std::vector<uint32_t> function_starts = {0}; // slot index of each function; [0] == 0
    uint32_t stack_size = kMaxBpfStack;          // bytes used by the deepest frame (<= 512)
    const MapTable* maps = nullptr;              // lddw pseudo 1/2 resolution; outlives the program
};

// Everything one run needs. Standard layout so the JIT can address fields at fixed offsets.
struct ExecEnv {
    uint64_t args[5] = {0, 0, 0, 0, 0}; // initial r1..r5; args[0] = ctx pointer
    const HelperTable* helpers = nullptr;
    void* host = nullptr;            // the rtenv's per-run state (packet, redirect record, output)
    const uint8_t* packet = nullptr; // LD_ABS / LD_IND source
    uint64_t packet_len = 0;
    uint32_t tail_call_cnt = 0; // tail calls taken so far in this chain
    uint32_t stop = 0;          // nonzero: end the program now with r0 = stop_value
    uint64_t stop_value = 0;
    // The fault a run ended with (stop == kStopFault): which (RunFault), where (pc, and for the JIT the
    // faulting program's image, which knows its name) and its detail. The interpreter returns its own faults
    // directly; faults raised inside helpers (raise_fault) come this way on both engines.
    uint32_t fault = 0;
    uint32_t fault_pc = 0;
    int64_t fault_detail = 0;
    const void* fault_image = nullptr;
    uint64_t jit_stack_top = 0; // JIT checked mode: r10 of the run's first frame (set by the entry)
    uint64_t insns_left = 0;    // JIT with an instruction limit: instructions the run may still execute
    // Checked mode (InterpOptions::checked, JitOptions::checked: the conformance plugin, tests): only these
    // regions, the stack and (loads) converted_ctx may be accessed (env_allows); a violation ends the run
    // with an error instead of touching memory. Ignored by unchecked runs, which include the Runtime's
    // (`tailgate run`, also with --no-verify).
    const MemRegion* regions = nullptr;
    uint32_t num_regions = 0;
    // Cross-type tail calls (verifier/ctx_conversion.hpp): the ctx a conversion built (two buffers, so a
    // conversion never writes the ctx it reads) and the program type it was converted from (0: native ctx;
    // what bpf_tg_finalize_context returns).
    alignas(8) uint8_t converted_ctx[2][kMaxConvertedCtxSize] = {};
    uint32_t converted_next = 0;
    uint32_t converted_from = 0;
    // Callbacks: how the running engine calls a callback value with r1..r5 (interpret() and jit_execute()
    // set it; helpers go through call_callback()), the engine's own state, and the callbacks now running.
    uint64_t (*run_callback)(ExecEnv* env, uint64_t fn, const uint64_t* args) = nullptr;
    void* engine = nullptr;
    uint32_t callback_depth = 0;
};

// Ends the run with `fault` at the instruction whose helper is running (env->fault_pc, which both engines set
// before a helper call): for faults found inside helpers.
void raise_fault(ExecEnv* env, RunFault fault, int64_t detail);

// A helper's call of the callback value `fn` (what an lddw pseudo func produced) with r1..r5: the
// callback's r0. Returns 0 and leaves env->stop set when the run must end (a fault, a helper's stop inside
// the callback, callbacks nested more than kMaxCallFrames deep); the helper then returns at once.
uint64_t call_callback(ExecEnv* env, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                       uint64_t r5);

// Checked mode (both engines): may unverified code access [addr, addr + width)? True inside one of
// env.regions (a store: only a writable one) and, for a load, inside env.converted_ctx: the ctx a
// cross-type tail call built (the declared target ctx types are read-only: verifier/ctx_layout.cpp
// GenericProbe). The engine checks its own stack frames itself.
bool env_allows(const ExecEnv& env, uint64_t addr, uint64_t width, bool write);

// A tail call into a program of another type (both engines call this when target->type differs from the
// running program's type): applies the declared conversion (verifier/ctx_conversion.hpp convert_ctx) to the
// running ctx and returns the target's ctx, or 0 when no conversion from `from` to the target's type is
// declared (the tail call then falls through, uncounted, as for an empty slot).
uint64_t convert_ctx_for_tail_call(ExecEnv* env, ProgType from, const LoadedProgram* target, uint64_t ctx);
static_assert(std::is_standard_layout_v<ExecEnv>);

} // namespace tailgate::rt
