// Port of the kernel selftest tailcall_bpf2bpf1 (tools/testing/selftests/bpf/progs/tailcall_bpf2bpf1.c,
// driven by prog_tests/tailcalls.c test_tailcall_bpf2bpf_1): tail calls mixed with bpf2bpf calls. Facts
// kept: a 2-slot prog array `jmp_table` that the test fills with classifier_0 and classifier_1 (returning
// their index); entry tail-calls slot 1 (constant key, bpf_tail_call_static) and, when that falls through,
// returns what the subprogram subprog_tail returns; subprog_tail tail-calls slot 0 and otherwise returns
// skb->len * 2 (so the subprogram reads the ctx and entry returns properly from it).
// The kernel test runs entry on pkt_v4 (54 bytes): full table -> 1; slot 1 deleted -> 0 (classifier_0's
// 0 comes back through subprog_tail to entry); slot 0 deleted too -> sizeof(pkt_v4) * 2 = 108.
// The sites are inline asm inside bpf_helpers.h (bpf_tail_call_static), so clang gives them that header's
// lines: the graph checks their constant keys (targets) instead of tailcall directives.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int classifier_0(struct __sk_buff *skb);
int classifier_1(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0, [1] = (void *)&classifier_1},
};

// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets= max_chain_length=0 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_0 packet=pkt_v4 return=0
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    return 0;
}

// tailgate: program name=classifier_1 verdict=accepted
// tailgate: graph program=classifier_1 targets= max_chain_length=0 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_1 packet=pkt_v4 return=1
SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
    return 1;
}

static __noinline int subprog_tail(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 0);
    return skb->len * 2;
}

// Hand count (llvm-objdump -d: neither entry nor subprog_tail touches r10, frames 0 and 0):
//   site 1, entry's main function, slot 1 -> classifier_1, retains nothing;
//   site 2, subprog_tail, slot 0 -> classifier_0, retains entry's frame (0 bytes);
//   own stack of entry = 0 + 0 = 0; chain_stack_bytes = max(0, 0 + 0, 0 + 0) = 0;
//   max_chain_length = 1 (classifier_0/1 make no tail call); no cycle.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0,classifier_1 max_chain_length=1 chain_stack_bytes=0 cycle=no
// tailgate: run program=entry packet=pkt_v4 return=1
// tailgate: run program=entry packet=pkt_v4 return=0 prog_array=jmp_table:1=
// tailgate: run program=entry packet=pkt_v4 return=108 prog_array=jmp_table:1=,jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 1);
    return subprog_tail(skb);
}

char _license[] SEC("license") = "GPL";
