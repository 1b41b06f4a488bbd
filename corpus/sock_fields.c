// Reading a socket's fields from tc: skb->sk is a PTR_TO_SOCK_COMMON_OR_NULL (net/core/filter.c
// bpf_sock_common_is_valid_access(): family, addresses, ports, state, but not type, protocol, mark or
// priority, which a request or timewait socket lacks); bpf_sk_fullsock() gives a struct bpf_sock with every
// field (bpf_sock_is_valid_access()), bpf_tcp_sock() a struct bpf_tcp_sock, bpf_sk_lookup_tcp() an
// acquired full socket that bpf_sk_release() must drop. Socket structs are read-only (verifier.c
// check_mem_access(): "cannot write into sock") and every pointer must be null-checked first.
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

// Marks the packets of local TCP sockets talking to port 80 whose congestion window is small. The
// runtime has no sockets (skb->sk is NULL), so a run takes the first return.
// tailgate: program name=tc_sk_fields verdict=accepted
// tailgate: run program=tc_sk_fields packet=tcp4 return=0
SEC("tc")
int tc_sk_fields(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return TC_ACT_OK;
    if (sk->family != 2 /* AF_INET */ || sk->dst_port != bpf_htons(80))
        return TC_ACT_OK;
    sk = bpf_sk_fullsock(sk);
    if (!sk)
        return TC_ACT_OK;
    if (sk->protocol != IPPROTO_TCP)
        return TC_ACT_OK;
    struct bpf_tcp_sock *tp = bpf_tcp_sock(sk);
    if (tp && tp->snd_cwnd < 10 && tp->bytes_acked > 4096)
        skb->mark = sk->mark | 1;
    return TC_ACT_UNSPEC;
}

// Looks up the established TCP socket of an IPv4 packet (tuple built on the stack) and drops the
// reference after reading its state.
// tailgate: program name=tc_sk_lookup verdict=accepted
// tailgate: run program=tc_sk_lookup packet=tcp4 return=0
SEC("tc")
int tc_sk_lookup(struct __sk_buff *skb)
{
    struct bpf_sock_tuple tuple = {};
    tuple.ipv4.saddr = bpf_htonl(0x0a000001);
    tuple.ipv4.daddr = bpf_htonl(0x0a000002);
    tuple.ipv4.sport = bpf_htons(40000);
    tuple.ipv4.dport = bpf_htons(80);
    struct bpf_sock *sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
    if (!sk)
        return TC_ACT_OK;
    __u32 state = sk->state;
    bpf_sk_release(sk);
    return state == 10 /* TCP_LISTEN */ ? TC_ACT_SHOT : TC_ACT_OK;
}

// bpf_sk_fullsock() of a looked-up socket shares its reference (verifier.c is_ptr_cast_function()):
// releasing the full socket releases the lookup's.
// tailgate: program name=tc_sk_lookup_fullsock verdict=accepted
SEC("tc")
int tc_sk_lookup_fullsock(struct __sk_buff *skb)
{
    struct bpf_sock_tuple tuple = {};
    tuple.ipv4.dport = bpf_htons(443);
    struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
    if (!sk)
        return TC_ACT_OK;
    struct bpf_sock *full = bpf_sk_fullsock(sk);
    if (!full) {
        bpf_sk_release(sk);
        return TC_ACT_OK;
    }
    __u32 mark = full->mark;
    bpf_sk_release(full);
    return mark == 1 ? TC_ACT_SHOT : TC_ACT_OK;
}

// skb->sk may be a request socket: its type is not readable before bpf_sk_fullsock().
// tailgate: program name=tc_sk_common_type verdict=rejected
SEC("tc")
int tc_sk_common_type(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return TC_ACT_OK;
    return sk->type == 1 ? TC_ACT_SHOT : TC_ACT_OK; // tailgate: expect code=memory-bounds severity=error
}

// The socket may be NULL.
// tailgate: program name=tc_sk_unchecked verdict=rejected
SEC("tc")
int tc_sk_unchecked(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    return sk->family == 10 ? TC_ACT_SHOT : TC_ACT_OK; // tailgate: expect code=null-dereference severity=error
}

// A socket's fields are read-only, even after bpf_sk_fullsock().
// tailgate: program name=tc_sk_write verdict=rejected
SEC("tc")
int tc_sk_write(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return TC_ACT_OK;
    sk = bpf_sk_fullsock(sk);
    if (!sk)
        return TC_ACT_OK;
    sk->mark = 7; // tailgate: expect code=memory-bounds severity=error
    return TC_ACT_OK;
}

// Only a socket bpf_sk_lookup_*() returned holds a reference to release.
// tailgate: program name=tc_sk_release_borrowed verdict=rejected
SEC("tc")
int tc_sk_release_borrowed(struct __sk_buff *skb)
{
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return TC_ACT_OK;
    sk = bpf_sk_fullsock(sk);
    if (sk)
        bpf_sk_release(sk); // tailgate: expect code=helper-argument severity=error
    return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
