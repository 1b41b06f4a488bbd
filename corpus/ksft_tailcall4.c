// Port of the kernel selftest tailcall4 (tools/testing/selftests/bpf/progs/tailcall4.c, driven by
// prog_tests/tailcalls.c test_tailcall_4). Facts kept: a 3-slot prog array `jmp_table` that the test fills
// with classifier_0..2 (returning their index); entry tail-calls the slot named by the global `selector`
// (a key the verifier cannot know, so the kernel JIT emits an indirect jump) and returns 3 when the call
// falls through.
// The kernel test writes selector = 0, 1, 2 into .bss and expects retval 0, 1, 2; then for each i it
// writes selector = i and deletes slot i and expects 3. The run directives cover selector = 0 (its initial
// value); tests/corpus_run_test.cpp writes selector = 1 and 2 into .bss (the directives cannot).
//
// `selector` is any u32 to the verifier: the kernel accepts (an index >= max_entries falls through at run
// time); tailgate warns (corpus/README.md, tail-call-index).
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

int selector = 0; // .bss

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

// Hand count: entry frame 0 (llvm-objdump: no r10 access); one site in the main function whose index is
// the u32 `selector`, [0, 2^32-1]: every slot 0..2 is in range, so targets = classifier_0..2;
// max_chain_length = 1; chain_stack_bytes = max(0, 0 + 0) = 0; no cycle.
// tailgate: program name=entry verdict=accepted
// tailgate: program name=entry verdict=rejected when=strict
// tailgate: graph program=entry targets=classifier_0,classifier_1,classifier_2 max_chain_length=1 chain_stack_bytes=0 cycle=no
// selector = 0: full table -> 0; slot 0 deleted -> 3 (the kernel test's second loop, i = 0).
// tailgate: run program=entry packet=zero128 return=0
// tailgate: run program=entry packet=zero128 return=3 prog_array=jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &jmp_table, selector); // tailgate: tailcall map=jmp_table index_min=0 index_max=4294967295 tailgate: expect code=tail-call-index severity=warning
    return 3;
}

char _license[] SEC("license") = "GPL";
