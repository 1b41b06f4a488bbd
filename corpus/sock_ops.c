// sock_ops programs (SEC("sockops")): TCP events of the cgroup's sockets, ctx struct bpf_sock_ops
// (net/core/filter.c sock_ops_is_valid_access()). A program answers through reply / replylong[] (the
// union after op) and may set sk_txhash; every other field is read-only and exactly 4 bytes wide (the
// byte counters and pointers 8); skops->sk is a PTR_TO_SOCKET_OR_NULL; [skb_data, skb_data_end) is the TCP
// header, readable after a bounds check and never writable (verifier.c may_access_direct_pkt_data()).
// Events of an op go to a program of a prog array: the dispatcher tail-calls by op.
#include <linux/bpf.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __array(values, int(struct bpf_sock_ops *));
} ops_table SEC(".maps");

// A smaller initial RTO and receive window for connections inside 10.0.0.0/8.
// tailgate: program name=ops_timeouts verdict=accepted
SEC("sockops")
int ops_timeouts(struct bpf_sock_ops *skops)
{
    if ((skops->remote_ip4 & bpf_htonl(0xff000000)) != bpf_htonl(0x0a000000))
        return 1;
    if (skops->op == BPF_SOCK_OPS_TIMEOUT_INIT)
        skops->reply = 10;
    else if (skops->op == BPF_SOCK_OPS_RWND_INIT)
        skops->reply = 40;
    return 1;
}

// Reads the TCP header of the packet that concluded the handshake, and the socket.
// tailgate: program name=ops_established verdict=accepted
SEC("sockops")
int ops_established(struct bpf_sock_ops *skops)
{
    struct tcphdr *th = (void *)(long)skops->skb_data;
    void *end = (void *)(long)skops->skb_data_end;
    if ((void *)(th + 1) > end)
        return 1;
    struct bpf_sock *sk = skops->sk;
    if (sk && sk->state == 1 /* TCP_ESTABLISHED */ && th->window == 0)
        skops->sk_txhash = skops->bytes_acked > 65536 ? 1 : 2;
    struct bpf_tcp_sock *tp = sk ? bpf_tcp_sock(sk) : 0;
    if (tp && tp->srtt_us > 8000)
        skops->reply = (__u32)tp->bytes_received;
    return 1;
}

// The dispatcher: one program per op, the op bounded first.
// tailgate: program name=ops_dispatch verdict=accepted
SEC("sockops")
int ops_dispatch(struct bpf_sock_ops *skops)
{
    __u32 op = skops->op;
    if (op < 8)
        bpf_tail_call(skops, &ops_table, op); // tailgate: tailcall map=ops_table index_min=0 index_max=7
    return 1;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __array(values, int(struct bpf_sock_ops *));
} ops_static SEC(".maps") = {
    .values = {
        [BPF_SOCK_OPS_TIMEOUT_INIT] = (void *)&ops_timeouts,
        [BPF_SOCK_OPS_RWND_INIT] = (void *)&ops_timeouts,
        [BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB] = (void *)&ops_established,
    },
};

// The same dispatch through a statically filled prog array, the op unbounded: the tail call may fall
// through (a warning, not an error).
// tailgate: program name=ops_dispatch_static verdict=accepted
// tailgate: graph program=ops_dispatch_static targets=ops_established,ops_timeouts
SEC("sockops")
int ops_dispatch_static(struct bpf_sock_ops *skops)
{
    bpf_tail_call(skops, &ops_static, skops->op); // tailgate: expect code=tail-call-index severity=warning tailgate: tailcall map=ops_static index_min=0 index_max=4294967295
    return 1;
}

// Per-socket RTT samples in socket storage, and the connection's congestion control and MSS set at
// connect time (bpf_setsockopt / bpf_getsockopt on the socket of this event).
struct rtt_sample {
    __u32 samples;
    __u32 last_srtt;
};
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct rtt_sample);
} rtt_store SEC(".maps");

// tailgate: program name=ops_tune verdict=accepted
SEC("sockops")
int ops_tune(struct bpf_sock_ops *skops)
{
    if (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB) {
        char cc[8] = "reno";
        int mss = 0;
        bpf_setsockopt(skops, 6 /* SOL_TCP */, TCP_CONGESTION, cc, sizeof(cc));
        bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
        if (bpf_getsockopt(skops, 6, TCP_MAXSEG, &mss, sizeof(mss)) == 0 && mss > 1400)
            skops->reply = mss;
        return 1;
    }
    struct bpf_sock *sk = skops->sk;
    if (skops->op != BPF_SOCK_OPS_RTT_CB || !sk)
        return 1;
    struct rtt_sample *s = bpf_sk_storage_get(&rtt_store, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!s)
        return 1;
    s->samples++;
    s->last_srtt = skops->srtt_us;
    return 1;
}

// bpf_getsockopt() fills optlen bytes: 16 do not fit in an int.
// tailgate: program name=ops_getsockopt_overflow verdict=rejected
SEC("sockops")
int ops_getsockopt_overflow(struct bpf_sock_ops *skops)
{
    int mss = 0;
    bpf_getsockopt(skops, 6, TCP_MAXSEG, &mss, 16); // tailgate: expect code=helper-argument severity=error
    return mss > 0;
}

// Socket storage needs a socket, not NULL.
// tailgate: program name=ops_storage_unchecked verdict=rejected
SEC("sockops")
int ops_storage_unchecked(struct bpf_sock_ops *skops)
{
    struct rtt_sample *s = bpf_sk_storage_get(&rtt_store, skops->sk, 0, 0); // tailgate: expect code=helper-argument severity=error
    return s != 0;
}

// The op is the kernel's to say.
// tailgate: program name=ops_writes_op verdict=rejected
SEC("sockops")
int ops_writes_op(struct bpf_sock_ops *skops)
{
    skops->op = 0; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// The packet is read-only for sock_ops.
// tailgate: program name=ops_writes_packet verdict=rejected
SEC("sockops")
int ops_writes_packet(struct bpf_sock_ops *skops)
{
    struct tcphdr *th = (void *)(long)skops->skb_data;
    if ((void *)(th + 1) > (void *)(long)skops->skb_data_end)
        return 1;
    th->window = 0; // tailgate: expect code=memory-bounds severity=error
    return 1;
}

// skops->sk may be NULL.
// tailgate: program name=ops_sk_unchecked verdict=rejected
SEC("sockops")
int ops_sk_unchecked(struct bpf_sock_ops *skops)
{
    struct bpf_sock *sk = skops->sk;
    return sk->state == 1; // tailgate: expect code=null-dereference severity=error
}

char _license[] SEC("license") = "GPL";
