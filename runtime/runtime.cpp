// The Runtime: load, verify, prepare, fill prog arrays, run. See runtime.hpp.
#include "runtime/runtime.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "runtime/interpreter.hpp"
#include "runtime/jit_x86_64.hpp"
#include "verifier/ctx_conversion.hpp"

namespace tailgate::rt {

Runtime::Runtime(RuntimeOptions options) : options_(options) {
    install_builtin_helpers(helpers_);
    host_.prng = options_.seed;
    host_.hash_seed = uint32_t(options_.seed ^ (options_.seed >> 32));
    host_.trace_out = options_.trace_out;
    host_.task.pid = uint32_t(syscall(SYS_gettid));
    host_.task.tgid = uint32_t(getpid());
    host_.task.uid = uint32_t(getuid());
    host_.task.gid = uint32_t(getgid());
}

Status Runtime::register_helper(HelperProto proto, HelperFn fn) {
    if (loaded_) return make_error("already-loaded", "register helpers before loading an object");
    if (!fn || proto.id < 0 || proto.id >= HelperTable::kMaxHelperId)
        return make_error("bad-helper", "helper " + proto.name + "#" + std::to_string(proto.id) +
                                            ": null function or id outside [0, " +
                                            std::to_string(HelperTable::kMaxHelperId) + ")");
    int32_t id = proto.id;
    if (auto s = registry_.add(std::move(proto)); !s) return s.error();
    helpers_.set(id, fn);
    return Ok{};
}

const ProgramState* Runtime::program_state(std::string_view name) const {
    for (const auto& p : programs_)
        if (p.name == name) return &p;
    return nullptr;
}

Map* Runtime::map(std::string_view name) {
    for (auto& m : maps_)
        if (m && m->name() == name) return m.get();
    return nullptr;
}

namespace {

// Map indexes an lddw (pseudo 1/2) of `prog` names.
std::vector<int32_t> referenced_maps(const Program& prog) {
    std::vector<int32_t> out;
    for (const Insn& insn : prog.insns)
        if (auto* l = std::get_if<LoadImm64>(&insn); l && (l->pseudo == 1 || l->pseudo == 2))
            out.push_back(l->imm_lo);
    return out;
}

std::string first_error(const std::vector<Diagnostic>& diags, bool strict) {
    for (const auto& d : diags)
        if (is_rejecting(d, strict))
            return (d.insn ? "insn " + std::to_string(*d.insn) + ": " : std::string()) + d.code + ": " +
                   d.message;
    return "rejected";
}

} // namespace

Status Runtime::prepare_program(size_t index) {
    const Program& p = obj_.programs[index];
    ProgramState& st = programs_[index];
    st.name = p.name;
    st.type = p.type;
    std::vector<CtxAccessSite> sites;
    if (options_.verify) {
        // Only verified code runs (issue 4 item 6). kernel: bpf_check() before bpf_prog_select_runtime().
        VerifyOptions vo;
        vo.strict = options_.strict;
        vo.allow_uninit_stack = options_.allow_uninit_stack;
        vo.allow_ptr_leaks = options_.allow_ptr_leaks;
        vo.helpers = &registry_;
        vo.tracepoint_size = options_.tracepoint_size;
        auto report = verify_program(obj_, index, vo);
        if (!report) {
            st.refusal = report.error().code + ": " + report.error().message;
            return Ok{};
        }
        st.diagnostics = report->diagnostics;
        if (report->verdict == Verdict::Rejected) {
            st.refusal = "rejected by the verifier: " + first_error(st.diagnostics, options_.strict);
            return Ok{};
        }
        st.verified = true;
        for (const auto& a : report->ctx_accesses)
            sites.push_back(CtxAccessSite{a.insn, int32_t(a.offset), a.size, a.is_write});
    } else {
        sites = infer_ctx_accesses(p);
    }
    st.prog.name = p.name;
    st.prog.type = p.type;
    st.prog.insns = p.insns;
    st.prog.function_starts.clear();
    for (const auto& f : p.functions) st.prog.function_starts.push_back(f.start);
    if (st.prog.function_starts.empty() || st.prog.function_starts[0] != 0)
        st.prog.function_starts.insert(st.prog.function_starts.begin(), 0);
    st.prog.stack_size = kMaxBpfStack;
    st.prog.maps = &table_;
    if (auto s = rewrite_ctx_accesses(p.type, st.prog.insns, sites); !s)
        return make_error(s.error().code, "program " + p.name + ": " + s.error().message);
    st.loaded = true;
    return Ok{};
}

Status Runtime::load(const Object& obj, const std::vector<ProgArrayAssignment>& assignments) {
    if (loaded_) return make_error("already-loaded", "a Runtime loads one object");
    loaded_ = true;
    obj_ = obj;
    if (!options_.verify)
        std::fprintf(stderr,
                     "tailgate: WARNING: --no-verify: the verifier is NOT run; %s programs run "
                     "UNVERIFIED and may crash this process\n",
                     obj_.path.c_str());
    maps_.clear();
    table_.clear();
    for (const MapDef& d : obj_.maps) {
        auto m = Map::create(d);
        if (!m) return m.error();
        maps_.push_back(std::move(m).value());
        table_.push_back(maps_.back()->entry());
        // The host listens on the one CPU's perf buffer (slot 0), as a perf_buffer__new() user would.
        if (d.type == MapType::PerfEventArray) {
            uint32_t key = 0, fd = 1;
            (void)maps_.back()->update(&key, &fd, kBpfAny);
        }
    }
    owner_.assign(obj_.maps.size(), std::nullopt);
    programs_.clear();
    programs_.resize(obj_.programs.size());
    for (size_t i = 0; i < obj_.programs.size(); ++i)
        if (auto s = prepare_program(i); !s) return s;
    // Prog-array owners: the first loaded program that uses the map (kernel: bpf_check_tail_call() at load
    // sets map->owner through bpf_prog_map_compatible()).
    for (size_t i = 0; i < obj_.programs.size(); ++i) {
        if (!programs_[i].loaded) continue;
        for (int32_t m : referenced_maps(obj_.programs[i]))
            if (obj_.map_at(m) && obj_.map_at(m)->type == MapType::ProgArray && !owner_[size_t(m)])
                owner_[size_t(m)] = programs_[i].type;
    }
    // Static initialisation (libbpf: bpf_object__init_prog_arrays()), then explicit assignments.
    for (size_t m = 0; m < obj_.maps.size(); ++m)
        for (const auto& [slot, name] : obj_.maps[m].prog_slots)
            if (auto s = fill_slot(m, slot, name, true); !s) return s;
    for (const auto& a : assignments) {
        const MapDef* d = obj_.find_map(a.map);
        if (!d || d->type != MapType::ProgArray)
            return make_error("bad-prog-array", "--prog-array " + a.map + ":" + std::to_string(a.index) +
                                                    "=" + a.program + ": no prog-array map named '" + a.map +
                                                    "'");
        if (auto s = fill_slot(size_t(d - obj_.maps.data()), a.index, a.program, false); !s) return s;
    }
    return Ok{};
}

Status Runtime::fill_slot(size_t map_index, uint32_t slot, const std::string& prog, bool from_static) {
    const std::string what = obj_.maps[map_index].name + ":" + std::to_string(slot) + "=" + prog;
    ProgramState* st = nullptr;
    for (auto& p : programs_)
        if (p.name == prog) st = &p;
    if (!st) return make_error("bad-prog-array", what + ": no program named '" + prog + "'");
    if (!st->loaded) {
        // libbpf would fail the whole object; here the slot stays empty and says so.
        std::fprintf(stderr, "tailgate: note: prog-array slot %s left empty: %s is not loaded (%s)\n",
                     what.c_str(), prog.c_str(), st->refusal.c_str());
        return Ok{};
    }
    auto& owner = owner_[map_index];
    // kernel: core.c __bpf_prog_map_compatible(): the owner's type, unless tailgate declares a ctx
    // conversion from the owner's type to the program's (verifier/ctx_conversion.hpp, issue 5).
    if (owner && *owner != st->type && !find_ctx_conversion(*owner, st->type)) {
        std::string why = what + ": program type " + prog_type_name(st->type) +
                          " differs from the prog array's owner type " + prog_type_name(*owner) +
                          " (kernel: bpf_prog_map_compatible)";
        if (!from_static) return make_error("bad-prog-array", why);
        // The kernel refuses that update (-EINVAL); the slot stays empty.
        std::fprintf(stderr, "tailgate: note: prog-array slot left empty: %s\n", why.c_str());
        return Ok{};
    }
    if (!owner) owner = st->type;
    int r = maps_[map_index]->set_prog_slot(slot, &st->prog, kBpfAny);
    if (r == -kE2BIG)
        return make_error("bad-prog-array", what + ": index out of range (max_entries " +
                                                std::to_string(obj_.maps[map_index].max_entries) + ")");
    if (r) return make_error("bad-prog-array", what + ": update failed (" + std::to_string(r) + ")");
    return Ok{};
}

Status Runtime::set_prog_slot(std::string_view map, uint32_t index, std::string_view prog) {
    const MapDef* d = obj_.find_map(std::string(map));
    if (!d || d->type != MapType::ProgArray)
        return make_error("bad-prog-array", "no prog-array map named '" + std::string(map) + "'");
    size_t mi = size_t(d - obj_.maps.data());
    if (prog.empty()) {
        int r = maps_[mi]->clear_prog_slot(index);
        if (r && r != -kENOENT)
            return make_error("bad-prog-array", "clear failed (" + std::to_string(r) + ")");
        return Ok{};
    }
    return fill_slot(mi, index, std::string(prog), false);
}

Status Runtime::ensure_jit() {
    if (jit_done_) return Ok{};
    std::string failures;
    for (auto& p : programs_) {
        if (!p.loaded) continue;
        if (auto s = jit_compile(p.prog, helpers_); !s) {
            p.jit_error = s.error().code + ": " + s.error().message;
            failures += (failures.empty() ? "" : "; ") + p.name + ": " + p.jit_error;
        } else {
            p.jit_ready = true;
        }
    }
    // Every loaded program must be native: a tail call from JIT code jumps into its target's native code.
    if (!failures.empty()) return make_error("jit-failed", failures);
    jit_done_ = true;
    return Ok{};
}

Result<RunResult> Runtime::run(const RunRequest& req) {
    const ProgramState* cst = program_state(req.program);
    if (!cst) return make_error("unknown-program", "no program named '" + req.program + "'");
    if (!cst->loaded) return make_error("not-loaded", req.program + ": " + cst->refusal);
    if (req.engine == Engine::Jit)
        if (auto s = ensure_jit(); !s) return s.error();
    auto ctx = Context::build(cst->type, req.input);
    if (!ctx) return ctx.error();
    Context& c = **ctx;
    host_.begin_run(&c, cst->type);
    ExecEnv env;
    env.helpers = &helpers_;
    env.host = &host_;
    RunResult out;
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t n = req.repeat ? req.repeat : 1;
    for (uint64_t i = 0; i < n; ++i) {
        env.args[0] = reinterpret_cast<uint64_t>(c.ctx());
        env.args[1] = env.args[2] = env.args[3] = env.args[4] = 0;
        env.packet = c.ld_abs_base();
        env.packet_len = c.ld_abs_len();
        env.tail_call_cnt = 0;
        env.stop = 0;
        env.stop_value = 0;
        env.converted_from = 0;
        auto r = req.engine == Engine::Jit ? jit_execute(cst->prog, env) : interpret(cst->prog, env);
        if (!r) return r.error();
        out.ret = *r;
    }
    auto t1 = std::chrono::steady_clock::now();
    out.runs = n;
    out.ns_per_run =
        double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) / double(n);
    out.tail_calls = env.tail_call_cnt;
    if (c.has_packet()) out.packet.assign(c.packet().begin(), c.packet().end());
    out.redirect = host_.redirect;
    out.perf = host_.perf;
    host_.ctx = nullptr;
    return out;
}

} // namespace tailgate::rt
