// bpf_spin_lock / bpf_spin_unlock on the `struct bpf_spin_lock` of a map value (kernel: verifier.c
// process_spin_lock(), do_check()): one lock at a time, no helper call, tail call or LD_ABS while it is
// held, unlock the same lock before exit, never load or store the lock itself. Tracing and socket filter
// programs may not use it (check_map_prog_compatibility()).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct account {
    __u64 packets;
    struct bpf_spin_lock lock;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct account);
} accounts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct account);
} others SEC(".maps");

// Both counters move together under the lock; the new packet count comes back (1 on the first run).
// tailgate: program name=count_locked verdict=accepted
// tailgate: run program=count_locked packet=tcp4 engine=both return=1
SEC("xdp")
int count_locked(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    if (!a)
        return XDP_ABORTED;
    __u64 len = ctx->data_end - ctx->data, n;
    bpf_spin_lock(&a->lock);
    n = ++a->packets;
    a->bytes += len;
    bpf_spin_unlock(&a->lock);
    return n;
}

// The lock is still held at exit on one path.
// tailgate: program name=unlock_missing verdict=rejected
SEC("xdp")
int unlock_missing(struct xdp_md *ctx)
{
    __u32 key = 1;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    if (!a)
        return XDP_ABORTED;
    bpf_spin_lock(&a->lock);
    if (a->packets > 10)
        return XDP_DROP; // the function's one exit (below) is reached holding the lock
    bpf_spin_unlock(&a->lock);
    return XDP_PASS;
} // tailgate: expect code=spin-lock severity=error

// A helper called inside the critical section.
// tailgate: program name=call_while_locked verdict=rejected
SEC("xdp")
int call_while_locked(struct xdp_md *ctx)
{
    __u32 key = 2;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    if (!a)
        return XDP_ABORTED;
    bpf_spin_lock(&a->lock);
    a->bytes = bpf_ktime_get_ns(); // tailgate: expect code=spin-lock severity=error
    bpf_spin_unlock(&a->lock);
    return XDP_PASS;
}

// Unlocking a lock of another map than the one held.
// tailgate: program name=unlock_other verdict=rejected
SEC("xdp")
int unlock_other(struct xdp_md *ctx)
{
    __u32 key = 3;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    struct account *b = bpf_map_lookup_elem(&others, &key);
    if (!a || !b)
        return XDP_ABORTED;
    bpf_spin_lock(&a->lock);
    bpf_spin_unlock(&b->lock); // tailgate: expect code=spin-lock severity=error
    return XDP_PASS;
}

// Two values of the same map: the lock taken is the first one's, the unlock is of the second (kernel
// process_spin_lock(): active_lock.id is the value's id, "bpf_spin_unlock of different lock").
// tailgate: program name=unlock_other_value verdict=rejected
SEC("xdp")
int unlock_other_value(struct xdp_md *ctx)
{
    __u32 k0 = 0, k1 = 1;
    struct account *a = bpf_map_lookup_elem(&accounts, &k0);
    struct account *b = bpf_map_lookup_elem(&accounts, &k1);
    if (!a || !b)
        return XDP_ABORTED;
    bpf_spin_lock(&a->lock);
    a->packets++;
    bpf_spin_unlock(&b->lock); // tailgate: expect code=spin-lock severity=error
    return XDP_PASS;
}

// One of two values picked by the packet, locked and unlocked through the same pointer.
// tailgate: program name=lock_picked_value verdict=accepted
// tailgate: run program=lock_picked_value packet=tcp4 engine=both return=1
SEC("xdp")
int lock_picked_value(struct xdp_md *ctx)
{
    __u32 key = (ctx->data_end - ctx->data) > 60;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    if (!a)
        return XDP_ABORTED;
    __u64 n;
    bpf_spin_lock(&a->lock);
    n = ++a->packets;
    bpf_spin_unlock(&a->lock);
    return n;
}

// The lock word is not data: it cannot be read or written directly.
// tailgate: program name=lock_read verdict=rejected
SEC("xdp")
int lock_read(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    if (!a)
        return XDP_ABORTED;
    return *(volatile __u32 *)&a->lock; // tailgate: expect code=spin-lock severity=error
}

// bpf_spin_lock takes the lock's own address, not another field.
// tailgate: program name=lock_wrong_field verdict=rejected
SEC("xdp")
int lock_wrong_field(struct xdp_md *ctx)
{
    __u32 key = 0;
    struct account *a = bpf_map_lookup_elem(&accounts, &key);
    if (!a)
        return XDP_ABORTED;
    bpf_spin_lock((struct bpf_spin_lock *)&a->bytes); // tailgate: expect code=helper-argument severity=error
    bpf_spin_unlock(&a->lock);
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
