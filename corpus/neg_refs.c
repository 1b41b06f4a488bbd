// References acquired from helpers: a bpf_ringbuf_reserve() reservation must be submitted or discarded
// on every path before the program exits or tail-calls (kernel: verifier.c check_reference_leak()
// "Unreleased reference", check_helper_call() "tail_call would lead to reference leak").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} refs_jmp SEC(".maps");

// Reserves an event, fills it, submits it; discards it for packets from ifindex 0.
// tailgate: program name=event_submit verdict=accepted
// tailgate: run program=event_submit packet=tcp4 engine=both return=2
SEC("xdp")
int event_submit(struct xdp_md *ctx)
{
    __u64 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

    if (!e)
        return XDP_ABORTED;
    *e = ctx->ingress_ifindex;
    if (ctx->ingress_ifindex == 0) {
        bpf_ringbuf_discard(e, 0);
        return XDP_DROP;
    }
    bpf_ringbuf_submit(e, 0);
    return XDP_PASS;
}

// Submits only for ifindex 1: on the other path the reservation is still held at exit (clang gives the
// shared exit the line of the closing brace).
// tailgate: program name=event_leak verdict=rejected
SEC("xdp")
int event_leak(struct xdp_md *ctx)
{
    __u64 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

    if (!e)
        return XDP_ABORTED;
    *e = 1;
    if (ctx->ingress_ifindex == 1)
        bpf_ringbuf_submit(e, 0);
    return XDP_PASS;
} // tailgate: expect code=reference-leak severity=error

// Tail-calls while holding the reservation.
// tailgate: program name=event_tail verdict=rejected
SEC("xdp")
int event_tail(struct xdp_md *ctx)
{
    __u64 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

    if (!e)
        return XDP_ABORTED;
    *e = 2;
    bpf_tail_call(ctx, &refs_jmp, 0); // tailgate: expect code=reference-leak severity=error
    bpf_ringbuf_submit(e, 0);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
