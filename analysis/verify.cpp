// verify_program(): analysis, checks, stack rules and per-site tail-call results for one program.
#include "analysis/verify.hpp"

#include <algorithm>
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
        std::string why;
        // a declared cross-type conversion (issue 5, verifier/ctx_conversion.hpp) makes the edge valid
        if (target->type != prog.type && find_ctx_conversion(prog.type, target->type)) continue;
        if (target->type != prog.type)
            why = std::string("its type is ") + prog_type_name(target->type) + ", the caller's is " +
                  prog_type_name(prog.type);
        else if (target->expected_attach != prog.expected_attach)
            why = "its expected attach type " + std::to_string(int32_t(target->expected_attach)) +
                  " differs from the caller's " + std::to_string(int32_t(prog.expected_attach));
        else if (target->xdp_frags != prog.xdp_frags)
            why = std::string("xdp_has_frags differs (target ") + (target->xdp_frags ? "xdp.frags" : "xdp") +
                  ", caller " + (prog.xdp_frags ? "xdp.frags" : "xdp") + ")";
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
