// Port of the kernel selftest tailcall6 (tools/testing/selftests/bpf/progs/tailcall6.c, driven by
// prog_tests/tailcalls.c test_tailcall_6 -> test_tailcall_count()). The same chain as tailcall3, with the
// key read from the global `which` (0 at run time, unknown to the verifier, so the kernel JIT emits an
// indirect jump): a 1-slot prog array `jmp_table` whose slot 0 holds classifier_0; classifier_0 bumps the
// global `count` and tail-calls slot `which`, returning 1 when the call falls through; entry tail-calls
// slot `which` and returns 0.
// The kernel test expects retval 1 and count == 33 (checked by tests/corpus_run_test.cpp from .bss), and
// retval 0 once slot 0 is deleted. `which` is any u32 to the verifier: the kernel accepts, tailgate warns
// (tail-call-index) on both sites.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int classifier_0(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0},
};

int count, which; // .bss

// Hand count: classifier_0 frame 0 (llvm-objdump: no r10 access); one site in the main function, key in
// [0, 2^32-1] -> slot 0 = classifier_0 itself: cycle, max_chain_length = 33, chain_stack_bytes = 0.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: program name=classifier_0 verdict=rejected when=strict
// tailgate: graph program=classifier_0 targets=classifier_0 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=classifier_0 packet=zero128 return=1
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    count++;
    if (__builtin_constant_p(which))
        __bpf_unreachable();
    bpf_tail_call(skb, &jmp_table, which); // tailgate: tailcall map=jmp_table index_min=0 index_max=4294967295 tailgate: expect code=tail-call-index severity=warning
    return 1;
}

// Hand count: entry frame 0, site in the main function -> classifier_0 and its cycle: max_chain_length =
// 33, chain_stack_bytes = 0.
// tailgate: program name=entry verdict=accepted
// tailgate: program name=entry verdict=rejected when=strict
// tailgate: graph program=entry targets=classifier_0 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=entry packet=zero128 return=1
// tailgate: run program=entry packet=zero128 return=0 prog_array=jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    if (__builtin_constant_p(which))
        __bpf_unreachable();
    bpf_tail_call(skb, &jmp_table, which); // tailgate: tailcall map=jmp_table index_min=0 index_max=4294967295 tailgate: expect code=tail-call-index severity=warning
    return 0;
}

char _license[] SEC("license") = "GPL";
