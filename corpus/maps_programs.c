// Map flavours and program types: legacy SEC("maps") struct bpf_map_def records next to BTF .maps, with
// global data (.data, .rodata, .bss), used by a socket filter, a classifier ("classifier" section name),
// a cgroup_skb program and a kprobe. All are accepted.
//
// legacy_jmp is a legacy prog array: it cannot be initialised statically, so its slots are unknown
// ("any program of a compatible type"): graph targets=* . Run with no --prog-array its slots are empty.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

// libbpf 1.x dropped struct bpf_map_def from bpf_helpers.h; the legacy record (20 bytes) is this.
struct bpf_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counts = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 4,
};

struct bpf_map_def SEC("maps") legacy_hash = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u32),
    .max_entries = 64,
};

struct bpf_map_def SEC("maps") legacy_jmp = {
    .type = BPF_MAP_TYPE_PROG_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u32),
    .max_entries = 4,
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} percpu_bytes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 128);
    __type(key, __u64);
    __type(value, __u64);
} opens SEC(".maps");

__u64 packets_seen;               // .bss
__u32 verdict_bias = 1;            // .data
const volatile __u32 min_len = 14; // .rodata

// Socket filter: counts packets; keeps the whole packet when it is at least min_len bytes, else drops it.
// BPF_PROG_TEST_RUN gives a socket filter the packet from the network header on (net/bpf/test_run.c
// bpf_prog_test_run_skb() pushes the Ethernet header back only for sched_cls/sched_act): len = bytes - 14.
// tailgate: program name=sock_count verdict=accepted
// tailgate: run program=sock_count packet=tcp4 engine=both return=40
// tailgate: run program=sock_count packet=short engine=both return=0
SEC("socket")
int sock_count(struct __sk_buff *skb)
{
    __u32 key = 0;
    __u64 *count = bpf_map_lookup_elem(&legacy_counts, &key);

    if (count)
        __sync_fetch_and_add(count, 1);
    packets_seen++;
    if (skb->len < min_len)
        return 0;
    return skb->len;
}

// Classifier: remembers the mark per protocol, accumulates bytes per CPU, then tail-calls a handler from
// the legacy prog array by mark & 3. With empty slots it falls through and returns verdict_bias (1).
// tailgate: program name=cls_mark verdict=accepted
// tailgate: graph program=cls_mark targets=* max_chain_length=33
// tailgate: run program=cls_mark packet=tcp4 engine=both return=1
SEC("classifier")
int cls_mark(struct __sk_buff *skb)
{
    __u32 proto = skb->protocol;
    __u32 mark = skb->mark;
    __u32 key = 0;
    __u64 *bytes = bpf_map_lookup_elem(&percpu_bytes, &key);

    if (bytes)
        *bytes += skb->len;
    bpf_map_update_elem(&legacy_hash, &proto, &mark, BPF_ANY);
    bpf_tail_call(skb, &legacy_jmp, mark & 3); // tailgate: tailcall map=legacy_jmp index_min=0 index_max=3
    return verdict_bias;
}

// cgroup_skb ingress: allow (1) unless the mark says drop.
// tailgate: program name=cg_ingress verdict=accepted
// tailgate: run program=cg_ingress packet=tcp4 engine=both return=1
SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
    return skb->mark == 0xdead ? 0 : 1;
}

// kprobe: counts opens per pid/tgid in an LRU hash; returns the first argument (for a test run, args=).
// tailgate: program name=kp_open verdict=accepted
// tailgate: run program=kp_open args=9,0 engine=both return=9
SEC("kprobe/do_sys_openat2")
int kp_open(struct pt_regs *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u64 one = 1;
    __u64 *n = bpf_map_lookup_elem(&opens, &id);

    if (n)
        __sync_fetch_and_add(n, 1);
    else
        bpf_map_update_elem(&opens, &id, &one, BPF_NOEXIST);
    return ctx->rdi;
}

char _license[] SEC("license") = "GPL";
