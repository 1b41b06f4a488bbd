// Port of the kernel selftest tailcall2 (tools/testing/selftests/bpf/progs/tailcall2.c, driven by
// prog_tests/tailcalls.c test_tailcall_2). Facts kept: a 5-slot prog array `jmp_table` that the test
// fills with classifier_0..4 (slot i = classifier_i); constant-key tail calls made with
// bpf_tail_call_static() (the kernel JIT patches them as direct jumps):
//   classifier_0 -> slot 1, else returns 0;  classifier_1 -> slot 2, else 1;  classifier_2 returns 2;
//   classifier_3 -> slot 4, else 3;          classifier_4 -> slot 3, else 4;
//   entry -> slot 0, then slot 2, then slot 3, else returns 3.
// The kernel test runs entry on a 128-byte zero buffer: full table -> 2 (entry -> 0 -> 1 -> 2); slot 2
// deleted -> 1 (classifier_1's call falls through); slot 0 deleted too -> 3: entry reaches slot 3 and
// classifier_3 <-> classifier_4 alternate until the 33rd tail call lands on classifier_3, whose call then
// falls through ("check tail call limit").
//
// The sites are inline asm inside bpf_helpers.h (bpf_tail_call_static), so clang gives them that
// header's lines: their constant indexes are checked by the graph (targets) instead of tailcall
// directives.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int classifier_0(struct __sk_buff *skb);
int classifier_1(struct __sk_buff *skb);
int classifier_2(struct __sk_buff *skb);
int classifier_3(struct __sk_buff *skb);
int classifier_4(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 5);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0, [1] = (void *)&classifier_1, [2] = (void *)&classifier_2,
               [3] = (void *)&classifier_3, [4] = (void *)&classifier_4},
};

// Hand count for every program of this file: no program touches r10 (llvm-objdump -d: no stack access),
// so every frame is 0 and every site is in a main function (nothing retained): chain_stack_bytes = 0.
// Chains: classifier_0 -> classifier_1 -> classifier_2 (length 2); classifier_3 <-> classifier_4 is a
// cycle (33 tail calls); entry reaches classifier_0, classifier_2 and classifier_3, so the cycle too.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets=classifier_1 max_chain_length=2 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_0 packet=zero128 return=2
// tailgate: run program=classifier_0 packet=zero128 return=1 prog_array=jmp_table:2=
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 1);
    return 0;
}

// tailgate: program name=classifier_1 verdict=accepted
// tailgate: graph program=classifier_1 targets=classifier_2 max_chain_length=1 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_1 packet=zero128 return=2
SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 2);
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

// Run from classifier_3: tail call k (1..33) lands on classifier_4 when k is odd, so the 33rd lands on
// classifier_4, whose call to slot 3 falls through: 4. From classifier_4 symmetrically: 3.
// tailgate: program name=classifier_3 verdict=accepted
// tailgate: graph program=classifier_3 targets=classifier_4 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=classifier_3 packet=zero128 return=4
SEC("tc")
int classifier_3(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 4);
    return 3;
}

// tailgate: program name=classifier_4 verdict=accepted
// tailgate: graph program=classifier_4 targets=classifier_3 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=classifier_4 packet=zero128 return=3
SEC("tc")
int classifier_4(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 3);
    return 4;
}

// entry: targets = slot 0, 2, 3 = classifier_0, classifier_2, classifier_3; classifier_3's cycle is
// reachable: max_chain_length = 33, cycle = yes; chain_stack_bytes = 0 (all frames 0, nothing retained).
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0,classifier_2,classifier_3 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// The kernel test's three states: full table, slot 2 deleted, slots 2 and 0 deleted.
// tailgate: run program=entry packet=zero128 return=2
// tailgate: run program=entry packet=zero128 return=1 prog_array=jmp_table:2=
// tailgate: run program=entry packet=zero128 return=3 prog_array=jmp_table:2=,jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 0);
    // Check multi-prog update (the kernel test's comment): slot 2 is also classifier_1's target.
    bpf_tail_call_static(skb, &jmp_table, 2);
    // Check the tail call limit: slot 3 enters the classifier_3 <-> classifier_4 cycle.
    bpf_tail_call_static(skb, &jmp_table, 3);
    return 3;
}

char _license[] SEC("license") = "GPL";
