// Port of the kernel selftest tailcall_bpf2bpf3 (tools/testing/selftests/bpf/progs/tailcall_bpf2bpf3.c,
// driven by prog_tests/tailcalls.c test_tailcall_bpf2bpf_3): "non-trivial amount of stack (up to 256
// bytes) can be used within bpf subprograms that have the tailcalls in them". Facts kept: a 2-slot prog
// array `jmp_table` that the test fills with classifier_0 and classifier_1; every main function keeps a
// 128-byte volatile array and every tail-calling subprogram a 64-byte one:
//   entry (128) -> subprog_tail (64): tail call slot 0, else skb->len * 2;
//   classifier_0 (128) -> subprog_tail2 (64, a global function): tail call slot 10 (out of range) when
//     the first packet word or half-word (LD_ABS) is non-zero, else slot 1; then skb->len;
//   classifier_1 (128): skb->len * 3.
// The kernel test runs entry on pkt_v4 (54 bytes, zero MACs, so slot 1 is taken): full table -> 54 * 3 =
// 162; slot 1 deleted -> 54 (subprog_tail2's skb->len); slot 0 deleted too -> 54 * 2 = 108.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// LD_ABS, as the kernel's bpf_legacy.h declares it.
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

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

// Key 10 is never in range of the 2-slot array (the kernel accepts: the call falls through at run time);
// tailgate warns (corpus/README.md, tail-call-index). Deviation: the original has two calls (keys 10 and
// 1); clang -O2 merges them into one call whose key is 10 or 1 and gives it no source line, so the port
// writes that one call itself.
__noinline int subprog_tail2(struct __sk_buff *skb)
{
    volatile char arr[64] __attribute__((unused)) = {};
    __u32 slot = (load_word(skb, 0) || load_half(skb, 0)) ? 10 : 1;

    bpf_tail_call(skb, &jmp_table, slot); // tailgate: tailcall program=classifier_0 map=jmp_table index_min=1 index_max=10 tailgate: expect program=classifier_0 code=tail-call-index severity=warning
    return skb->len;
}

static __noinline int subprog_tail(struct __sk_buff *skb)
{
    volatile char arr[64] __attribute__((unused)) = {};

    bpf_tail_call(skb, &jmp_table, 0); // tailgate: tailcall program=entry map=jmp_table index_min=0 index_max=0 tailgate: expect program=entry code=tail-call-chain-stack severity=error when=max-chain-stack=256
    return skb->len * 2;
}

// Hand count (llvm-objdump -d, deepest r10 offset rounded up to 16): classifier_0 128, subprog_tail2 64.
// The slot-1 site is in subprog_tail2 and retains classifier_0's 128 bytes (128 < 256: the kernel's cap
// holds); slot 10 is out of range (no edge). While classifier_1 (128) runs: 128 + 128 = 256.
//   chain_stack_bytes = max(own 128 + 64 = 192, 128 retained + 128) = 256; max_chain_length = 1.
// tailgate: program name=classifier_0 verdict=accepted
// tailgate: program name=classifier_0 verdict=rejected when=strict
// tailgate: graph program=classifier_0 targets=classifier_1 max_chain_length=1 chain_stack_bytes=256 cycle=no
// tailgate: run program=classifier_0 packet=pkt_v4 return=162
// tailgate: run program=classifier_0 packet=pkt_v4 return=54 prog_array=jmp_table:1=
SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
    volatile char arr[128] __attribute__((unused)) = {};

    return subprog_tail2(skb);
}

// Hand count: classifier_1 frame 128, no tail call: chain_stack_bytes = 128.
// tailgate: program name=classifier_1 verdict=accepted
// tailgate: graph program=classifier_1 targets= max_chain_length=0 chain_stack_bytes=128 cycle=no
// tailgate: run program=classifier_1 packet=pkt_v4 return=162
SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
    volatile char arr[128] __attribute__((unused)) = {};

    return skb->len * 3;
}

// Hand count: entry 128, subprog_tail 64. The slot-0 site is in subprog_tail and retains entry's 128
// bytes; classifier_0's worst chain is 256 (above), so while classifier_1 runs the stack holds entry 128
// + classifier_0 128 + classifier_1 128:
//   chain_stack_bytes = max(own 128 + 64 = 192, 128 + 256) = 384; max_chain_length = 2 (entry ->
//   classifier_0 -> classifier_1); no cycle.
// With --max-chain-stack 256 the 384-byte chain is an error, reported on the first tail call of the worst
// chain (subprog_tail's); classifier_0's own 256 bytes are within that limit.
// tailgate: program name=entry verdict=accepted
// tailgate: program name=entry verdict=rejected when=max-chain-stack=256
// tailgate: graph program=entry targets=classifier_0 max_chain_length=2 chain_stack_bytes=384 cycle=no
// tailgate: run program=entry packet=pkt_v4 return=162
// tailgate: run program=entry packet=pkt_v4 return=54 prog_array=jmp_table:1=
// tailgate: run program=entry packet=pkt_v4 return=108 prog_array=jmp_table:1=,jmp_table:0=
SEC("tc")
int entry(struct __sk_buff *skb)
{
    volatile char arr[128] __attribute__((unused)) = {};

    return subprog_tail(skb);
}

char _license[] SEC("license") = "GPL";
