// sk_reuseport programs (SEC("sk_reuseport"), "sk_reuseport/migrate"): pick the socket of a SO_REUSEPORT
// group that gets a new connection or datagram. ctx struct sk_reuseport_md (net/core/filter.c
// sk_reuseport_is_valid_access(): read-only; data/data_end the packet from the transport header on,
// readable after a bounds check). bpf_sk_select_reuseport takes a REUSEPORT_SOCKARRAY, SOCKMAP or SOCKHASH.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} workers SEC(".maps");

// UDP datagrams go to the worker named by their first payload byte (after the 8-byte UDP header), others
// by flow hash.
// tailgate: program name=by_first_byte verdict=accepted
SEC("sk_reuseport")
int by_first_byte(struct sk_reuseport_md *ctx)
{
    __u8 *data = ctx->data, *end = ctx->data_end;
    __u32 key = ctx->hash & 3;
    if (ctx->ip_protocol == IPPROTO_UDP && data + 9 <= end)
        key = data[8] & 3;
    if (bpf_sk_select_reuseport(ctx, &workers, &key, 0) == 0)
        return SK_PASS;
    return SK_DROP;
}

// The payload byte is read before the bounds check.
// tailgate: program name=unchecked_payload verdict=rejected
SEC("sk_reuseport")
int unchecked_payload(struct sk_reuseport_md *ctx)
{
    __u8 *data = ctx->data;
    __u32 key = data[8] & 3; // tailgate: expect code=memory-bounds severity=error
    return bpf_sk_select_reuseport(ctx, &workers, &key, 0) == 0 ? SK_PASS : SK_DROP;
}

// The ctx is read-only.
// tailgate: program name=writes_hash verdict=rejected
SEC("sk_reuseport")
int writes_hash(struct sk_reuseport_md *ctx)
{
    *(volatile __u32 *)&ctx->hash = 0; // tailgate: expect code=ctx-access severity=error
    return SK_PASS;
}

char _license[] SEC("license") = "GPL";
