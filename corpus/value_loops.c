// Loops that walk a map value with a pointer, the way clang compiles `for (i = 0; i < n && i < 64; i++)
// s += v[i]`: the index and the pointer are separate registers, the pointer steps by 4 and only the index
// is compared. The kernel verifies each iteration with the index a constant; tailgate bounds the pointer as
// an induction variable (its offset = 4 * the number of iterations, bounded through the index).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32[64]);
} words SEC(".maps");

// Fills v[i] = i, then sums the first min(packet length, 64) words: tcp4 (54 bytes) 0 + ... + 53 = 1431,
// low byte 151; zero128 (128 bytes) 0 + ... + 63 = 2016, low byte 224.
// tailgate: program name=value_scan verdict=accepted
// tailgate: run program=value_scan packet=tcp4 engine=both return=151
// tailgate: run program=value_scan packet=zero128 engine=both return=224
SEC("xdp")
int value_scan(struct xdp_md *ctx)
{
    __u32 n = ctx->data_end - ctx->data;
    __u32 k = 0, s = 0;
    __u32 *v = bpf_map_lookup_elem(&words, &k);

    if (!v)
        return 0;
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < 64; i++)
        v[i] = i;
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < n && i < 64; i++)
        s += v[i];
    return s & 0xff;
}

// One word too far: i < 65 lets the pointer reach offset 256, past the 256-byte value.
// tailgate: program name=value_scan_past_end verdict=rejected
SEC("xdp")
int value_scan_past_end(struct xdp_md *ctx)
{
    __u32 n = ctx->data_end - ctx->data;
    __u32 k = 0, s = 0;
    __u32 *v = bpf_map_lookup_elem(&words, &k);

    if (!v)
        return 0;
#pragma clang loop unroll(disable)
    for (__u32 i = 0; i < n && i < 65; i++)
        s += v[i]; // tailgate: expect code=memory-bounds severity=error
    return s & 0xff;
}

// A loop counter kept on the stack: six accumulators (and the packet length) live across three helper calls
// leave clang too few callee-saved registers, so it spills the counter (an index stepping by 8) around the calls and reloads it
// for the store and the exit test. The bound proved on the reloaded copy must reach the spill (kernel: a
// spilled scalar keeps its id, save_register_state()), and termination is proved on the spilled counter.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64[16]);
} mixes SEC(".maps");

#define MIX(t) (a += t, b ^= t, c += t * 3, d += t ^ a, e *= t, f -= t)

// tailgate: program name=spilled_counter verdict=accepted
// tailgate: run program=spilled_counter packet=tcp4 engine=both return=2
SEC("xdp")
int spilled_counter(struct xdp_md *ctx)
{
    __u32 k = 0;
    __u64 *v = bpf_map_lookup_elem(&mixes, &k);
    __u64 n = ctx->data_end - ctx->data;
    __u64 a = 0, b = 0, c = 0, d = 0, e = 1, f = 2, t;

    if (!v)
        return XDP_ABORTED;
#pragma clang loop unroll(disable)
    for (int i = 0; i < 16; i++) {
        t = bpf_get_smp_processor_id() + n;
        MIX(t);
        t = bpf_get_smp_processor_id() ^ n;
        MIX(t);
        t = bpf_get_smp_processor_id() * n;
        MIX(t);
        v[i] += a + b + c + d + e + f;
    }
    return XDP_PASS;
}

// One element too far (i <= 16): the spilled index reaches offset 128 of the 128-byte value.
// tailgate: program name=spilled_counter_past_end verdict=rejected
SEC("xdp")
int spilled_counter_past_end(struct xdp_md *ctx)
{
    __u32 k = 0;
    __u64 *v = bpf_map_lookup_elem(&mixes, &k);
    __u64 n = ctx->data_end - ctx->data;
    __u64 a = 0, b = 0, c = 0, d = 0, e = 1, f = 2, t;

    if (!v)
        return XDP_ABORTED;
#pragma clang loop unroll(disable)
    for (int i = 0; i <= 16; i++) {
        t = bpf_get_smp_processor_id() + n;
        MIX(t);
        t = bpf_get_smp_processor_id() ^ n;
        MIX(t);
        t = bpf_get_smp_processor_id() * n;
        MIX(t);
        v[i] += a + b + c + d + e + f; // tailgate: expect code=memory-bounds severity=error
    }
    return XDP_PASS;
}

// Nested loops over a 4 x 4 block of the value: the outer loop steps a row pointer by 16 bytes, the inner
// index counts columns. The row pointer is bounded through the outer loop's iteration count; the inner loop
// must then be analysed again from that bound (not from the unbounded first pass). Writes v[r * 4 + c] =
// r + c for the 16 words, then sums them: 4 * (0 + 1 + 2 + 3) * 2 = 48.
// tailgate: program name=nested_rows verdict=accepted
// tailgate: run program=nested_rows packet=tcp4 engine=both return=48
SEC("xdp")
int nested_rows(struct xdp_md *ctx)
{
    __u32 k = 0, s = 0;
    __u32 *v = bpf_map_lookup_elem(&words, &k);

    if (!v)
        return 0;
#pragma clang loop unroll(disable)
    for (__u32 r = 0; r < 4; r++)
#pragma clang loop unroll(disable)
        for (__u32 c = 0; c < 4; c++)
            v[r * 4 + c] = r + c;
#pragma clang loop unroll(disable)
    for (__u32 r = 0; r < 4; r++)
#pragma clang loop unroll(disable)
        for (__u32 c = 0; c < 4; c++)
            s += v[r * 4 + c];
    return s;
}

// Rows of 16 words: row 3 ends at word 52 + 16 = 68, past the 64-word value.
// tailgate: program name=nested_rows_past_end verdict=rejected
SEC("xdp")
int nested_rows_past_end(struct xdp_md *ctx)
{
    __u32 k = 0, s = 0;
    __u32 *v = bpf_map_lookup_elem(&words, &k);

    if (!v)
        return 0;
#pragma clang loop unroll(disable)
    for (__u32 r = 0; r < 4; r++)
#pragma clang loop unroll(disable)
        for (__u32 c = 0; c < 16; c++)
            s += v[r * 17 + c]; // tailgate: expect code=memory-bounds severity=error
    return s;
}

char LICENSE[] SEC("license") = "GPL";
