// invalid-return: cgroup_skb ingress programs must return 0 or 1 (kernel check_return_code(): "At program
// exit the register R0 has ... should have been in [0, 1]").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// tailgate: program name=cg_return_2 verdict=rejected
SEC("cgroup_skb/ingress")
int cg_return_2(struct __sk_buff *skb)
{
    return 2; // tailgate: expect code=invalid-return severity=error
}

// The packet length is any u32.
// tailgate: program name=cg_return_len verdict=rejected
SEC("cgroup_skb/ingress")
int cg_return_len(struct __sk_buff *skb)
{
    return skb->len; // tailgate: expect code=invalid-return severity=error
}

// Control: 1 (allow) for packets longer than 40 bytes, else 0. cgroup_skb sees the packet from the network
// header on (bpf_prog_test_run_skb()), so tcp4's len is 40: not longer.
// tailgate: program name=cg_allow_long verdict=accepted
// tailgate: run program=cg_allow_long packet=tcp4 engine=both return=0
// tailgate: run program=cg_allow_long packet=short engine=both return=0
SEC("cgroup_skb/ingress")
int cg_allow_long(struct __sk_buff *skb)
{
    return skb->len > 40;
}

char _license[] SEC("license") = "GPL";
