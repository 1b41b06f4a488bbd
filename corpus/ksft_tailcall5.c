// Port of the kernel selftest tailcall5 (tools/testing/selftests/bpf/progs/tailcall5.c, driven by
// prog_tests/tailcalls.c test_tailcall_5). Facts kept: a 3-slot prog array `jmp_table` that the test fills
// with classifier_0..2 (returning their index); entry picks the key from the global `selector`: 1 when
// selector == 1234, 2 when 5678, else 0 (constant keys that differ by branch, so the kernel JIT emits an
// indirect jump), and returns 3 when the tail call falls through.
// The kernel test writes selector = 1111, 1234, 5678 into .bss and expects retval 0, 1, 2; then for each
// it also deletes slot i and expects 3. The run directives cover selector = 0 (initial value: key 0);
// tests/corpus_run_test.cpp writes 1234 and 5678 into .bss. The key is proved in [0, 2]: no warning.
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

static volatile int selector; // .bss

// Hand count: classifier_i have frame 0 and no tail call: max_chain_length = 0, chain_stack_bytes = 0.
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

// Hand count: entry frame 0 (llvm-objdump: no r10 access); one site in the main function with key in
// [0, 2] -> classifier_0..2; max_chain_length = 1; chain_stack_bytes = max(0, 0 + 0) = 0; no cycle.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0,classifier_1,classifier_2 max_chain_length=1 chain_stack_bytes=0 cycle=no
// tailgate: run program=entry packet=zero128 return=0
// tailgate: run program=entry packet=zero128 return=3 prog_array=jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    int idx = 0;

    if (selector == 1234)
        idx = 1;
    else if (selector == 5678)
        idx = 2;

    bpf_tail_call(skb, &jmp_table, idx); // tailgate: tailcall map=jmp_table index_min=0 index_max=2
    return 3;
}

char _license[] SEC("license") = "GPL";
