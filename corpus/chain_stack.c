// Chain stack bound (issue 5): a tail call made from a bpf2bpf subprogram leaves the callers' frames on
// the native stack. `deep_chain` keeps a 240-byte frame (allowed: below the 256-byte cap) and calls
// `hop`, which tail-calls deep_chain again. Each of the 33 tail calls leaves one more 240-byte
// deep_chain frame below, so the 34th deep_chain runs on top of 33 retained frames:
//   chain_stack_bytes = 33 * 240 + (240 + 0 for hop) = 8160.
// The kernel accepts the program. With --max-chain-stack 4096 tailgate reports tail-call-chain-stack.
//
// `shallow` is the same shape with the tail call made from the main function: nothing is retained,
// chain_stack_bytes = 240.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int deep_chain(struct __sk_buff *skb);
int shallow(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} stack_table SEC(".maps") = {
    .values = {[0] = (void *)&deep_chain, [1] = (void *)&shallow},
};

__u32 hops; // .bss

#define TOUCH(buf, n)                                                                                     \
    do {                                                                                                  \
        __builtin_memset(buf, 1, n);                                                                      \
        asm volatile("" : : "r"(buf) : "memory");                                                         \
    } while (0)

// No stack of its own. Falls through on the 34th tail call and returns the hop count.
static __noinline int hop(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &stack_table, 0); // tailgate: expect program=deep_chain code=tail-call-chain-stack severity=error when=max-chain-stack=4096
    return hops;
}

// tailgate: program name=deep_chain verdict=accepted
// tailgate: program name=deep_chain verdict=rejected when=max-chain-stack=4096
// tailgate: graph program=deep_chain targets=deep_chain max_chain_length=33 cycle=yes chain_stack_bytes=8160
// tailgate: run program=deep_chain packet=tcp4 engine=both return=34
SEC("tc")
int deep_chain(struct __sk_buff *skb)
{
    char buf[240];

    TOUCH(buf, 240);
    hops++;
    return hop(skb);
}

// tailgate: program name=shallow verdict=accepted
// tailgate: graph program=shallow targets=shallow max_chain_length=33 cycle=yes chain_stack_bytes=240
// tailgate: run program=shallow packet=tcp4 engine=both return=34
SEC("tc")
int shallow(struct __sk_buff *skb)
{
    char buf[240];

    TOUCH(buf, 240);
    hops++;
    bpf_tail_call(skb, &stack_table, 1); // tailgate: tailcall map=stack_table index_min=1 index_max=1
    return hops;
}

char _license[] SEC("license") = "GPL";
