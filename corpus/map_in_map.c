// Maps of maps (BPF_MAP_TYPE_ARRAY_OF_MAPS / HASH_OF_MAPS) with BTF-declared inner maps
// (`__array(values, struct {...})`, libbpf's inner map template). A lookup in the outer map returns the
// inner map or NULL; after the null check it is a map pointer with the template's key and value sizes
// (kernel: verifier.c mark_ptr_or_null_reg() turns it into CONST_PTR_TO_MAP of inner_map_meta), which the
// map helpers take like a map named by lddw.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counters {
    __u64 packets;
    __u64 bytes;
};

struct inner_array {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct counters);
} per_queue_a SEC(".maps"), per_queue_b SEC(".maps");

// One counter array per interface slot; slots 0 and 1 are filled by the object itself.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 8);
    __type(key, __u32);
    __array(values, struct inner_array);
} per_iface SEC(".maps") = {
    .values = {&per_queue_a, &per_queue_b},
};

struct inner_hash {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u32);
};

// Per-tenant allow lists, keyed by tenant id; filled at run time by the loader.
struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 16);
    __type(key, __u32);
    __array(values, struct inner_hash);
} tenants SEC(".maps");

// Counts packets and bytes of rx queue 0..3 in the interface's inner array.
// tailgate: program name=count_per_queue verdict=accepted
SEC("xdp")
int count_per_queue(struct xdp_md *ctx)
{
    __u32 iface = ctx->ingress_ifindex & 7, queue = ctx->rx_queue_index & 3;
    void *inner = bpf_map_lookup_elem(&per_iface, &iface);
    if (!inner)
        return XDP_PASS;
    struct counters *c = bpf_map_lookup_elem(inner, &queue);
    if (!c)
        return XDP_PASS;
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, (__u64)(ctx->data_end - ctx->data));
    return XDP_PASS;
}

// A tenant's allow list (of flow hashes) is a hash inside a hash: updated and looked up through the inner
// map pointer.
// tailgate: program name=tenant_allow verdict=accepted
SEC("tc")
int tenant_allow(struct __sk_buff *skb)
{
    __u32 tenant = skb->mark >> 16, addr = skb->hash, one = 1; // the flow hash stands for the peer
    void *allow = bpf_map_lookup_elem(&tenants, &tenant);
    if (!allow)
        return 2; // TC_ACT_SHOT: unknown tenant
    if (skb->priority == 7)
        bpf_map_update_elem(allow, &addr, &one, BPF_ANY);
    return bpf_map_lookup_elem(allow, &addr) ? 0 : 2;
}

// The inner map may be absent: it must be null-checked before a helper gets it.
// tailgate: program name=inner_unchecked verdict=rejected
SEC("xdp")
int inner_unchecked(struct xdp_md *ctx)
{
    __u32 iface = 0, queue = 0;
    void *inner = bpf_map_lookup_elem(&per_iface, &iface);
    return bpf_map_lookup_elem(inner, &queue) ? XDP_PASS : XDP_DROP; // tailgate: expect code=helper-argument severity=error
}

// A value of the inner array is 16 bytes (the template's value type): byte 16 is outside.
// tailgate: program name=inner_value_overflow verdict=rejected
SEC("xdp")
int inner_value_overflow(struct xdp_md *ctx)
{
    __u32 iface = 1, queue = 2;
    void *inner = bpf_map_lookup_elem(&per_iface, &iface);
    if (!inner)
        return XDP_PASS;
    __u8 *c = bpf_map_lookup_elem(inner, &queue);
    if (!c)
        return XDP_PASS;
    return c[16]; // tailgate: expect code=memory-bounds severity=error
}

// A map pointer is not memory: it cannot be read through.
// tailgate: program name=inner_deref verdict=rejected
SEC("xdp")
int inner_deref(struct xdp_md *ctx)
{
    __u32 iface = 1;
    __u32 *inner = bpf_map_lookup_elem(&per_iface, &iface);
    if (!inner)
        return XDP_PASS;
    return *(volatile __u32 *)inner == 0; // tailgate: expect code=memory-bounds severity=error
}

char _license[] SEC("license") = "GPL";
