// Port of the kernel selftest tailcall_bpf2bpf2 (tools/testing/selftests/bpf/progs/tailcall_bpf2bpf2.c,
// driven by prog_tests/tailcalls.c test_tailcall_bpf2bpf_2 -> the count check): the 33-call limit when
// every tail call is made from a bpf2bpf subprogram. Facts kept: a 1-slot prog array `jmp_table` whose
// slot 0 the test fills with classifier_0; classifier_0 bumps the global `count` and returns what
// subprog_tail returns; subprog_tail reads the first packet byte with LD_ABS (load_byte) and tail-calls
// slot 1 (out of range: falls through) when it is non-zero, slot 0 (classifier_0 again) when it is zero,
// and returns 1 when the call falls through; entry tail-calls slot 0 and returns 0 otherwise.
// The kernel test runs entry on a 128-byte zero buffer: retval 1 and count == 33 (count is checked by
// tests/corpus_run_test.cpp from .bss); with slot 0 deleted entry returns 0.
// Deviation: the original makes two calls with bpf_tail_call_static() (constant keys 1 and 0); here one
// bpf_tail_call() whose key is 1 or 0 by the same test. clang -O2 merges two plain calls into exactly this
// (and gives the merged call no source line), and bpf_tail_call_static's inline asm carries bpf_helpers.h
// lines, so this form is the one whose site has a line of this file for the warning below.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// LD_ABS, as the kernel's bpf_legacy.h declares it.
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

int classifier_0(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0},
};

// Key 1 is never in range of the 1-slot array (the kernel accepts: the call falls through at run time);
// tailgate warns (corpus/README.md, tail-call-index), on the program that reaches subprog_tail.
static __noinline int subprog_tail(struct __sk_buff *skb)
{
    __u32 slot = load_byte(skb, 0) ? 1 : 0;

    bpf_tail_call(skb, &jmp_table, slot); // tailgate: tailcall program=classifier_0 map=jmp_table index_min=0 index_max=1 tailgate: expect program=classifier_0 code=tail-call-index severity=warning
    return 1;
}

static volatile int count; // .bss

// Hand count (llvm-objdump -d: neither classifier_0 nor subprog_tail touches r10, frames 0 and 0):
// the site is in subprog_tail and retains classifier_0's frame (0 bytes); slot 0 -> classifier_0 itself:
// a cycle, max_chain_length = 33; chain_stack_bytes = 33 * 0 retained + (0 + 0) = 0.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: program name=classifier_0 verdict=rejected when=strict
// tailgate: graph program=classifier_0 targets=classifier_0 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=classifier_0 packet=zero128 return=1
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    count++;
    return subprog_tail(skb);
}

// Hand count: entry frame 0, its site in the main function (retains nothing) -> classifier_0 and its
// cycle: max_chain_length = 33, chain_stack_bytes = 0.
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
