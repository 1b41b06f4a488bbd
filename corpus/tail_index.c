// Tail-call index ranges (tail-call-index) and the kernel's run-time index rules (core.c JMP_TAIL_CALL,
// x86-64 emit_bpf_tail_call_indirect): the index is taken as a u32; index >= max_entries or an empty slot
// falls through. tailgate warns when the u32 index may be >= max_entries (the call then falls through),
// also when it is so on every path; the kernel accepts all of these programs, so they stay accepted.
// index_min/index_max in the tailcall lines are the proved range of the u32 index.
//
// idx_table has 4 slots: 0 -> idx_target0 (returns 42), 1 -> idx_target1 (returns 43), 2 and 3 empty.
// The callers return 1 when the tail call falls through. In a test run skb->mark is 0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int idx_target0(struct __sk_buff *skb);
int idx_target1(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} idx_table SEC(".maps") = {
    .values = {[0] = (void *)&idx_target0, [1] = (void *)&idx_target1},
};

// skb->mark is any u32: may exceed max_entries 4.
// tailgate: program name=idx_unbounded verdict=accepted
// tailgate: program name=idx_unbounded verdict=rejected when=strict
// tailgate: graph program=idx_unbounded targets=idx_target0,idx_target1 max_chain_length=1
// tailgate: run program=idx_unbounded packet=tcp4 engine=both return=42
SEC("tc")
int idx_unbounded(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &idx_table, skb->mark); // tailgate: expect code=tail-call-index severity=warning tailgate: tailcall map=idx_table index_min=0 index_max=4294967295
    return 1;
}

// mark & 3 is in [0, 3]: provably in range, no diagnostic.
// tailgate: program name=idx_masked verdict=accepted
// tailgate: graph program=idx_masked targets=idx_target0,idx_target1 max_chain_length=1
// tailgate: run program=idx_masked packet=tcp4 engine=both return=42
SEC("tc")
int idx_masked(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &idx_table, skb->mark & 3); // tailgate: tailcall map=idx_table index_min=0 index_max=3
    return 1;
}

// A bounds check in C makes the index provably in range.
// tailgate: program name=idx_checked verdict=accepted
// tailgate: run program=idx_checked packet=tcp4 engine=both return=42
SEC("tc")
int idx_checked(struct __sk_buff *skb)
{
    __u32 idx = skb->mark;

    if (idx >= 4)
        return 2;
    bpf_tail_call(skb, &idx_table, idx); // tailgate: tailcall map=idx_table index_min=0 index_max=3
    return 1;
}

// Index 256 into a 4-slot map: out of range on every path; the call always falls through.
// tailgate: program name=idx_256 verdict=accepted
// tailgate: graph program=idx_256 targets= max_chain_length=0
// tailgate: run program=idx_256 packet=tcp4 engine=both return=1
SEC("tc")
int idx_256(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &idx_table, 256); // tailgate: expect code=tail-call-index severity=warning tailgate: tailcall map=idx_table index_min=256 index_max=256
    return 1;
}

// r3 = -1 (64-bit): the u32 index 0xffffffff is out of range on every path. (bpf_tail_call() takes a
// __u32 in C, so the 64-bit values are written in assembly.)
// tailgate: program name=idx_minus_one verdict=accepted
// tailgate: graph program=idx_minus_one targets= max_chain_length=0
// tailgate: run program=idx_minus_one packet=tcp4 engine=both return=1
SEC("tc")
__attribute__((naked)) int idx_minus_one(struct __sk_buff *skb)
{
    // clang gives every instruction of an asm statement the line of its first line.
    asm volatile("r2 = %[map] ll;" // tailgate: expect code=tail-call-index severity=warning tailgate: tailcall map=idx_table index_min=4294967295 index_max=4294967295
                 "r3 = -1;"
                 "call 12;"
                 "r0 = 1;"
                 "exit;"
                 :
                 : [map] "i"(&idx_table)
                 : "memory");
}

// Index 0x100000000 is taken as u32 0: it jumps to slot 0 (kernel selftest "pass > 32bit index to
// tail_call", privileged). In range: no diagnostic.
// tailgate: program name=idx_u32_wrap verdict=accepted
// tailgate: graph program=idx_u32_wrap targets=idx_target0 max_chain_length=1
// tailgate: run program=idx_u32_wrap packet=tcp4 engine=both return=42
SEC("tc")
__attribute__((naked)) int idx_u32_wrap(struct __sk_buff *skb)
{
    asm volatile("r2 = %[map] ll;" // tailgate: tailcall map=idx_table index_min=0 index_max=0
                 "r3 = 0x100000000 ll;"
                 "call 12;"
                 "r0 = 1;"
                 "exit;"
                 :
                 : [map] "i"(&idx_table)
                 : "memory");
}

// Index 2 is in range but the slot is empty: no diagnostic; at run time the call falls through.
// tailgate: program name=idx_empty_slot verdict=accepted
// tailgate: graph program=idx_empty_slot targets= max_chain_length=0
// tailgate: run program=idx_empty_slot packet=tcp4 engine=both return=1
SEC("tc")
int idx_empty_slot(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &idx_table, 2); // tailgate: tailcall map=idx_table index_min=2 index_max=2
    return 1;
}

// Index 1 -> idx_target1.
// tailgate: program name=idx_one verdict=accepted
// tailgate: run program=idx_one packet=tcp4 engine=both return=43
SEC("tc")
int idx_one(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &idx_table, 1); // tailgate: tailcall map=idx_table index_min=1 index_max=1
    return 1;
}

// tailgate: program name=idx_target0 verdict=accepted
SEC("tc")
int idx_target0(struct __sk_buff *skb)
{
    return 42;
}

// tailgate: program name=idx_target1 verdict=accepted
SEC("tc")
int idx_target1(struct __sk_buff *skb)
{
    return 43;
}

char _license[] SEC("license") = "GPL";
