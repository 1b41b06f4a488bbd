// Tail calls from bpf2bpf subprograms (tc), after the kernel selftests tailcall_bpf2bpf_*.
//
// A tail call made inside a subprogram replaces only the subprogram's frame: the target's return value
// comes back to the subprogram's caller. The x86-64 JIT does not pop the callers' frames, so the kernel
// (verifier.c check_max_stack_depth_subprog) rejects a tail-calling subprogram reached while the callers'
// frames (each rounded up to 16 bytes) hold 256 bytes or more. The tail-call-stack diagnostic is expected
// on the bpf2bpf call that enters the tail-calling subprogram with too much stack above it.
//
// Stack depths below are the deepest r10 offset each function touches (checked with llvm-objdump).
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

int tail_target(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} sub_table SEC(".maps") = {
    .values = {[0] = (void *)&tail_target},
};

// Fill a local array and let it escape, so that clang keeps all n bytes on the stack.
#define TOUCH(buf, n)                                                                                     \
    do {                                                                                                  \
        __builtin_memset(buf, 1, n);                                                                      \
        asm volatile("" : : "r"(buf) : "memory");                                                         \
    } while (0)

// 64-byte frame; tail-calls slot `slot` of sub_table; when the slot is empty it returns 7 + buf[63] = 8.
static __noinline int subprog_tail(struct __sk_buff *skb, __u32 slot)
{
    char buf[64];

    TOUCH(buf, 64);
    bpf_tail_call(skb, &sub_table, slot);
    return 7 + buf[63];
}

// tailgate: program name=tail_target verdict=accepted
// tailgate: run program=tail_target packet=tcp4 engine=both return=42
SEC("tc")
int tail_target(struct __sk_buff *skb)
{
    return 42;
}

// Caller frame 128 bytes (as tailcall_bpf2bpf_3): allowed. The tail call from subprog_tail succeeds and
// tail_target's 42 comes back to sub_ok as subprog_tail's result: 42 + 1 = 43.
// chain_stack_bytes = max(128 + 64, 128 + 0) = 192.
// tailgate: program name=sub_ok verdict=accepted
// tailgate: graph program=sub_ok targets=tail_target max_chain_length=1 chain_stack_bytes=192
// tailgate: run program=sub_ok packet=tcp4 engine=both return=43
SEC("tc")
int sub_ok(struct __sk_buff *skb)
{
    char buf[128];

    TOUCH(buf, 128);
    return subprog_tail(skb, 0) + 1;
}

// Slot 1 is empty: the tail call falls through, subprog_tail returns 8, sub_empty returns 9.
// tailgate: program name=sub_empty verdict=accepted
// tailgate: graph program=sub_empty targets= max_chain_length=0
// tailgate: run program=sub_empty packet=tcp4 engine=both return=9
SEC("tc")
int sub_empty(struct __sk_buff *skb)
{
    char buf[128];

    TOUCH(buf, 128);
    return subprog_tail(skb, 1) + 1;
}

// Caller frame 240 bytes: the largest frame (rounded to 16) below the 256-byte cap. Accepted.
// chain_stack_bytes = max(240 + 64, 240 + 0) = 304.
// tailgate: program name=sub_240 verdict=accepted
// tailgate: graph program=sub_240 targets=tail_target max_chain_length=1 chain_stack_bytes=304
// tailgate: run program=sub_240 packet=tcp4 engine=both return=43
SEC("tc")
int sub_240(struct __sk_buff *skb)
{
    char buf[240];

    TOUCH(buf, 240);
    return subprog_tail(skb, 0) + 1;
}

// Caller frame exactly 256 bytes: kernel "tail_calls are not allowed when call stack of previous frames
// is 256 bytes. Too large".
// tailgate: program name=sub_256 verdict=rejected
SEC("tc")
int sub_256(struct __sk_buff *skb)
{
    char buf[256];

    TOUCH(buf, 256);
    return subprog_tail(skb, 0) + 1; // tailgate: expect code=tail-call-stack severity=error
}

// Two frames above the tail-calling subprogram: 160 (sub_two_level) + 112 (middle) = 272 >= 256.
static __noinline int middle(struct __sk_buff *skb)
{
    char buf[112];

    TOUCH(buf, 112);
    return subprog_tail(skb, 0) + buf[0]; // tailgate: expect program=sub_two_level code=tail-call-stack severity=error
}

// tailgate: program name=sub_two_level verdict=rejected
SEC("tc")
int sub_two_level(struct __sk_buff *skb)
{
    char buf[160];

    TOUCH(buf, 160);
    return middle(skb) + buf[0];
}

char _license[] SEC("license") = "GPL";
