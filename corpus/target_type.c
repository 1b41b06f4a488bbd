// Prog-array slots with compatible and incompatible programs (tail-call-target-type, issue 3 and 5).
// The kernel (core.c __bpf_prog_map_compatible) requires every program in a prog array to have the
// owner's type (and expected attach type, xdp_has_frags, ...). Here one map mixes XDP programs with a tc
// program and an xdp.frags program; the XDP caller whose index range covers those slots gets an error on
// its tail call. A caller whose proved index range covers only compatible slots is fine.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int xdp_ok_a(struct xdp_md *ctx);
int xdp_ok_b(struct xdp_md *ctx);
int tc_intruder(struct __sk_buff *skb);
int xdp_frags_prog(struct xdp_md *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 8);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} mixed_table SEC(".maps") = {
    .values =
        {
            [0] = (void *)&xdp_ok_a,
            [1] = (void *)&xdp_ok_b,
            [4] = (void *)&tc_intruder,
            [5] = (void *)&xdp_frags_prog,
        },
};

// Index ctx->rx_queue_index & 1 in [0, 1]: only the XDP programs in slots 0 and 1 can be reached.
// tailgate: program name=xdp_compatible verdict=accepted
// tailgate: graph program=xdp_compatible targets=xdp_ok_a,xdp_ok_b max_chain_length=1
// tailgate: run program=xdp_compatible packet=tcp4 engine=both return=3
SEC("xdp")
int xdp_compatible(struct xdp_md *ctx)
{
    __u32 idx = ctx->rx_queue_index & 1;

    bpf_tail_call(ctx, &mixed_table, idx); // tailgate: tailcall map=mixed_table index_min=0 index_max=1
    return XDP_PASS;
}

// Constant index 4: the slot holds a sched_cls program.
// tailgate: program name=xdp_to_tc verdict=rejected
// tailgate: graph program=xdp_to_tc targets=tc_intruder max_chain_length=1
SEC("xdp")
int xdp_to_tc(struct xdp_md *ctx)
{
    bpf_tail_call(ctx, &mixed_table, 4); // tailgate: expect code=tail-call-target-type severity=error
    return XDP_PASS;
}

// Constant index 5: an xdp.frags program; xdp_has_frags differs from the caller's.
// tailgate: program name=xdp_to_frags verdict=rejected
// tailgate: graph program=xdp_to_frags targets=xdp_frags_prog max_chain_length=1
SEC("xdp")
int xdp_to_frags(struct xdp_md *ctx)
{
    bpf_tail_call(ctx, &mixed_table, 5); // tailgate: expect code=tail-call-target-type severity=error
    return XDP_PASS;
}

// tailgate: program name=xdp_ok_a verdict=accepted
SEC("xdp")
int xdp_ok_a(struct xdp_md *ctx)
{
    return XDP_TX;
}

// tailgate: program name=xdp_ok_b verdict=accepted
SEC("xdp")
int xdp_ok_b(struct xdp_md *ctx)
{
    return XDP_DROP;
}

// tailgate: program name=tc_intruder verdict=accepted
SEC("tc")
int tc_intruder(struct __sk_buff *skb)
{
    return 0;
}

// tailgate: program name=xdp_frags_prog verdict=accepted
SEC("xdp.frags")
int xdp_frags_prog(struct xdp_md *ctx)
{
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
