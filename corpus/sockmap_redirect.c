// A sockmap proxy (as Cilium's and Envoy's socket-level acceleration): a sock_ops program adds each
// established socket to a SOCKHASH keyed by its 4-tuple; an sk_msg program sends every message straight to
// the peer socket (bpf_msg_redirect_hash); an sk_skb verdict program steers a stream to slot 0 of a
// SOCKMAP. net/core/sock_map.c: the *_map helpers take an index into a SOCKMAP, the *_hash ones a key of a
// SOCKHASH (verifier.c check_map_func_compatibility()).
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct sock_key {
    __u32 sip4;
    __u32 dip4;
    __u32 sport;
    __u32 dport;
};

struct {
    __uint(type, BPF_MAP_TYPE_SOCKHASH);
    __uint(max_entries, 1024);
    __type(key, struct sock_key);
    __type(value, __u32);
} sock_hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_SOCKMAP);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} sock_map SEC(".maps");

// tailgate: program name=add_established verdict=accepted
SEC("sockops")
int add_established(struct bpf_sock_ops *skops)
{
    if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB && skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
        return 1;
    if (skops->family != 2 /* AF_INET */)
        return 1;
    struct sock_key key = {
        .sip4 = skops->local_ip4,
        .dip4 = skops->remote_ip4,
        .sport = bpf_htonl(skops->local_port),
        .dport = skops->remote_port,
    };
    bpf_sock_hash_update(skops, &sock_hash, &key, BPF_NOEXIST);
    return 1;
}

// The peer of this socket is the entry with the tuple reversed.
// tailgate: program name=msg_to_peer verdict=accepted
SEC("sk_msg")
int msg_to_peer(struct sk_msg_md *msg)
{
    if (msg->family != 2)
        return SK_PASS;
    struct sock_key peer = {
        .sip4 = msg->remote_ip4,
        .dip4 = msg->local_ip4,
        .sport = msg->remote_port,
        .dport = bpf_htonl(msg->local_port),
    };
    return bpf_msg_redirect_hash(msg, &sock_hash, &peer, BPF_F_INGRESS);
}

// tailgate: program name=stream_to_slot0 verdict=accepted
SEC("sk_skb/stream_verdict")
int stream_to_slot0(struct __sk_buff *skb)
{
    return bpf_sk_redirect_map(skb, &sock_map, 0, 0);
}

// A SOCKHASH is not indexed: the *_map helper refuses it.
// tailgate: program name=msg_map_helper_on_hash verdict=rejected
SEC("sk_msg")
int msg_map_helper_on_hash(struct sk_msg_md *msg)
{
    return bpf_msg_redirect_map(msg, &sock_hash, 0, 0); // tailgate: expect code=helper-argument severity=error
}

// The key is read from the stack: all of it must be written first.
// tailgate: program name=skb_hash_key_uninit verdict=rejected
SEC("sk_skb/stream_verdict")
int skb_hash_key_uninit(struct __sk_buff *skb)
{
    struct sock_key key;
    key.sip4 = skb->remote_ip4;
    return bpf_sk_redirect_hash(skb, &sock_hash, &key, 0); // tailgate: expect code=helper-argument severity=error
}

char _license[] SEC("license") = "GPL";
