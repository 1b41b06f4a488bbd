// Port of the kernel selftest tailcall_bpf2bpf4 (tools/testing/selftests/bpf/progs/tailcall_bpf2bpf4.c,
// driven by prog_tests/tailcalls.c test_tailcall_bpf2bpf_4(noise = false / true)): the tail-call counter
// is kept across tail calls made from subprograms. Facts kept: a 3-slot prog array `jmp_table` that the
// test fills with classifier_0..2, a 1-slot array `nop_table`, globals `count` and `noise`; constant-key
// tail calls (bpf_tail_call_static) from global subprograms:
//   entry -> subprog_tail: slot 0, else skb->len;
//   classifier_0 -> subprog_tail_1: slot 1, else skb->len * 2;
//   classifier_1 -> subprog_tail_2: (a map lookup when `noise`) slot 2, else skb->len * 3;
//   classifier_2: count++, then subprog_tail_2 -> slot 2 (itself).
// The kernel test runs entry on pkt_v4: entry -> 0 -> 1 -> 2 -> 2 -> ... Tail calls 1 and 2 reach
// classifier_0 and classifier_1, calls 3..33 reach classifier_2 (31 runs), whose last call is refused:
// retval 54 * 3 = 162 and count == 31, with noise 0 or 1 (count and noise are handled by
// tests/corpus_run_test.cpp through .bss). The sites are inline asm in bpf_helpers.h: no tailcall
// directives (their lines are that header's).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int classifier_0(struct __sk_buff *skb);
int classifier_1(struct __sk_buff *skb);
int classifier_2(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} nop_table SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 3);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0, [1] = (void *)&classifier_1, [2] = (void *)&classifier_2},
};

int count = 0; // .bss
int noise = 0; // .bss

static __always_inline int subprog_noise(void)
{
    __u32 key = 0;

    bpf_map_lookup_elem(&nop_table, &key);
    return 0;
}

__noinline int subprog_tail_2(struct __sk_buff *skb)
{
    if (noise)
        subprog_noise();
    bpf_tail_call_static(skb, &jmp_table, 2);
    return skb->len * 3;
}

__noinline int subprog_tail_1(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 1);
    return skb->len * 2;
}

__noinline int subprog_tail(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 0);
    return skb->len;
}

// Frames (llvm-objdump -d, deepest r10 offset rounded up to 16): every main function 0, subprog_tail 0,
// subprog_tail_1 0, subprog_tail_2 16 (`key` at r10-4). Every site is in a subprogram and retains its
// caller's main frame: 0 bytes.
// classifier_1: own 0 + 16 = 16; -> classifier_2 (retains 0), whose own stack is 16 and which reaches
// only itself: chain_stack_bytes = max(16, 0 + 16) = 16; cycle, max_chain_length = 33.
// tailgate: program name=classifier_1 verdict=accepted
// tailgate: graph program=classifier_1 targets=classifier_2 max_chain_length=33 chain_stack_bytes=16 cycle=yes
// tailgate: run program=classifier_1 packet=pkt_v4 return=162
SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
    return subprog_tail_2(skb);
}

// classifier_2: own 0 + 16; -> itself, retains 0: chain_stack_bytes = 16, cycle, 33.
// tailgate: program name=classifier_2 verdict=accepted
// tailgate: graph program=classifier_2 targets=classifier_2 max_chain_length=33 chain_stack_bytes=16 cycle=yes
// tailgate: run program=classifier_2 packet=pkt_v4 return=162
SEC("tc")
int classifier_2(struct __sk_buff *skb)
{
    count++;
    return subprog_tail_2(skb);
}

// classifier_0: own 0 + 0; -> classifier_1 (retains 0, worst 16): chain_stack_bytes = 16, cycle, 33.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets=classifier_1 max_chain_length=33 chain_stack_bytes=16 cycle=yes
// tailgate: run program=classifier_0 packet=pkt_v4 return=162
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    return subprog_tail_1(skb);
}

// entry: own 0 + 0; -> classifier_0 (retains 0, worst 16): chain_stack_bytes = 16, cycle, 33.
// Without the classifier_2 self-loop the chain would be entry -> 0 -> 1 -> 2 (3 calls); the loop makes it 33.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0 max_chain_length=33 chain_stack_bytes=16 cycle=yes
// tailgate: run program=entry packet=pkt_v4 return=162
SEC("tc")
int entry(struct __sk_buff *skb)
{
    return subprog_tail(skb);
}

char _license[] SEC("license") = "GPL";
