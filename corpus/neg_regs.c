// uninitialized-register: reading a register that was never written (kernel check_reg_arg(): "R%d !read_ok").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// r2 is not an argument register holding anything at entry (only r1 = ctx and r10 are set).
// tailgate: program name=read_uninit_r2 verdict=rejected
SEC("xdp")
__attribute__((naked)) int read_uninit_r2(struct xdp_md *ctx)
{
    asm volatile("r0 = r2; exit;" ::: "memory"); // tailgate: expect code=uninitialized-register severity=error
}

// exit with r0 never written: "R0 !read_ok" at the exit.
// tailgate: program name=exit_without_r0 verdict=rejected
SEC("socket")
__attribute__((naked)) int exit_without_r0(struct __sk_buff *skb)
{
    asm volatile("r1 = 0; exit;" ::: "memory"); // tailgate: expect code=uninitialized-register severity=error
}

// r1..r5 are clobbered by a helper call: reading r1 after it is an uninitialised read.
// tailgate: program name=read_after_call verdict=rejected
SEC("xdp")
__attribute__((naked)) int read_after_call(struct xdp_md *ctx)
{
    asm volatile("call 7; r0 = r1; exit;" ::: "memory"); // tailgate: expect code=uninitialized-register severity=error
}

char _license[] SEC("license") = "GPL";
