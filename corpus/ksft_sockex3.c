// Port of the kernel sample sockex3 (samples/bpf/sockex3_kern.c, the BTF-map version; user side
// sockex3_user.c attaches main_prog to a raw socket on lo and prints per-flow packet and byte counts).
// A parse chain of socket filters through one prog array: main_prog reads the EtherType and tail-calls
// the parser of the next header; each parser keeps the next header's offset in skb->cb[0] and tail-calls
// the next one. Facts kept: the prog array `prog_array_init` (8 slots, statically initialised: slot 1 =
// bpf_func_vlan, 2 = bpf_func_mpls, 3 = bpf_func_ip, 4 = bpf_func_ipv6; 0 and 5..7 empty), the dispatch
// parse_eth_proto() (inlined: four constant-key sites per caller), LD_ABS packet reads (load_byte/half/word),
// the per-"CPU" globals in an array map keyed by bpf_get_smp_processor_id(), the flow statistics in
// hash_map, and every program returning 0. The sample has no expected output; the port's runs return 0
// as it does, and tests/corpus_run_test.cpp checks the chain through hash_map and the tail-call count.
//
// Deviations: parse_eth_proto is `static __always_inline` (the sample's `static inline` relies on clang
// inlining it: as a void subprogram holding tail calls the kernel would reject it, "tail_call is only
// allowed in functions that return 'int'"); the GRE flag constants are spelt here (uapi if_tunnel.h pulls
// in libc headers that do not build for the BPF target).
//
// LD_ABS offsets are from skb->data. On the sample's raw packet socket data starts at the Ethernet header;
// BPF_PROG_TEST_RUN gives a socket filter data from the network header (corpus/README.md), so the
// sock_raw_* packets put 14 bytes of L2 header in front of the frame a raw socket would see.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mpls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

// uapi linux/if_tunnel.h
#define GRE_CSUM bpf_htons(0x8000)
#define GRE_ROUTING bpf_htons(0x4000)
#define GRE_KEY bpf_htons(0x2000)
#define GRE_SEQ bpf_htons(0x1000)
#define GRE_VERSION bpf_htons(0x0007)

#define PARSE_VLAN 1
#define PARSE_MPLS 2
#define PARSE_IP 3
#define PARSE_IPV6 4

// LD_ABS, as the kernel's bpf_legacy.h declares it.
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

int bpf_func_vlan(struct __sk_buff *skb);
int bpf_func_mpls(struct __sk_buff *skb);
int bpf_func_ip(struct __sk_buff *skb);
int bpf_func_ipv6(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 8);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} prog_array_init SEC(".maps") = {
    .values = {[PARSE_VLAN] = (void *)&bpf_func_vlan, [PARSE_MPLS] = (void *)&bpf_func_mpls,
               [PARSE_IP] = (void *)&bpf_func_ip, [PARSE_IPV6] = (void *)&bpf_func_ipv6},
};

struct vlan_hdr {
    __be16 h_vlan_TCI;
    __be16 h_vlan_encapsulated_proto;
};

struct flow_key_record {
    __be32 src;
    __be32 dst;
    union {
        __be32 ports;
        __be16 port16[2];
    };
    __u32 ip_proto;
};

struct globals {
    struct flow_key_record flow;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, __u32);
    __type(value, struct globals);
    __uint(max_entries, 32);
} percpu_map SEC(".maps");

struct pair {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, struct flow_key_record);
    __type(value, struct pair);
    __uint(max_entries, 1024);
} hash_map SEC(".maps");

// Tail-calls the parser of `proto`; falls through (returns) for any other EtherType or an empty slot.
static __always_inline void parse_eth_proto(struct __sk_buff *skb, __u32 proto)
{
    switch (proto) {
    case ETH_P_8021Q:
    case ETH_P_8021AD: bpf_tail_call(skb, &prog_array_init, PARSE_VLAN); break;
    case ETH_P_MPLS_UC:
    case ETH_P_MPLS_MC: bpf_tail_call(skb, &prog_array_init, PARSE_MPLS); break;
    case ETH_P_IP: bpf_tail_call(skb, &prog_array_init, PARSE_IP); break;
    case ETH_P_IPV6: bpf_tail_call(skb, &prog_array_init, PARSE_IPV6); break;
    }
}

static inline int ip_is_fragment(struct __sk_buff *ctx, __u64 nhoff)
{
    return load_half(ctx, nhoff + offsetof(struct iphdr, frag_off)) & (IP_MF | IP_OFFSET);
}

static inline __u32 ipv6_addr_hash(struct __sk_buff *ctx, __u64 off)
{
    __u64 w0 = load_word(ctx, off);
    __u64 w1 = load_word(ctx, off + 4);
    __u64 w2 = load_word(ctx, off + 8);
    __u64 w3 = load_word(ctx, off + 12);

    return (__u32)(w0 ^ w1 ^ w2 ^ w3);
}

// The sample's "poor man's per_cpu": one element per CPU id of an array map.
static struct globals *this_cpu_globals(void)
{
    __u32 key = bpf_get_smp_processor_id();

    return bpf_map_lookup_elem(&percpu_map, &key);
}

static void update_stats(struct __sk_buff *skb, struct globals *g)
{
    struct flow_key_record key = g->flow;
    struct pair *value;

    value = bpf_map_lookup_elem(&hash_map, &key);
    if (value) {
        __sync_fetch_and_add(&value->packets, 1);
        __sync_fetch_and_add(&value->bytes, skb->len);
    } else {
        struct pair val = {1, skb->len};

        bpf_map_update_elem(&hash_map, &key, &val, BPF_ANY);
    }
}

// After the IP header: GRE re-dispatches on its protocol field, IPIP / IPv6-in-IP go to the IP / IPv6
// parser, TCP / UDP / ICMP end the chain and are counted.
static __always_inline void parse_ip_proto(struct __sk_buff *skb, struct globals *g, __u32 ip_proto)
{
    __u32 nhoff = skb->cb[0];

    switch (ip_proto) {
    case IPPROTO_GRE: {
        struct gre_hdr {
            __be16 flags;
            __be16 proto;
        };

        __u32 gre_flags = load_half(skb, nhoff + offsetof(struct gre_hdr, flags));
        __u32 gre_proto = load_half(skb, nhoff + offsetof(struct gre_hdr, proto));

        if (gre_flags & (GRE_VERSION | GRE_ROUTING))
            break;

        nhoff += 4;
        if (gre_flags & GRE_CSUM)
            nhoff += 4;
        if (gre_flags & GRE_KEY)
            nhoff += 4;
        if (gre_flags & GRE_SEQ)
            nhoff += 4;

        skb->cb[0] = nhoff;
        parse_eth_proto(skb, gre_proto);
        break;
    }
    case IPPROTO_IPIP: parse_eth_proto(skb, ETH_P_IP); break;
    case IPPROTO_IPV6: parse_eth_proto(skb, ETH_P_IPV6); break;
    case IPPROTO_TCP:
    case IPPROTO_UDP: g->flow.ports = load_word(skb, nhoff); /* fall through */
    case IPPROTO_ICMP:
        g->flow.ip_proto = ip_proto;
        update_stats(skb, g);
        break;
    default: break;
    }
}

// Hand count for every program of this file. Frames (llvm-objdump -d, deepest r10 offset rounded up to
// 16): main_prog 0, bpf_func_vlan 0, bpf_func_mpls 0, bpf_func_ip 48 (r10-48), bpf_func_ipv6 64 (r10-64);
// this_cpu_globals, update_stats, parse_* are inlined (no subprograms), so every site is in a main
// function and retains nothing: chain_stack_bytes = the largest frame reachable = 64 (bpf_func_ipv6).
// clang merges each program's dispatch into one site whose key is one of the case constants:
//   main_prog, bpf_func_vlan: any EtherType -> key in [1, 4] -> slots 1..4 = all four parsers;
//   bpf_func_ip, bpf_func_ipv6: GRE -> any of [1, 4], IPIP -> 3, IPv6 -> 4 -> all four parsers;
//   bpf_func_mpls: 2 (label without the bottom-of-stack bit) or 4 (with it: the sample's IPv4 test is
//     never true) -> the interval [2, 4], so slot 3 (bpf_func_ip) counts too (corpus/README.md: every
//     slot inside the proved index range). The mpls -> ip edge cannot be taken at run time; the kernel
//     verifier, which sees key 2 on one path and 4 on the other, would not have it. It changes neither
//     bound: bpf_func_ipv6 (64) is reachable anyway and every parser reaches itself (a cycle: 33 calls).
// bpf_func_ip: frame 48; reaches bpf_func_ipv6 (64): chain_stack_bytes = max(48, 0 + 64) = 64.
// tailgate: program name=bpf_func_ip verdict=accepted
// tailgate: graph program=bpf_func_ip targets=bpf_func_ip,bpf_func_ipv6,bpf_func_mpls,bpf_func_vlan max_chain_length=33 chain_stack_bytes=64 cycle=yes
// tailgate: run program=bpf_func_ip packet=tcp4 return=0
SEC("socket")
int bpf_func_ip(struct __sk_buff *skb)
{
    struct globals *g = this_cpu_globals();
    __u32 nhoff, verlen, ip_proto;

    if (!g)
        return 0;

    nhoff = skb->cb[0];

    if (__builtin_expect(ip_is_fragment(skb, nhoff), 0))
        return 0;

    ip_proto = load_byte(skb, nhoff + offsetof(struct iphdr, protocol));

    if (ip_proto != IPPROTO_GRE) {
        g->flow.src = load_word(skb, nhoff + offsetof(struct iphdr, saddr));
        g->flow.dst = load_word(skb, nhoff + offsetof(struct iphdr, daddr));
    }

    verlen = load_byte(skb, nhoff + 0 /*offsetof(struct iphdr, ihl)*/);
    nhoff += (verlen & 0xF) << 2;

    skb->cb[0] = nhoff;
    parse_ip_proto(skb, g, ip_proto);
    return 0;
}

// bpf_func_ipv6: frame 64; reaches itself (IPv6-in-IPv6): chain_stack_bytes = 64.
// tailgate: program name=bpf_func_ipv6 verdict=accepted
// tailgate: graph program=bpf_func_ipv6 targets=bpf_func_ip,bpf_func_ipv6,bpf_func_mpls,bpf_func_vlan max_chain_length=33 chain_stack_bytes=64 cycle=yes
SEC("socket")
int bpf_func_ipv6(struct __sk_buff *skb)
{
    struct globals *g = this_cpu_globals();
    __u32 nhoff, ip_proto;

    if (!g)
        return 0;

    nhoff = skb->cb[0];

    ip_proto = load_byte(skb, nhoff + offsetof(struct ipv6hdr, nexthdr));
    g->flow.src = ipv6_addr_hash(skb, nhoff + offsetof(struct ipv6hdr, saddr));
    g->flow.dst = ipv6_addr_hash(skb, nhoff + offsetof(struct ipv6hdr, daddr));
    nhoff += sizeof(struct ipv6hdr);

    skb->cb[0] = nhoff;
    parse_ip_proto(skb, g, ip_proto);
    return 0;
}

// bpf_func_vlan: frame 0; reaches bpf_func_ipv6: chain_stack_bytes = max(0, 0 + 64) = 64.
// tailgate: program name=bpf_func_vlan verdict=accepted
// tailgate: graph program=bpf_func_vlan targets=bpf_func_ip,bpf_func_ipv6,bpf_func_mpls,bpf_func_vlan max_chain_length=33 chain_stack_bytes=64 cycle=yes
SEC("socket")
int bpf_func_vlan(struct __sk_buff *skb)
{
    __u32 nhoff, proto;

    nhoff = skb->cb[0];

    proto = load_half(skb, nhoff + offsetof(struct vlan_hdr, h_vlan_encapsulated_proto));
    nhoff += sizeof(struct vlan_hdr);
    skb->cb[0] = nhoff;

    parse_eth_proto(skb, proto);

    return 0;
}

// bpf_func_mpls: frame 0; reaches bpf_func_ipv6: chain_stack_bytes = 64; targets: see above.
// tailgate: program name=bpf_func_mpls verdict=accepted
// tailgate: graph program=bpf_func_mpls targets=bpf_func_ip,bpf_func_ipv6,bpf_func_mpls max_chain_length=33 chain_stack_bytes=64 cycle=yes
SEC("socket")
int bpf_func_mpls(struct __sk_buff *skb)
{
    __u32 nhoff, label;

    nhoff = skb->cb[0];

    label = load_word(skb, nhoff);
    nhoff += sizeof(struct mpls_label);
    skb->cb[0] = nhoff;

    if (label & MPLS_LS_S_MASK) {
        __u8 verlen = load_byte(skb, nhoff);
        // The sample's test, kept: it is never true, so after the bottom label the chain goes to IPv6.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wtautological-bitwise-compare"
        if ((verlen & 0xF0) == 4)
#pragma clang diagnostic pop
            parse_eth_proto(skb, ETH_P_IP);
        else
            parse_eth_proto(skb, ETH_P_IPV6);
    } else {
        parse_eth_proto(skb, ETH_P_MPLS_UC);
    }

    return 0;
}

// main_prog: frame 0; one site, key in [1, 4] -> the four parsers; reaches bpf_func_ipv6 and the
// parsers' cycles: max_chain_length = 33, chain_stack_bytes = max(0, 0 + 64) = 64.
// Runs (the sample returns 0 everywhere; hash_map and the tail-call counts are checked by
// tests/corpus_run_test.cpp): TCP/IPv4 (main -> ip), 802.1Q + UDP/IPv4 (main -> vlan -> ip), and 40
// stacked 802.1Q tags (main -> vlan x 33: the 33rd tail call is the last, the chain stops in vlan).
// tailgate: program name=main_prog verdict=accepted
// tailgate: graph program=main_prog targets=bpf_func_ip,bpf_func_ipv6,bpf_func_mpls,bpf_func_vlan max_chain_length=33 chain_stack_bytes=64 cycle=yes
// tailgate: run program=main_prog packet=sock_raw_tcp4 return=0
// tailgate: run program=main_prog packet=sock_raw_vlan_udp4 return=0
// tailgate: run program=main_prog packet=sock_raw_vlan40 return=0
SEC("socket")
int main_prog(struct __sk_buff *skb)
{
    __u32 nhoff = ETH_HLEN;
    __u32 proto = load_half(skb, 12);

    skb->cb[0] = nhoff;
    parse_eth_proto(skb, proto);
    return 0;
}

char _license[] SEC("license") = "GPL";
