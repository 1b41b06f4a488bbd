// helper-argument (an argument of the wrong kind for the helper's prototype, kernel check_func_arg() and
// check_map_func_compatibility()) and unknown-helper (a helper id the program type cannot call).
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} hmap SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} progs SEC(".maps");

// The key argument is the ctx: "R2 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, ...".
// tailgate: program name=key_is_ctx verdict=rejected
SEC("xdp")
int key_is_ctx(struct xdp_md *ctx)
{
    return bpf_map_lookup_elem(&hmap, ctx) ? XDP_DROP : XDP_PASS; // tailgate: expect code=helper-argument severity=error
}

// A prog array can only be used with bpf_tail_call: "cannot pass map_type 3 into func
// bpf_map_lookup_elem#1" (selftest verifier_prevent_map_lookup.c).
// tailgate: program name=lookup_prog_array verdict=rejected
SEC("xdp")
int lookup_prog_array(struct xdp_md *ctx)
{
    __u32 key = 0;

    return bpf_map_lookup_elem(&progs, &key) ? XDP_DROP : XDP_PASS; // tailgate: expect code=helper-argument severity=error
}

// A scalar where the map pointer belongs: "R1 type=scalar expected=map_ptr".
// tailgate: program name=map_arg_scalar verdict=rejected
SEC("xdp")
__attribute__((naked)) int map_arg_scalar(struct xdp_md *ctx)
{
    asm volatile("r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; call 1; r0 = 2; exit;" ::: "memory"); // tailgate: expect code=helper-argument severity=error
}

// Helper id 999 does not exist: "invalid func unknown#999".
// tailgate: program name=helper_999 verdict=rejected
SEC("xdp")
__attribute__((naked)) int helper_999(struct xdp_md *ctx)
{
    asm volatile("call 999; r0 = 2; exit;" ::: "memory"); // tailgate: expect code=unknown-helper severity=error
}

// bpf_redirect (#23) exists but not for kprobes: the type's get_func_proto returns NULL ("program of this
// type cannot use helper bpf_redirect#23"; "unknown func bpf_redirect#23" on older kernels).
// tailgate: program name=redirect_in_kprobe verdict=rejected
SEC("kprobe/do_sys_openat2")
int redirect_in_kprobe(struct pt_regs *ctx)
{
    return bpf_redirect(1, 0); // tailgate: expect code=unknown-helper severity=error
}

// Control: correct arguments.
// tailgate: program name=helpers_ok verdict=accepted
// tailgate: run program=helpers_ok packet=tcp4 engine=both return=2
SEC("xdp")
int helpers_ok(struct xdp_md *ctx)
{
    __u32 key = 3;
    __u64 one = 1;

    bpf_map_update_elem(&hmap, &key, &one, BPF_ANY);
    return bpf_map_lookup_elem(&hmap, &key) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
