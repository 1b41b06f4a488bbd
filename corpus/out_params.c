// Results returned through a pointer to the caller's stack (`bool f(..., struct x **out)`), the shape of
// load balancers that pick a backend in a noinline function (the kernel's selftest test_l4lb_noinline.c
// get_packet_dst()): the callee writes *out only on the paths that return true, and the caller reads it
// only after checking the result. The kernel verifies each return path of the callee on its own, so the
// caller's `if (!pick(...)) return` drops the paths where *out was never written; tailgate keeps a callee's
// exit states apart while a caller's frame differs in which bytes are written or in the kinds of the values
// it holds (analysis/fixpoint.cpp caller_frames_match()).
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

struct backend {
    __u32 addr;
    __u32 weight;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct backend);
} backends SEC(".maps");

// Writes *out and returns true when slot `key` exists; leaves *out alone otherwise.
static __attribute__((noinline)) bool pick_backend(__u32 key, struct backend **out)
{
    struct backend *b = bpf_map_lookup_elem(&backends, &key);

    if (!b)
        return false;
    *out = b;
    return true;
}

// Sets *out to NULL first, so both kinds of path write it: NULL with false, the value with true.
static __attribute__((noinline)) bool pick_backend_or_null(__u32 key, struct backend **out)
{
    struct backend *b;

    *out = 0;
    b = bpf_map_lookup_elem(&backends, &key);
    if (!b)
        return false;
    *out = b;
    return true;
}

// rx_queue_index is 0 in a test run: slot 0 exists with weight 0, so XDP_DROP (1).
// tailgate: program name=pick_checked verdict=accepted
// tailgate: run program=pick_checked packet=tcp4 engine=both return=1
SEC("xdp")
int pick_checked(struct xdp_md *ctx)
{
    struct backend *b;
    __u32 key = ctx->rx_queue_index & 7; // slots 4..7 do not exist

    if (!pick_backend(key, &b))
        return XDP_PASS;
    return b->weight ? XDP_TX : XDP_DROP;
}

// tailgate: program name=pick_or_null_checked verdict=accepted
// tailgate: run program=pick_or_null_checked packet=tcp4 engine=both return=1
SEC("xdp")
int pick_or_null_checked(struct xdp_md *ctx)
{
    struct backend *b;
    __u32 key = ctx->rx_queue_index & 7;

    if (!pick_backend_or_null(key, &b))
        return XDP_PASS;
    return b->weight ? XDP_TX : XDP_DROP;
}

// The result ignored: for keys 4..7 b was never written.
// tailgate: program name=pick_unchecked verdict=rejected
SEC("xdp")
int pick_unchecked(struct xdp_md *ctx)
{
    struct backend *b;
    __u32 key = ctx->rx_queue_index & 7;

    pick_backend(key, &b);
    return b->weight ? XDP_TX : XDP_DROP; // tailgate: expect code=uninitialized-register severity=error tailgate: expect code=memory-bounds severity=error
}

// The result ignored again: for keys 4..7 b is NULL.
// tailgate: program name=pick_or_null_unchecked verdict=rejected
SEC("xdp")
int pick_or_null_unchecked(struct xdp_md *ctx)
{
    struct backend *b;
    __u32 key = ctx->rx_queue_index & 7;

    pick_backend_or_null(key, &b);
    return b->weight ? XDP_TX : XDP_DROP; // tailgate: expect code=null-dereference severity=error
}

// A scalar result: the IPv4 header length, written only when the header's first byte is in the packet.
// clang merges both paths before the exit and recomputes the bounds check for r0 (`r0 = data + 15 <=
// data_end`), as the kernel's is_pkt_ptr_branch_taken() lets it.
static __attribute__((noinline)) bool ip_header_len(struct xdp_md *ctx, __u32 *len)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    unsigned char *ver_ihl = data + 14;

    if ((void *)(ver_ihl + 1) > data_end)
        return false;
    *len = (*ver_ihl & 15) * 4;
    return true;
}

// tcp4's header is 20 bytes: XDP_PASS (2).
// tailgate: program name=ihl_checked verdict=accepted
// tailgate: run program=ihl_checked packet=tcp4 engine=both return=2
SEC("xdp")
int ihl_checked(struct xdp_md *ctx)
{
    __u32 len;

    if (!ip_header_len(ctx, &len))
        return XDP_ABORTED;
    return len == 20 ? XDP_PASS : XDP_DROP;
}

// tailgate: program name=ihl_unchecked verdict=rejected
SEC("xdp")
int ihl_unchecked(struct xdp_md *ctx)
{
    __u32 len;

    ip_header_len(ctx, &len);
    return len == 20 ? XDP_PASS : XDP_DROP; // tailgate: expect code=uninitialized-register severity=error
}

// The shape of the kernel's test_xdp_noinline.c process_l3_headers_v4/v6: one of two noinline parsers
// writes the length through a pointer and returns -1 to go on, or returns an XDP action without writing it.
// The caller merges the two calls before it checks the result, so the paths that wrote the length and those
// that did not must stay apart across that merge too.
static __attribute__((noinline)) int parse_short(struct xdp_md *ctx, __u16 *len)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u16 *word = data + 16;

    if ((void *)(word + 1) > data_end)
        return XDP_DROP;
    *len = *word;
    return -1;
}

static __attribute__((noinline)) int parse_long(struct xdp_md *ctx, __u16 *len)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u16 *word = data + 18;

    if ((void *)(word + 1) > data_end)
        return XDP_DROP;
    *len = *word + 40;
    return -1;
}

// tcp4 carries total length 40 (bytes 16-17, network order: 0x2800 read little-endian): 0x2800 > 100.
// tailgate: program name=len_after_merge verdict=accepted
// tailgate: run program=len_after_merge packet=tcp4 engine=both return=3
SEC("xdp")
int len_after_merge(struct xdp_md *ctx)
{
    __u16 len;
    int action;

    if (ctx->rx_queue_index & 1)
        action = parse_long(ctx, &len);
    else
        action = parse_short(ctx, &len);
    if (action >= 0)
        return action;
    return len > 100 ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
