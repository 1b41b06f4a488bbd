// Internal to the checks (checks.cpp, checks_call.cpp): shared helpers.
#pragma once

#include <optional>
#include <string>

#include "analysis/checks.hpp"

namespace tailgate {

struct MemIssue {
    std::string code;
    std::string message;
};

std::string reg_name(Reg r);
// "map_value+8 of map 'm'".
std::string describe(const RegValue& v, const AnalysisEnv& env);
// Reports uninitialized-register and returns false when r is uninitialised.
bool need_init(const Frame& f, Reg r, uint32_t pc, const AnalysisEnv& env, CheckSink& sink);
// Can [v + off, v + off + size) be accessed (read, or written when `write`)? For stack reads with
// need_init_bytes, every byte must be initialised. `r` is the register holding v in the current frame
// (for the zone's packet facts), or > kR10 when v does not sit in a register. Notes stack depth.
std::optional<MemIssue> check_region(const State& s, Reg r, const RegValue& v, int64_t off, int64_t size,
                                     bool write, bool need_init_bytes, const AnalysisEnv& env,
                                     CheckSink& sink);

// The first slot of f whose spill may be a pointer (a pointer, or Mixed) and overlaps the stack bytes
// [lo, hi) (r10-relative offsets), if any.
std::optional<int> spilled_pointer_in(const Frame& f, int64_t lo, int64_t hi);

void check_call(const Call& c, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink);
void check_load_packet(const LoadPacket& l, uint32_t pc, const State& s, const AnalysisEnv& env,
                       CheckSink& sink);

} // namespace tailgate
