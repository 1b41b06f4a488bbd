// bpf_loop() callbacks (kernel: verifier.c set_loop_callback_state(); kernel/bpf/bpf_iter.c bpf_loop()): the
// callback gets r1 = the index and r2 = the ctx argument, must return 0 (go on) or 1 (stop), and runs zero to
// nr_loops times, so whatever it writes through ctx is known after the call only as "as before, or written".
// tailgate verifies the callback as a loop body in a frame of its own; the runtime cannot run callbacks yet
// (no `run` directives here).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sum_ctx {
    __u64 sum;
    __u32 stop_at;
};

static int add_index(__u32 index, void *data)
{
    struct sum_ctx *c = data;

    c->sum += index;
    return index >= c->stop_at;
}

// tailgate: program name=loop_sum verdict=accepted
SEC("xdp")
int loop_sum(struct xdp_md *ctx)
{
    struct sum_ctx c = {.sum = 0, .stop_at = ctx->rx_queue_index};

    bpf_loop(100, add_index, &c, 0);
    return c.sum & 1;
}

static int returns_two(__u32 index, void *data)
{
    return 2; // tailgate: expect code=invalid-return severity=error program=loop_bad_return
}

// A callback must return 0 or 1.
// tailgate: program name=loop_bad_return verdict=rejected
SEC("xdp")
int loop_bad_return(struct xdp_md *ctx)
{
    bpf_loop(4, returns_two, 0, 0);
    return XDP_PASS;
}

static int writes_past_ctx(__u32 index, void *data)
{
    __u64 *slot = data;

    slot[1] = index; // tailgate: expect code=memory-bounds severity=error program=loop_ctx_overflow
    return 0;
}

// The callback writes 8 bytes past the caller's 8-byte variable: beyond the caller's frame.
// tailgate: program name=loop_ctx_overflow verdict=rejected
SEC("xdp")
int loop_ctx_overflow(struct xdp_md *ctx)
{
    __u64 last = 0;

    bpf_loop(4, writes_past_ctx, &last, 0);
    return last & 1;
}

char LICENSE[] SEC("license") = "GPL";
