// cgroup sockopt programs (SEC("cgroup/getsockopt"), "cgroup/setsockopt"): run on get/setsockopt() calls of
// the cgroup's sockets, ctx struct bpf_sockopt (kernel/bpf/cgroup.c cg_sockopt_is_valid_access()). The
// option's value is the packet [optval, optval_end), readable and writable after a bounds check; optlen is
// writable; a setsockopt program may rewrite level and optname, a getsockopt program reads and sets the
// syscall's retval. Return 1 to go on, 0 to fail the call with EPERM.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// Setting SO_PRIORITY above 6 is clamped to 6 (the value is rewritten in place).
// tailgate: program name=clamp_priority verdict=accepted
SEC("cgroup/setsockopt")
int clamp_priority(struct bpf_sockopt *ctx)
{
    int *val = (void *)(long)ctx->optval;
    if (ctx->level != 1 /* SOL_SOCKET */ || ctx->optname != 12 /* SO_PRIORITY */)
        return 1;
    if ((void *)(val + 1) > (void *)(long)ctx->optval_end)
        return 1;
    if (*val > 6)
        *val = 6;
    return 1;
}

// getsockopt(IP_TTL) answers 64 without asking the kernel's handler (its error is cleared).
// tailgate: program name=fixed_ttl verdict=accepted
SEC("cgroup/getsockopt")
int fixed_ttl(struct bpf_sockopt *ctx)
{
    unsigned char *val = (void *)(long)ctx->optval;
    if (ctx->level != 0 /* SOL_IP */ || ctx->optname != 2 /* IP_TTL */)
        return 1;
    if ((void *)(val + 1) > (void *)(long)ctx->optval_end)
        return 1;
    // retval first: stored next to optlen, clang would merge the two 4-byte stores into one 8-byte store
    // at optlen's offset, which the kernel refuses (an access must stay inside one field)
    ctx->retval = 0;
    *val = 64;
    ctx->optlen = 1;
    return 1;
}

// Only a getsockopt program has a retval.
// tailgate: program name=set_writes_retval verdict=rejected
SEC("cgroup/setsockopt")
int set_writes_retval(struct bpf_sockopt *ctx)
{
    ctx->retval = 0; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// Only a setsockopt program may redirect the call to another option.
// tailgate: program name=get_rewrites_optname verdict=rejected
SEC("cgroup/getsockopt")
int get_rewrites_optname(struct bpf_sockopt *ctx)
{
    ctx->optname = 3; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// The value is read before its bounds are checked.
// tailgate: program name=get_unchecked_optval verdict=rejected
SEC("cgroup/getsockopt")
int get_unchecked_optval(struct bpf_sockopt *ctx)
{
    unsigned char *val = (void *)(long)ctx->optval;
    return *val != 0; // tailgate: expect code=memory-bounds severity=error
}

char _license[] SEC("license") = "GPL";
