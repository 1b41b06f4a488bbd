// stack-limit (the combined stack of a bpf2bpf call chain over 512 bytes) and call-depth (more than 8
// frames), kernel verifier.c check_max_stack_depth_subprog(): "combined stack size of %d calls is %d. Too
// large" and "the call stack of %d frames is too deep !". Frame sizes are rounded up to 16 (JIT).
// Both diagnostics are expected on the bpf2bpf call that enters the frame that is one too many.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TOUCH(buf, n)                                                                                     \
    do {                                                                                                  \
        __builtin_memset(buf, 1, n);                                                                      \
        asm volatile("" : : "r"(buf) : "memory");                                                         \
    } while (0)

// A 320-byte frame.
static __noinline int big_frame(struct xdp_md *ctx)
{
    char buf[320];

    TOUCH(buf, 320);
    return buf[5];
}

// 320 (main) + 320 (big_frame) = 640 > 512.
// tailgate: program name=stack_640 verdict=rejected
SEC("xdp")
int stack_640(struct xdp_md *ctx)
{
    char buf[320];

    TOUCH(buf, 320);
    return big_frame(ctx) + buf[3]; // tailgate: expect code=stack-limit severity=error
}

// 160 (main) + 320 (big_frame) = 480 <= 512: accepted. big_frame returns 1, buf[3] is 1.
// tailgate: program name=stack_480 verdict=accepted
// tailgate: run program=stack_480 packet=tcp4 engine=both return=2
SEC("xdp")
int stack_480(struct xdp_md *ctx)
{
    char buf[160];

    TOUCH(buf, 160);
    return big_frame(ctx) + buf[3];
}

// d1 -> d2 -> ... -> d8: each adds one to its callee's result; d8 returns 1.
static __noinline int d8(int x) { return x + 1; }
static __noinline int d7(int x) { return d8(x) + 1; } // tailgate: expect program=depth_9 code=call-depth severity=error
static __noinline int d6(int x) { return d7(x) + 1; }
static __noinline int d5(int x) { return d6(x) + 1; }
static __noinline int d4(int x) { return d5(x) + 1; }
static __noinline int d3(int x) { return d4(x) + 1; }
static __noinline int d2(int x) { return d3(x) + 1; }
static __noinline int d1(int x) { return d2(x) + 1; }

// main + d1..d8 = 9 frames: one more than MAX_CALL_FRAMES (8).
// tailgate: program name=depth_9 verdict=rejected
SEC("xdp")
int depth_9(struct xdp_md *ctx)
{
    return d1(ctx->ingress_ifindex);
}

// main + d2..d8 = 8 frames: accepted. BPF_PROG_TEST_RUN's ingress_ifindex is loopback's (1): it returns 8.
// tailgate: program name=depth_8 verdict=accepted
// tailgate: run program=depth_8 packet=tcp4 engine=both return=8
SEC("xdp")
int depth_8(struct xdp_md *ctx)
{
    return d2(ctx->ingress_ifindex);
}

// A stack slot written on one path only is read on both: unprivileged loads are refused; privileged ones
// (kernel >= 6.3, env->allow_uninit_stack; tailgate --allow-uninit-stack) read an unknown value.
// tailgate: program name=uninit_slot verdict=rejected
// tailgate: program name=uninit_slot verdict=accepted when=allow-uninit-stack
SEC("xdp")
int uninit_slot(struct xdp_md *ctx)
{
    int slot;
    int *p = &slot; // through a pointer: clang does not see the uninitialised read (-Wsometimes-uninitialized)
    if (ctx->rx_queue_index == 0)
        *(volatile int *)p = 1;
    return *(volatile int *)p == 1 ? XDP_PASS : XDP_DROP; // tailgate: expect code=uninitialized-register severity=error unless=allow-uninit-stack
}

char _license[] SEC("license") = "GPL";
