// Packet pointers kept across bpf2bpf calls (the shape of the kernel's selftest test_pkt_access.c): the
// L4 header pointer is NULL on one path and a packet pointer on the others, stays live across the calls,
// is bounds-checked and dereferenced after them. The kernel verifies each path on its own; tailgate keeps
// the NULL path apart from the pointer paths at the merge instead of joining them into an unusable value.
// (clang keeps tcp in a callee-saved register here; the spilled form, a check on one reload bounding
// another, is covered by tests/analysis_test.cpp.)
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int skb_len_twice(volatile struct __sk_buff *skb)
{
    return skb->len * 2;
}

// Finds the TCP header (NULL when the packet is not IPv4) and returns its urgent pointer when it is 123,
// TC_ACT_OK (0) for any other TCP packet, TC_ACT_UNSPEC (-1, r0 = 0xffffffff as the int is returned)
// otherwise. tcp4 carries urg_ptr 0: 0. The ctx fields read up front stay live across the calls (clang
// spills them).
// tailgate: program name=tcp_after_calls verdict=accepted
// tailgate: run program=tcp_after_calls packet=tcp4 engine=both return=0
// tailgate: run program=tcp_after_calls packet=arp engine=both return=4294967295
SEC("tc")
int tcp_after_calls(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct tcphdr *tcp = 0;
    __u32 mark = skb->mark, prio = skb->priority, queue = skb->queue_mapping, index = skb->tc_index;

    if ((void *)(eth + 1) > data_end)
        return TC_ACT_SHOT;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);

        if ((void *)(ip + 1) > data_end)
            return TC_ACT_SHOT;
        tcp = (void *)ip + ip->ihl * 4;
    }
    if (skb_len_twice(skb) != skb->len * 2)
        return TC_ACT_SHOT;
    if (skb_len_twice(skb) == 0)
        return TC_ACT_SHOT;
    if (tcp) {
        if ((void *)tcp + 20 > data_end)
            return TC_ACT_SHOT;
        asm volatile("" ::: "memory");
        if (mark + prio + queue + index + skb_len_twice(skb) == 1)
            return TC_ACT_SHOT;
        if (tcp->urg_ptr == bpf_htons(123))
            return 123;
        return TC_ACT_OK;
    }
    return TC_ACT_UNSPEC;
}

// The same with the check one byte short of the 2-byte urg_ptr at offset 18.
// tailgate: program name=tcp_after_calls_short verdict=rejected
SEC("tc")
int tcp_after_calls_short(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct tcphdr *tcp = 0;
    __u32 mark = skb->mark, prio = skb->priority, queue = skb->queue_mapping, index = skb->tc_index;

    if ((void *)(eth + 1) > data_end)
        return TC_ACT_SHOT;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);

        if ((void *)(ip + 1) > data_end)
            return TC_ACT_SHOT;
        tcp = (void *)ip + ip->ihl * 4;
    }
    if (skb_len_twice(skb) != skb->len * 2)
        return TC_ACT_SHOT;
    if (skb_len_twice(skb) == 0)
        return TC_ACT_SHOT;
    if (tcp) {
        if ((void *)tcp + 19 > data_end)
            return TC_ACT_SHOT;
        asm volatile("" ::: "memory");
        if (mark + prio + queue + index + skb_len_twice(skb) == 1)
            return TC_ACT_SHOT;
        if (tcp->urg_ptr == bpf_htons(123)) // tailgate: expect code=memory-bounds severity=error
            return 123;
        return TC_ACT_OK;
    }
    return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
