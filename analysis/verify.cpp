// verify_program(): analysis, checks, stack rules and per-site tail-call results for one program.
#include "analysis/verify.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "analysis/fixpoint.hpp"
#include "analysis/stack_check.hpp"
#include "verifier/ctx_conversion.hpp"
#include "verifier/ctx_layout.hpp"

namespace tailgate {

const char* verdict_name(Verdict v) {
    return v == Verdict::Accepted ? "accepted" : "rejected";
}

size_t ProgramReport::errors() const {
    return size_t(std::count_if(diagnostics.begin(), diagnostics.end(),
                                [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}
size_t ProgramReport::warnings() const {
    return size_t(std::count_if(diagnostics.begin(), diagnostics.end(),
                                [](const Diagnostic& d) { return d.severity == Severity::Warning; }));
}

std::vector<std::string> prog_array_targets(const Object& obj, int32_t map, uint64_t lo, uint64_t hi,
                                            const VerifyOptions& options) {
    std::vector<std::string> out;
    const MapDef* mp = obj.map_at(map);
    if (!mp) return out;
    const MapDef& m = *mp;
    std::map<uint32_t, std::string> slots = m.prog_slots;
    for (const ProgArrayAssignment& a : options.prog_array)
        if (a.map == m.name) slots[a.index] = a.program; // the command line overrides the static value
    for (const auto& [idx, name] : slots)
        if (idx >= lo && idx <= hi && idx < m.max_entries &&
            std::find(out.begin(), out.end(), name) == out.end())
            out.push_back(name);
    return out;
}

// The cgroup storage map of each kind (shared, per-CPU) the program uses, as (object, map index); a program
// uses at most one of each (kernel: bpf_cgroup_storage_assign()).
static std::array<std::pair<const Object*, int32_t>, 2> cgroup_storages(const Object& obj, const Program& p) {
    std::array<std::pair<const Object*, int32_t>, 2> out{{{nullptr, -1}, {nullptr, -1}}};
    for (const Insn& in : p.insns) {
        const auto* l = std::get_if<LoadImm64>(&in);
        if (!l || (l->pseudo != 1 && l->pseudo != 5)) continue;
        const MapDef* m = obj.map_at(l->imm_lo);
        if (m && m->type == MapType::CgroupStorage) out[0] = {&obj, l->imm_lo};
        if (m && m->type == MapType::PercpuCgroupStorage) out[1] = {&obj, l->imm_lo};
    }
    return out;
}

std::string prog_array_incompatibility(const Object& owner_obj, const Program& owner, const Object& fp_obj,
                                       const Program& fp, const CtxConversion** conversion) {
    *conversion = nullptr;
    if (owner.type != fp.type) {
        if (const CtxConversion* c = find_ctx_conversion(owner.type, fp.type)) {
            *conversion = c;
            return "";
        }
        return std::string("'") + fp.name + "' is " + prog_type_name(fp.type) + " but '" + owner.name +
               "' is " + prog_type_name(owner.type) + ", and no conversion from " +
               prog_type_name(owner.type) + " to " + prog_type_name(fp.type) + " is declared";
    }
    if (owner.expected_attach != fp.expected_attach)
        return std::string("'") + fp.name + "' has another expected attach type than '" + owner.name + "'";
    if (owner.xdp_frags != fp.xdp_frags)
        return std::string("'") + (fp.xdp_frags ? fp.name : owner.name) + "' uses XDP frags and '" +
               (fp.xdp_frags ? owner.name : fp.name) + "' does not";
    // the storage cookies ("bpf: Fix oob access in cgroup local storage"): bpf_get_local_storage() in the
    // target returns the storage of the attachment that runs, the owner's
    const auto mine = cgroup_storages(owner_obj, owner), theirs = cgroup_storages(fp_obj, fp);
    for (size_t k = 0; k < mine.size(); ++k)
        if (theirs[k].second >= 0 && theirs[k] != mine[k])
            return std::string("'") + fp.name + "' uses the cgroup storage '" +
                   fp_obj.maps[size_t(theirs[k].second)].name + "' and '" + owner.name + "' " +
                   (mine[k].second >= 0 ? "another one" : "none") +
                   ": bpf_get_local_storage() would return the caller's";
    return "";
}

// The checks of one prog array that reaches the site.
static void map_site_checks(const AnalysisEnv& env, const VerifyOptions& options, TailCallSite& site,
                            int32_t map, const std::string& range, CheckSink& sink) {
    const Object& obj = *env.obj;
    const Program& prog = *env.prog;
    const MapDef& m = obj.maps[size_t(map)];
    if (site.index_min >= m.max_entries)
        sink.report(env, Severity::Warning, "tail-call-index", site.insn,
                    "r3 ∈ " + range + " is >= max_entries " + std::to_string(m.max_entries) + " of map '" +
                        m.name + "' on every path; the tail call always falls through");
    else if (site.index_max >= m.max_entries)
        sink.report(env, Severity::Warning, "tail-call-index", site.insn,
                    "r3 ∈ " + range + " may exceed max_entries " + std::to_string(m.max_entries) +
                        " of map '" + m.name + "'; the tail call then falls through");
    for (const std::string& t : prog_array_targets(obj, map, site.index_min, site.index_max, options)) {
        if (std::find(site.targets.begin(), site.targets.end(), t) != site.targets.end()) continue;
        site.targets.push_back(t);
        const Program* target = obj.find_program(t);
        if (!target) continue; // a program of another object (issue 5 resolves those)
        // a declared cross-type conversion (issue 5, verifier/ctx_conversion.hpp) makes the edge valid
        const CtxConversion* conversion = nullptr;
        const std::string why = prog_array_incompatibility(obj, prog, obj, *target, &conversion);
        if (why.empty()) continue;
        sink.report(env, Severity::Error, "tail-call-target-type", site.insn,
                    "prog array '" + m.name + "' can hold '" + t + "' at an index in " + range + ", but " +
                        why + " (kernel: __bpf_prog_map_compatible() refuses mixed prog arrays)");
    }
}

// Per-site results: the index warning and the target types of every prog array that reaches the site
// (kernel: core.c __bpf_prog_map_compatible()); targets are their union.
static void tail_call_site_checks(const AnalysisEnv& env, const VerifyOptions& options, TailCallSite& site,
                                  CheckSink& sink) {
    std::string range = "[" + std::to_string(site.index_min) + ", " + std::to_string(site.index_max) + "]";
    site.targets.clear();
    for (int32_t map : site.maps) // none: tail-call-map already reported
        map_site_checks(env, options, site, map, range, sink);
}

Result<ProgramReport> verify_program(const Object& obj, size_t program_index, const VerifyOptions& options) {
    if (program_index >= obj.programs.size())
        return make_error("bad-program-index", "program index " + std::to_string(program_index) +
                                                   " out of range (" + std::to_string(obj.programs.size()) +
                                                   " programs)");
    const Program& prog = obj.programs[program_index];
    ProgramReport rep;
    rep.name = prog.name;
    rep.section = prog.section;
    rep.type = prog.type;
    rep.instructions = uint32_t(prog.insns.size());

    HelperRegistry builtin;
    AnalysisEnv env;
    env.obj = &obj;
    env.prog = &prog;
    env.ctx = ctx_layout(prog.type);
    env.ctx_opts.attach = int32_t(prog.expected_attach);
    env.ctx_opts.tracepoint_size = options.tracepoint_size;
    env.helpers = options.helpers ? options.helpers : &builtin;
    env.allow_uninit_stack = options.allow_uninit_stack;
    env.allow_ptr_leaks = options.allow_ptr_leaks;

    CheckSink sink;
    if (prog.insns.empty() || prog.functions.empty()) {
        sink.diags.push_back(Diagnostic{Severity::Error, "invalid-instruction",
                                        "the program has no instructions", prog.name, std::nullopt,
                                        std::nullopt});
    } else {
        Analyzer an(env, sink);
        an.cfg(0);
        State entry = an.entry_state();
        an.analyze_function(0, entry, true);
        std::vector<FunctionStack> fs = check_stack(env, sink.stack_depth, sink);
        for (const FunctionStack& f : fs)
            rep.functions.push_back(FunctionReport{prog.functions[f.function].name,
                                                   prog.functions[f.function].start, f.depth, f.has_tail_call,
                                                   f.max_caller_stack});
        rep.stack_depth = fs.empty() ? 0 : fs[0].depth;
        for (auto& [pc, site] : sink.tail_calls) {
            tail_call_site_checks(env, options, site, sink);
            rep.tail_calls.push_back(site);
        }
        for (const auto& [pc, acc] : sink.ctx_accesses) rep.ctx_accesses.push_back(acc);
    }
    rep.diagnostics = std::move(sink.diags);
    std::stable_sort(
        rep.diagnostics.begin(), rep.diagnostics.end(),
        [](const Diagnostic& a, const Diagnostic& b) { return a.insn.value_or(0) < b.insn.value_or(0); });
    bool rejected = std::any_of(rep.diagnostics.begin(), rep.diagnostics.end(),
                                [&](const Diagnostic& d) { return is_rejecting(d, options.strict); });
    rep.verdict = rejected ? Verdict::Rejected : Verdict::Accepted;
    return rep;
}

} // namespace tailgate
