// Forward fixpoint over the WTO, bpf2bpf calls in context, termination by ghost loop counters.
#include "analysis/fixpoint.hpp"

#include <algorithm>

namespace tailgate {

static constexpr int kJoinIterations = 2;   // plain joins at a head before widening
static constexpr int kNarrowIterations = 2; // descending passes after stabilisation
static constexpr size_t kCacheEntriesPerSite = 4;
static constexpr size_t kMaxDisjuncts = 16; // states kept apart per block before they are joined
static constexpr size_t kMaxPostStates = 4 * kMaxDisjuncts; // states leaving one block before its branch

// Joining a and b loses no kind: no register or spilled slot (present in both) becomes Mixed or Uninit
// unless it already was on one side, and no stack pointer turns from one slot into a range of slots (the
// bytes a helper reads through it must then be initialised on every path for every offset: clang makes
// such joins when inlined copies share their tail, `key = ...; p = &key` on two paths).
static bool joins_without_loss(const RegValue& a, const RegValue& b) {
    if (a.kind == Kind::Stack && b.kind == Kind::Stack) {
        if (a.frame != b.frame) return false;
        return !(a.num.is_const() && b.num.is_const() && a.num.const_value() != b.num.const_value());
    }
    if (a.kind == b.kind) // ids tie null checks and releases together; pointers into two maps join to Mixed
        return a.id == b.id && a.sock == b.sock && a.ref == b.ref && a.map == b.map;
    const RegValue j = join(a, b);
    if (j.kind == Kind::Mixed) return a.kind == Kind::Mixed || b.kind == Kind::Mixed;
    // a maybe-NULL value that no longer names its lookup (NULL on one path, the lookup's result on the
    // other): a null check can no longer refine its copies, and helper memory is unusable after any release
    if (may_be_null(j.kind) && j.id == 0 && (a.id != 0 || b.id != 0)) return false;
    if (j.kind == Kind::Uninit) return a.kind == Kind::Uninit && b.kind == Kind::Uninit;
    return true;
}

// Stack bytes written on one path only: joined they would be "maybe uninitialised" for good, although a
// later branch (the caller's check of a result it got through a pointer, `if (action >= 0) return;` after
// two calls that wrote `len` only when returning -1) tells the paths apart again. Kept apart instead.
static bool same_initialised_bytes(const Frame& a, const Frame& b) {
    for (int i = 0; i < kStackSize; ++i)
        if ((a.bytes[size_t(i)] == StackByte::Uninit) != (b.bytes[size_t(i)] == StackByte::Uninit))
            return false;
    return true;
}

// A caller's frame below the running function changes only through pointers the callee was given: a result
// returned that way (`*len = n; return true;` on some paths, `return false` or `*out = NULL; return false`
// on others) must not be joined into "maybe uninitialised" or "maybe NULL", or the caller could not use it
// after checking the return value. So such frames join only when the same bytes are initialised and the
// same slots hold values of the same kinds; the running function's frame, when the same bytes are.
static bool caller_frames_match(const Frame& a, const Frame& b) {
    if (!same_initialised_bytes(a, b)) return false;
    if (a.spills.size() != b.spills.size()) return false;
    for (size_t i = 0; i < a.spills.size(); ++i)
        if (a.spills[i].first != b.spills[i].first || a.spills[i].second.kind != b.spills[i].second.kind)
            return false;
    return true;
}

static bool joins_without_loss(const State& a, const State& b) {
    if (a.frames.size() != b.frames.size() || a.lock != b.lock || a.lock_id != b.lock_id) return false;
    for (size_t i = 0; i < a.frames.size(); ++i) {
        const Frame &fa = a.frames[i], &fb = b.frames[i];
        if (i + 1 < a.frames.size() ? !caller_frames_match(fa, fb) : !same_initialised_bytes(fa, fb))
            return false;
        for (int r = 0; r < kNumRegs; ++r)
            if (!joins_without_loss(fa.regs[size_t(r)], fb.regs[size_t(r)])) return false;
        for (const auto& [slot, v] : fa.spills) {
            const RegValue* w = fb.spill_at(slot);
            if (w ? !joins_without_loss(v, *w) : is_pointer(v.kind)) return false;
        }
        for (const auto& [slot, v] : fb.spills) // a pointer spilled on one side only (zeros on the other)
            if (!fa.spill_at(slot) && is_pointer(v.kind)) return false;
    }
    return true;
}

static State join_all(const Disjuncts& ds) {
    State all = State::make_bottom();
    for (const State& d : ds) all = join(all, d);
    return all;
}

// Adds s to ds: joined into the first disjunct it joins without loss, else kept apart; past `cap` states
// everything is joined into one state.
static void add_disjunct(Disjuncts& ds, State s, size_t cap = kMaxDisjuncts) {
    if (s.bottom) return;
    for (State& d : ds)
        if (joins_without_loss(d, s)) {
            d = join(d, s);
            return;
        }
    ds.push_back(std::move(s));
    if (ds.size() > cap) ds.assign(1, join_all(ds));
}

struct Analyzer::Run {
    uint32_t fn = 0;
    const FunctionCfg* cfg = nullptr;
    State entry;
    bool checking = false;
    std::vector<Disjuncts> post;  // per block: the states after its last instruction (before the branch)
    std::vector<State> head_pre;  // per loop head: the stabilised pre-state
    std::vector<Disjuncts> exits; // per block: the states at its exit instruction, if any
};

Analyzer::Analyzer(const AnalysisEnv& env, CheckSink& sink) : env_(env), sink_(sink) {
    cfgs_.resize(env.prog->functions.size());
    // widening thresholds: the program's constants and their neighbours, and the map sizes. Constants
    // moved into registers count too: clang compares a loop counter with a register holding the bound
    // (`r3 = 60 ... if r3 > r4 goto loop`) as often as with an immediate.
    std::vector<int64_t> ks;
    for (const Insn& in : env.prog->insns) {
        if (const auto* j = std::get_if<Jump>(&in); j && !j->src.is_reg) ks.push_back(j->src.imm);
        if (const auto* a = std::get_if<Alu>(&in); a && a->op == AluOp::Mov && !a->src.is_reg)
            ks.push_back(a->src.imm);
    }
    ks.push_back(0);
    for (const MapDef& m : env.obj->maps) {
        ks.push_back(m.value_size);
        ks.push_back(m.max_entries);
    }
    for (int64_t k : ks)
        for (int64_t d : {int64_t(-1), int64_t(0), int64_t(1)}) {
            if ((d < 0 && k == INT64_MIN) || (d > 0 && k == INT64_MAX)) continue;
            thr_signed_.push_back(k + d);
            thr_unsigned_.push_back(uint64_t(k + d));
            if (k + d >= INT32_MIN && k + d <= INT32_MAX)
                thr_unsigned_.push_back(uint64_t(uint32_t(int32_t(k + d))));
        }
    std::sort(thr_signed_.begin(), thr_signed_.end());
    thr_signed_.erase(std::unique(thr_signed_.begin(), thr_signed_.end()), thr_signed_.end());
    std::sort(thr_unsigned_.begin(), thr_unsigned_.end());
    thr_unsigned_.erase(std::unique(thr_unsigned_.begin(), thr_unsigned_.end()), thr_unsigned_.end());
}

const FunctionCfg& Analyzer::cfg(uint32_t fn) {
    if (!cfgs_[fn]) cfgs_[fn] = std::make_unique<FunctionCfg>(build_function_cfg(*env_.prog, fn));
    return *cfgs_[fn];
}

Frame Analyzer::new_frame(uint32_t fn) const {
    Frame f;
    f.function = fn;
    int depth = cfgs_[fn] ? cfgs_[fn]->max_depth : 0;
    f.zone = Zone(Frame::zone_size(depth));
    set_packet_size_bounds(f.zone);
    return f;
}

State Analyzer::entry_state() const {
    State s;
    Frame f = new_frame(0);
    set_reg(f, kR1, RegValue::pointer(Kind::Ctx, 0));
    RegValue fp = RegValue::pointer(Kind::Stack, 0);
    fp.frame = 0;
    set_reg(f, kR10, fp);
    s.frames.push_back(std::move(f));
    return s;
}

// --- one function ----------------------------------------------------------------------------------

// The states flowing along the edge p -> b (p's post-states refined by its branch), without loop ghosts.
Disjuncts Analyzer::edge_state(Run& run, uint32_t p, uint32_t b) {
    const FunctionCfg& c = *run.cfg;
    uint32_t last = c.block_start[p];
    for (uint32_t pc = c.block_start[p]; pc < c.block_end[p]; pc += uint32_t(slots(env_.prog->insns[pc])))
        last = pc;
    const auto* j = std::get_if<Jump>(&env_.prog->insns[last]);
    const bool to_target = j && c.block_of(j->target) == int(b);
    const bool to_next = j && c.block_of(last + 1) == int(b);
    Disjuncts out;
    for (const State& post : run.post[p]) {
        State e = post;
        if (j && !(to_target && to_next))
            assume(*j, to_target, e, env_); // both edges reach b: nothing to refine
        if (!e.bottom) out.push_back(std::move(e));
    }
    return out;
}

// The ghost counters and snapshots of loop level `level`.
static void forget_loop_vars(Zone& z, int level) {
    z.forget(Frame::var_loop(level));
    z.forget(Frame::var_loop_neg(level));
    for (Reg r = kR0; r <= kR9; ++r) z.forget(Frame::var_snap(level, r));
    for (int k = 0; k < Frame::kSpillVars; ++k) z.forget(Frame::var_snap_spill(level, k));
}

Disjuncts Analyzer::pull(Run& run, uint32_t b) {
    const FunctionCfg& c = *run.cfg;
    const int level = c.loop_level[b];
    if (level < 0) {
        Disjuncts acc;
        if (b == 0) add_disjunct(acc, run.entry);
        for (uint32_t p : c.pred[b])
            for (State& e : edge_state(run, p, b)) {
                // an edge into a loop's body that bypasses its head (an irreducible loop): the head's counter
                // and snapshots did not start over, so they say nothing about this entry (refine_induction()
                // and loop_terminates() then prove nothing from them)
                for (uint32_t h : c.heads_of[b])
                    if (!c.in_loop(p, h)) forget_loop_vars(e.top().zone, c.loop_level[h]);
                add_disjunct(acc, std::move(e));
            }
        return acc;
    }
    // a loop head: one state; the ghost counter restarts on entry edges and counts back edges
    State acc = State::make_bottom();
    if (b == 0 && !run.entry.bottom) {
        acc = run.entry;
        acc.top().zone.assign_const(Frame::var_loop(level), 0);
        acc.top().zone.assign_const(Frame::var_loop_neg(level), 0);
    }
    for (uint32_t p : c.pred[b])
        for (State& e : edge_state(run, p, b)) {
            Zone& z = e.top().zone;
            Zone::Var cv = Frame::var_loop(level), nv = Frame::var_loop_neg(level);
            if (c.in_loop(p, b)) {
                z.assign(cv, cv, 1);
                z.assign(nv, nv, -1);
            } else {
                z.assign_const(cv, 0);
                z.assign_const(nv, 0);
            }
            acc = join(acc, e);
        }
    if (acc.bottom) return {};
    Frame& f = acc.top(); // snapshots of the registers and spill variables at the head of this iteration
    for (Reg r = kR0; r <= kR9; ++r) f.zone.assign(Frame::var_snap(level, r), Frame::var_reg(r), 0);
    for (int k = 0; k < Frame::kSpillVars; ++k)
        f.zone.assign(Frame::var_snap_spill(level, k), Frame::var_spill(k), 0);
    return {std::move(acc)};
}

// Termination of the loop headed by h, on the stabilised states: its ghost counter is bounded, or some
// register is bounded at the head and strictly increases (or strictly decreases) along every back edge.
bool Analyzer::loop_terminates(Run& run, uint32_t h, const State& pre) {
    const FunctionCfg& c = *run.cfg;
    int level = c.loop_level[h];
    const Zone& z = pre.top().zone;
    if (z.upper(Frame::var_loop(level)) || z.lower(Frame::var_loop_neg(level))) return true;
    std::vector<State> back;
    for (uint32_t p : c.pred[h])
        if (c.in_loop(p, h)) {
            State e = join_all(edge_state(run, p, h));
            if (!e.bottom) back.push_back(std::move(e));
        }
    if (back.empty()) return true; // no back edge is feasible: the body runs once
    constexpr int64_t kBig = int64_t(1) << 62;
    // x (bounded at the head) moves strictly one way along every back edge; `same` says whether a back
    // edge's state still holds the value in x
    auto ranks = [&](const RegValue& v, Zone::Var x, Zone::Var sn, auto same) {
        if (!zone_tracks(v.kind) || v.num.smin <= -kBig || v.num.smax >= kBig) return false;
        bool up = true, down = true;
        for (const State& e : back) {
            if (!same(e.top())) return false;
            const Zone& ez = e.top().zone;
            up = up && ez.entails(sn, x, -1);     // snap - x <= -1: x grew by at least 1
            down = down && ez.entails(x, sn, -1); // x - snap <= -1: x shrank by at least 1
        }
        return up || down;
    };
    for (Reg r = kR0; r <= kR9; ++r)
        if (ranks(pre.top().regs[r], Frame::var_reg(r), Frame::var_snap(level, r),
                  [](const Frame&) { return true; }))
            return true;
    for (const auto& [slot, v] : pre.top().spills) // a counter kept on the stack
        if (v.zlink && ranks(v, Frame::var_spill(slot), Frame::var_snap_spill(level, slot),
                             [slot = slot](const Frame& ef) {
                                 const RegValue* w = ef.spill_at(slot);
                                 return w && w->zlink;
                             }))
            return true;
    return false;
}

// Linear induction variables, which widening loses and the zone cannot express: a register that changes by
// exactly d on every back edge of the loop headed by h equals, at the head, its value on entry + d * c, c the
// loop's ghost counter (back edges taken since entry). Once c is bounded (the exit condition bounds a counter
// the zone relates to c), so is the register: e.g. a map value pointer stepping by 4 while an index counts to
// 64. (The kernel walks every iteration, so it sees each offset.) Tightens `pre`; true when it changed.
bool Analyzer::refine_induction(Run& run, uint32_t h, State& pre) {
    if (pre.bottom) return false;
    const FunctionCfg& c = *run.cfg;
    const int level = c.loop_level[h];
    Frame& f = pre.top();
    const std::optional<int64_t> cmax = f.zone.upper(Frame::var_loop(level));
    if (!cmax || *cmax < 0) return false;
    State entry = h == 0 ? run.entry : State::make_bottom();
    std::vector<State> back;
    for (uint32_t p : c.pred[h]) {
        State e = join_all(edge_state(run, p, h));
        if (e.bottom) continue;
        if (c.in_loop(p, h))
            back.push_back(std::move(e));
        else
            entry = join(entry, e);
    }
    if (entry.bottom || back.empty() || entry.frames.size() != pre.frames.size()) return false;
    constexpr __int128 kBig = __int128(1) << 62;
    // v (held in zone variable x, snapshot sn) with entry value ev: its tightened number, if any; `at`
    // gives a back edge's value (nullptr when the edge no longer holds it in x)
    auto tighten = [&](const RegValue& v, const std::optional<RegValue>& ev, Zone::Var x, Zone::Var sn,
                       auto at) -> std::optional<ScalarValue> {
        if (!zone_tracks(v.kind) || !ev || ev->kind != v.kind || ev->map != v.map || ev->frame != v.frame)
            return std::nullopt;
        std::optional<int64_t> d;
        for (const State& e : back) {
            const RegValue* w = at(e.top());
            const Zone& ez = e.top().zone;
            auto up = ez.bound(x, sn), down = ez.bound(sn, x); // x - snap <= up, snap - x <= down
            if (!w || w->kind != v.kind || !up || !down || *up != -*down || (d && *d != *up))
                return std::nullopt;
            d = *up;
        }
        if (!d || *d == 0 || ev->num.smin <= INT64_MIN / 2 || ev->num.smax >= INT64_MAX / 2)
            return std::nullopt;
        const __int128 lo = __int128(ev->num.smin) + (*d < 0 ? __int128(*d) * *cmax : 0);
        const __int128 hi = __int128(ev->num.smax) + (*d > 0 ? __int128(*d) * *cmax : 0);
        if (lo < -kBig || hi > kBig) return std::nullopt;
        auto m = meet(v.num, ScalarValue::from_srange(int64_t(lo), int64_t(hi)));
        if (!m || *m == v.num) return std::nullopt;
        return m;
    };
    bool changed = false;
    for (Reg r = kR0; r <= kR9; ++r) {
        auto m = tighten(f.regs[r], entry.top().regs[r], Frame::var_reg(r), Frame::var_snap(level, r),
                         [r](const Frame& ef) { return &ef.regs[r]; });
        if (!m) continue;
        f.regs[r].num = *m;
        push_bounds(f, r);
        changed = true;
    }
    for (auto& [slot, v] : f.spills) { // a pointer or index kept on the stack
        if (!v.zlink) continue;
        auto m = tighten(v, slot_value(entry.top(), slot), Frame::var_spill(slot),
                         Frame::var_snap_spill(level, slot), [slot = slot](const Frame& ef) {
                             const RegValue* w = ef.spill_at(slot);
                             return w && w->zlink ? w : nullptr;
                         });
        if (!m) continue;
        v.num = *m;
        zone_set_bounds(f.zone, Frame::var_spill(slot), v.num);
        changed = true;
    }
    if (changed && !pull_bounds(f)) pre = State::make_bottom();
    return changed;
}

static bool is_shift32(const Insn& in, AluOp op, Reg* dst) {
    const auto* a = std::get_if<Alu>(&in);
    if (!a || a->op != op || !a->is64 || a->src.is_reg || a->src.imm != 32) return false;
    *dst = a->dst;
    return true;
}

// clang's zero-extension idioms: `x <<= 32; x >>= 32` and `x <<= 32; y = x; y >>= 32`. For a value below
// 2^32 the result equals the value: keep the relations the zone had (a loop counter's above all).
// Returns the number of instructions executed (checked when run.checking), 0 when no idiom starts at pc.
uint32_t Analyzer::exec_zext_idiom(Run& run, uint32_t pc, uint32_t end, State& st) {
    const auto& insns = env_.prog->insns;
    Reg x = 0, y = 0, z = 0;
    if (!is_shift32(insns[pc], AluOp::Lsh, &x) || pc + 1 >= end) return 0;
    uint32_t n = 0;
    if (is_shift32(insns[pc + 1], AluOp::Rsh, &y) && y == x) {
        n = 2;
    } else if (pc + 2 < end && is_shift32(insns[pc + 2], AluOp::Rsh, &z)) {
        const auto* m = std::get_if<Alu>(&insns[pc + 1]);
        if (!m || m->op != AluOp::Mov || !m->is64 || !m->src.is_reg || m->src.reg != x || m->dst != z ||
            z == x)
            return 0;
        y = z;
        n = 3;
    } else {
        return 0;
    }
    RegValue before = st.top().regs[x];
    Zone zb = st.top().zone;
    for (uint32_t i = 0; i < n && !st.bottom; ++i) {
        if (run.checking) check_insn(insns[pc + i], pc + i, st, env_, sink_);
        exec_insn(insns[pc + i], pc + i, st, env_);
    }
    if (st.bottom || before.kind != Kind::Scalar || before.num.umax > 0xffffffffULL) return n;
    Frame& f = st.top();
    f.regs[y] = before;
    if (y == x) {
        f.zone = std::move(zb);
    } else { // y := old x; x holds old x << 32
        zb.assign(Frame::var_reg(y), Frame::var_reg(x), 0);
        zb.forget(Frame::var_reg(x));
        zone_set_bounds(zb, Frame::var_reg(x), f.regs[x].num);
        f.zone = std::move(zb);
    }
    return n;
}

void Analyzer::exec_block(Run& run, uint32_t b, const Disjuncts& in) {
    run.exits[b].clear();
    run.post[b].clear();
    for (const State& start : in) exec_block_state(run, b, start, run.cfg->block_start[b]);
}

// One state through block b from insn `from`: the state at the block's end goes to run.post[b], one at an
// exit to run.exits[b]. A bpf2bpf call may return several states (its exits kept apart): each goes on alone.
void Analyzer::exec_block_state(Run& run, uint32_t b, State st, uint32_t from) {
    const FunctionCfg& c = *run.cfg;
    const Program& prog = *env_.prog;
    for (uint32_t pc = from; pc < c.block_end[b] && !st.bottom; pc += uint32_t(slots(prog.insns[pc]))) {
        const Insn& in = prog.insns[pc];
        if (const auto* j = std::get_if<Jump>(&in)) {
            if (run.checking) check_jump(*j, pc, st, env_, sink_);
            continue; // the edges refine in pull()
        }
        if (std::holds_alternative<Goto>(in)) continue;
        if (std::holds_alternative<Exit>(in)) {
            if (run.checking) check_exit(pc, st, env_, sink_);
            add_disjunct(run.exits[b], std::move(st));
            return;
        }
        if (const auto* cl = std::get_if<CallLocal>(&in)) {
            Disjuncts back = exec_call_local(*cl, pc, st, run.checking);
            if (back.empty()) return; // the callee never returns
            for (size_t i = 1; i < back.size(); ++i) exec_block_state(run, b, std::move(back[i]), pc + 1);
            st = std::move(back[0]);
            continue;
        }
        if (const auto* call = std::get_if<Call>(&in);
            call && (call->helper == kHelperLoop || call->helper == kHelperForEachMapElem)) {
            if (run.checking) check_insn(in, pc, st, env_, sink_);
            st = exec_callback_call(*call, pc, st, run.checking);
            continue;
        }
        if (uint32_t n = exec_zext_idiom(run, pc, c.block_end[b], st)) {
            pc += n - 1;
            continue;
        }
        if (run.checking) check_insn(in, pc, st, env_, sink_);
        exec_insn(in, pc, st, env_);
    }
    if (st.bottom) return;
    // apart until the branch at the block's end has refined each: pull() merges what is left after it. A
    // call's exits multiply the states (each caller state times each exit); the branch after the call
    // (`if (!f(&out)) return`) drops most of them, so a block keeps more than a merge point does.
    if (run.post[b].size() < kMaxPostStates)
        run.post[b].push_back(std::move(st));
    else
        add_disjunct(run.post[b], std::move(st), kMaxPostStates);
}

void Analyzer::run_elems(Run& run, const std::vector<WtoElem>& elems) {
    for (const WtoElem& e : elems) {
        if (e.component)
            run_component(run, e);
        else
            exec_block(run, e.block, pull(run, e.block));
    }
}

// The post-states and exit states of the blocks in `elems` (inner loops included) are dropped.
void Analyzer::forget_states(Run& run, const std::vector<WtoElem>& elems) {
    for (const WtoElem& e : elems) {
        run.post[e.block].clear();
        run.exits[e.block].clear();
        if (e.component) forget_states(run, e.body);
    }
}

void Analyzer::run_component(Run& run, const WtoElem& comp) {
    uint32_t h = comp.block;
    WidenThresholds th{thr_signed_, thr_unsigned_};
    if (run.checking) {
        // checking pass: the head's state is the stabilised one
        const State& pre = run.head_pre[h];
        const FunctionCfg& c = *run.cfg;
        if (!pre.bottom) {
            if (!loop_terminates(run, h, pre)) {
                // report on the instruction that closes the loop (a back edge's jump)
                uint32_t at = c.block_start[h];
                for (uint32_t p : c.pred[h])
                    if (c.in_loop(p, h)) at = std::max(at, c.block_end[p] - 1);
                sink_.report(env_, Severity::Error, "unbounded-loop", at,
                             "cannot prove that the loop at insn " + std::to_string(c.block_start[h]) +
                                 " terminates: no bound on its iteration count (the exit condition never "
                                 "bounds the loop variable)");
            }
        }
        exec_block(run, h, {pre});
        run_elems(run, comp.body);
        return;
    }
    State pre = State::make_bottom();
    for (int iter = 0;; ++iter) {
        State next = join_all(pull(run, h));
        if (iter > 0 && leq(next, pre)) break;
        pre = iter < kJoinIterations ? join(pre, next) : widen(pre, next, th);
        exec_block(run, h, {pre});
        run_elems(run, comp.body);
    }
    // a pass over the body from a tighter head state (narrowing, induction): the body's blocks start over, so
    // that an inner loop's back edges do not bring back what the looser pass computed
    auto rerun = [&]() {
        forget_states(run, comp.body);
        exec_block(run, h, {pre});
        run_elems(run, comp.body);
    };
    auto narrowing = [&]() {
        for (int i = 0; i < kNarrowIterations; ++i) {
            State next = join_all(pull(run, h));
            State n = narrow(pre, next);
            if (n == pre) break;
            pre = std::move(n);
            rerun();
        }
    };
    narrowing();
    if (refine_induction(run, h, pre)) {
        rerun();
        narrowing();
    }
    run.head_pre[h] = pre;
}

Disjuncts Analyzer::analyze_function(uint32_t fn, const State& entry, bool checking) {
    const FunctionCfg& c = cfg(fn);
    size_t n = c.block_start.size();
    if (n == 0) return {};
    if (checking)
        for (const std::string& p : c.problems) {
            uint32_t at = uint32_t(std::stoul(p.substr(5)));
            sink_.report(env_, Severity::Error, "invalid-instruction", at, p.substr(p.find(':') + 2));
        }
    Run run;
    run.fn = fn;
    run.cfg = &c;
    run.entry = entry;
    run.post.assign(n, Disjuncts{});
    run.head_pre.assign(n, State::make_bottom());
    run.exits.assign(n, Disjuncts{});
    // without loops one pass in WTO order is already the fixpoint: check in that pass directly
    bool has_loops = c.max_depth > 0;
    run.checking = checking && !has_loops;
    run_elems(run, c.wto);
    if (checking && has_loops) {
        run.checking = true;
        run_elems(run, c.wto);
    }
    Disjuncts exits;
    for (Disjuncts& ds : run.exits)
        for (State& e : ds) add_disjunct(exits, std::move(e));
    return exits;
}

// --- bpf2bpf calls ----------------------------------------------------------------------------------

// Removes the top frame (a returning callee); pointers into its stack dangle from then on and become unusable
// (kernel: "cannot return stack pointer to the caller"). Returns its r0, likewise.
static RegValue pop_frame(State& exit) {
    RegValue ret = exit.top().regs[kR0];
    exit.frames.pop_back();
    auto dangling = [&](const RegValue& v) { return v.kind == Kind::Stack && v.frame >= exit.frames.size(); };
    RegValue mixed;
    mixed.kind = Kind::Mixed;
    if (dangling(ret)) ret = mixed;
    for (Frame& f : exit.frames) {
        for (int i = 0; i < kNumRegs; ++i)
            if (dangling(f.regs[i])) set_reg(f, Reg(i), mixed);
        for (auto& [slot, v] : f.spills)
            if (dangling(v)) v = mixed;
    }
    return ret;
}

// Whether `callee` may get a new frame on top of s: no recursion, at most 8 frames (reported when checking);
// records the call site for stack_check.
bool Analyzer::may_enter(uint32_t callee, uint32_t pc, const State& s, bool checking) {
    const Frame& caller = s.top();
    CallSite site{caller.function, pc, callee};
    bool known = false;
    for (const CallSite& cs : call_sites_)
        known = known || (cs.insn == pc && cs.callee == site.callee && cs.caller == site.caller);
    if (!known) call_sites_.push_back(site);
    for (const Frame& f : s.frames)
        if (f.function == callee) {
            if (checking)
                sink_.report(env_, Severity::Error, "call-depth", pc,
                             "recursive call to '" + env_.prog->functions[callee].name + "'");
            return false;
        }
    if (s.frames.size() >=
        size_t(kMaxCallFrames)) { // kernel: setup_func_entry() curframe + 1 >= MAX_CALL_FRAMES
        if (checking)
            sink_.report(env_, Severity::Error, "call-depth", pc,
                         "the call stack of " + std::to_string(s.frames.size() + 1) +
                             " frames is too deep (at most " + std::to_string(kMaxCallFrames) + ")");
        return false;
    }
    return true;
}

State Analyzer::exec_callback_call(const Call& c, uint32_t pc, const State& s, bool checking) {
    const RegValue cb = s.top().regs[kR2];
    const RegValue map = s.top().regs[kR1];
    const bool for_each = c.helper == kHelperForEachMapElem;
    State out = s;
    auto finish = [&](State r) {
        if (r.bottom) return r;
        clobber_caller_saved(r.top());
        set_reg(r.top(), kR0, RegValue::scalar_top()); // the number of runs, or -E2BIG / -EINVAL
        return r;
    };
    const HelperProto* proto = env_.helpers ? env_.helpers->find(c.helper, env_.prog->type)
                                            : builtin_helper(c.helper, env_.prog->type);
    const bool map_ok =
        !for_each || (proto && map.kind == Kind::MapPtr && env_.obj->map_at(map.map) &&
                      check_map_func_compatibility(*proto, env_.obj->map_at(map.map)->type).ok());
    if (!map_ok || cb.kind != Kind::Func || cb.map < 0 || !may_enter(uint32_t(cb.map), pc, s, checking)) {
        exec_insn(Insn{c}, pc, out, env_); // the checks report the argument
        return out;
    }
    const auto fn = uint32_t(cb.map);
    cfg(fn);
    auto entry_of = [&](const State& caller) {
        State e = caller;
        Frame f = new_frame(fn);
        f.callback = true;
        f.return_pc = pc + 1;
        if (for_each) { // kernel: verifier.c set_map_elem_callback_state()
            RegValue key = RegValue::pointer(Kind::MapKey, 0), value = RegValue::pointer(Kind::MapValue, 0);
            key.map = value.map = map.map;
            set_reg(f, kR1, map);
            set_reg(f, kR2, key);
            set_reg(f, kR3, value);
            set_reg(f, kR4, caller.top().regs[kR3]); // callback_ctx
        } else {                                     // kernel: verifier.c set_loop_callback_state()
            set_reg(f, kR1, RegValue::scalar(ScalarValue::from_urange(0, kMaxLoops - 1))); // the index
            set_reg(f, kR2, caller.top().regs[kR3]);                                       // callback_ctx
        }
        RegValue fp = RegValue::pointer(Kind::Stack, 0);
        fp.frame = uint8_t(caller.frames.size());
        set_reg(f, kR10, fp);
        e.frames.push_back(std::move(f));
        return e;
    };
    auto one_more_run = [&](const State& caller, bool check) {
        State x = join_all(analyze_function(fn, entry_of(caller), check));
        if (!x.bottom) pop_frame(x);
        return x;
    };
    WidenThresholds th{thr_signed_, thr_unsigned_};
    State acc = s; // zero runs
    for (int iter = 0;; ++iter) {
        State next = join(acc, one_more_run(acc, false));
        if (leq(next, acc)) break;
        acc = iter < kJoinIterations ? next : widen(acc, next, th);
    }
    if (checking) one_more_run(acc, true); // the checks, on the stable state
    return finish(acc);
}

Disjuncts Analyzer::exec_call_local(const CallLocal& cl, uint32_t pc, const State& s, bool checking) {
    const Frame& caller = s.top();
    int callee = function_starting_at(*env_.prog, cl.target);
    auto unknown_return = [&]() {
        State r = s;
        clobber_caller_saved(r.top());
        set_reg(r.top(), kR0, RegValue::scalar_top());
        return Disjuncts{std::move(r)};
    };
    if (callee < 0) {
        if (checking)
            sink_.report(env_, Severity::Error, "invalid-instruction", pc,
                         "call to insn " + std::to_string(cl.target) + ", which starts no function");
        return unknown_return();
    }
    if (!may_enter(uint32_t(callee), pc, s, checking)) return unknown_return();
    // a new frame: r1..r5 are the arguments, r10 the new frame pointer; packet facts carry over
    cfg(uint32_t(callee));
    State entry = s;
    Frame f = new_frame(uint32_t(callee));
    f.return_pc = pc + 1;
    for (Reg r = kR1; r <= kR5; ++r) set_reg(f, r, caller.regs[r]);
    RegValue fp = RegValue::pointer(Kind::Stack, 0);
    fp.frame = uint8_t(s.frames.size());
    set_reg(f, kR10, fp);
    std::vector<Zone::Var> shared = {Frame::var_pkt_size, Frame::var_meta_size};
    for (Reg r = kR1; r <= kR5; ++r) shared.push_back(Frame::var_reg(r));
    for (Zone::Var x : shared)
        for (Zone::Var y : shared)
            if (x != y)
                if (auto b = caller.zone.bound(x, y)) f.zone.add_constraint(x, y, *b);
    entry.frames.push_back(std::move(f));

    Disjuncts exits;
    bool hit = false;
    auto& entries = cache_[pc];
    for (const CacheEntry& ce : entries)
        if ((ce.checked || !checking) && ce.entry == entry) {
            exits = ce.exits;
            hit = true;
            break;
        }
    if (!hit) {
        exits = analyze_function(uint32_t(callee), entry, checking);
        if (entries.size() >= kCacheEntriesPerSite) entries.erase(entries.begin());
        entries.push_back(CacheEntry{entry, exits, checking});
    }
    for (State& exit : exits) {
        RegValue ret = pop_frame(exit);
        Frame& top = exit.top();
        clobber_caller_saved(top);
        set_reg(top, kR0, ret);
    }
    return exits;
}

} // namespace tailgate
