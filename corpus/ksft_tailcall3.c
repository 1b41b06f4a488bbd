// Port of the kernel selftest tailcall3 (tools/testing/selftests/bpf/progs/tailcall3.c, driven by
// prog_tests/tailcalls.c test_tailcall_3 -> test_tailcall_count()). Facts kept: a 1-slot prog array
// `jmp_table` whose slot 0 the test fills with classifier_0; classifier_0 bumps a global `count` and
// tail-calls slot 0 (itself) with a constant key (the kernel JIT: direct jump), returning 1 when the call
// falls through; entry tail-calls slot 0 and returns 0 when it falls through.
// The kernel test runs entry on a 128-byte zero buffer and expects retval 1 and count == 33: entry's tail
// call is the 1st, classifier_0 then runs 33 times (tail calls 2..33 are its own, the 34th is refused).
// With slot 0 deleted entry returns 0. (count == 33 is checked by tests/corpus_run_test.cpp, which reads
// .bss after the run; the run directives compare r0 only.)
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

static volatile int count; // .bss

// Hand count: classifier_0 has no stack (llvm-objdump: no r10 access; frame 0); its site is in the main
// function (nothing retained) and reaches itself: a cycle, max_chain_length = 33, chain_stack_bytes = 0.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets=classifier_0 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=classifier_0 packet=zero128 return=1
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    count++;
    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall map=jmp_table index_min=0 index_max=0
    return 1;
}

// Hand count: entry frame 0, site in the main function -> classifier_0 (frame 0) and its cycle:
// max_chain_length = 33, chain_stack_bytes = 0.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=entry packet=zero128 return=1
// tailgate: run program=entry packet=zero128 return=0 prog_array=jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall map=jmp_table index_min=0 index_max=0
    return 0;
}

char _license[] SEC("license") = "GPL";
