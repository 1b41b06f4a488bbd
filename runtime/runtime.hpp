// The Runtime: loads an Object (every map, every program), runs the verifier on each program and refuses
// rejected ones, rewrites ctx accesses for the runtime's ctx structs, fills prog arrays (static
// initialisation, then explicit assignments), and runs a program on the interpreter or the JIT.
//
// Embedding API: a host registers its own helpers with a prototype before load(); the verifier checks
// calls to them with that prototype (VerifyOptions::helpers) and both engines call them through the
// runtime's HelperTable. Host helpers use ids >= kFirstHostHelperId (verifier/helper_protos.hpp) and get
// the run's HostState through host_of(env) (HostState::user is theirs).
//
// Threads: run() is for one thread at a time per Runtime; set_prog_slot() may be called from any thread
// while a program runs (an atomic slot store: a running chain sees the old or the new program).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/verify.hpp"
#include "runtime/conformance_run.hpp"
#include "runtime/context.hpp"
#include "runtime/helpers_impl.hpp"
#include "runtime/maps.hpp"
#include "runtime/vm.hpp"
#include "verifier/helper_protos.hpp"
#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

// Engine, engine_name() and engine_from_name() come from runtime/conformance_run.hpp.

struct RuntimeOptions {
    // false: --no-verify. Programs run without the verifier's approval (ctx accesses are then found by
    // infer_ctx_accesses()); load() prints a loud warning on stderr.
    bool verify = true;
    bool strict = false;                   // verifier warnings reject too
    bool allow_uninit_stack = false;       // VerifyOptions::allow_uninit_stack
    bool allow_ptr_leaks = false;          // VerifyOptions::allow_ptr_leaks
    uint64_t seed = 0x7461696c67617465ull; // get_prandom_u32 and flow-hash seed
    FILE* trace_out = stderr;              // trace_printk output (nullptr: kept in HostState::trace_log only)
    uint32_t tracepoint_size = 0;
};

// What happened to one program at load().
struct ProgramState {
    std::string name;
    ProgType type = ProgType::Unspec;
    bool loaded = false;                 // verified (or --no-verify) and ready to run
    bool verified = false;               // the verifier accepted it
    std::vector<Diagnostic> diagnostics; // the verifier's (empty with --no-verify)
    std::string refusal;                 // why it is not loaded ("" when loaded)
    LoadedProgram prog;
    bool jit_ready = false;
    std::string jit_error;
};

struct RunRequest {
    std::string program;
    Engine engine = Engine::Interp;
    ContextInput input;
    uint64_t repeat = 1; // runs on the same context, as BPF_PROG_TEST_RUN's repeat does
};

struct RunResult {
    uint64_t ret = 0; // r0 of the last run, as an unsigned 64-bit number
    uint64_t runs = 0;
    double ns_per_run = 0;
    uint32_t tail_calls = 0;     // tail calls taken in the last run
    std::vector<uint8_t> packet; // packet after the last run (packet types)
    std::optional<RedirectRecord> redirect;
    std::vector<PerfRecord> perf;
};

class Runtime {
  public:
    explicit Runtime(RuntimeOptions options = {});
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Embedding API. Fails with "helper-id-taken" / "bad-helper-proto" (the registry's codes), "bad-helper"
    // (null fn or id out of the table range) or "already-loaded" (helpers must come before load()).
    Status register_helper(HelperProto proto, HelperFn fn);
    const HelperRegistry& helper_registry() const { return registry_; }

    // Creates every map and prepares every program of `obj` (kept by value), then fills prog arrays from
    // static initialisation and then from `assignments`. A program the verifier rejects is kept with
    // loaded = false (see program_state()). Fails with the map's error ("bad-map-def",
    // "unsupported-map-type"), "bad-prog-array" (an assignment naming an unknown map/program/slot or a
    // program of another type than the array's owner), "ctx-rewrite", or "already-loaded".
    Status load(const Object& obj, const std::vector<ProgArrayAssignment>& assignments = {});

    const Object& object() const { return obj_; }
    const ProgramState* program_state(std::string_view name) const;
    Map* map(std::string_view name);
    HostState& host() { return host_; }

    // Put program `prog` (by name; "" clears) into slot `index` of prog array `map`. Kernel rules
    // (Map::set_prog_slot) plus the owner-type check of bpf_prog_map_compatible(). Thread-safe.
    Status set_prog_slot(std::string_view map, uint32_t index, std::string_view prog);

    // Runs request.program `repeat` times on one context. Fails with "unknown-program", "not-loaded"
    // (rejected by the verifier: the message has the first error), "bad-input"/"unsupported-ctx" (context),
    // "jit-failed", or the engine's error (both engines report a fault of unverified code alike: vm.hpp
    // RunFault).
    Result<RunResult> run(const RunRequest& request);

  private:
    Status prepare_program(size_t index);
    Status ensure_jit();
    Status fill_slot(size_t map_index, uint32_t slot, const std::string& prog, bool from_static);

    RuntimeOptions options_;
    HelperRegistry registry_;
    HelperTable helpers_;
    HostState host_;
    Object obj_;
    bool loaded_ = false;
    bool jit_done_ = false;
    std::vector<std::unique_ptr<Map>> maps_;     // per Object::maps index (nullptr never after load)
    MapTable table_;                             // what lddw resolves against
    std::vector<std::optional<ProgType>> owner_; // prog-array owner type per map index
    std::deque<ProgramState> programs_;          // stable addresses: slots point at programs_[i].prog
};

} // namespace tailgate::rt
