// The runtime's implementation of every helper in the verifier's table (verifier/helper_protos.hpp), and
// the per-run host state they read and write (ExecEnv::host).
//
// The machine the helpers model: one CPU (id 0, NUMA node 0), a network namespace with only the loopback
// device (ifindex 1, MTU 65536, hard_header_len 14) and an empty routing table, no sockets, a current task
// whose pid/tgid/uid/gid are the host process's (comm "tailgate"), cgroup id 1 (the root). Things that
// would leave the sandbox are recorded instead of done: redirects, signals, return overrides, perf and
// ring-buffer output. Each helper cites the kernel function whose checks and errno results it follows.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/context.hpp"
#include "runtime/maps.hpp"
#include "runtime/vm.hpp"
#include "verifier/helper_protos.hpp"

namespace tailgate::rt {

// A redirect the program asked for (bpf_redirect, bpf_redirect_map, bpf_clone_redirect, ...).
struct RedirectRecord {
    int32_t helper = 0;  // helper id that recorded it
    uint64_t target = 0; // ifindex, or the map key for redirect_map
    uint64_t flags = 0;
    std::string map; // redirect_map: the map's name
};

struct PerfRecord {
    std::string map;
    uint32_t index = 0; // perf_event_array slot (the CPU)
    std::vector<uint8_t> data;
};

struct TaskInfo {
    uint32_t pid = 0, tgid = 0, uid = 0, gid = 0;
    std::string comm = "tailgate";
    uint64_t cgroup_id = 1;
    uint64_t attach_cookie = 0;
};

struct TunnelState {
    bool key_set = false;
    std::vector<uint8_t> key; // struct bpf_tunnel_key as given to skb_set_tunnel_key
    std::vector<uint8_t> opt;
};

// Everything the helpers need during a run; ExecEnv::host points at one. Owned by the Runtime (or a test);
// reset between runs with begin_run().
struct HostState {
    Context* ctx = nullptr;                // the run's context (packet helpers act on it)
    ProgType prog_type = ProgType::Unspec; // type of the entry program (redirect's return codes)
    uint64_t prng = 0x9e3779b97f4a7c15ull; // get_prandom_u32 state (splitmix64), seeded per runtime
    uint32_t hash_seed = 0x5eed1234;       // get_hash_recalc flow-hash seed (the kernel's hashrnd)
    FILE* trace_out = stderr;              // trace_printk / trace_vprintk destination (nullptr: not printed)
    std::string trace_log;                 // everything trace_printk produced (lines end in '\n')
    std::vector<PerfRecord> perf;
    std::optional<RedirectRecord> redirect;
    std::vector<int> signals; // send_signal(): recorded, not delivered
    std::optional<uint64_t> override_return;
    int32_t cgroup_retval = 0; // get_retval / set_retval: the errno the hook returns (bpf_cg_run_ctx.retval)
    std::unordered_map<const uint8_t*, Map*> ringbuf_samples; // reserved, not yet submitted/discarded
    TaskInfo task;
    TunnelState tunnel;
    void* user = nullptr; // free for host-registered helpers

    // Clears the per-run records (redirect, perf, signals, override, retval, tunnel); keeps prng, task, user,
    // log.
    void begin_run(Context* c, ProgType type);
};

inline HostState* host_of(ExecEnv* env) {
    return static_cast<HostState*>(env->host);
}

// How helper implementations (helpers_impl.cpp, helpers_net.cpp) read their u64 arguments and build r0.
namespace helper_args {
using u64 = uint64_t;
// A pointer argument.
template <class T> T* P(u64 v) {
    return reinterpret_cast<T*>(v);
}
// A negative errno (or any signed result) as r0.
inline u64 ret_int(int64_t v) {
    return uint64_t(v);
}
} // namespace helper_args

// Put every built-in helper into `table` (all ids of builtin_helpers() except tail_call, which the engines
// perform inline).
void install_builtin_helpers(HelperTable& table);

// The HelperFn of one built-in id (nullptr when none).
HelperFn builtin_helper_fn(int32_t id);

// trace_printk formatting: verifier/bprintf.hpp format_bprintf() with fault-safe reads (safe_read) for %s.
// At most `args.size()` (3 for trace_printk, 12 for trace_vprintk) conversions.
std::optional<std::string> format_trace(const char* fmt, uint32_t fmt_size,
                                        const std::vector<uint64_t>& args);

// Fault-safe reads of this process's memory (process_vm_readv): the probe_read family. (Nothing writes
// through a program-supplied address: bpf_probe_write_user has no user memory to write.)
bool safe_read(void* dst, uint64_t src_addr, size_t n);

// Internet checksum pieces as the kernel computes them (lib/checksum.c, arch/x86/lib/csum-partial_64.c).
uint32_t csum_partial(const void* buf, size_t len, uint32_t seed);
uint16_t csum_fold(uint32_t csum);

// Net helpers live in helpers_net.cpp; this returns its id -> fn entries.
struct HelperEntry {
    int32_t id;
    HelperFn fn;
};
std::vector<HelperEntry> net_helper_entries();
std::vector<HelperEntry> core_helper_entries();

} // namespace tailgate::rt
