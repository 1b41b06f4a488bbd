// Built-in helpers that do not touch packets: maps, time, randomness, printing, the current task, probe
// reads, perf and ring-buffer output. Packet helpers are in helpers_net.cpp. See helpers_impl.hpp.
#include "runtime/helpers_impl.hpp"

#include "verifier/bprintf.hpp"
#include "verifier/ctx_conversion.hpp"

#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstring>

namespace tailgate::rt {

void HostState::begin_run(Context* c, ProgType type) {
    ctx = c;
    prog_type = type;
    perf.clear();
    redirect.reset();
    signals.clear();
    override_return.reset();
    cgroup_retval = 0;
    ringbuf_samples.clear();
    tunnel = TunnelState{};
}

// ---- memory and checksum utilities ---------------------------------------------------------------------

bool safe_read(void* dst, uint64_t src_addr, size_t n) {
    if (n == 0) return true;
    iovec local{dst, n};
    iovec remote{reinterpret_cast<void*>(src_addr), n};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == ssize_t(n);
}

// Ones'-complement sum of 16-bit words (as 32-bit words with end-around carry), the value x86-64's
// csum_partial() returns up to the equivalence of the two zero representations.
uint32_t csum_partial(const void* buf, size_t len, uint32_t seed) {
    const uint8_t* p = static_cast<const uint8_t*>(buf);
    uint64_t sum = 0;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        std::memcpy(&w, p + i, 4);
        sum += w;
    }
    if (i + 2 <= len) {
        uint16_t w;
        std::memcpy(&w, p + i, 2);
        sum += w;
        i += 2;
    }
    if (i < len) sum += p[i];
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    uint64_t r = sum + seed;
    r = (r & 0xffffffffu) + (r >> 32);
    return uint32_t(r);
}

uint16_t csum_fold(uint32_t csum) {
    uint32_t s = (csum & 0xffff) + (csum >> 16);
    s = (s & 0xffff) + (s >> 16);
    return uint16_t(~s);
}

// ---- trace_printk formatting ----------------------------------------------------------------------------

std::optional<std::string> format_trace(const char* fmt, uint32_t fmt_size,
                                        const std::vector<uint64_t>& args) {
    return format_bprintf(fmt, fmt_size, args, safe_read);
}

namespace {

using namespace helper_args;

uint64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// ---- maps ----------------------------------------------------------------------------------------------

u64 h_map_lookup_elem(u64 map, u64 key, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    return m ? reinterpret_cast<u64>(m->lookup(P<void>(key))) : 0;
}
u64 h_map_update_elem(u64 map, u64 key, u64 value, u64 flags, u64, ExecEnv*) {
    Map* m = map_of(map);
    return ret_int(m ? m->update(P<void>(key), P<void>(value), flags) : -kEINVAL);
}
u64 h_map_delete_elem(u64 map, u64 key, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    return ret_int(m ? m->remove(P<void>(key)) : -kEINVAL);
}
u64 h_map_push_elem(u64 map, u64 value, u64 flags, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    return ret_int(m ? m->push(P<void>(value), flags) : -kEINVAL);
}
u64 h_map_pop_elem(u64 map, u64 value, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    return ret_int(m ? m->pop(P<void>(value)) : -kEINVAL);
}
u64 h_map_peek_elem(u64 map, u64 value, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    return ret_int(m ? m->peek(P<void>(value)) : -kEINVAL);
}
// kernel: helpers.c bpf_get_local_storage(): the storage of the program's cgroup (flags ignored).
u64 h_get_local_storage(u64 map, u64, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    return m ? reinterpret_cast<u64>(m->local_storage()) : 0;
}

// ---- time, randomness, cpu ------------------------------------------------------------------------------

u64 h_ktime_get_ns(u64, u64, u64, u64, u64, ExecEnv*) {
    return clock_ns(CLOCK_MONOTONIC);
}
u64 h_ktime_get_boot_ns(u64, u64, u64, u64, u64, ExecEnv*) {
    return clock_ns(CLOCK_BOOTTIME);
}
u64 h_ktime_get_coarse_ns(u64, u64, u64, u64, u64, ExecEnv*) {
    return clock_ns(CLOCK_MONOTONIC_COARSE);
}
u64 h_ktime_get_tai_ns(u64, u64, u64, u64, u64, ExecEnv*) {
    return clock_ns(CLOCK_TAI);
}
// kernel: jiffies since boot; HZ = 250 (the common distribution setting), counted from CLOCK_BOOTTIME.
u64 h_jiffies64(u64, u64, u64, u64, u64, ExecEnv*) {
    return clock_ns(CLOCK_BOOTTIME) / 4000000ull;
}
u64 h_get_prandom_u32(u64, u64, u64, u64, u64, ExecEnv* env) {
    HostState* h = host_of(env);
    uint64_t z = (h->prng += 0x9e3779b97f4a7c15ull); // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return uint32_t((z ^ (z >> 31)) >> 32);
}
u64 h_zero(u64, u64, u64, u64, u64, ExecEnv*) {
    return 0;
} // smp_processor_id, numa_node_id

// ---- printing -------------------------------------------------------------------------------------------

u64 emit_trace(ExecEnv* env, const std::optional<std::string>& s) {
    if (!s) return ret_int(-kEINVAL);
    HostState* h = host_of(env);
    h->trace_log += *s;
    if (s->empty() || s->back() != '\n') h->trace_log += '\n';
    if (h->trace_out) {
        std::fputs(s->c_str(), h->trace_out);
        if (s->empty() || s->back() != '\n') std::fputc('\n', h->trace_out);
    }
    return s->size();
}
// kernel: bpf_trace.c bpf_trace_printk(): up to 3 args, returns the formatted length.
u64 h_trace_printk(u64 fmt, u64 size, u64 a1, u64 a2, u64 a3, ExecEnv* env) {
    return emit_trace(env, format_trace(P<const char>(fmt), uint32_t(size), {a1, a2, a3}));
}
// kernel: bpf_trace.c bpf_trace_vprintk(): data_len a multiple of 8, at most 12 args.
u64 h_trace_vprintk(u64 fmt, u64 size, u64 data, u64 data_len, u64, ExecEnv* env) {
    if (data_len % 8 != 0 || data_len > 12 * 8 || (data_len && !data)) return ret_int(-kEINVAL);
    std::vector<uint64_t> args(data_len / 8);
    if (data_len) std::memcpy(args.data(), P<void>(data), data_len);
    return emit_trace(env, format_trace(P<const char>(fmt), uint32_t(size), args));
}

// kernel: helpers.c bpf_snprintf(): data_len a multiple of 8, at most 12 args (-EINVAL otherwise); the
// output is cut to str_size (NUL-terminated when str_size > 0); returns the formatted length + 1.
u64 h_snprintf(u64 str, u64 str_size, u64 fmt, u64 data, u64 data_len, ExecEnv*) {
    if (data_len % 8 != 0 || data_len > 12 * 8 || (data_len && !data)) return ret_int(-kEINVAL);
    std::vector<uint64_t> args(data_len / 8);
    if (data_len) std::memcpy(args.data(), P<void>(data), data_len);
    auto s = format_trace(P<const char>(fmt), UINT32_MAX, args);
    if (!s) return ret_int(-kEINVAL);
    if (str_size > 0) {
        const size_t n = std::min<size_t>(s->size(), size_t(str_size - 1));
        std::memcpy(P<char>(str), s->data(), n);
        P<char>(str)[n] = 0;
    }
    return s->size() + 1;
}

// ---- current task ---------------------------------------------------------------------------------------

u64 h_get_current_pid_tgid(u64, u64, u64, u64, u64, ExecEnv* env) {
    const TaskInfo& t = host_of(env)->task;
    return (uint64_t(t.tgid) << 32) | t.pid;
}
u64 h_get_current_uid_gid(u64, u64, u64, u64, u64, ExecEnv* env) {
    const TaskInfo& t = host_of(env)->task;
    return (uint64_t(t.gid) << 32) | t.uid;
}
// kernel: helpers.c bpf_get_current_comm(): strscpy_pad(buf, comm, size); 0.
u64 h_get_current_comm(u64 buf, u64 size, u64, u64, u64, ExecEnv* env) {
    const std::string& c = host_of(env)->task.comm;
    uint8_t* b = P<uint8_t>(buf);
    std::memset(b, 0, size);
    if (size) std::memcpy(b, c.data(), std::min<size_t>(c.size(), size - 1));
    return 0;
}
u64 h_get_current_task(u64, u64, u64, u64, u64, ExecEnv* env) {
    return reinterpret_cast<u64>(&host_of(env)->task); // an opaque, stable task address
}
u64 h_get_current_cgroup_id(u64, u64, u64, u64, u64, ExecEnv* env) {
    return host_of(env)->task.cgroup_id;
}
u64 h_get_attach_cookie(u64, u64, u64, u64, u64, ExecEnv* env) {
    return host_of(env)->task.attach_cookie;
}
// kernel: bpf_trace.c bpf_send_signal() / bpf_send_signal_thread() (the thread rather than the process:
// one task here): sig 0 or > 64 -> -EINVAL; recorded here instead of delivered.
u64 h_send_signal(u64 sig, u64, u64, u64, u64, ExecEnv* env) {
    if (uint32_t(sig) == 0 || uint32_t(sig) > 64) return ret_int(-kEINVAL);
    host_of(env)->signals.push_back(int(uint32_t(sig)));
    return 0;
}
// kernel: cgroup array slot holds a cgroup; the current task is in cgroup task.cgroup_id (1 = root, which
// every task is under). kernel: bpf_current_task_under_cgroup(): -E2BIG, -EAGAIN for an empty slot.
u64 h_current_task_under_cgroup(u64 map, u64 idx, u64, u64, u64, ExecEnv* env) {
    Map* m = map_of(map);
    if (!m) return ret_int(-kEINVAL);
    if (uint32_t(idx) >= m->def().max_entries) return ret_int(-kE2BIG);
    uint32_t key = uint32_t(idx);
    void* v = m->lookup(&key);
    if (!v) return ret_int(-kEAGAIN);
    uint32_t cg;
    std::memcpy(&cg, v, 4);
    return (cg == 1 || cg == host_of(env)->task.cgroup_id) ? 1 : 0;
}
// kernel: bpf_trace.c bpf_override_return(): sets the probed function's return register (ax) and skips it.
u64 h_override_return(u64 regs, u64 rc, u64, u64, u64, ExecEnv* env) {
    std::memcpy(P<uint8_t>(regs) + 80 /* pt_regs.ax */, &rc, 8);
    host_of(env)->override_return = rc;
    return 0;
}
// kernel: bpf_trace.c bpf_get_func_ip_kprobe(): the probed address (regs->ip at entry) — pt_regs.ip.
u64 h_get_func_ip(u64 ctx, u64, u64, u64, u64, ExecEnv* env) {
    if (env && host_of(env)->prog_type != ProgType::Kprobe) return 0;
    uint64_t ip;
    std::memcpy(&ip, P<uint8_t>(ctx) + 128, 8);
    return ip;
}

// ---- probe reads ----------------------------------------------------------------------------------------

// kernel: bpf_probe_read_kernel_common(): copy_from_kernel_nofault; on fault zero dst and -EFAULT.
u64 h_probe_read(u64 dst, u64 size, u64 src, u64, u64, ExecEnv*) {
    if (safe_read(P<void>(dst), src, size)) return 0;
    std::memset(P<void>(dst), 0, size);
    return ret_int(-kEFAULT);
}
// kernel: bpf_probe_read_kernel_str_common(): strncpy_from_kernel_nofault(); length incl. the NUL.
u64 h_probe_read_str(u64 dst, u64 size, u64 src, u64, u64, ExecEnv*) {
    if (size == 0) return 0;
    uint8_t* d = P<uint8_t>(dst);
    for (uint64_t i = 0; i < size; ++i) {
        if (i == size - 1) {
            d[i] = 0;
            return size;
        }
        if (!safe_read(d + i, src + i, 1)) {
            std::memset(d, 0, size);
            return ret_int(-kEFAULT);
        }
        if (d[i] == 0) return i + 1;
    }
    return size;
}
// kernel: bpf_trace.c bpf_probe_write_user(): copy_to_user_nofault(), which refuses any destination that is
// not user memory (access_ok()). The runtime's own memory (maps, contexts, stacks, its host state) is what
// kernel memory is to a program, and the runtime gives programs no user address space: every destination
// fails as a kernel address would, and nothing is written.
u64 h_probe_write_user(u64, u64, u64, u64, u64, ExecEnv*) {
    return ret_int(-kEFAULT);
}

// ---- stacks, perf ---------------------------------------------------------------------------------------

constexpr u64 kSkipMask = 0xff, kUserStack = 1u << 8, kFastCmp = 1u << 9, kReuseId = 1u << 10,
              kUserBuildId = 1u << 11;
// kernel: stackmap.c bpf_get_stackid(): flag check, then no call chain exists here -> -EFAULT.
u64 h_get_stackid(u64, u64, u64 flags, u64, u64, ExecEnv*) {
    if (flags & ~(kSkipMask | kUserStack | kFastCmp | kReuseId)) return ret_int(-kEINVAL);
    return ret_int(-kEFAULT);
}
// kernel: stackmap.c __bpf_get_stack(): flag and size checks, then no call chain -> zeroed buf, -EFAULT.
u64 h_get_stack(u64, u64 buf, u64 size, u64 flags, u64, ExecEnv*) {
    std::memset(P<void>(buf), 0, size);
    if (flags & ~(kSkipMask | kUserStack | kUserBuildId)) return ret_int(-kEINVAL);
    if ((flags & kUserBuildId) && !(flags & kUserStack)) return ret_int(-kEINVAL);
    uint32_t elem = (flags & kUserBuildId) ? 32 : 8;
    if (size % elem) return ret_int(-kEINVAL);
    return ret_int(-kEFAULT);
}

constexpr u64 kIndexMask = 0xffffffffull, kCurrentCpu = kIndexMask, kCtxLenMask = 0xfffffull << 32;

// kernel: bpf_trace.c __bpf_perf_event_output() + bpf_skb_event_output()/bpf_xdp_event_output().
u64 h_perf_event_output(u64 ctx, u64 map, u64 flags, u64 data, u64 size, ExecEnv* env) {
    (void)ctx;
    HostState* h = host_of(env);
    Map* m = map_of(map);
    if (!m) return ret_int(-kEINVAL);
    bool packet = h->ctx && h->ctx->has_packet();
    if (flags & ~(kIndexMask | (packet ? kCtxLenMask : 0))) return ret_int(-kEINVAL);
    uint64_t index = flags & kIndexMask;
    if (index == kCurrentCpu) index = 0;
    if (index >= m->def().max_entries) return ret_int(-kE2BIG);
    if (!m->slot_present(uint32_t(index))) return ret_int(-kENOENT);
    uint64_t ctx_len = (flags & kCtxLenMask) >> 32;
    PerfRecord rec{m->name(), uint32_t(index), {}};
    rec.data.assign(P<uint8_t>(data), P<uint8_t>(data) + size);
    if (ctx_len) {
        auto pkt = h->ctx->packet();
        if (ctx_len > pkt.size()) return ret_int(-kEFAULT);
        rec.data.insert(rec.data.end(), pkt.begin(), pkt.begin() + ptrdiff_t(ctx_len));
    }
    h->perf.push_back(std::move(rec));
    return 0;
}
// kernel: bpf_trace.c bpf_perf_event_read(): the slots here hold output buffers, not counters: an empty
// slot is -ENOENT, a populated one is not a readable counter event (-EINVAL, perf_event_read_local()).
u64 h_perf_event_read(u64 map, u64 flags, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    if (!m) return ret_int(-kEINVAL);
    if (flags & ~kIndexMask) return ret_int(-kEINVAL);
    uint64_t index = flags == kCurrentCpu ? 0 : flags;
    if (index >= m->def().max_entries) return ret_int(-kE2BIG);
    if (!m->slot_present(uint32_t(index))) return ret_int(-kENOENT);
    return ret_int(-kEINVAL);
}
u64 h_perf_event_read_value(u64 map, u64 flags, u64 buf, u64 size, u64, ExecEnv* env) {
    std::memset(P<void>(buf), 0, size);
    if (size != 24) return ret_int(-kEINVAL); // sizeof(struct bpf_perf_event_value)
    return h_perf_event_read(map, flags, 0, 0, 0, env);
}
// kernel: bpf_trace.c bpf_perf_prog_read_value(): the buffer is cleared on error; a size other than
// sizeof(struct bpf_perf_event_value) is -EINVAL, and a run here has no perf event to read (-EINVAL too,
// as perf_event_read_local() of an event not on this CPU).
u64 h_perf_prog_read_value(u64, u64 buf, u64 size, u64, u64, ExecEnv*) {
    std::memset(P<void>(buf), 0, size);
    return ret_int(-kEINVAL);
}
// ---- string to integer (kernel/bpf/helpers.c __bpf_strtoull()) -----------------------------------------

constexpr int kERANGE = 34;
constexpr u64 kStrtoxBaseMask = 0x1f;
// the kernel's isspace() (lib/ctype.c): \t \n \v \f \r, space and Latin-1 NBSP
bool kernel_isspace(uint8_t c) {
    return (c >= 9 && c <= 13) || c == ' ' || c == 0xa0;
}
struct ParsedInt {
    int consumed = 0; // bytes of buf used, or a negative errno
    uint64_t value = 0;
    bool negative = false;
};
// Leading spaces, an optional '-', then digits in base 8/10/16 (0: by prefix, "0x" hex, "0" octal), read
// from at most 63 bytes after the sign (lib/kstrtox.c _parse_integer_fixup_radix() / _parse_integer()).
ParsedInt parse_strtox(const uint8_t* buf, size_t len, u64 flags) {
    ParsedInt r;
    unsigned base = unsigned(flags & kStrtoxBaseMask);
    if (!buf || len == 0 || (base != 0 && base != 8 && base != 10 && base != 16) ||
        (flags & ~kStrtoxBaseMask))
        return r.consumed = -kEINVAL, r;
    size_t i = 0;
    while (i < len && kernel_isspace(buf[i])) ++i;
    r.negative = i < len && buf[i] == '-';
    if (r.negative) ++i;
    if (i == len) return r.consumed = -kEINVAL, r;
    char str[64] = {};
    const size_t n = std::min(len - i, sizeof str - 1);
    std::memcpy(str, buf + i, n);
    const char* p = str;
    auto lower = [](char c) { return char(std::tolower(uint8_t(c))); };
    if (base == 0) base = p[0] == '0' ? (lower(p[1]) == 'x' && std::isxdigit(uint8_t(p[2])) ? 16 : 8) : 10;
    if (base == 16 && p[0] == '0' && lower(p[1]) == 'x') p += 2;
    const char* digits = p;
    bool overflow = false;
    for (;; ++p) {
        unsigned v;
        if (*p >= '0' && *p <= '9')
            v = unsigned(*p - '0');
        else if (lower(*p) >= 'a' && lower(*p) <= 'f')
            v = unsigned(lower(*p) - 'a' + 10);
        else
            break;
        if (v >= base) break;
        if (r.value > (UINT64_MAX - v) / base) overflow = true;
        r.value = r.value * base + v;
    }
    if (overflow) return r.consumed = -kERANGE, r;
    if (p == digits) return r.consumed = -kEINVAL, r;
    r.consumed = int(i + size_t(p - str));
    return r;
}
// kernel: bpf_strtol() / bpf_strtoul(): the result is zeroed first; out of range -ERANGE; a '-' for
// strtoul -EINVAL; else the number of bytes consumed.
u64 h_strtol(u64 buf, u64 len, u64 flags, u64 res, u64, ExecEnv*) {
    std::memset(P<void>(res), 0, 8);
    ParsedInt r = parse_strtox(P<const uint8_t>(buf), len, flags);
    if (r.consumed < 0) return ret_int(r.consumed);
    if (r.negative ? r.value > uint64_t(INT64_MAX) + 1 : r.value > uint64_t(INT64_MAX))
        return ret_int(-kERANGE);
    const int64_t v = r.negative ? int64_t(0 - r.value) : int64_t(r.value);
    std::memcpy(P<void>(res), &v, 8);
    return ret_int(r.consumed);
}
u64 h_strtoul(u64 buf, u64 len, u64 flags, u64 res, u64, ExecEnv*) {
    std::memset(P<void>(res), 0, 8);
    ParsedInt r = parse_strtox(P<const uint8_t>(buf), len, flags);
    if (r.consumed < 0) return ret_int(r.consumed);
    if (r.negative) return ret_int(-kEINVAL);
    std::memcpy(P<void>(res), &r.value, 8);
    return ret_int(r.consumed);
}

// kernel: helpers.c bpf_strncmp() -> lib/string.c strncmp(): at most s1_sz bytes, -1 / 0 / 1. s2 is a
// NUL-terminated constant string (the verifier checked it in the read-only map).
u64 h_strncmp(u64 s1, u64 s1_sz, u64 s2, u64, u64, ExecEnv*) {
    const uint8_t* a = P<const uint8_t>(s1);
    const uint8_t* b = P<const uint8_t>(s2);
    for (u64 i = 0; i < s1_sz; ++i) {
        if (a[i] != b[i]) return ret_int(a[i] < b[i] ? -1 : 1);
        if (a[i] == 0) break;
    }
    return 0;
}

// kernel: bpf_trace.c bpf_read_branch_records(): flags other than BPF_F_GET_BRANCH_RECORDS_SIZE -EINVAL; a
// run here samples no branch stack: -ENOENT.
u64 h_read_branch_records(u64, u64, u64, u64 flags, u64, ExecEnv*) {
    if (flags & ~u64(1)) return ret_int(-kEINVAL);
    return ret_int(-kENOENT);
}

// kernel: helpers.c bpf_spin_lock() / bpf_spin_unlock() on the map value's lock field the verifier proved.
u64 h_spin_lock(u64 lock, u64, u64, u64, u64, ExecEnv*) {
    spin_lock_word(P<uint32_t>(lock));
    return 0;
}
u64 h_spin_unlock(u64 lock, u64, u64, u64, u64, ExecEnv*) {
    spin_unlock_word(P<uint32_t>(lock));
    return 0;
}

// kernel: cgroup.c bpf_get_retval() / bpf_set_retval(): the run context's retval, 0 at the start of a run.
u64 h_get_retval(u64, u64, u64, u64, u64, ExecEnv* env) {
    return ret_int(host_of(env)->cgroup_retval);
}
u64 h_set_retval(u64 retval, u64, u64, u64, u64, ExecEnv* env) {
    host_of(env)->cgroup_retval = int32_t(uint32_t(retval));
    return 0;
}

// ---- ring buffer ----------------------------------------------------------------------------------------

constexpr u64 kRbNoWakeup = 1, kRbForceWakeup = 2;
// kernel: ringbuf.c bpf_ringbuf_output(): flags check, -EAGAIN when full.
u64 h_ringbuf_output(u64 map, u64 data, u64 size, u64 flags, u64, ExecEnv*) {
    Map* m = map_of(map);
    if (!m || (flags & ~(kRbNoWakeup | kRbForceWakeup))) return ret_int(-kEINVAL);
    return ret_int(m->ringbuf_output(P<void>(data), size));
}
// kernel: ringbuf.c bpf_ringbuf_reserve(): flags must be 0; NULL when no space.
u64 h_ringbuf_reserve(u64 map, u64 size, u64 flags, u64, u64, ExecEnv* env) {
    Map* m = map_of(map);
    if (!m || flags) return 0;
    uint8_t* p = m->ringbuf_reserve(size);
    if (p) host_of(env)->ringbuf_samples[p] = m;
    return reinterpret_cast<u64>(p);
}
u64 ringbuf_commit(u64 sample, ExecEnv* env, bool discard) {
    HostState* h = host_of(env);
    auto it = h->ringbuf_samples.find(P<const uint8_t>(sample));
    if (it == h->ringbuf_samples.end()) return 0;
    it->second->ringbuf_commit(it->first, discard);
    h->ringbuf_samples.erase(it);
    return 0;
}
u64 h_ringbuf_submit(u64 sample, u64, u64, u64, u64, ExecEnv* env) {
    return ringbuf_commit(sample, env, false);
}
u64 h_ringbuf_discard(u64 sample, u64, u64, u64, u64, ExecEnv* env) {
    return ringbuf_commit(sample, env, true);
}
// kernel: ringbuf.c bpf_ringbuf_query(): AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS; else 0.
u64 h_ringbuf_query(u64 map, u64 flags, u64, u64, u64, ExecEnv*) {
    Map* m = map_of(map);
    if (!m) return 0;
    switch (flags) {
    case 0: return m->ringbuf_pending_bytes();
    case 1: return m->def().max_entries;
    case 2: return 0;
    case 3: return m->ringbuf_pending_bytes();
    default: return 0;
    }
}

// ---- callbacks (vm.hpp "Callbacks") --------------------------------------------------------------------

// kernel: bpf_iter.c bpf_loop(): flags must be 0 (-EINVAL), nr_loops (a u32) at most BPF_MAX_LOOPS
// (-E2BIG); callback(i, ctx) for i = 0.. until it returns nonzero, then i + 1; else nr_loops.
u64 h_loop(u64 nr_loops, u64 callback, u64 ctx, u64 flags, u64, ExecEnv* env) {
    const auto n = static_cast<uint32_t>(nr_loops);
    if (flags != 0) return ret_int(-kEINVAL);
    if (n > kMaxLoops) return ret_int(-kE2BIG);
    for (uint32_t i = 0; i < n; ++i) {
        const u64 r0 = call_callback(env, callback, i, ctx, 0, 0, 0);
        if (env->stop != 0) return 0;
        if (r0 != 0) return u64{i} + 1;
    }
    return n;
}

// kernel: bpf_for_each_map_elem() -> map_for_each_callback (arraymap.c bpf_for_each_array_elem(), hashtab.c
// bpf_for_each_hash_elem()): flags must be 0 (-EINVAL); callback(map, &key, value, ctx) for each element
// until it returns nonzero; returns the number of elements visited, the last one included.
u64 h_for_each_map_elem(u64 map, u64 callback, u64 ctx, u64 flags, u64, ExecEnv* env) {
    Map* m = map_of(map);
    if (m == nullptr || flags != 0) return ret_int(-kEINVAL);
    const uint32_t visited = m->for_each_elem([&](const void* key, void* value) {
        const u64 r0 = call_callback(env, callback, map, reinterpret_cast<u64>(key),
                                     reinterpret_cast<u64>(value), ctx, 0);
        return env->stop != 0 || r0 != 0;
    });
    return env->stop != 0 ? 0 : visited;
}

// tailgate's finalize_context (verifier/ctx_conversion.hpp): the program type the running ctx was converted
// from at a cross-type tail call (the engines record it in ExecEnv::converted_from), 0 on a native ctx.
u64 h_finalize_context(u64, u64, u64, u64, u64, ExecEnv* env) {
    return env->converted_from;
}

} // namespace

std::vector<HelperEntry> core_helper_entries() {
    return {
        {1, h_map_lookup_elem},
        {2, h_map_update_elem},
        {3, h_map_delete_elem},
        {4, h_probe_read},
        {5, h_ktime_get_ns},
        {6, h_trace_printk},
        {7, h_get_prandom_u32},
        {8, h_zero},
        {14, h_get_current_pid_tgid},
        {15, h_get_current_uid_gid},
        {16, h_get_current_comm},
        {22, h_perf_event_read},
        {25, h_perf_event_output},
        {27, h_get_stackid},
        {35, h_get_current_task},
        {36, h_probe_write_user},
        {37, h_current_task_under_cgroup},
        {42, h_zero},
        {45, h_probe_read_str},
        {55, h_perf_event_read_value},
        {56, h_perf_prog_read_value},
        {58, h_override_return},
        {67, h_get_stack},
        {80, h_get_current_cgroup_id},
        {81, h_get_local_storage},
        {87, h_map_push_elem},
        {88, h_map_pop_elem},
        {89, h_map_peek_elem},
        {93, h_spin_lock},
        {94, h_spin_unlock},
        {105, h_strtol},
        {106, h_strtoul},
        {109, h_send_signal},
        {117, h_send_signal},
        {112, h_probe_read},
        {113, h_probe_read},
        {114, h_probe_read_str},
        {115, h_probe_read_str},
        {118, h_jiffies64},
        {119, h_read_branch_records},
        {125, h_ktime_get_boot_ns},
        {130, h_ringbuf_output},
        {131, h_ringbuf_reserve},
        {132, h_ringbuf_submit},
        {133, h_ringbuf_discard},
        {134, h_ringbuf_query},
        {160, h_ktime_get_coarse_ns},
        {kHelperForEachMapElem, h_for_each_map_elem},
        {173, h_get_func_ip},
        {174, h_get_attach_cookie},
        {165, h_snprintf},
        {177, h_trace_vprintk},
        {kHelperLoop, h_loop},
        {182, h_strncmp},
        {186, h_get_retval},
        {187, h_set_retval},
        {208, h_ktime_get_tai_ns},
        {kHelperFinalizeContext, h_finalize_context},
    };
}

HelperFn builtin_helper_fn(int32_t id) {
    for (const auto& e : core_helper_entries())
        if (e.id == id) return e.fn;
    for (const auto& e : net_helper_entries())
        if (e.id == id) return e.fn;
    return nullptr;
}

void install_builtin_helpers(HelperTable& table) {
    for (const auto& e : core_helper_entries()) table.set(e.id, e.fn);
    for (const auto& e : net_helper_entries()) table.set(e.id, e.fn);
}

} // namespace tailgate::rt
