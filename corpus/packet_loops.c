// Bounded loops over packet bytes, the way clang compiles them: the index i and the pointer data + i are
// separate registers, and the bounds check on the pointer (data + i + 1 > data_end) is what bounds the
// access through data + i. The kernel verifies each iteration with i a constant; tailgate relates the
// pointer's offset to the index in its zone domain (pointer = index + constant), so the check on one
// bounds the other.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// Sums up to 32 packet bytes; the parity of the sum is the verdict. tcp4's first 32 bytes sum to 523
// (odd): 1; zero128's to 0: 0. Here the pointer p + i is recomputed from the index on every iteration
// and only the index survives the back edge.
// tailgate: program name=pkt_scan verdict=accepted
// tailgate: run program=pkt_scan packet=tcp4 engine=both return=1
// tailgate: run program=pkt_scan packet=zero128 engine=both return=0
SEC("xdp")
int pkt_scan(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u8 *p = data;
    __u32 sum = 0;

    for (int i = 0; i < 32; i++) {
        if ((void *)(p + i + 1) > data_end)
            break;
        sum += p[i];
    }
    return sum & 1;
}

// Off by one: the check proves byte i inside the packet, the load reads byte i + 1.
// tailgate: program name=pkt_scan_off_by_one verdict=rejected
SEC("xdp")
int pkt_scan_off_by_one(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u8 *p = data;
    __u32 sum = 0;

    for (int i = 0; i < 32; i++) {
        if ((void *)(p + i + 1) > data_end)
            break;
        sum += p[i + 1]; // tailgate: expect code=memory-bounds severity=error
    }
    return sum & 1;
}

// Sums the packet's first 16 little-endian u32 words (fewer if the packet is shorter), stepping the index by
// 4. clang keeps the bound 60 in a register (`r3 = 60 ... if r3 > r4 goto loop`), so the loop bound comes from
// a register compare, and the index is a multiple of 4 (known bits) at the access. Returns the low byte of
// the sum: tcp4 (54 bytes, 13 words) = 111; zero128 = 0.
// tailgate: program name=pkt_words verdict=accepted
// tailgate: run program=pkt_words packet=tcp4 engine=both return=111
// tailgate: run program=pkt_words packet=zero128 engine=both return=0
SEC("xdp")
int pkt_words(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 sum = 0;

#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < 64; i += 4) {
        if (data + i + 4 > data_end)
            break;
        sum += *(__u32 *)(data + i);
    }
    return sum & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
