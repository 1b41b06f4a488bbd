// Port of the kernel selftest tailcall_bpf2bpf_hierarchy3 (tools/testing/selftests/bpf/progs/
// tailcall_bpf2bpf_hierarchy3.c, run by prog_tests/tailcalls.c RUN_TESTS, `__retval(33)`):
//
//                                        subprog_tail(jmp_table0) -> classifier_0
// tailcall_..._3 --tail call-> classifier_0 <
//                                        subprog_tail(jmp_table1) -> classifier_0
//
// Facts kept: two 1-slot prog arrays, jmp_table0 and jmp_table1, both statically [0] = classifier_0; one
// subprogram subprog_tail(skb, map) tail-calls slot 0 of the map it is given (bpf_tail_call_static); the
// main program clobbers its stack and tail-calls jmp_table0[0]; classifier_0 bumps the global `count`,
// calls subprog_tail with jmp_table0 then with jmp_table1, and returns count. The run's 33 tail calls
// make classifier_0 run 33 times; every run returns the global count, 33.
// Deviation: clobber_regs_stack() (bpf_strtoul into a stack buffer) is a 16-byte stack fill here.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __sink(expr) asm volatile("" : "+g"(expr))

int classifier_0(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table0 SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0},
};

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table1 SEC(".maps") = {
    .values = {[0] = (void *)&classifier_0},
};

int count = 0; // .bss

static __noinline int subprog_tail(struct __sk_buff *skb, void *jmp_table)
{
    int ret = 0;

    bpf_tail_call_static(skb, jmp_table, 0);
    barrier_var(ret);
    return ret;
}

// Hand count: classifier_0's frame is 16 (llvm-objdump -d: deepest r10-8, the sunk results), subprog_tail
// 0. The one site (in subprog_tail) is reached with jmp_table0 and with jmp_table1; slot 0 of each holds
// classifier_0, so either way it goes back to classifier_0 and keeps one more 16-byte classifier_0 frame:
//   chain_stack_bytes = 33 * 16 + 16 = 544; cycle, max_chain_length = 33; targets = classifier_0.
// tailgate records every prog array that reaches the site (TailCallSite::maps) and reads the slots of both.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets=classifier_0 max_chain_length=33 chain_stack_bytes=544 cycle=yes
// Run directly (not tail-called from the main program) classifier_0 itself is the first of 34 runs: 34.
// tailgate: run program=classifier_0 packet=zero128 return=34
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    int ret1, ret2;

    count++;
    ret1 = subprog_tail(skb, &jmp_table0);
    ret2 = subprog_tail(skb, &jmp_table1);
    __sink(ret1);
    __sink(ret2);
    return count;
}

// Hand count: the main frame is 32 (llvm-objdump -d: deepest r10-24, the stack fill), its site is in the
// main function (keeps nothing); after it, up to 32 calls classifier_0 -> classifier_0 keep 16 each:
//   chain_stack_bytes = max(32, 0 + 32 * 16 + 16) = 528; -> classifier_0 and its cycle: 33.
// tailgate: program name=tailcall_bpf2bpf_hierarchy_3 verdict=accepted
// tailgate: graph program=tailcall_bpf2bpf_hierarchy_3 targets=classifier_0 max_chain_length=33 chain_stack_bytes=528 cycle=yes
// tailgate: run program=tailcall_bpf2bpf_hierarchy_3 packet=zero128 return=33
SEC("tc")
int tailcall_bpf2bpf_hierarchy_3(struct __sk_buff *skb)
{
    int ret = 0;
    char clobber[16];

    // clobber_regs_stack(): fill 16 bytes and let them escape, so that clang keeps the stores.
    __builtin_memset(clobber, 0x5a, sizeof(clobber));
    asm volatile("" : : "r"(clobber) : "memory");

    bpf_tail_call_static(skb, &jmp_table0, 0);

    __sink(ret);
    return ret;
}

char _license[] SEC("license") = "GPL";
