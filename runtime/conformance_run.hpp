// Running a bpf_conformance test program on one engine: shared by tools/conformance_plugin.cpp and
// tests/conformance_test.cpp.
//
// The suite's environment (its README and plugin protocol): r1 points at a writable copy of the test's
// memory (nullptr when there is none), r2 holds its length, r10 is the top of a 512-byte stack, and helper 5
// is "unwind": it returns its first argument, and when that is 0 the program ends at once with r0 = 0.
// Programs are NOT verified (the suite tests the ISA, not the verifier): both engines run them in checked
// mode (memory limited to the stack and the test memory; a violation is the out-of-bounds-access error)
// with the same instruction limit (insn-limit).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/vm.hpp"
#include "verifier/isa.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

enum class Engine : uint8_t { Interp, Jit };

// "interp" / "jit"; nullopt otherwise.
std::optional<Engine> engine_from_name(std::string_view name);
const char* engine_name(Engine e);

// Helper 5 of the conformance suite.
uint64_t conformance_unwind_helper(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, ExecEnv* env);

// Decode `code` and build a LoadedProgram (function starts from the local-call targets, no maps).
// Fails with decode()'s codes.
Result<LoadedProgram> load_raw_program(std::span<const RawInsn> code, std::string name);

// Run `code` on `engine` with `mem` as the test memory (modified in place). Returns r0.
// Fails with decode()'s codes, the interpreter's codes, or the JIT's.
Result<uint64_t> run_conformance_program(std::span<const RawInsn> code, std::vector<uint8_t>& mem,
                                         Engine engine);

} // namespace tailgate::rt
