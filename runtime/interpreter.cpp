// The eBPF interpreter (see interpreter.hpp). Semantics: RFC 9669 sections 4 and 5; tail calls: kernel
// arch/x86/net/bpf_jit_comp.c emit_bpf_tail_call_indirect() (empty slots are not counted).
#include "runtime/interpreter.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace tailgate::rt {
namespace {

// Index of alternative T in the Insn variant, for a switch on insn.index().
template <class T, class... Ts> constexpr size_t index_in(const std::variant<Ts...>*) {
    size_t i = 0;
    bool found = false;
    ((found = found || std::is_same_v<T, Ts>, i += found ? 0 : 1), ...);
    return i;
}
template <class T> constexpr size_t kIdx = index_in<T>(static_cast<const Insn*>(nullptr));

// One ALU operation at width U: uint64_t for ALU64, uint32_t for ALU32 (the caller zero-extends the result).
// RFC 9669 4.1: shifts are masked to the width, x / 0 = 0, x % 0 = x, signed INT_MIN / -1 wraps (kernel:
// core.c ___bpf_prog_run() ALU/ALU64 cases; the verifier's fixups give the same results).
template <class U> U alu(AluOp op, U d, U s) {
    using S = std::make_signed_t<U>;
    constexpr U kShiftMask = sizeof(U) * 8 - 1;
    constexpr S kMin = std::numeric_limits<S>::min();
    const auto sd = static_cast<S>(d), ss = static_cast<S>(s);
    switch (op) {
    case AluOp::Add: return d + s;
    case AluOp::Sub: return d - s;
    case AluOp::Mul: return d * s;
    case AluOp::Div: return s == 0 ? 0 : d / s;
    case AluOp::SDiv:
        if (s == 0) return 0;
        if (sd == kMin && ss == -1) return d; // wraps to INT_MIN
        return static_cast<U>(sd / ss);
    case AluOp::Or: return d | s;
    case AluOp::And: return d & s;
    case AluOp::Lsh: return d << (s & kShiftMask);
    case AluOp::Rsh: return d >> (s & kShiftMask);
    case AluOp::Neg: return U{0} - d;
    case AluOp::Mod: return s == 0 ? d : d % s;
    case AluOp::SMod:
        if (s == 0) return d;
        if (ss == -1) return 0;
        return static_cast<U>(sd % ss);
    case AluOp::Xor: return d ^ s;
    case AluOp::Mov: return s;
    case AluOp::MovSx8: return static_cast<U>(static_cast<S>(static_cast<int8_t>(s)));
    case AluOp::MovSx16: return static_cast<U>(static_cast<S>(static_cast<int16_t>(s)));
    case AluOp::MovSx32: // ALU32: just s (not encodable; decode() rejects it)
        return static_cast<U>(static_cast<S>(static_cast<int32_t>(s)));
    case AluOp::Arsh: return static_cast<U>(sd >> (s & kShiftMask));
    }
    return 0;
}

template <class U> bool compare(Cond c, U a, U b) {
    using S = std::make_signed_t<U>;
    const auto sa = static_cast<S>(a), sb = static_cast<S>(b);
    switch (c) {
    case Cond::Eq: return a == b;
    case Cond::Ne: return a != b;
    case Cond::Gt: return a > b;
    case Cond::Ge: return a >= b;
    case Cond::Lt: return a < b;
    case Cond::Le: return a <= b;
    case Cond::Set: return (a & b) != 0;
    case Cond::SGt: return sa > sb;
    case Cond::SGe: return sa >= sb;
    case Cond::SLt: return sa < sb;
    case Cond::SLe: return sa <= sb;
    }
    return false;
}

uint64_t endian(const Endian& e, uint64_t v) {
    // The host is little-endian (x86-64): to-LE truncates, to-BE and Swap byte-swap the truncated value.
    const bool swap = e.order != ByteOrder::ToLe;
    switch (e.bits) {
    case 16: {
        auto x = static_cast<uint16_t>(v);
        return swap ? __builtin_bswap16(x) : x;
    }
    case 32: {
        auto x = static_cast<uint32_t>(v);
        return swap ? __builtin_bswap32(x) : x;
    }
    default: return swap ? __builtin_bswap64(v) : v;
    }
}

uint64_t load_bytes(const uint8_t* p, uint8_t width, bool sign_extend) {
    switch (width) {
    case 1: {
        uint8_t v;
        std::memcpy(&v, p, 1);
        return sign_extend ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(v))) : v;
    }
    case 2: {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return sign_extend ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(v))) : v;
    }
    case 4: {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return sign_extend ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v))) : v;
    }
    default: {
        uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
    }
    }
}

void store_bytes(uint8_t* p, uint8_t width, uint64_t v) {
    switch (width) {
    case 1: {
        auto x = static_cast<uint8_t>(v);
        std::memcpy(p, &x, 1);
        break;
    }
    case 2: {
        auto x = static_cast<uint16_t>(v);
        std::memcpy(p, &x, 2);
        break;
    }
    case 4: {
        auto x = static_cast<uint32_t>(v);
        std::memcpy(p, &x, 4);
        break;
    }
    default: std::memcpy(p, &v, 8);
    }
}

// One atomic read-modify-write of width T at p. Aligned addresses use the compiler's atomic builtins
// (sequentially consistent, like the kernel's lock-prefixed x86 instructions); a misaligned address (only
// possible in unverified code) falls back to a plain read-modify-write. Returns the old value.
template <class T> T atomic_rmw(uint8_t* p, AtomicOp op, T operand, T expected, bool& exchanged) {
    exchanged = false;
    if (reinterpret_cast<uintptr_t>(p) % sizeof(T) == 0) {
        T* q = reinterpret_cast<T*>(p);
        switch (op) {
        case AtomicOp::Add: return __atomic_fetch_add(q, operand, __ATOMIC_SEQ_CST);
        case AtomicOp::Or: return __atomic_fetch_or(q, operand, __ATOMIC_SEQ_CST);
        case AtomicOp::And: return __atomic_fetch_and(q, operand, __ATOMIC_SEQ_CST);
        case AtomicOp::Xor: return __atomic_fetch_xor(q, operand, __ATOMIC_SEQ_CST);
        case AtomicOp::Xchg: return __atomic_exchange_n(q, operand, __ATOMIC_SEQ_CST);
        case AtomicOp::CmpXchg: {
            T old = expected;
            exchanged =
                __atomic_compare_exchange_n(q, &old, operand, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            return old;
        }
        }
        return 0;
    }
    T old;
    std::memcpy(&old, p, sizeof(T));
    T now = old;
    switch (op) {
    case AtomicOp::Add: now = static_cast<T>(old + operand); break;
    case AtomicOp::Or: now = old | operand; break;
    case AtomicOp::And: now = old & operand; break;
    case AtomicOp::Xor: now = old ^ operand; break;
    case AtomicOp::Xchg: now = operand; break;
    case AtomicOp::CmpXchg:
        if (old == expected) now = operand;
        break;
    }
    std::memcpy(p, &now, sizeof(T));
    return old;
}

struct Frame {
    const LoadedProgram* prog; // the caller
    uint32_t ret_pc;
    int base;          // the caller's program base depth (see Interpreter::run)
    uint64_t saved[5]; // r6..r9, r10
};

// Frames a run can reach: a tail call from a subprogram at depth d starts the target at depth d, and the
// target may again use 8 frames, so a chain of 34 programs can nest up to 34 * 8 frames (the kernel's JIT
// grows the native stack the same way; verifier.c check_max_stack_depth_subprog() caps it with the
// 256-byte rule).
constexpr int kMaxRunFrames = (kMaxTailCallCnt + 1) * kMaxCallFrames;

class Interpreter {
  public:
    Interpreter(ExecEnv& env, const InterpOptions& o) : env_(env), opt_(o) {}
    // Runs `prog` from slot `start` in frame `depth0` (r1..r5 = args, r10 = that frame's top) until the
    // function that started there exits: the whole run (start 0, depth 0) or a callback.
    Result<uint64_t> run(const LoadedProgram& prog, uint32_t start, const uint64_t* args, int depth0);
    // ExecEnv::run_callback of interpreted runs (env->engine is the Interpreter).
    static uint64_t run_callback(ExecEnv* env, uint64_t fn, const uint64_t* args);

  private:
    static constexpr size_t kFrameBytes = kMaxBpfStack;
    static constexpr size_t kChunkBytes = kMaxCallFrames * kFrameBytes; // 8 frames per chunk
    ExecEnv& env_;
    const InterpOptions& opt_;
    // Frame k's stack is bytes [(k % 8) * 512, (k % 8 + 1) * 512) of chunk k / 8. Chunk 0 lives here; deeper
    // chunks (only reached through tail calls from subprograms) are allocated zeroed on first use and never
    // move, so pointers into caller frames stay valid.
    alignas(16) std::array<uint8_t, kChunkBytes> stack_{};
    std::vector<std::unique_ptr<uint8_t[]>> extra_chunks_;
    std::array<Frame, kMaxRunFrames> frames_; // return info of frames 0..depth-1 (written before read)
    uint64_t executed_ = 0;                   // instructions run so far (options.max_insns), callbacks too
    // The helper call now running (a callback it calls belongs to helper_prog_ and runs on top of frame
    // helper_depth_), and the error a callback ended with (returned by the run that called the helper).
    const LoadedProgram* helper_prog_ = nullptr;
    int helper_depth_ = 0;
    std::optional<Error> callback_error_;

    // Top of frame k's stack (the value of r10 in that frame).
    uint64_t frame_top(int k) {
        const auto chunk = static_cast<size_t>(k) / kMaxCallFrames;
        const size_t off = (static_cast<size_t>(k) % kMaxCallFrames + 1) * kFrameBytes;
        if (chunk == 0) return reinterpret_cast<uint64_t>(stack_.data() + off);
        while (extra_chunks_.size() < chunk)
            extra_chunks_.push_back(std::make_unique<uint8_t[]>(kChunkBytes));
        return reinterpret_cast<uint64_t>(extra_chunks_[chunk - 1].get() + off);
    }

    static Error fail(const char* code, const LoadedProgram* p, uint32_t pc, const std::string& what) {
        return run_error(code, p->name, pc, what);
    }
    static Error fault(RunFault f, const LoadedProgram* p, uint32_t pc, int64_t detail = 0) {
        return run_fault_error(f, p->name, pc, detail);
    }

    // Checked mode: is [addr, addr + width) inside the stack of the running frame or of a caller (frames
    // 0..depth: a returned frame's stack is gone, as in the kernel), within one frame, or an allowed region
    // (vm.hpp env_allows)? The JIT's checked mode allows the same.
    bool allowed(uint64_t addr, uint64_t width, bool write, int depth) const {
        const size_t last = static_cast<size_t>(depth) / kMaxCallFrames; // chunk of the running frame
        for (size_t c = 0; c <= last && c <= extra_chunks_.size(); ++c) {
            const auto b = reinterpret_cast<uint64_t>(c == 0 ? stack_.data() : extra_chunks_[c - 1].get());
            const uint64_t used =
                c < last ? kChunkBytes : (static_cast<size_t>(depth) % kMaxCallFrames + 1) * kFrameBytes;
            if (addr >= b && addr - b <= used - width && (addr - b) % kFrameBytes + width <= kFrameBytes)
                return true;
        }
        return env_allows(env_, addr, width, write);
    }
};

// A callback value of the interpreter is the address of the function's first Insn in the running
// program's insns (lddw pseudo 4 below); anything else is refused.
uint64_t Interpreter::run_callback(ExecEnv* env, uint64_t fn, const uint64_t* args) {
    auto* self = static_cast<Interpreter*>(env->engine);
    if (self->opt_.checked) {
        raise_fault(env, RunFault::BadCallback, kCallbackChecked);
        return 0;
    }
    const LoadedProgram* prog = self->helper_prog_;
    const int depth = self->helper_depth_;
    const auto first = reinterpret_cast<uint64_t>(prog->insns.data());
    const uint64_t start = (fn - first) / sizeof(Insn);
    const bool is_function = fn >= first && (fn - first) % sizeof(Insn) == 0 && start < prog->insns.size() &&
                             std::binary_search(prog->function_starts.begin(), prog->function_starts.end(),
                                                static_cast<uint32_t>(start));
    if (!is_function) {
        raise_fault(env, RunFault::BadCallback, kCallbackNotAFunction);
        return 0;
    }
    if (depth + 1 >= kMaxRunFrames) {
        raise_fault(env, RunFault::CallDepth, depth + 1);
        return 0;
    }
    Result<uint64_t> r0 = self->run(*prog, static_cast<uint32_t>(start), args, depth + 1);
    self->helper_prog_ = prog; // the callback's own helper calls moved them
    self->helper_depth_ = depth;
    if (!r0) {
        self->callback_error_ = r0.error();
        env->stop = kStopFault;
        return 0;
    }
    return *r0;
}

Result<uint64_t> Interpreter::run(const LoadedProgram& prog, uint32_t start, const uint64_t* args,
                                  int depth0) {
    std::array<uint64_t, kNumRegs> r{};
    for (int i = 0; i < 5; ++i) r[static_cast<size_t>(i + 1)] = args[i];
    int depth = depth0; // frames below the current one
    int base = depth0; // depth at which the running program's frame 0 sits (moves with subprogram tail calls)
    r[kR10] = frame_top(depth0);

    const LoadedProgram* cur = &prog;
    const Insn* code = cur->insns.data();
    size_t n = cur->insns.size();
    uint32_t pc = start;
    const bool checked = opt_.checked;

    // Helper call (also callx). Returns false when the program must end (env.stop) or on error (err set).
    auto call_helper = [&](int64_t id, uint32_t at, std::optional<Error>& err) -> bool {
        HelperFn fn = nullptr;
        if (env_.helpers != nullptr && id >= 0 && id < HelperTable::kMaxHelperId)
            fn = env_.helpers->get(static_cast<int32_t>(id));
        if (fn == nullptr) {
            err = fault(RunFault::UnknownHelper, cur, at, id);
            return false;
        }
        env_.fault_pc = at; // where a fault raised inside the helper is (vm.hpp raise_fault)
        helper_prog_ = cur;
        helper_depth_ = depth;
        r[kR0] = fn(r[kR1], r[kR2], r[kR3], r[kR4], r[kR5], &env_);
        return env_.stop == 0;
    };
    // How the run ends once a helper stopped it: a callback's error, a fault raised in a helper, or the
    // helper's stop value.
    auto stopped = [&]() -> Result<uint64_t> {
        if (callback_error_) return *callback_error_;
        if (env_.stop == kStopFault)
            return fault(static_cast<RunFault>(env_.fault), cur, env_.fault_pc, env_.fault_detail);
        return env_.stop_value;
    };

    for (;;) {
        if (pc >= n) return fault(RunFault::FellOff, cur, pc);
        if (opt_.max_insns != 0 && ++executed_ > opt_.max_insns)
            return fault(RunFault::InsnLimit, cur, pc, static_cast<int64_t>(opt_.max_insns));
        const Insn& insn = code[pc];
        const uint32_t at = pc++;
        switch (insn.index()) {
        case kIdx<Alu>: {
            const Alu& a = *std::get_if<Alu>(&insn);
            const uint64_t s = a.src.is_reg ? r[a.src.reg] : static_cast<uint64_t>(a.src.imm);
            if (a.is64)
                r[a.dst] = alu<uint64_t>(a.op, r[a.dst], s);
            else
                r[a.dst] = alu<uint32_t>(a.op, static_cast<uint32_t>(r[a.dst]), static_cast<uint32_t>(s));
            break;
        }
        case kIdx<Endian>: {
            const Endian& e = *std::get_if<Endian>(&insn);
            r[e.dst] = endian(e, r[e.dst]);
            break;
        }
        case kIdx<Jump>: {
            const Jump& j = *std::get_if<Jump>(&insn);
            const uint64_t s = j.src.is_reg ? r[j.src.reg] : static_cast<uint64_t>(j.src.imm);
            const bool taken =
                j.is32 ? compare<uint32_t>(j.cond, static_cast<uint32_t>(r[j.dst]), static_cast<uint32_t>(s))
                       : compare<uint64_t>(j.cond, r[j.dst], s);
            if (taken) pc = j.target;
            break;
        }
        case kIdx<Goto>: pc = std::get_if<Goto>(&insn)->target; break;
        case kIdx<Call>: {
            const int32_t id = std::get_if<Call>(&insn)->helper;
            if (id != kHelperTailCall) {
                std::optional<Error> err;
                if (!call_helper(id, at, err)) {
                    if (err) return *err;
                    return stopped();
                }
                break;
            }
            // bpf_tail_call(ctx, map, index), inline (see vm.hpp).
            r[kR0] = 0;
            const MapEntry* me = map_entry_of(r[kR2]);
            if (checked) {
                const MapTable* t = cur->maps;
                const bool ok = t != nullptr && !t->empty() && me >= t->data() && me < t->data() + t->size();
                if (!ok) return fault(RunFault::BadTailCallMap, cur, at);
            }
            const ProgArray* pa = me != nullptr ? me->progs : nullptr;
            const auto index = static_cast<uint32_t>(r[kR3]);
            if (pa == nullptr || index >= pa->max_entries) break;
            if (env_.tail_call_cnt >= static_cast<uint32_t>(kMaxTailCallCnt)) break;
            const LoadedProgram* target = pa->slots[index].load(std::memory_order_acquire);
            if (target == nullptr) break;
            if (target->type != cur->type) { // a declared cross-type tail call converts the ctx
                const uint64_t ctx = convert_ctx_for_tail_call(&env_, cur->type, target, r[kR1]);
                if (ctx == 0) break;
                r[kR1] = ctx;
            }
            ++env_.tail_call_cnt;
            cur = target; // the current frame now runs the target; its return info is unchanged
            code = cur->insns.data();
            n = cur->insns.size();
            pc = 0;
            base = depth; // the target's frame 0 is this frame
            r[kR10] = frame_top(depth);
            break;
        }
        case kIdx<CallReg>: {
            std::optional<Error> err;
            const uint64_t v = r[std::get_if<CallReg>(&insn)->reg];
            const int64_t id = HelperTable::callx_id(v);
            if (id == kHelperTailCall) return fault(RunFault::CallxTailCall, cur, at);
            if (!call_helper(id, at, err)) {
                if (err) return *err;
                return stopped();
            }
            break;
        }
        case kIdx<CallLocal>: {
            // kernel: verifier.c check_max_stack_depth_subprog() allows 8 frames per program.
            if (depth + 1 - base >= kMaxCallFrames || depth + 1 >= kMaxRunFrames)
                return fault(RunFault::CallDepth, cur, at);
            Frame& f = frames_[static_cast<size_t>(depth)];
            f.base = base;
            f.prog = cur;
            f.ret_pc = pc;
            for (int i = 0; i < 5; ++i) f.saved[i] = r[static_cast<size_t>(kR6 + i)];
            ++depth;
            r[kR10] = frame_top(depth);
            pc = std::get_if<CallLocal>(&insn)->target;
            break;
        }
        case kIdx<Exit>: {
            if (depth == depth0) return r[kR0];
            --depth;
            const Frame& f = frames_[static_cast<size_t>(depth)];
            for (int i = 0; i < 5; ++i) r[static_cast<size_t>(kR6 + i)] = f.saved[i];
            base = f.base;
            cur = f.prog;
            code = cur->insns.data();
            n = cur->insns.size();
            pc = f.ret_pc;
            break;
        }
        case kIdx<LoadImm64>: {
            const LoadImm64& l = *std::get_if<LoadImm64>(&insn);
            ++pc; // skip the LddwHigh slot
            if (l.pseudo == 0) {
                r[l.dst] = l.value();
                break;
            }
            if (l.pseudo == 4) { // BPF_PSEUDO_FUNC: imm is the function's start relative to the next slot
                const int64_t target = pseudo_func_target(l, at);
                if (target < 0 || static_cast<uint64_t>(target) >= n)
                    return fault(RunFault::LddwPseudo, cur, at, l.pseudo);
                r[l.dst] = reinterpret_cast<uint64_t>(&code[target]);
                break;
            }
            const bool is_map = l.pseudo == 1 || l.pseudo == 5, is_value = l.pseudo == 2 || l.pseudo == 6;
            if (!is_map && !is_value) return fault(RunFault::LddwPseudo, cur, at, l.pseudo);
            const MapTable* t = cur->maps;
            const auto idx = static_cast<uint32_t>(l.imm_lo);
            if (t == nullptr || idx >= t->size()) return fault(RunFault::LddwNoMap, cur, at, idx);
            const MapEntry& me = (*t)[idx];
            if (is_map) {
                r[l.dst] = reinterpret_cast<uint64_t>(&me);
            } else {
                if (me.value_base == nullptr) return fault(RunFault::LddwNoValue, cur, at, idx);
                r[l.dst] = reinterpret_cast<uint64_t>(me.value_base) + static_cast<uint32_t>(l.imm_hi);
            }
            break;
        }
        case kIdx<LddwHigh>: return fault(RunFault::LddwHigh, cur, at);
        case kIdx<Load>: {
            const Load& l = *std::get_if<Load>(&insn);
            const uint64_t addr = r[l.base] + static_cast<uint64_t>(static_cast<int64_t>(l.off));
            if (checked && !allowed(addr, l.width, false, depth))
                return fault(RunFault::LoadOutOfBounds, cur, at, l.width);
            r[l.dst] = load_bytes(reinterpret_cast<const uint8_t*>(addr), l.width, l.sign_extend);
            break;
        }
        case kIdx<Store>: {
            const Store& s = *std::get_if<Store>(&insn);
            const uint64_t addr = r[s.base] + static_cast<uint64_t>(static_cast<int64_t>(s.off));
            const uint64_t v = s.value.is_reg ? r[s.value.reg] : static_cast<uint64_t>(s.value.imm);
            if (checked && !allowed(addr, s.width, true, depth))
                return fault(RunFault::StoreOutOfBounds, cur, at, s.width);
            store_bytes(reinterpret_cast<uint8_t*>(addr), s.width, v);
            break;
        }
        case kIdx<Atomic>: {
            const Atomic& a = *std::get_if<Atomic>(&insn);
            const uint64_t addr = r[a.base] + static_cast<uint64_t>(static_cast<int64_t>(a.off));
            if (checked && !allowed(addr, a.width, true, depth))
                return fault(RunFault::AtomicOutOfBounds, cur, at, a.width);
            auto* p = reinterpret_cast<uint8_t*>(addr);
            bool exchanged = false;
            if (a.width == 8) {
                const uint64_t old = atomic_rmw<uint64_t>(p, a.op, r[a.src], r[kR0], exchanged);
                if (a.op == AtomicOp::CmpXchg)
                    r[kR0] = old;
                else if (a.fetch)
                    r[a.src] = old;
            } else {
                const uint32_t old = atomic_rmw<uint32_t>(p, a.op, static_cast<uint32_t>(r[a.src]),
                                                          static_cast<uint32_t>(r[kR0]), exchanged);
                if (a.op == AtomicOp::CmpXchg)
                    r[kR0] = old; // zero-extended
                else if (a.fetch)
                    r[a.src] = old;
            }
            break;
        }
        case kIdx<LoadPacket>: {
            const LoadPacket& lp = *std::get_if<LoadPacket>(&insn);
            const uint64_t sum =
                (lp.indirect ? r[lp.src] : 0) + static_cast<uint64_t>(static_cast<int64_t>(lp.imm));
            const auto off = static_cast<int32_t>(static_cast<uint32_t>(sum));
            if (off < 0 || env_.packet == nullptr ||
                static_cast<uint64_t>(off) + lp.width > env_.packet_len) {
                env_.stop = 1; // kernel: the program returns 0 (from a callback too: the whole run ends)
                env_.stop_value = 0;
                return uint64_t{0};
            }
            const uint8_t* p = env_.packet + off;
            uint64_t v = 0;
            for (uint8_t i = 0; i < lp.width; ++i) v = (v << 8) | p[i];
            r[kR0] = v;
            break;
        }
        default: return fail("pc-out-of-range", cur, at, "unknown instruction kind");
        }
    }
}

} // namespace

Result<uint64_t> interpret(const LoadedProgram& prog, ExecEnv& env, const InterpOptions& options) {
    // The Interpreter holds the 8 x 512-byte frame stacks (zeroed per run).
    env.tail_call_cnt = 0; // a run starts a new chain (as the JIT's entry does)
    env.stop = 0;
    env.converted_from = 0;
    env.callback_depth = 0;
    Interpreter interp(env, options);
    env.engine = &interp;
    env.run_callback = &Interpreter::run_callback;
    Result<uint64_t> r0 = interp.run(prog, 0, env.args, 0);
    env.engine = nullptr; // interp is gone
    env.run_callback = nullptr;
    return r0;
}

} // namespace tailgate::rt
