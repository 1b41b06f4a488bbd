// bpf_loop() callbacks (kernel: verifier.c set_loop_callback_state(); kernel/bpf/bpf_iter.c bpf_loop()): the
// callback gets r1 = the index and r2 = the ctx argument, must return 0 (go on) or 1 (stop), and runs zero to
// nr_loops times, so whatever it writes through ctx is known after the call only as "as before, or written".
// tailgate verifies the callback as a loop body in a frame of its own; both engines run it in a frame on top
// of the caller's, so the ctx argument may point into the caller's stack.
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

// rx_queue_index is 0 in a test run: the first callback stops the loop (index 0 >= 0); returns 1 (runs).
// tailgate: program name=loop_sum verdict=accepted
// tailgate: run program=loop_sum packet=tcp4 return=1
SEC("xdp")
int loop_sum(struct xdp_md *ctx)
{
    struct sum_ctx c = {.sum = 0, .stop_at = ctx->rx_queue_index};

    return bpf_loop(100, add_index, &c, 0) + (c.sum & 1);
}

// Stops at index 10: sum 0 + 1 + ... + 10 = 55 after 11 runs; stop_at 1000 is never reached: all 100 runs,
// sum 4950. Returns sum + 1000 * runs of each.
// tailgate: program name=loop_count verdict=accepted
// tailgate: run program=loop_count packet=tcp4 return=11055
// tailgate: run program=loop_count packet=udp4 return=104950
SEC("xdp")
int loop_count(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct sum_ctx c = {.sum = 0, .stop_at = 1000};
    unsigned char *proto = data + 23; // the IPv4 protocol byte

    if ((void *)(proto + 1) > data_end)
        return XDP_DROP;
    if (*proto == 6) // TCP
        c.stop_at = 10;
    long runs = bpf_loop(100, add_index, &c, 0);

    return c.sum + 1000 * runs;
}

static int count_one(__u32 index, void *data)
{
    *(__u64 *)data += 1;
    return 0;
}

static int inner_loop(__u32 index, void *data)
{
    bpf_loop(index, count_one, data, 0);
    return 0;
}

// A callback may call bpf_loop itself: outer runs 0..9 each run the inner callback index times (45 in all).
// tailgate: program name=loop_nested verdict=accepted
// tailgate: run program=loop_nested packet=tcp4 return=45
SEC("xdp")
int loop_nested(struct xdp_md *ctx)
{
    __u64 total = 0;

    bpf_loop(10, inner_loop, &total, 0);
    return total;
}

// bpf_loop's own errors: flags other than 0 give -EINVAL, more than 1 << 23 loops -E2BIG; the callback
// never runs (the sum stays 0). Returns 1 + 2 + 4 when all three hold.
// tailgate: program name=loop_errors verdict=accepted
// tailgate: run program=loop_errors packet=tcp4 return=7
SEC("xdp")
int loop_errors(struct xdp_md *ctx)
{
    struct sum_ctx c = {.sum = 0, .stop_at = 1000};
    long bad_flags = bpf_loop(4, add_index, &c, 1);
    long too_many = bpf_loop((1 << 23) + 1 + ctx->rx_queue_index, add_index, &c, 0);

    return (bad_flags == -22) + 2 * (too_many == -7) + 4 * (c.sum == 0);
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
