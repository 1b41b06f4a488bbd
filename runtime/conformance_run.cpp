// See conformance_run.hpp.
#include "runtime/conformance_run.hpp"

#include <algorithm>
#include <optional>

#include "runtime/interpreter.hpp"
#include "runtime/jit_x86_64.hpp"

namespace tailgate::rt {

std::optional<Engine> engine_from_name(std::string_view name) {
    if (name == "interp") return Engine::Interp;
    if (name == "jit") return Engine::Jit;
    return std::nullopt;
}

const char* engine_name(Engine e) {
    return e == Engine::Jit ? "jit" : "interp";
}

uint64_t conformance_unwind_helper(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, ExecEnv* env) {
    if (r1 == 0) {
        env->stop = 1;
        env->stop_value = 0;
    }
    return r1;
}

Result<LoadedProgram> load_raw_program(std::span<const RawInsn> code, std::string name) {
    TG_TRY_ASSIGN(auto insns, decode(code));
    LoadedProgram p;
    p.name = std::move(name);
    p.function_starts = {0};
    for (const Insn& i : insns)
        if (const auto* c = std::get_if<CallLocal>(&i)) p.function_starts.push_back(c->target);
    std::sort(p.function_starts.begin(), p.function_starts.end());
    p.function_starts.erase(std::unique(p.function_starts.begin(), p.function_starts.end()),
                            p.function_starts.end());
    p.insns = std::move(insns);
    return p;
}

Result<uint64_t> run_conformance_program(std::span<const RawInsn> code, std::vector<uint8_t>& mem,
                                         Engine engine) {
    TG_TRY_ASSIGN(LoadedProgram prog, load_raw_program(code, "conformance"));
    static const MapTable kNoMaps; // immutable, shared
    prog.maps = &kNoMaps;
    HelperTable helpers;
    helpers.set(5, &conformance_unwind_helper);
    MemRegion region{mem.empty() ? nullptr : mem.data(), mem.size(), true};
    ExecEnv env;
    env.args[0] = reinterpret_cast<uint64_t>(region.base);
    env.args[1] = mem.size();
    env.helpers = &helpers;
    env.regions = &region;
    env.num_regions = 1;
    constexpr uint64_t kMaxInsns = 100'000'000; // both engines: a looping program ends with insn-limit
    if (engine == Engine::Interp) {
        InterpOptions opt;
        opt.checked = true;
        opt.max_insns = kMaxInsns;
        return interpret(prog, env, opt);
    }
    JitOptions opt;
    opt.checked = true;
    opt.max_insns = kMaxInsns;
    if (auto st = jit_compile(prog, helpers, opt); !st) return st.error();
    return jit_execute(prog, env);
}

} // namespace tailgate::rt
