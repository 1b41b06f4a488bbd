// Tail calls between cgroup_skb programs that use cgroup local storage. bpf_get_local_storage() returns the
// storage of the attachment that runs, which after a tail call is still the caller's: so the kernel lets a
// prog array hold a program only if it uses no cgroup storage or the owner's (core.c
// __bpf_prog_map_compatible() storage cookies, "bpf: Fix oob access in cgroup local storage"). A target
// with its own, larger storage would write past the caller's.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
    __type(key, struct bpf_cgroup_storage_key);
    __type(value, __u64);
} counters SEC(".maps");

struct scratch_area {
    __u8 bytes[64];
};

struct {
    __uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
    __type(key, struct bpf_cgroup_storage_key);
    __type(value, struct scratch_area);
} scratch SEC(".maps");

int count_more(struct __sk_buff *skb);
int use_scratch(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} next_stage SEC(".maps") = {
    .values = {[0] = (void *)&count_more, [1] = (void *)&use_scratch},
};

// Counts, then hands over to count_more, which counts in the same storage: 1 (allow).
// tailgate: program name=count_then_tail verdict=accepted
// tailgate: run program=count_then_tail packet=tcp4 engine=both return=1
SEC("cgroup_skb/ingress")
int count_then_tail(struct __sk_buff *skb)
{
    __u64 *n = bpf_get_local_storage(&counters, 0);

    *n += 1;
    bpf_tail_call(skb, &next_stage, 0); // tailgate: tailcall map=next_stage index_min=0 index_max=0
    return 0;
}

// Slot 1 holds a program with another storage.
// tailgate: program name=tail_to_other_storage verdict=rejected
SEC("cgroup_skb/ingress")
int tail_to_other_storage(struct __sk_buff *skb)
{
    __u64 *n = bpf_get_local_storage(&counters, 0);

    *n += 1;
    bpf_tail_call(skb, &next_stage, 1); // tailgate: tailcall map=next_stage index_min=1 index_max=1 tailgate: expect code=tail-call-target-type severity=error
    return 0;
}

// tailgate: program name=count_more verdict=accepted
SEC("cgroup_skb/ingress")
int count_more(struct __sk_buff *skb)
{
    __u64 *n = bpf_get_local_storage(&counters, 0);

    *n += 1;
    return 1;
}

// tailgate: program name=use_scratch verdict=accepted
SEC("cgroup_skb/ingress")
int use_scratch(struct __sk_buff *skb)
{
    struct scratch_area *s = bpf_get_local_storage(&scratch, 0);

    s->bytes[63] = 1;
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
