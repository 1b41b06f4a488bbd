// sk_lookup programs (SEC("sk_lookup")): run when a connection or datagram looks for its listening socket,
// ctx struct bpf_sk_lookup (net/core/filter.c sk_lookup_is_valid_access(): read-only; sk is the socket
// selected so far, or NULL). A program may pick a socket from a SOCKMAP with bpf_sk_assign(); the lookup
// returns an acquired socket that bpf_sk_release() drops. SK_PASS (1) or SK_DROP (0)
// (verifier.c check_return_code()).
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_SOCKMAP);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} redir_map SEC(".maps");

// Every TCP connection to ports 7000..7999 of 127.0.0.1 goes to the socket in slot 0 (the "one socket
// for a port range" use the hook was made for).
// tailgate: program name=steer_port_range verdict=accepted
SEC("sk_lookup")
int steer_port_range(struct bpf_sk_lookup *ctx)
{
    if (ctx->family != 2 /* AF_INET */ || ctx->protocol != IPPROTO_TCP)
        return SK_PASS;
    if (ctx->local_ip4 != bpf_htonl(0x7f000001) || ctx->local_port < 7000 || ctx->local_port >= 8000)
        return SK_PASS;
    __u32 key = 0;
    struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
    if (!sk)
        return SK_DROP;
    long err = bpf_sk_assign(ctx, sk, 0);
    bpf_sk_release(sk);
    return err ? SK_DROP : SK_PASS;
}

// Drops lookups that an earlier program already answered with a socket bound elsewhere than the
// arriving interface; NULL clears a selection.
// tailgate: program name=clear_foreign verdict=accepted
SEC("sk_lookup")
int clear_foreign(struct bpf_sk_lookup *ctx)
{
    struct bpf_sock *sk = ctx->sk;
    if (sk && sk->bound_dev_if && sk->bound_dev_if != ctx->ingress_ifindex)
        bpf_sk_assign(ctx, 0, BPF_SK_LOOKUP_F_REPLACE);
    return SK_PASS;
}

// The socket from the map must be released.
// tailgate: program name=steer_leaks verdict=rejected
SEC("sk_lookup")
int steer_leaks(struct bpf_sk_lookup *ctx)
{
    __u32 key = 1;
    struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
    if (!sk)
        return SK_PASS;
    bpf_sk_assign(ctx, sk, 0);
    return SK_PASS;
} // tailgate: expect code=reference-leak severity=error

// The ctx is read-only.
// tailgate: program name=rewrites_port verdict=rejected
SEC("sk_lookup")
int rewrites_port(struct bpf_sk_lookup *ctx)
{
    ctx->local_port = 80; // tailgate: expect code=ctx-access severity=error
    return SK_PASS;
}

char _license[] SEC("license") = "GPL";
