// Port of the kernel selftest tailcall_bpf2bpf6 (tools/testing/selftests/bpf/progs/tailcall_bpf2bpf6.c,
// driven by prog_tests/tailcalls.c test_tailcall_bpf2bpf_6): "tail call counting works even when there is
// data on stack which is not aligned to 8 bytes". Facts kept: a 1-slot prog array `jmp_table` whose slot
// 0 the test fills with classifier_0 (sets the global `done` and returns 0); entry keeps a 1-byte volatile
// array and returns what subprog_tail returns; subprog_tail keeps a volatile int 1 and tail-calls slot 0
// (bpf_tail_call_static), returning that 1 when the call falls through.
// The kernel test runs entry on pkt_v4: retval 0 and done == 1 (done is checked by
// tests/corpus_run_test.cpp from .bss). With slot 0 empty entry returns 1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __sink(expr) asm volatile("" : "+g"(expr))

int classifier_0(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0},
};

int done = 0; // .bss

// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets= max_chain_length=0 chain_stack_bytes=0 cycle=no
// tailgate: run program=classifier_0 packet=pkt_v4 return=0
SEC("tc")
int classifier_0(struct __sk_buff *skb __attribute__((unused)))
{
    done = 1;
    return 0;
}

static __noinline int subprog_tail(struct __sk_buff *skb)
{
    // Don't propagate the constant to the caller.
    volatile int ret = 1;

    bpf_tail_call_static(skb, &jmp_table, 0);
    return ret;
}

// Hand count (llvm-objdump -d, deepest r10 offset rounded up to 16): entry 16 (the 1-byte array at
// r10-1), subprog_tail 16 (the int at r10-4), classifier_0 0. The site is in subprog_tail and keeps
// entry's 16 bytes below classifier_0:
//   chain_stack_bytes = max(own 16 + 16 = 32, 16 + 0) = 32; max_chain_length = 1; no cycle.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=classifier_0 max_chain_length=1 chain_stack_bytes=32 cycle=no
// tailgate: run program=entry packet=pkt_v4 return=0
// tailgate: run program=entry packet=pkt_v4 return=1 prog_array=jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    // Have data on stack which size is not a multiple of 8.
    volatile char arr[1] = {};

    __sink(arr[0]);

    return subprog_tail(skb);
}

char _license[] SEC("license") = "GPL";
