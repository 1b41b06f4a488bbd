// Port of the kernel selftest tailcall_bpf2bpf_hierarchy2 (tools/testing/selftests/bpf/progs/
// tailcall_bpf2bpf_hierarchy2.c, run by prog_tests/tailcalls.c RUN_TESTS, `__retval(33)`):
//
//                      subprog_tail0 --tail call-> classifier_0 -> subprog_tail0
// tailcall_..._2 <
//                      subprog_tail1 --tail call-> classifier_1 -> subprog_tail1
//
// Facts kept: a 2-slot prog array `jmp_table`, statically [0] = classifier_0, [1] = classifier_1; globals
// count0, count1; classifier_i bumps count_i and calls subprog_tail_i, which tail-calls slot i. The main
// program clobbers its stack, calls subprog_tail0 then subprog_tail1 and returns (count1 << 16) | count0.
// The 33 tail calls of the run are all spent under subprog_tail0 (classifier_0 runs 33 times); when
// subprog_tail1 runs the limit is reached, so classifier_1 never runs: retval = (0 << 16) | 33 = 33.
// Deviation: clobber_regs_stack() (bpf_strtoul into a stack buffer) is a 16-byte stack fill here
// (bpf_strtoul is not in tailgate's helper table for tc).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __sink(expr) asm volatile("" : "+g"(expr))

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

int count0 = 0; // .bss
int count1 = 0; // .bss

static __noinline int subprog_tail0(struct __sk_buff *skb)
{
    int ret = 0;

    bpf_tail_call_static(skb, &jmp_table, 0);
    barrier_var(ret);
    return ret;
}

// Hand count: classifier_0 frame 0, subprog_tail0 frame 0 (llvm-objdump -d: no r10 access); the site is
// in subprog_tail0 and keeps classifier_0's 0 bytes; slot 0 -> classifier_0 itself: cycle, 33, 0 bytes.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: graph program=classifier_0 targets=classifier_0 max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=classifier_0 packet=zero128 return=0
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    count0++;
    subprog_tail0(skb);
    return 0;
}

static __noinline int subprog_tail1(struct __sk_buff *skb)
{
    int ret = 0;

    bpf_tail_call_static(skb, &jmp_table, 1);
    barrier_var(ret);
    return ret;
}

// Hand count: classifier_1's frame is 16 (llvm-objdump -d: `ret` sunk at r10-4), subprog_tail1 0. The
// site is in subprog_tail1, so every tail call back to classifier_1 keeps one more 16-byte classifier_1
// frame: after the 33rd, 33 kept frames + the running one (16 + 0):
//   chain_stack_bytes = 33 * 16 + 16 = 544; cycle, max_chain_length = 33.
// tailgate: program name=classifier_1 verdict=accepted
// tailgate: graph program=classifier_1 targets=classifier_1 max_chain_length=33 chain_stack_bytes=544 cycle=yes
// tailgate: run program=classifier_1 packet=zero128 return=0
SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
    int ret;

    count1++;
    ret = subprog_tail1(skb);
    __sink(ret);
    return 0;
}

// Hand count: the main frame is 32 (llvm-objdump -d: deepest r10-32, the stack fill), the subprograms 0.
// Both sites are in subprograms and keep the main frame's 32 bytes below classifier_0 / classifier_1.
// After main -> classifier_1 (1 call) up to 32 more calls classifier_1 -> classifier_1 each keep 16:
//   via classifier_0: 32 + 0 = 32; via classifier_1: 32 + 32 * 16 + 16 = 560;
//   chain_stack_bytes = max(own 32 + 0, 32, 560) = 560; both targets on a cycle: max_chain_length = 33.
// tailgate: program name=tailcall_bpf2bpf_hierarchy_2 verdict=accepted
// tailgate: graph program=tailcall_bpf2bpf_hierarchy_2 targets=classifier_0,classifier_1 max_chain_length=33 chain_stack_bytes=560 cycle=yes
// tailgate: run program=tailcall_bpf2bpf_hierarchy_2 packet=zero128 return=33
SEC("tc")
int tailcall_bpf2bpf_hierarchy_2(struct __sk_buff *skb)
{
    int ret = 0, ret1, ret2;
    char clobber[16];

    // clobber_regs_stack(): fill 16 bytes and let them escape, so that clang keeps the stores.
    __builtin_memset(clobber, 0x5a, sizeof(clobber));
    asm volatile("" : : "r"(clobber) : "memory");

    ret1 = subprog_tail0(skb);
    ret2 = subprog_tail1(skb);
    __sink(ret1);
    __sink(ret2);
    __sink(ret);
    return (count1 << 16) | count0;
}

char _license[] SEC("license") = "GPL";
