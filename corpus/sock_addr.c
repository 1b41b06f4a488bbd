// cgroup sock_addr programs (SEC("cgroup/connect4"), "cgroup/sendmsg4", ...): the ctx is struct
// bpf_sock_addr (net/core/filter.c sock_addr_is_valid_access()). A program may read and rewrite the
// destination of a connect() or sendmsg(), but only the address fields of its own family (user_ip4 for the
// *4 attach types, user_ip6 for the *6 ones; msg_src_* only for sendmsg), and the socket's family, type and
// protocol are read-only. Returns: 1 lets the call go on, 0 refuses it; recvmsg and get{peer,sock}name
// programs must return 1 (verifier.c check_return_code()).
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

// Connections to 10.0.0.1:80 go to 127.0.0.1:8080 instead (a service load balancer's core, as Cilium's
// sock-LB does at connect time).
// tailgate: program name=connect4_redirect verdict=accepted
SEC("cgroup/connect4")
int connect4_redirect(struct bpf_sock_addr *ctx)
{
    if (ctx->user_ip4 == bpf_htonl(0x0a000001) && ctx->user_port == bpf_htons(80)) {
        ctx->user_ip4 = bpf_htonl(0x7f000001);
        ctx->user_port = bpf_htons(8080);
    }
    return 1;
}

// DNS over IPv6 to the loopback address goes to port 5353; UDP only.
// tailgate: program name=connect6_dns verdict=accepted
SEC("cgroup/connect6")
int connect6_dns(struct bpf_sock_addr *ctx)
{
    if (ctx->protocol != 17) // IPPROTO_UDP
        return 1;
    if (ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 && ctx->user_ip6[2] == 0 &&
        ctx->user_ip6[3] == bpf_htonl(1) && ctx->user_port == bpf_htons(53))
        ctx->user_port = bpf_htons(5353);
    return 1;
}

// A sendmsg program may set the source address of the datagram.
// tailgate: program name=sendmsg4_source verdict=accepted
SEC("cgroup/sendmsg4")
int sendmsg4_source(struct bpf_sock_addr *ctx)
{
    if (ctx->type == 2) // SOCK_DGRAM
        ctx->msg_src_ip4 = bpf_htonl(0x7f000001);
    return 1;
}

// An IPv4 connect has no IPv6 address to read.
// tailgate: program name=connect4_reads_ip6 verdict=rejected
SEC("cgroup/connect4")
int connect4_reads_ip6(struct bpf_sock_addr *ctx)
{
    return ctx->user_ip6[0] == 0; // tailgate: expect code=ctx-access severity=error
}

// The socket's family is the kernel's, not the program's.
// tailgate: program name=connect4_writes_family verdict=rejected
SEC("cgroup/connect4")
int connect4_writes_family(struct bpf_sock_addr *ctx)
{
    ctx->family = 10; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// A recvmsg program cannot refuse: it must return 1.
// tailgate: program name=recvmsg4_refuses verdict=rejected
SEC("cgroup/recvmsg4")
int recvmsg4_refuses(struct bpf_sock_addr *ctx)
{
    return 0; // tailgate: expect code=invalid-return severity=error
}

char LICENSE[] SEC("license") = "GPL";
