// Helpers whose availability depends on the program's expected attach type, not only its program type
// (the kernel's get_func_proto() functions switch on prog->expected_attach_type):
//   - bpf_get_retval / bpf_set_retval: every cgroup hook except skb ingress/egress, sock_ops, recvmsg,
//     getpeername and getsockname (kernel/bpf/cgroup.c cgroup_common_func_proto());
//   - bpf_bind: only the connect4/connect6 hooks (net/core/filter.c sock_addr_func_proto());
//   - bpf_setsockopt / bpf_getsockopt on ctx->sk: only cgroup/setsockopt (cg_sockopt_func_proto()).
// A helper the hook does not offer is "unknown func" to the kernel: the load fails.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SOL_SOCKET 1
#define SO_MARK 36
#define SO_PRIORITY 12
#define EUNATCH 49
#define AF_INET 2

// setsockopt(SO_PRIORITY) is refused with EUNATCH instead of the default EPERM; the socket's mark is read
// through the option interface first (ctx->sk is a full socket, never NULL here).
// tailgate: program name=refuse_priority verdict=accepted
SEC("cgroup/setsockopt")
int refuse_priority(struct bpf_sockopt *ctx)
{
    int mark = 0;
    if (ctx->level != SOL_SOCKET || ctx->optname != SO_PRIORITY)
        return 1;
    if (bpf_getsockopt(ctx->sk, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0 && mark == 7)
        return 1; // marked sockets may
    bpf_set_retval(-EUNATCH);
    return 0;
}

// A getsockopt hook passes the kernel handler's error on, or clears it; the netns cookie of the ctx's socket
// (or, with NULL, of the initial namespace) is counted.
// tailgate: program name=clear_error verdict=accepted
SEC("cgroup/getsockopt")
int clear_error(struct bpf_sockopt *ctx)
{
    if (bpf_get_netns_cookie(ctx) == bpf_get_netns_cookie(NULL))
        return 1;
    if (bpf_get_retval() == -EUNATCH)
        bpf_set_retval(0);
    return 1;
}

// getsockopt hooks may not set options: bpf_setsockopt is offered to cgroup/setsockopt only.
// tailgate: program name=get_sets_option verdict=rejected
SEC("cgroup/getsockopt")
int get_sets_option(struct bpf_sockopt *ctx)
{
    int prio = 1;
    bpf_setsockopt(ctx->sk, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)); // tailgate: expect code=unknown-helper severity=error
    return 1;
}

// An egress skb hook's return value is a verdict, not an errno: no bpf_get_retval.
// tailgate: program name=egress_retval verdict=rejected
SEC("cgroup_skb/egress")
int egress_retval(struct __sk_buff *skb)
{
    return bpf_get_retval() == 0; // tailgate: expect code=unknown-helper severity=error
}

// Outgoing TCP connections to port 80 are bound to source port 4040 before they connect.
// tailgate: program name=bind_source_port verdict=accepted
SEC("cgroup/connect4")
int bind_source_port(struct bpf_sock_addr *ctx)
{
    struct sockaddr_in sa = {};
    if (ctx->user_port != bpf_htons(80) || ctx->protocol != IPPROTO_TCP)
        return 1;
    sa.sin_family = AF_INET;
    sa.sin_port = bpf_htons(4040);
    sa.sin_addr.s_addr = 0;
    if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return 0;
    return 1;
}

// bpf_bind from a bind hook would recurse into itself: the kernel offers it to connect hooks only.
// tailgate: program name=bind_from_bind verdict=rejected
SEC("cgroup/bind4")
int bind_from_bind(struct bpf_sock_addr *ctx)
{
    struct sockaddr_in sa = {};
    sa.sin_family = AF_INET;
    return bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)) == 0; // tailgate: expect code=unknown-helper severity=error
}

// The bound address must be initialised memory of the size passed.
// tailgate: program name=bind_uninit_addr verdict=rejected
SEC("cgroup/connect6")
int bind_uninit_addr(struct bpf_sock_addr *ctx)
{
    char sa[28];
    return bpf_bind(ctx, (struct sockaddr *)sa, sizeof(sa)) == 0; // tailgate: expect code=helper-argument severity=error
}

char _license[] SEC("license") = "GPL";
