// A BPF flow dissector (SEC("flow_dissector")) that dispatches on the EtherType through a prog array, in
// the manner of the kernel's selftest bpf_flow.c: the entry program tail-calls the IPv4 or IPv6 parser,
// each parser fills the struct bpf_flow_keys that ctx->flow_keys points to.
//
// What it exercises:
//   - the flow_dissector ctx (net/core/filter.c flow_dissector_is_valid_access()): only data, data_end
//     and flow_keys are readable, nothing is writable; flow_keys is a PTR_TO_FLOW_KEYS that may be read
//     and written inside sizeof(struct bpf_flow_keys) = 56 bytes (verifier.c check_flow_keys_access());
//   - the header-or-copy idiom: get_header() returns a pointer into the packet when the header is in the
//     linear data, else a copy on the stack made by bpf_skb_load_bytes, else NULL. After the join the
//     pointer is a packet pointer on one path, a stack pointer on another and NULL on a third; the kernel
//     verifies each path on its own, so tailgate must not merge them into an unusable value.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FLOW_IP 0
#define FLOW_IPV6 1

int flow_ip(struct __sk_buff *skb);
int flow_ipv6(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} flow_jmp SEC(".maps") = {
    .values =
        {
            [FLOW_IP] = (void *)&flow_ip,
            [FLOW_IPV6] = (void *)&flow_ipv6,
        },
};

// Dissections per source port (hash map keyed by a u32 built from the ports).
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} flow_seen SEC(".maps");

// The header at keys->thoff: in the packet if it is there, else copied into `buf`; NULL if neither.
static __always_inline void *get_header(struct __sk_buff *skb, __u16 size, void *buf)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    __u16 thoff = skb->flow_keys->thoff;
    __u8 *hdr;

    if (thoff > 0xffff - size)
        return 0;
    hdr = data + thoff;
    if ((void *)(hdr + size) <= data_end)
        return hdr;
    if (bpf_skb_load_bytes(skb, thoff, buf, size))
        return 0;
    return buf;
}

static __always_inline int record(struct bpf_flow_keys *keys, int verdict)
{
    __u32 key = (__u32)keys->sport << 16 | keys->dport;
    __u64 one = 1;

    bpf_map_update_elem(&flow_seen, &key, &one, BPF_ANY);
    return verdict;
}

// Both slots hold flow dissectors; no chain goes further. chain_stack_bytes: flow_entry's frame is 0
// bytes; flow_ip's deepest stack access is r10-48 and flow_ipv6's r10-56 (llvm-objdump -d), rounded up to
// 16: 48 and 64. The worst chain is flow_entry -> flow_ipv6: a tail call from the main function keeps no
// frame, so max(0, 64) = 64.
// tailgate: program name=flow_entry verdict=accepted
// tailgate: graph program=flow_entry targets=flow_ip,flow_ipv6 max_chain_length=1 chain_stack_bytes=64
SEC("flow_dissector")
int flow_entry(struct __sk_buff *skb)
{
    struct bpf_flow_keys *keys = skb->flow_keys;
    __u32 slot;

    if (keys->n_proto == bpf_htons(ETH_P_IP))
        slot = FLOW_IP;
    else if (keys->n_proto == bpf_htons(ETH_P_IPV6))
        slot = FLOW_IPV6;
    else
        return BPF_DROP;
    bpf_tail_call(skb, &flow_jmp, slot); // tailgate: tailcall map=flow_jmp index_min=0 index_max=1
    return BPF_DROP;
}

// tailgate: program name=flow_ip verdict=accepted
// tailgate: graph program=flow_ip targets= max_chain_length=0 chain_stack_bytes=48
SEC("flow_dissector")
int flow_ip(struct __sk_buff *skb)
{
    struct bpf_flow_keys *keys = skb->flow_keys;
    struct iphdr *ip, ip_copy;
    struct udphdr *udp, udp_copy;

    ip = get_header(skb, sizeof(*ip), &ip_copy);
    if (!ip)
        return BPF_DROP;
    if (ip->ihl < 5)
        return BPF_DROP;
    keys->addr_proto = ETH_P_IP;
    keys->ipv4_src = ip->saddr;
    keys->ipv4_dst = ip->daddr;
    keys->ip_proto = ip->protocol;
    keys->thoff += ip->ihl << 2;
    if (ip->protocol != IPPROTO_UDP)
        return record(keys, BPF_OK);
    udp = get_header(skb, sizeof(*udp), &udp_copy);
    if (!udp)
        return BPF_DROP;
    keys->sport = udp->source;
    keys->dport = udp->dest;
    return record(keys, BPF_OK);
}

// tailgate: program name=flow_ipv6 verdict=accepted
// tailgate: graph program=flow_ipv6 targets= max_chain_length=0 chain_stack_bytes=64
SEC("flow_dissector")
int flow_ipv6(struct __sk_buff *skb)
{
    struct bpf_flow_keys *keys = skb->flow_keys;
    struct ipv6hdr *ip6, ip6_copy;

    ip6 = get_header(skb, sizeof(*ip6), &ip6_copy);
    if (!ip6)
        return BPF_DROP;
    keys->addr_proto = ETH_P_IPV6;
    __builtin_memcpy(&keys->ipv6_src, &ip6->saddr, 2 * sizeof(ip6->saddr));
    keys->thoff += sizeof(*ip6);
    keys->ip_proto = ip6->nexthdr;
    return record(keys, BPF_OK);
}

// Negative: the flow keys end at byte 56 (flags at 48, flow_label at 52); an 8-byte read at 52 crosses it.
// tailgate: program name=flow_keys_oob verdict=rejected
SEC("flow_dissector")
int flow_keys_oob(struct __sk_buff *skb)
{
    struct bpf_flow_keys *keys = skb->flow_keys;

    return *(__u64 *)((char *)keys + 52) != 0; // tailgate: expect code=memory-bounds severity=error
}

// Negative: a flow dissector may not write its ctx (flow_dissector_is_valid_access() refuses BPF_WRITE)
// nor read fields other than data, data_end and flow_keys.
// tailgate: program name=flow_ctx_fields verdict=rejected
SEC("flow_dissector")
int flow_ctx_fields(struct __sk_buff *skb)
{
    skb->cb[0] = 1;        // tailgate: expect code=ctx-access severity=error
    return skb->len != 0; // tailgate: expect code=ctx-access severity=error
}

// Negative: storing a pointer into the flow keys leaks a kernel address (kernel: "R%d leaks addr into
// flow keys").
// tailgate: program name=flow_keys_leak verdict=rejected
SEC("flow_dissector")
int flow_keys_leak(struct __sk_buff *skb)
{
    struct bpf_flow_keys *keys = skb->flow_keys;

    *(__u64 *)&keys->ipv6_src = (__u64)(long)skb->data; // tailgate: expect code=pointer-leak severity=error
    return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";
