// Protocol dispatcher (XDP): parse Ethernet + IPv4, then tail-call the L4 parser through a prog array
// indexed by ip->protocol. Static initialisation fills slot 6 (TCP) and slot 17 (UDP); every other slot
// is empty, so the tail call falls through to the default return.
//
// ip->protocol is a u8, so the index is in [0, 255] and the map has 256 entries: the index is provably
// in range and no tail-call-index diagnostic is expected.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

int parse_tcp(struct xdp_md *ctx);
int parse_udp(struct xdp_md *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 256);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values =
        {
            [IPPROTO_TCP] = (void *)&parse_tcp,
            [IPPROTO_UDP] = (void *)&parse_udp,
        },
};

// Per-protocol packet counters (BTF array map).
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} l4_count SEC(".maps");

// tailgate: program name=dispatch verdict=accepted
// tailgate: graph program=dispatch targets=parse_tcp,parse_udp max_chain_length=1
// tailgate: run program=dispatch packet=tcp4 engine=both return=3
// tailgate: run program=dispatch packet=udp4 engine=both return=1
// tailgate: run program=dispatch packet=icmp4 engine=both return=2
// tailgate: run program=dispatch packet=arp engine=both return=2
// tailgate: run program=dispatch packet=short engine=both return=0
SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = data + sizeof(*eth);

    if ((void *)(ip + 1) > data_end)
        return XDP_ABORTED;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    bpf_tail_call(ctx, &jmp_table, ip->protocol); // tailgate: tailcall map=jmp_table index_min=0 index_max=255
    return XDP_PASS; // no program in the slot (e.g. ICMP): fall through
}

static __always_inline void count(__u32 key)
{
    __u64 *value = bpf_map_lookup_elem(&l4_count, &key);
    if (value)
        __sync_fetch_and_add(value, 1);
}

// tailgate: program name=parse_tcp verdict=accepted
// tailgate: graph program=parse_tcp targets= max_chain_length=0
// tailgate: run program=parse_tcp packet=tcp4 engine=both return=3
SEC("xdp")
int parse_tcp(struct xdp_md *ctx)
{
    count(0);
    return XDP_TX;
}

// tailgate: program name=parse_udp verdict=accepted
// tailgate: run program=parse_udp packet=udp4 engine=both return=1
SEC("xdp")
int parse_udp(struct xdp_md *ctx)
{
    count(1);
    return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
