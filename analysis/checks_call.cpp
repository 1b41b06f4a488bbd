// Checks of helper calls (kernel: verifier.c check_helper_call() / check_func_arg()), of the tail call's
// arguments (tail-call-ctx, tail-call-map; the index range is recorded for verify_program()), and of the
// legacy packet loads (check_ld_abs()).
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>

#include "analysis/checks_internal.hpp"
#include "verifier/bprintf.hpp"

namespace tailgate {

static void arg_error(const AnalysisEnv& env, CheckSink& sink, uint32_t pc, const HelperProto& p, int i,
                      const std::string& msg) {
    sink.report(env, Severity::Error, "helper-argument", pc,
                "bpf_" + p.name + "#" + std::to_string(p.id) + " arg" + std::to_string(i + 1) + ": " + msg);
}

static bool is_mem_arg(ArgKind k) {
    return k == ArgKind::PtrToMapKey || k == ArgKind::PtrToMapValue || k == ArgKind::PtrToUninitMapValue ||
           k == ArgKind::PtrToMapValueOrNull || k == ArgKind::PtrToMem || k == ArgKind::PtrToMemOrNull ||
           k == ArgKind::PtrToWritableMem || k == ArgKind::PtrToWritableMemOrNull ||
           k == ArgKind::PtrToUninitMem || k == ArgKind::PtrToFixedUninitMem || k == ArgKind::PtrToFixedMem;
}

// Why v is not a non-NULL pointer into the value of a known map, or nullopt when it is one.
static std::optional<std::string> not_map_value(const RegValue& v, const AnalysisEnv& env) {
    if (v.kind == Kind::MapValueOrNull) return "may be NULL; compare it with 0 first";
    if (v.kind != Kind::MapValue) return "is not a pointer into a map value";
    if (!env.obj->map_at(v.map)) return "points into an unknown map";
    return std::nullopt;
}

// Why v is not a constant string (kernel: check_func_arg() ARG_PTR_TO_CONST_STR: a read-only map value,
// a constant offset inside it, a NUL before the value ends), or nullopt when it is one.
static std::optional<std::string> const_str_problem(const RegValue& v, const AnalysisEnv& env) {
    if (auto why = not_map_value(v, env)) return why;
    const MapDef& m = env.obj->maps[size_t(v.map)];
    if (!m.readonly) return "does not point to a readonly map";
    if (!v.num.is_const()) return "is not a constant address";
    const int64_t off = int64_t(v.num.const_value());
    if (off < 0 || uint64_t(off) >= m.value_size || uint64_t(off) >= m.initial_value.size())
        return "is outside the map value of " + std::to_string(m.value_size) + " bytes";
    for (size_t b = size_t(off); b < m.initial_value.size(); ++b)
        if (m.initial_value[b] == 0) return std::nullopt;
    return "string is not zero-terminated";
}

// Why v is not a pointer to a map value's bpf_spin_lock (kernel: verifier.c process_spin_lock()), or
// nullopt when it is one.
static std::optional<std::string> spin_lock_problem(const RegValue& v, const AnalysisEnv& env) {
    if (auto why = not_map_value(v, env)) return why;
    const MapDef& m = env.obj->maps[size_t(v.map)];
    if (m.spin_lock_off < 0) return "points into map '" + m.name + "', which has no valid bpf_spin_lock";
    if (!v.num.is_const() || int64_t(v.num.const_value()) != m.spin_lock_off)
        return "doesn't point to 'struct bpf_spin_lock' that is at " + std::to_string(m.spin_lock_off);
    return std::nullopt;
}

// kernel: process_spin_lock(): unlock the lock that is held. (A second bpf_spin_lock is a call while
// holding a lock, which check_call() reports first, as the kernel's do_check() does.)
static void check_spin_unlock(uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const RegValue& v = s.top().regs[kR1];
    auto bad = [&](const std::string& m) { sink.report(env, Severity::Error, "spin-lock", pc, m); };
    if (s.lock == 0)
        bad("bpf_spin_unlock without taking a lock");
    else if (s.lock == State::kLockUnknown)
        bad("bpf_spin_unlock of a lock that differs between the paths reaching it");
    else if (v.kind == Kind::MapValue && uint32_t(v.map) + 1 != s.lock)
        bad("bpf_spin_unlock of different lock (the held one is in map '" + env.obj->maps[s.lock - 1].name +
            "')");
    else if (v.kind == Kind::MapValue && (v.id != s.lock_id || v.id == 0)) {
        const std::string& map = env.obj->maps[s.lock - 1].name;
        bad("bpf_spin_unlock of different lock (" +
            (v.id == 0 || s.lock_id == 0
                 ? "which value of map '" + map + "' holds the lock is lost where paths meet"
                 : "the held one is in another value of map '" + map + "'") +
            ")");
    }
}

// kernel: verifier.c check_bpf_snprintf_call(): data_len (r5) a constant multiple of 8 of at most 12 args,
// and the constant format (r3) valid for that many (bpf_bprintf_prepare()).
static void check_snprintf_format(uint32_t pc, const Frame& f, const HelperProto& p, const AnalysisEnv& env,
                                  CheckSink& sink) {
    const RegValue& fmt = f.regs[kR3];
    const RegValue& len = f.regs[kR5];
    if (const_str_problem(fmt, env) || len.kind != Kind::Scalar) return; // reported with the arguments
    if (!len.num.is_const() || len.num.const_value() % 8 != 0 || len.num.const_value() > 12 * 8) {
        arg_error(env, sink, pc, p, 4,
                  "data_len r5 = " + to_string(len.num) + " must be a constant multiple of 8, at most 96");
        return;
    }
    const MapDef& m = env.obj->maps[size_t(fmt.map)];
    const size_t off = size_t(fmt.num.const_value());
    const std::vector<uint64_t> zeros(len.num.const_value() / 8, 0);
    auto no_memory = [](void*, uint64_t, size_t) { return false; };
    if (!format_bprintf(reinterpret_cast<const char*>(m.initial_value.data() + off),
                        uint32_t(m.initial_value.size() - off), zeros, no_memory))
        arg_error(env, sink, pc, p, 2,
                  "Invalid format string (bpf_bprintf_prepare() with " + std::to_string(zeros.size()) +
                      " args: an unknown conversion, more conversions than args, or a non-printable "
                      "character)");
}

static void check_mem_arg(uint32_t pc, const State& s, const HelperProto& p, int i, const MapDef* map,
                          const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    ArgKind k = p.args[size_t(i)];
    Reg r = Reg(kR1 + i);
    const RegValue& v = f.regs[r];
    int64_t size = 0;
    bool write = false, read = true;
    switch (k) {
    case ArgKind::PtrToMapKey:
    case ArgKind::PtrToMapValue:
    case ArgKind::PtrToMapValueOrNull:
    case ArgKind::PtrToUninitMapValue:
        if (k == ArgKind::PtrToMapValueOrNull && v.is_const_zero()) return;
        if (!map) return; // the map argument is reported on its own
        size = k == ArgKind::PtrToMapKey ? map->key_size : map->value_size;
        write = k == ArgKind::PtrToUninitMapValue;
        read = !write;
        break;
    case ArgKind::PtrToFixedUninitMem:
    case ArgKind::PtrToFixedMem:
        size = p.arg_size[size_t(i)];
        write = true;
        read = k == ArgKind::PtrToFixedMem;
        break;
    default: { // memory with its size in the next argument
        if (i + 1 >= 5) return;
        const RegValue& sz = f.regs[kR1 + i + 1];
        if (sz.kind != Kind::Scalar) {
            arg_error(env, sink, pc, p, i + 1,
                      reg_name(Reg(kR1 + i + 1)) + " (" + describe(sz, env) + ") is not a size");
            return;
        }
        bool zero_ok = p.args[size_t(i + 1)] == ArgKind::ConstSizeOrZero;
        if (sz.num.smin < 0 && sz.num.umax > (uint64_t(1) << 29)) {
            arg_error(env, sink, pc, p, i + 1,
                      "size " + reg_name(Reg(kR1 + i + 1)) + " = " + to_string(sz.num) + " may be negative");
            return;
        }
        if (sz.num.umax > (uint64_t(1) << 29)) {
            arg_error(env, sink, pc, p, i + 1, "unbounded memory access: size " + to_string(sz.num));
            return;
        }
        if (!zero_ok && sz.num.umin == 0) {
            arg_error(env, sink, pc, p, i + 1,
                      "size " + to_string(sz.num) + " may be zero (invalid zero-sized read)");
            return;
        }
        // kernel: check_helper_mem_access(): NULL passes only with a size of 0 (zero_size_allowed and
        // register_is_null()); any other size makes it a scalar where memory is expected
        if ((k == ArgKind::PtrToMemOrNull || k == ArgKind::PtrToWritableMemOrNull) && v.is_const_zero()) {
            if (sz.num.umax != 0)
                arg_error(env, sink, pc, p, i,
                          reg_name(r) + " is NULL but its size " + reg_name(Reg(kR1 + i + 1)) + " = " +
                              to_string(sz.num) + " may be non-zero");
            return;
        }
        if (sz.num.umax == 0) return;
        size = int64_t(sz.num.umax);
        write = k == ArgKind::PtrToUninitMem || k == ArgKind::PtrToWritableMem ||
                k == ArgKind::PtrToWritableMemOrNull;
        read = k != ArgKind::PtrToUninitMem;
    }
    }
    switch (v.kind) {
    case Kind::Stack:
    case Kind::MapValue:
    case Kind::MapKey: // read-only: check_region refuses a write
    case Kind::Mem: break;
    case Kind::Packet:
    case Kind::PacketMeta:
        if (!p.pkt_access) {
            arg_error(env, sink, pc, p, i,
                      reg_name(r) + " is a packet pointer; this helper does not take packet memory");
            return;
        }
        break;
    default:
        arg_error(env, sink, pc, p, i,
                  reg_name(r) + " type=" + describe(v, env) +
                      " expected=fp, pkt, pkt_meta, map_key, map_value");
        return;
    }
    if (auto issue = check_region(s, r, v, 0, size, write, read, env, sink)) {
        arg_error(env, sink, pc, p, i, issue->message);
        return;
    }
    // a helper that reads stack memory copies it out (into a map, a perf buffer, ...): spilled pointers in it
    // leak kernel addresses (kernel: check_stack_range_initialized() "leaking pointer from stack off %d")
    // (at a variable offset, every byte the helper may read counts)
    if (read && !env.allow_ptr_leaks && v.kind == Kind::Stack && v.frame < s.frames.size()) {
        const Frame& fr = s.frames[v.frame];
        const ByteRange br = access_range(v.num, 0, size);
        if (const std::optional<int> slot = spilled_pointer_in(fr, br.lo, br.hi))
            sink.report(env, Severity::Error, "pointer-leak", pc,
                        "bpf_" + p.name + " arg" + std::to_string(i + 1) + " reads r10" +
                            std::to_string(*slot * 8 - kStackSize) + " which holds a spilled pointer (" +
                            describe(*fr.spill_at(*slot), env) + "): leaks a kernel address");
    }
}

static void check_tail_call(uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    const RegValue& r1 = f.regs[kR1];
    const RegValue& r2 = f.regs[kR2];
    const RegValue& r3 = f.regs[kR3];
    // kernel: check_helper_call() BPF_FUNC_tail_call: "tail_call would lead to reference leak"
    if (!s.refs.empty())
        sink.report(env, Severity::Error, "reference-leak", pc,
                    "tail_call would lead to reference leak: the reference acquired at insn " +
                        std::to_string(s.refs.front() - 1) + " is still held");
    // kernel: check_func_arg() ARG_PTR_TO_CTX + __check_ptr_off_reg(): the unmodified ctx
    if (r1.kind != Kind::Ctx || !r1.num.is_const() || r1.num.const_value() != 0)
        sink.report(env, Severity::Error, "tail-call-ctx", pc,
                    "r1 is " + describe(r1, env) + ", not the unmodified ctx pointer of this program");
    TailCallSite site;
    site.insn = pc;
    site.function = f.function;
    if (r2.kind == Kind::ProgArray) {
        site.maps = {r2.map};
    } else if (r2.kind == Kind::MapPtr && env.obj->map_at(r2.map)) {
        const MapDef& m = *env.obj->map_at(r2.map);
        sink.report(env, Severity::Error, "tail-call-map", pc,
                    "r2 points to map '" + m.name + "' of type " + map_type_name(m.type) +
                        ", not a PROG_ARRAY map (kernel: \"cannot pass map_type " +
                        std::to_string(uint32_t(m.type)) + " into func bpf_tail_call#12\")");
    } else {
        sink.report(env, Severity::Error, "tail-call-map", pc,
                    "r2 is " + describe(r2, env) + ", not a constant pointer to a PROG_ARRAY map");
    }
    if (!need_init(f, kR3, pc, env, sink)) return;
    if (r3.kind != Kind::Scalar) {
        sink.report(env, Severity::Error, "helper-argument", pc,
                    "r3 (" + describe(r3, env) + ") is not a scalar index");
        return;
    }
    // the kernel takes the index as u32 (core.c JMP_TAIL_CALL: u32 index = BPF_R3)
    ScalarValue idx = truncate(r3.num, 4);
    site.index_min = idx.umin;
    site.index_max = idx.umax;
    auto [it, fresh] = sink.tail_calls.emplace(pc, site);
    TailCallSite& known = it->second;
    if (!fresh) { // another path or context reaches the same site: the ranges and the maps join
        known.index_min = std::min(known.index_min, site.index_min);
        known.index_max = std::max(known.index_max, site.index_max);
        std::vector<int32_t> maps;
        std::set_union(known.maps.begin(), known.maps.end(), site.maps.begin(), site.maps.end(),
                       std::back_inserter(maps));
        known.maps = std::move(maps);
    }
    known.map = known.maps.size() == 1 ? known.maps[0] : -1;
    known.map_names.clear();
    for (int32_t m : known.maps) known.map_names.push_back(env.obj->maps[size_t(m)].name);
}

std::string map_label(const TailCallSite& site) {
    std::string out;
    for (const std::string& name : site.map_names) out += (out.empty() ? "" : " or ") + name;
    return out;
}

void check_call(const Call& c, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    const HelperProto* p = env.helpers ? env.helpers->find(c.helper, env.prog->type) : nullptr;
    if (!p) {
        sink.report(env, Severity::Error, "unknown-helper", pc,
                    "invalid func unknown#" + std::to_string(c.helper));
        return;
    }
    if (auto st = check_helper_prog_type(*p, env.prog->type, env.prog->expected_attach); !st.ok()) {
        sink.report(env, Severity::Error, "unknown-helper", pc, st.error().message);
        return;
    }
    // kernel: do_check() BPF_CALL: "function calls are not allowed while holding a lock"
    if (s.lock != 0 && c.helper != kHelperSpinUnlock) {
        sink.report(env, Severity::Error, "spin-lock", pc,
                    "function calls are not allowed while holding a lock (bpf_" + p->name +
                        " while a bpf_spin_lock is held)");
        return;
    }
    if (c.helper == kHelperSpinUnlock) check_spin_unlock(pc, s, env, sink);
    if (c.helper == kHelperTailCall) {
        check_tail_call(pc, s, env, sink);
        return;
    }
    // the reference this call acquired on an earlier iteration was never released (its id is pc + 1)
    const MapDef* map = call_map(f, *p, env);
    if (helper_acquires_ref(*p, map) && holds_ref(s, pc + 1))
        sink.report(env, Severity::Error, "reference-leak", pc,
                    "bpf_" + p->name +
                        " acquires a new reference while the one it acquired before is unreleased");
    for (int i = 0; i < 5; ++i) {
        ArgKind k = p->args[size_t(i)];
        if (k == ArgKind::DontCare) continue;
        Reg r = Reg(kR1 + i);
        if (!need_init(f, r, pc, env, sink)) continue;
        const RegValue& v = f.regs[r];
        switch (k) {
        case ArgKind::PtrToCtx:
            if (v.kind != Kind::Ctx || !v.num.is_const() || v.num.const_value() != 0)
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) + " expected=ctx (unmodified)");
            break;
        case ArgKind::PtrToCtxOrNull:
            if (!v.is_const_zero() && (v.kind != Kind::Ctx || !v.num.is_const() || v.num.const_value() != 0))
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) + " expected=ctx (unmodified) or NULL");
            break;
        case ArgKind::ConstMapPtr:
            if (v.kind == Kind::MapPtr && v.map < 0) {
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) +
                              " is a map a map of maps returned, and that map of maps declares no inner map "
                              "(libbpf: `__array(values, struct {...})`): its layout is unknown");
            } else if (v.kind != Kind::MapPtr && v.kind != Kind::ProgArray) {
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) + " expected=map_ptr");
            } else if (map) {
                if (auto st = check_map_func_compatibility(*p, map->type); !st.ok())
                    arg_error(env, sink, pc, *p, i, st.error().message + " (map '" + map->name + "')");
                // kernel: verifier.c record_func_map(): helpers that change a BPF_F_RDONLY_PROG map
                if (!map->prog_can_write() &&
                    (p->id == kHelperMapUpdateElem || p->id == kHelperMapDeleteElem ||
                     p->id == kHelperMapPushElem || p->id == kHelperMapPopElem))
                    arg_error(env, sink, pc, *p, i,
                              "write into map forbidden: '" + map->name + "' is read-only to programs");
            }
            break;
        case ArgKind::ConstSize:
        case ArgKind::ConstSizeOrZero:
        case ArgKind::ConstAllocSizeOrZero:
            if (v.kind != Kind::Scalar)
                arg_error(env, sink, pc, *p, i, reg_name(r) + " (" + describe(v, env) + ") is not a size");
            break;
        case ArgKind::PtrToSockCommon:
        case ArgKind::PtrToBtfIdSockCommon:
            if (v.kind != Kind::Sock)
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) + " expected=sock (null-checked)");
            else if (p->release_arg == i && !holds_ref(s, held_ref(v))) // kernel: check_func_arg() release
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " must be referenced when passed to release function (only a "
                                        "socket bpf_sk_lookup_* returned is)");
            break;
        case ArgKind::PtrToSocketOrNull: // kernel: check_reg_type() ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL
            if (!v.is_const_zero() &&
                !((v.kind == Kind::Sock || v.kind == Kind::SockOrNull) && v.sock == SockView::Socket))
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) +
                              " expected=sock (a full socket) or NULL");
            break;
        case ArgKind::PtrToRingbufMem: // kernel: the unmodified pointer ringbuf_reserve returned,
                                       // null-checked
            if (v.kind != Kind::Mem || !v.num.is_const() || v.num.const_value() != 0)
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) +
                              " expected=ringbuf_mem (null-checked, unmodified)");
            break;
        case ArgKind::PtrToFunc: // kernel: check_func_arg() ARG_PTR_TO_FUNC, callbacks analysed in
                                 // fixpoint.cpp
            if (c.helper != kHelperLoop && c.helper != kHelperForEachMapElem)
                arg_error(env, sink, pc, *p, i,
                          "callbacks of bpf_" + p->name +
                              " are not supported by tailgate (only bpf_loop's and bpf_for_each_map_elem's)");
            else if (v.kind != Kind::Func)
                arg_error(env, sink, pc, *p, i, reg_name(r) + " type=" + describe(v, env) + " expected=func");
            break;
        case ArgKind::PtrToSpinLock:
            if (auto why = spin_lock_problem(v, env))
                arg_error(env, sink, pc, *p, i, reg_name(r) + " (" + describe(v, env) + ") " + *why);
            break;
        case ArgKind::PtrToConstStr: // kernel: check_func_arg() ARG_PTR_TO_CONST_STR
            if (auto why = const_str_problem(v, env))
                arg_error(env, sink, pc, *p, i, reg_name(r) + " (" + describe(v, env) + ") " + *why);
            break;
        case ArgKind::PtrToStackOrNull:
            if (v.kind != Kind::Stack && !v.is_const_zero())
                arg_error(env, sink, pc, *p, i,
                          reg_name(r) + " type=" + describe(v, env) + " expected=fp or NULL");
            break;
        case ArgKind::Anything: // kernel: check_func_arg() ARG_ANYTHING "R%d leaks addr into helper function"
            if (!env.allow_ptr_leaks && may_be_pointer(v.kind))
                sink.report(env, Severity::Error, "pointer-leak", pc,
                            "bpf_" + p->name + " arg" + std::to_string(i + 1) + ": " + reg_name(r) + " (" +
                                describe(v, env) + ") leaks addr into helper function");
            break;
        default:
            if (is_mem_arg(k)) check_mem_arg(pc, s, *p, i, map, env, sink);
            break;
        }
    }
    if (c.helper == kHelperSnprintf) check_snprintf_format(pc, f, *p, env, sink);
}

void check_load_packet(const LoadPacket& l, uint32_t pc, const State& s, const AnalysisEnv& env,
                       CheckSink& sink) {
    const Frame& f = s.top();
    if (s.lock != 0) // kernel: check_ld_abs()
        sink.report(env, Severity::Error, "spin-lock", pc,
                    "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
    // kernel: verifier.c check_ld_abs() / may_access_skb()
    if (!env.ctx || !env.ctx->ld_abs) {
        sink.report(env, Severity::Error, "invalid-instruction", pc,
                    std::string("BPF_LD_[ABS|IND] instructions not allowed for ") +
                        prog_type_name(env.prog->type) + " programs");
        return;
    }
    const RegValue& r6 = f.regs[kR6];
    if (r6.kind != Kind::Ctx || !r6.num.is_const() || r6.num.const_value() != 0)
        sink.report(env, Severity::Error, "ctx-access", pc,
                    "at the time of BPF_LD_ABS|IND r6 must hold the ctx; it is " + describe(r6, env));
    if (l.indirect && need_init(f, l.src, pc, env, sink) && f.regs[l.src].kind != Kind::Scalar)
        sink.report(env, Severity::Error, "pointer-arithmetic", pc,
                    "BPF_LD_IND offset " + reg_name(l.src) + " is " + describe(f.regs[l.src], env) +
                        ", not a scalar");
}

} // namespace tailgate
