// Cross-type tail calls at run time: the engines' side of verifier/ctx_conversion.hpp, and the memory
// regions checked mode allows besides an engine's stack, which include the converted ctx (see vm.hpp).
#include <cstring>

#include "runtime/vm.hpp"

namespace tailgate::rt {

uint64_t convert_ctx_for_tail_call(ExecEnv* env, ProgType from, const LoadedProgram* target, uint64_t ctx) {
    const CtxConversion* conv = find_ctx_conversion(from, target->type);
    if (conv == nullptr || ctx == 0) return 0;
    uint8_t* dst = env->converted_ctx[env->converted_next];
    env->converted_next ^= 1;
    convert_ctx(*conv, reinterpret_cast<const uint8_t*>(ctx), dst);
    env->converted_from = static_cast<uint32_t>(from);
    return reinterpret_cast<uint64_t>(dst);
}

bool env_allows(const ExecEnv& env, uint64_t addr, uint64_t width, bool write) {
    for (uint32_t i = 0; i < env.num_regions; ++i) {
        const MemRegion& r = env.regions[i];
        const auto b = reinterpret_cast<uint64_t>(r.base);
        if (addr >= b && r.size >= width && addr - b <= r.size - width) return !write || r.writable;
    }
    const auto cb = reinterpret_cast<uint64_t>(&env.converted_ctx[0][0]);
    return !write && addr >= cb && addr - cb <= sizeof env.converted_ctx - width;
}

} // namespace tailgate::rt
