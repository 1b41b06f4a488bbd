// pointer-arithmetic (ALU operations the kernel refuses on pointers, adjust_ptr_min_max_vals() and
// adjust_reg_min_max_vals()) and pointer-leak (a pointer written where user space can read it).
//
// pointer-leak follows the kernel's rule for a loader without CAP_PERFMON (env->allow_ptr_leaks false:
// "R%d leaks addr into map"): a tailgate runtime's maps are readable by the host, so a kernel or host
// address stored into a map value is always reported.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} slots SEC(".maps");

// "R1 pointer arithmetic with *= operator prohibited".
// tailgate: program name=ptr_mul verdict=rejected
SEC("xdp")
__attribute__((naked)) int ptr_mul(struct xdp_md *ctx)
{
    asm volatile("r1 *= 2; r0 = 2; exit;" ::: "memory"); // tailgate: expect code=pointer-arithmetic severity=error
}

// "R1 pointer += pointer prohibited".
// tailgate: program name=ptr_add_ptr verdict=rejected
SEC("xdp")
__attribute__((naked)) int ptr_add_ptr(struct xdp_md *ctx)
{
    asm volatile("r1 += r10; r0 = 2; exit;" ::: "memory"); // tailgate: expect code=pointer-arithmetic severity=error
}

// "R1 32-bit pointer arithmetic prohibited".
// tailgate: program name=ptr_alu32 verdict=rejected
SEC("xdp")
__attribute__((naked)) int ptr_alu32(struct xdp_md *ctx)
{
    asm volatile("w1 += 4; r0 = 2; exit;" ::: "memory"); // tailgate: expect code=pointer-arithmetic severity=error
}

// "R1 pointer arithmetic on map_ptr prohibited".
// tailgate: program name=map_ptr_arith verdict=rejected
SEC("xdp")
__attribute__((naked)) int map_ptr_arith(struct xdp_md *ctx)
{
    asm volatile("r1 = %[map] ll; r1 += 8; r0 = 2; exit;" : : [map] "i"(&slots) : "memory"); // tailgate: expect code=pointer-arithmetic severity=error
}

// The ctx pointer stored into a map value: "R1 leaks addr into map" (unless the loader may leak pointers,
// CAP_PERFMON: the value then holds the address as a number).
// tailgate: program name=leak_ctx_to_map verdict=rejected
// tailgate: program name=leak_ctx_to_map verdict=accepted when=allow-ptr-leaks
SEC("xdp")
int leak_ctx_to_map(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&slots, &key);

    if (!v)
        return XDP_PASS;
    *v = (__u64)(long)ctx; // tailgate: expect code=pointer-leak severity=error unless=allow-ptr-leaks
    return XDP_PASS;
}

// Control: a scalar stored into the map value; pointer + constant is allowed.
// tailgate: program name=ptr_ok verdict=accepted
// tailgate: run program=ptr_ok packet=tcp4 engine=both return=2
SEC("xdp")
int ptr_ok(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&slots, &key);

    if (!v)
        return XDP_ABORTED;
    *v = ctx->ingress_ifindex + 5;
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
