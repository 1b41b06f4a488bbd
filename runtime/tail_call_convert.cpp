// Cross-type tail calls at run time: the engines' side of verifier/ctx_conversion.hpp (see vm.hpp).
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

} // namespace tailgate::rt
