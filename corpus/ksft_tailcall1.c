// Port of the kernel selftest tailcall1 (tools/testing/selftests/bpf/progs/tailcall1.c, driven by
// prog_tests/tailcalls.c test_tailcall_1). Facts kept: a 3-slot prog array `jmp_table`, programs
// classifier_0..2 that return their index, and `entry`, which tries slot 0 four times, then slot 1 four
// times, then slot 2 four times (several sites per slot, so that the kernel patches every one of them),
// and returns 3 when every slot is empty. All programs are tc classifiers (SCHED_CLS).
//
// The kernel test fills slot i with classifier_i and runs entry on a 128-byte zero buffer:
//   full table -> 0; then deleting slot 0 -> 1; deleting slot 1 too -> 2; deleting slot 2 too -> 3.
//   Refilled reversed (slot i = classifier_(2-i)) -> 2; deleting slot 0 -> 1; slot 1 -> 0; slot 2 -> 3.
// Here the table is filled statically as the test's first state; the other states are run directives
// with prog_array= (an empty program deletes the slot, as bpf_map_delete_elem does).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int classifier_0(struct __sk_buff *skb);
int classifier_1(struct __sk_buff *skb);
int classifier_2(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 3);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0, [1] = (void *)&classifier_1, [2] = (void *)&classifier_2},
};

// Hand count: classifier_i touch no stack (llvm-objdump: no r10 access; frame 0) and make no tail call:
// chain_stack_bytes = 0, max_chain_length = 0.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets= max_chain_length=0 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_0 packet=zero128 return=0
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    return 0;
}

// tailgate: program name=classifier_1 verdict=accepted
// tailgate: graph program=classifier_1 targets= max_chain_length=0 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_1 packet=zero128 return=1
SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
    return 1;
}

// tailgate: program name=classifier_2 verdict=accepted
// tailgate: graph program=classifier_2 targets= max_chain_length=0 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_2 packet=zero128 return=2
SEC("tc")
int classifier_2(struct __sk_buff *skb)
{
    return 2;
}

// Hand count: entry has no stack (frame 0); its 12 sites are in the main function (nothing retained), each
// with a constant index in range. Slots 0, 1, 2 hold classifier_0, 1, 2 (frame 0, no tail call):
//   targets = classifier_0, classifier_1, classifier_2; max_chain_length = 1 (entry -> classifier_i);
//   chain_stack_bytes = max(entry 0, 0 retained + classifier_i 0) = 0; no cycle.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0,classifier_1,classifier_2 max_chain_length=1 chain_stack_bytes=0 cycle=no
// First state of the kernel test, then the deletions one by one.
// tailgate: run program=entry packet=zero128 return=0
// tailgate: run program=entry packet=zero128 return=1 prog_array=jmp_table:0=
// tailgate: run program=entry packet=zero128 return=2 prog_array=jmp_table:0=,jmp_table:1=
// tailgate: run program=entry packet=zero128 return=3 prog_array=jmp_table:0=,jmp_table:1=,jmp_table:2=
// Refilled reversed (slot i = classifier_(2-i)), then the deletions.
// tailgate: run program=entry packet=zero128 return=2 prog_array=jmp_table:0=classifier_2,jmp_table:2=classifier_0
// tailgate: run program=entry packet=zero128 return=1 prog_array=jmp_table:0=,jmp_table:2=classifier_0
// tailgate: run program=entry packet=zero128 return=0 prog_array=jmp_table:0=,jmp_table:1=,jmp_table:2=classifier_0
SEC("tc")
int entry(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall map=jmp_table index_min=0 index_max=0
    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall map=jmp_table index_min=0 index_max=0
    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall map=jmp_table index_min=0 index_max=0
    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall map=jmp_table index_min=0 index_max=0

    bpf_tail_call(skb, &jmp_table, 1); // tailgate: tailcall map=jmp_table index_min=1 index_max=1
    bpf_tail_call(skb, &jmp_table, 1); // tailgate: tailcall map=jmp_table index_min=1 index_max=1
    bpf_tail_call(skb, &jmp_table, 1); // tailgate: tailcall map=jmp_table index_min=1 index_max=1
    bpf_tail_call(skb, &jmp_table, 1); // tailgate: tailcall map=jmp_table index_min=1 index_max=1

    bpf_tail_call(skb, &jmp_table, 2); // tailgate: tailcall map=jmp_table index_min=2 index_max=2
    bpf_tail_call(skb, &jmp_table, 2); // tailgate: tailcall map=jmp_table index_min=2 index_max=2
    bpf_tail_call(skb, &jmp_table, 2); // tailgate: tailcall map=jmp_table index_min=2 index_max=2
    bpf_tail_call(skb, &jmp_table, 2); // tailgate: tailcall map=jmp_table index_min=2 index_max=2

    return 3;
}

char _license[] SEC("license") = "GPL";
