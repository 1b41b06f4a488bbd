// Port of the kernel selftest tailcall_bpf2bpf_hierarchy1 (tools/testing/selftests/bpf/progs/
// tailcall_bpf2bpf_hierarchy1.c, driven by prog_tests/tailcalls.c test_tailcall_hierarchy_count()):
// the 33-call limit counts every tail call of the run, also across two subprogram calls that each tail-
// call (the kernel keeps one counter per run behind a pointer since 6.10, x86 JIT tail_call_cnt_ptr).
//
//         subprog_tail --tail call-> entry
// entry <
//         subprog_tail --tail call-> entry
//
// Facts kept: a 1-slot prog array `jmp_table` whose slot 0 the test fills with entry itself; entry bumps
// the global `count`, calls subprog_tail twice and returns 1; subprog_tail tail-calls slot 0
// (bpf_tail_call_static) and returns 0 when that falls through.
// The kernel test runs entry on a 128-byte zero buffer: retval 1 and count == 34 (33 tail calls: entry
// runs 34 times; every later subprog_tail call finds the limit reached); then, slot 0 deleted, another run
// returns 1 and count == 35. (count is checked by tests/corpus_run_test.cpp from .bss.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int entry(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} jmp_table SEC(".maps") = {
    .values = {[0] = (void *)&entry},
};

int count = 0; // .bss

static __noinline int subprog_tail(struct __sk_buff *skb)
{
    bpf_tail_call_static(skb, &jmp_table, 0);
    return 0;
}

// Hand count (llvm-objdump -d: neither entry nor subprog_tail touches r10, frames 0 and 0): one site, in
// subprog_tail, keeping entry's frame (0 bytes) below each tail call; slot 0 -> entry itself: a cycle,
// max_chain_length = 33, chain_stack_bytes = 33 * 0 + (0 + 0) = 0.
// tailgate: program name=entry verdict=accepted
// tailgate: graph program=entry targets=entry max_chain_length=33 chain_stack_bytes=0 cycle=yes
// tailgate: run program=entry packet=zero128 return=1
// tailgate: run program=entry packet=zero128 return=1 prog_array=jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    int ret = 1;

    count++;
    subprog_tail(skb);
    subprog_tail(skb);

    return ret;
}

char _license[] SEC("license") = "GPL";
