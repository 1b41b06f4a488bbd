// The errors of unverified code, shared by the interpreter and the JIT (see vm.hpp RunFault).
#include <string>

#include "runtime/vm.hpp"

namespace tailgate::rt {

Error run_error(const std::string& code, const std::string& program, uint32_t pc, const std::string& what) {
    return make_error(code, "program '" + program + "' insn " + std::to_string(pc) + ": " + what);
}

Error run_fault_error(RunFault fault, const std::string& program, uint32_t pc, int64_t detail) {
    const std::string width = std::to_string(detail) + " bytes";
    switch (fault) {
    case RunFault::UnknownHelper:
        return run_error("unknown-helper", program, pc, "no helper with id " + std::to_string(detail));
    case RunFault::CallxTailCall:
        return run_error("unknown-helper", program, pc, "callx cannot perform a tail call");
    case RunFault::CallDepth:
        // kernel: verifier.c check_max_stack_depth_subprog() (MAX_CALL_FRAMES)
        return run_error("call-depth-exceeded", program, pc,
                         "more than " + std::to_string(kMaxCallFrames) + " call frames");
    case RunFault::FellOff:
        return run_error("pc-out-of-range", program, pc, "execution ran past the last instruction");
    case RunFault::LoadOutOfBounds: return run_error("out-of-bounds-access", program, pc, "load of " + width);
    case RunFault::StoreOutOfBounds:
        return run_error("out-of-bounds-access", program, pc, "store of " + width);
    case RunFault::AtomicOutOfBounds:
        return run_error("out-of-bounds-access", program, pc, "atomic of " + width);
    case RunFault::BadTailCallMap:
        return run_error("bad-tail-call-map", program, pc, "r2 is not a map of this program");
    case RunFault::LddwPseudo:
        return run_error("bad-lddw", program, pc,
                         "lddw pseudo " + std::to_string(detail) + " is not supported");
    case RunFault::LddwNoMap:
        return run_error("bad-lddw", program, pc,
                         "map index " + std::to_string(detail) + " has no runtime map");
    case RunFault::LddwNoValue:
        return run_error("bad-lddw", program, pc,
                         "map " + std::to_string(detail) + " has no direct value access");
    case RunFault::LddwHigh:
        return run_error("pc-out-of-range", program, pc, "executed the second half of an lddw");
    case RunFault::InsnLimit:
        return run_error("insn-limit", program, pc,
                         "instruction limit " + std::to_string(detail) + " reached");
    case RunFault::BadCallback:
        return run_error("bad-callback", program, pc,
                         detail == kCallbackChecked
                             ? "checked mode does not run callbacks"
                             : "the callback is not a function of the running program");
    case RunFault::None: break;
    }
    return run_error("internal", program, pc, "fault " + std::to_string(static_cast<uint32_t>(fault)));
}

} // namespace tailgate::rt
