// cgroup sock programs (SEC("cgroup/sock_create"), "cgroup/post_bind4", ...): the ctx is the new socket's
// struct bpf_sock (net/core/filter.c sock_filter_is_valid_access()). At socket creation a program may set
// bound_dev_if, mark and priority; after bind() it may read the bound address and port of its own family
// (__sock_filter_check_attach_type()); everything else is read-only. 1 lets the call go on, 0 refuses it
// (verifier.c check_return_code(): [0, 1]).
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

// Tags every new socket of the cgroup and refuses raw IPv6 sockets.
// tailgate: program name=sock_create_tag verdict=accepted
SEC("cgroup/sock_create")
int sock_create_tag(struct bpf_sock *ctx)
{
    if (ctx->family == 10 /* AF_INET6 */ && ctx->type == 3 /* SOCK_RAW */)
        return 0;
    ctx->mark = 0x42;
    ctx->priority = 6;
    return 1;
}

// Counts the sockets created in the cgroup, in the new socket's own storage (its ctx is the socket).
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u64);
} sock_seq SEC(".maps");

__u64 created;

// tailgate: program name=sock_create_number verdict=accepted
SEC("cgroup/sock_create")
int sock_create_number(struct bpf_sock *ctx)
{
    __u64 *seq = bpf_sk_storage_get(&sock_seq, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (seq)
        *seq = __sync_fetch_and_add(&created, 1);
    return 1;
}

// Only root-owned ports below 1024 may be bound, and only on the loopback address.
// tailgate: program name=post_bind4_ports verdict=accepted
SEC("cgroup/post_bind4")
int post_bind4_ports(struct bpf_sock *ctx)
{
    if (ctx->src_port >= 1024)
        return 1;
    return ctx->src_ip4 == bpf_htonl(0x7f000001);
}

// An IPv6 bind to ::1 port 53 is refused.
// tailgate: program name=post_bind6_dns verdict=accepted
SEC("cgroup/post_bind6")
int post_bind6_dns(struct bpf_sock *ctx)
{
    if (ctx->src_ip6[0] || ctx->src_ip6[1] || ctx->src_ip6[2] || ctx->src_ip6[3] != bpf_htonl(1))
        return 1;
    return ctx->src_port != 53;
}

// After bind() the mark is no longer writable.
// tailgate: program name=post_bind4_sets_mark verdict=rejected
SEC("cgroup/post_bind4")
int post_bind4_sets_mark(struct bpf_sock *ctx)
{
    ctx->mark = 1; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// At creation the socket is not bound: no source address to read.
// tailgate: program name=sock_create_reads_ip4 verdict=rejected
SEC("cgroup/sock_create")
int sock_create_reads_ip4(struct bpf_sock *ctx)
{
    return ctx->src_ip4 != 0; // tailgate: expect code=ctx-access severity=error
}

// An IPv4 post-bind program has no IPv6 address.
// tailgate: program name=post_bind4_reads_ip6 verdict=rejected
SEC("cgroup/post_bind4")
int post_bind4_reads_ip6(struct bpf_sock *ctx)
{
    return ctx->src_ip6[3] != 0; // tailgate: expect code=ctx-access severity=error
}

// The family is read-only.
// tailgate: program name=sock_create_sets_family verdict=rejected
SEC("cgroup/sock_create")
int sock_create_sets_family(struct bpf_sock *ctx)
{
    ctx->family = 2; // tailgate: expect code=ctx-access severity=error
    return 1;
}

char _license[] SEC("license") = "GPL";
