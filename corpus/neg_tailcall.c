// tail-call-ctx (r1 is not the program's unmodified ctx) and tail-call-map (r2 is not a constant pointer
// to a prog array) at bpf_tail_call sites. For bpf_tail_call's arguments these codes are used instead of
// helper-argument. Kernel: check_func_arg() ARG_PTR_TO_CTX ("R1 type=fp expected=ctx",
// "dereference of modified ctx ptr R1 off=8 disallowed"), ARG_CONST_MAP_PTR ("R2 type=scalar
// expected=map_ptr"), record_func_key()/check_map_func_compatibility() ("cannot pass map_type 1 into
// func bpf_tail_call#12"; upstream "expected prog array map for tail call").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int tc_target(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} tc_table SEC(".maps") = {
    .values = {[0] = (void *)&tc_target},
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} not_progs SEC(".maps");

__u64 scratch; // .bss

// r1 points to the stack.
// tailgate: program name=ctx_is_stack verdict=rejected
SEC("tc")
int ctx_is_stack(struct __sk_buff *skb)
{
    __u64 fake[4] = {};

    asm volatile("" : : "r"(fake) : "memory");
    bpf_tail_call(fake, &tc_table, 0); // tailgate: expect code=tail-call-ctx severity=error
    return 1;
}

// r1 = ctx + 8.
// tailgate: program name=ctx_moved verdict=rejected
SEC("tc")
int ctx_moved(struct __sk_buff *skb)
{
    bpf_tail_call((void *)skb + 8, &tc_table, 0); // tailgate: expect code=tail-call-ctx severity=error
    return 1;
}

// A hash map instead of a prog array.
// tailgate: program name=map_is_hash verdict=rejected
SEC("tc")
int map_is_hash(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &not_progs, 0); // tailgate: expect code=tail-call-map severity=error
    return 1;
}

// A pointer into .bss (a map value) instead of a map.
// tailgate: program name=map_is_value verdict=rejected
SEC("tc")
int map_is_value(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &scratch, 0); // tailgate: expect code=tail-call-map severity=error
    return 1;
}

// A scalar instead of a map.
// tailgate: program name=map_is_scalar verdict=rejected
SEC("tc")
__attribute__((naked)) int map_is_scalar(struct __sk_buff *skb)
{
    asm volatile("r2 = 0; r3 = 0; call 12; r0 = 1; exit;" ::: "memory"); // tailgate: expect code=tail-call-map severity=error
}

// Control: the ctx saved in a callee-saved register and on the stack, then used unmodified.
// tailgate: program name=ctx_kept verdict=accepted
// tailgate: graph program=ctx_kept targets=tc_target max_chain_length=1
// tailgate: run program=ctx_kept packet=tcp4 engine=both return=5
SEC("tc")
__attribute__((naked)) int ctx_kept(struct __sk_buff *skb)
{
    asm volatile("r6 = r1; *(u64 *)(r10 - 8) = r6; r1 = 0; r1 = *(u64 *)(r10 - 8); r2 = %[map] ll; r3 = 0; call 12; r0 = 1; exit;"
                 :
                 : [map] "i"(&tc_table)
                 : "memory");
}

// tailgate: program name=tc_target verdict=accepted
SEC("tc")
int tc_target(struct __sk_buff *skb)
{
    return 5;
}

char _license[] SEC("license") = "GPL";
