// Built-in packet helpers (net/core/filter.c): skb and xdp data access, checksums, redirects, VLAN, tunnel
// metadata, room/tail/head changes, FIB and MTU queries. They act on the run's Context (HostState::ctx).
// The network the runtime models: only the loopback device (ifindex 1, MTU 65536, hard_header_len 14,
// forwarding off), an empty FIB, no sockets.
#include <linux/bpf.h>

#include <cstddef>
#include <cstring>

#include "runtime/helpers_impl.hpp"

namespace tailgate::rt {

namespace {

using namespace helper_args;

constexpr uint32_t kLoIfindex = 1, kLoMtu = 65536, kLoHardHeaderLen = 14;
constexpr uint16_t kEthPIp = 0x0800, kEthPIpv6 = 0x86DD, kEthP8021Q = 0x8100, kEthP8021AD = 0x88A8;
constexpr int kTcActShot = 2, kTcActRedirect = 7, kXdpAborted = 0, kXdpRedirect = 4;
constexpr int kEPROTO = 71;
// Newer than the installed uapi header (include/uapi/linux/bpf.h, 6.x).
constexpr uint64_t kDecapL3Ipv4 = 1u << 7, kDecapL3Ipv6 = 1u << 8;

uint16_t be16(uint16_t host) {
    return uint16_t((host >> 8) | (host << 8));
}

Context* skb_ctx(ExecEnv* env) {
    Context* c = host_of(env)->ctx;
    return c && c->kind() == CtxKind::Skb ? c : nullptr;
}
Context* xdp_ctx(ExecEnv* env) {
    Context* c = host_of(env)->ctx;
    return c && c->kind() == CtxKind::Xdp ? c : nullptr;
}
uint32_t skb_len(Context* c) {
    return uint32_t(c->data_end() - c->data());
}
uint16_t skb_protocol_host(Context* c) {
    return be16(uint16_t(c->skb_field(offsetof(struct __sk_buff, protocol))));
}
void set_skb_protocol_host(Context* c, uint16_t p) {
    c->set_skb_field(offsetof(struct __sk_buff, protocol), be16(p));
}
void clear_hash(Context* c) {
    c->set_skb_field(offsetof(struct __sk_buff, hash), 0);
}

// ---- checksum arithmetic (include/net/checksum.h) --------------------------------------------------------
uint32_t csum_add(uint32_t a, uint32_t b) {
    uint32_t r = a + b;
    return r + (r < b);
}
uint32_t csum_sub(uint32_t a, uint32_t b) {
    return csum_add(a, ~b);
}
void csum_replace4(uint16_t* sum, uint32_t from, uint32_t to) {
    uint32_t tmp = csum_sub(~uint32_t(*sum), from);
    *sum = csum_fold(csum_add(tmp, to));
}
void csum_replace_by_diff(uint16_t* sum, uint32_t diff) {
    *sum = csum_fold(csum_add(diff, ~uint32_t(*sum)));
}

// ---- data access ---------------------------------------------------------------------------------------

// kernel: bpf_skb_store_bytes().
u64 h_skb_store_bytes(u64, u64 offset, u64 from, u64 len, u64 flags, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    if (flags & ~u64(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return ret_int(-kEINVAL);
    uint32_t off = uint32_t(offset), n = uint32_t(len);
    if (off > INT32_MAX) return ret_int(-kEFAULT);
    if (uint64_t(off) + n > skb_len(c)) return ret_int(-kEFAULT); // bpf_try_make_writable()
    std::memcpy(c->data() + off, P<void>(from), n);
    if (flags & BPF_F_INVALIDATE_HASH) clear_hash(c);
    return 0;
}
// kernel: bpf_skb_load_bytes(): skb_header_pointer(); on failure zero `to`, -EFAULT.
u64 h_skb_load_bytes(u64, u64 offset, u64 to, u64 len, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    uint32_t off = uint32_t(offset), n = uint32_t(len);
    if (c && off <= INT32_MAX && uint64_t(off) + n <= skb_len(c)) {
        std::memcpy(P<void>(to), c->data() + off, n);
        return 0;
    }
    std::memset(P<void>(to), 0, n);
    return ret_int(-kEFAULT);
}
// kernel: bpf_skb_load_bytes_relative(): from the mac or network header, up to the tail.
u64 h_skb_load_bytes_relative(u64, u64 offset, u64 to, u64 len, u64 start, ExecEnv* env) {
    Context* c = skb_ctx(env);
    uint32_t off = uint32_t(offset), n = uint32_t(len);
    if (c && off <= 0xffff && start <= BPF_HDR_START_NET) {
        uint8_t* base = start == BPF_HDR_START_MAC ? c->mac_header() : c->network_header();
        if (base + off + n <= c->data_end() && base + off >= base) {
            std::memcpy(P<void>(to), base + off, n);
            return 0;
        }
    }
    std::memset(P<void>(to), 0, n);
    return ret_int(-kEFAULT);
}
// kernel: bpf_xdp_pointer() bounds: offset/len > 0xffff -> -EFAULT, past the buffer -> -EINVAL.
u64 xdp_bytes(ExecEnv* env, u64 offset, u64 buf, u64 len, bool store) {
    Context* c = xdp_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    uint32_t off = uint32_t(offset), n = uint32_t(len);
    if (off > 0xffff || n > 0xffff) return ret_int(-kEFAULT);
    if (uint64_t(off) + n > uint64_t(c->data_end() - c->data())) return ret_int(-kEINVAL);
    if (store)
        std::memcpy(c->data() + off, P<void>(buf), n);
    else
        std::memcpy(P<void>(buf), c->data() + off, n);
    return 0;
}
u64 h_xdp_load_bytes(u64, u64 off, u64 buf, u64 len, u64, ExecEnv* env) {
    return xdp_bytes(env, off, buf, len, false);
}
u64 h_xdp_store_bytes(u64, u64 off, u64 buf, u64 len, u64, ExecEnv* env) {
    return xdp_bytes(env, off, buf, len, true);
}
u64 h_xdp_get_buff_len(u64, u64, u64, u64, u64, ExecEnv* env) {
    Context* c = xdp_ctx(env);
    return c ? uint64_t(c->data_end() - c->data()) : 0;
}

// ---- checksums -----------------------------------------------------------------------------------------

// kernel: bpf_l3_csum_replace().
u64 h_l3_csum_replace(u64, u64 offset, u64 from, u64 to, u64 flags, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    if (flags & ~u64(BPF_F_HDR_FIELD_MASK)) return ret_int(-kEINVAL);
    uint32_t off = uint32_t(offset);
    if (off > 0xffff) return ret_int(-kEFAULT);
    if (off + 2 > skb_len(c)) return ret_int(-kEFAULT);
    uint16_t sum;
    std::memcpy(&sum, c->data() + off, 2);
    switch (flags & BPF_F_HDR_FIELD_MASK) {
    case 0:
        if (from != 0) return ret_int(-kEINVAL);
        csum_replace_by_diff(&sum, uint32_t(to));
        break;
    case 2: csum_replace4(&sum, uint16_t(from), uint16_t(to)); break; // csum_replace2
    case 4: csum_replace4(&sum, uint32_t(from), uint32_t(to)); break;
    default: return ret_int(-kEINVAL);
    }
    std::memcpy(c->data() + off, &sum, 2);
    return 0;
}
// kernel: bpf_l4_csum_replace() with the skb's CHECKSUM_NONE state (inet_proto_csum_replace*()).
u64 h_l4_csum_replace(u64, u64 offset, u64 from, u64 to, u64 flags, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    constexpr u64 kIpv6 = 1u << 7; // BPF_F_IPV6 (upstream)
    if (flags &
        ~u64(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | kIpv6))
        return ret_int(-kEINVAL);
    uint32_t off = uint32_t(offset);
    if (off > 0xffff || off + 2 > skb_len(c)) return ret_int(-kEFAULT);
    bool mmzero = flags & BPF_F_MARK_MANGLED_0, mforce = flags & BPF_F_MARK_ENFORCE;
    uint16_t sum;
    std::memcpy(&sum, c->data() + off, 2);
    if (mmzero && !mforce && sum == 0) return 0;
    switch (flags & BPF_F_HDR_FIELD_MASK) {
    case 0:
        if (from != 0) return ret_int(-kEINVAL);
        csum_replace_by_diff(&sum, uint32_t(to));
        break;
    case 2: csum_replace4(&sum, uint16_t(from), uint16_t(to)); break;
    case 4: csum_replace4(&sum, uint32_t(from), uint32_t(to)); break;
    default: return ret_int(-kEINVAL);
    }
    if (mmzero && sum == 0) sum = 0xffff; // CSUM_MANGLED_0
    std::memcpy(c->data() + off, &sum, 2);
    return 0;
}
// kernel: bpf_csum_diff(): sizes multiples of 4, at most 512 bytes together.
u64 h_csum_diff(u64 from, u64 from_size, u64 to, u64 to_size, u64 seed, ExecEnv*) {
    uint32_t fs = uint32_t(from_size), ts = uint32_t(to_size);
    if (((fs | ts) & 3) != 0 || uint64_t(fs) + ts > 512) return ret_int(-kEINVAL);
    uint32_t diff[128];
    size_t j = 0;
    for (uint32_t i = 0; i < fs / 4; ++i, ++j) {
        uint32_t w;
        std::memcpy(&w, P<uint8_t>(from) + 4 * i, 4);
        diff[j] = ~w;
    }
    for (uint32_t i = 0; i < ts / 4; ++i, ++j) std::memcpy(&diff[j], P<uint8_t>(to) + 4 * i, 4);
    return csum_partial(diff, j * 4, uint32_t(seed));
}
// kernel: bpf_csum_update(): only CHECKSUM_COMPLETE skbs carry a csum; test_run skbs never do.
u64 h_csum_update(u64, u64, u64, u64, u64, ExecEnv* env) {
    return skb_ctx(env) ? ret_int(-kENOTSUPP) : ret_int(-kEINVAL);
}
// kernel: bpf_csum_level().
u64 h_csum_level(u64, u64 level, u64, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    constexpr uint8_t kNone = 0, kUnnecessary = 1;
    switch (level) {
    case BPF_CSUM_LEVEL_INC:
        if (c->ip_summed == kUnnecessary) {
            if (c->csum_level < 3) ++c->csum_level;
        } else if (c->ip_summed == kNone) {
            c->ip_summed = kUnnecessary;
            c->csum_level = 0;
        }
        return 0;
    case BPF_CSUM_LEVEL_DEC:
        if (c->ip_summed == kUnnecessary) {
            if (c->csum_level == 0)
                c->ip_summed = kNone;
            else
                --c->csum_level;
        }
        return 0;
    case BPF_CSUM_LEVEL_RESET:
        if (c->ip_summed == kUnnecessary) c->ip_summed = kNone, c->csum_level = 0;
        return 0;
    case BPF_CSUM_LEVEL_QUERY: return c->ip_summed == kUnnecessary ? c->csum_level : ret_int(-kEACCES);
    default: return ret_int(-kEINVAL);
    }
}

// ---- redirects -----------------------------------------------------------------------------------------

void record(ExecEnv* env, int32_t helper, u64 target, u64 flags, std::string map = {}) {
    host_of(env)->redirect = RedirectRecord{helper, target, flags, std::move(map)};
}
// kernel: bpf_redirect() (tc) / bpf_xdp_redirect() (xdp).
u64 h_redirect(u64 ifindex, u64 flags, u64, u64, u64, ExecEnv* env) {
    if (xdp_ctx(env)) {
        if (flags) return kXdpAborted;
        record(env, 23, uint32_t(ifindex), flags);
        return kXdpRedirect;
    }
    if (flags & ~u64(BPF_F_INGRESS)) return kTcActShot;
    record(env, 23, uint32_t(ifindex), flags);
    return kTcActRedirect;
}
// kernel: bpf_clone_redirect(): the device must exist (only loopback here); the clone is sent: 0.
u64 h_clone_redirect(u64, u64 ifindex, u64 flags, u64, u64, ExecEnv* env) {
    if (flags & ~u64(BPF_F_INGRESS)) return ret_int(-kEINVAL);
    if (uint32_t(ifindex) != kLoIfindex) return ret_int(-kEINVAL);
    record(env, 13, uint32_t(ifindex), flags);
    return 0;
}
// kernel: bpf_redirect_neigh() / bpf_redirect_peer().
u64 h_redirect_neigh(u64 ifindex, u64 params, u64 plen, u64 flags, u64, ExecEnv* env) {
    if ((plen && plen < 20 /* sizeof(struct bpf_redir_neigh) */) || flags || (!params && plen))
        return kTcActShot;
    record(env, 152, uint32_t(ifindex), flags);
    return kTcActRedirect;
}
u64 h_redirect_peer(u64 ifindex, u64 flags, u64, u64, u64, ExecEnv* env) {
    if (flags) return kTcActShot;
    record(env, 155, uint32_t(ifindex), flags);
    return kTcActRedirect;
}
// kernel: bpf_xdp_redirect_map() -> __bpf_xdp_redirect_map(): an absent key returns the action in the low
// flag bits (BPF_F_ACTION_MASK); other flag bits beyond broadcast/exclude-ingress -> XDP_ABORTED.
u64 h_redirect_map(u64 map, u64 key, u64 flags, u64, u64, ExecEnv* env) {
    constexpr u64 kActionMask = 3; // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX
    if (flags & ~(kActionMask | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) return kXdpAborted;
    Map* m = map_of(map);
    if (!m) return kXdpAborted;
    if (!(flags & BPF_F_BROADCAST)) {
        uint32_t k = uint32_t(key);
        if (!m->lookup(&k)) return flags & kActionMask;
    }
    record(env, 51, uint32_t(key), flags, m->name());
    return kXdpRedirect;
}

// ---- skb metadata --------------------------------------------------------------------------------------

u64 h_zero(u64, u64, u64, u64, u64, ExecEnv*) {
    return 0;
} // classid, route realm, cookie, cgroup id
u64 h_null(u64, u64, u64, u64, u64, ExecEnv*) {
    return 0;
} // sk_lookup_*, sk_fullsock, tcp_sock, sk_storage_get: no sockets
u64 h_get_socket_uid(u64, u64, u64, u64, u64, ExecEnv*) {
    return 65534;
} // no socket: overflowuid
// kernel: bpf_sk_storage_delete(): -ENOENT when the socket has no storage; the runtime has no sockets, so a
// verified program never reaches this with one (the verifier wants a null-checked socket).
u64 h_sk_storage_delete(u64, u64, u64, u64, u64, ExecEnv*) {
    return ret_int(-kENOENT);
}
// kernel: bpf_skb_get_xfrm_state(): the skb carries no xfrm sec_path here, so every index is out of range:
// the buffer is cleared, -EINVAL.
u64 h_skb_get_xfrm_state(u64, u64, u64 to, u64 size, u64, ExecEnv*) {
    std::memset(P<void>(to), 0, size);
    return ret_int(-kEINVAL);
}
// kernel: bpf_tcp_check_syncookie() / bpf_tcp_gen_syncookie(): the socket must be a TCP listener. A
// verified program passes a null-checked socket, which no run here has; -EINVAL for completeness.
u64 h_tcp_syncookie(u64, u64, u64, u64, u64, ExecEnv*) {
    return ret_int(-kEINVAL);
}
// kernel: bpf_skb_set_tstamp(): tstamp_type BPF_SKB_TSTAMP_DELIVERY_MONO (1) needs a non-zero tstamp,
// BPF_SKB_TSTAMP_UNSPEC (0) a zero one; any other type -EINVAL. Sets __sk_buff tstamp and tstamp_type.
u64 h_skb_set_tstamp(u64, u64 tstamp, u64 type, u64, u64, ExecEnv* env) {
    constexpr uint32_t kUnspec = 0, kDeliveryMono = 1;
    const uint32_t t = uint32_t(type);
    if ((t == kDeliveryMono && tstamp == 0) || (t == kUnspec && tstamp != 0) || t > kDeliveryMono)
        return ret_int(-kEINVAL);
    if (Context* c = skb_ctx(env)) c->set_skb_tstamp(tstamp, uint8_t(t));
    return 0;
}
// kernel: bpf_skb_under_cgroup(): the skb has no full socket -> -ENOENT.
u64 h_skb_under_cgroup(u64, u64, u64, u64, u64, ExecEnv*) {
    return ret_int(-kENOENT);
}
// kernel: bpf_skb_change_type(): both types must be <= PACKET_OTHERHOST.
u64 h_skb_change_type(u64, u64 type, u64, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    if (c->skb_field(offsetof(struct __sk_buff, pkt_type)) > 3 || uint32_t(type) > 3)
        return ret_int(-kEINVAL);
    c->set_skb_field(offsetof(struct __sk_buff, pkt_type), uint32_t(type));
    return 0;
}
u64 h_set_hash(u64, u64 hash, u64, u64, u64, ExecEnv* env) {
    if (Context* c = skb_ctx(env)) c->set_skb_field(offsetof(struct __sk_buff, hash), uint32_t(hash));
    return 0;
}
u64 h_set_hash_invalid(u64, u64, u64, u64, u64, ExecEnv* env) {
    if (Context* c = skb_ctx(env)) clear_hash(c);
    return 0;
}
// kernel: bpf_get_hash_recalc() -> skb_get_hash(): a flow hash of the addresses, protocol and ports,
// seeded per runtime (the kernel's hashrnd), never 0; stored in skb->hash.
u64 h_get_hash_recalc(u64, u64, u64, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return 0;
    const uint8_t* net = c->network_header();
    const uint8_t* end = c->data_end();
    uint16_t proto = skb_protocol_host(c);
    uint32_t h = host_of(env)->hash_seed;
    auto mix = [&](const uint8_t* p, size_t n) {
        for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
    };
    if (proto == kEthPIp && net + 20 <= end) {
        mix(net + 12, 8); // saddr, daddr
        mix(net + 9, 1);  // protocol
        size_t ihl = size_t(net[0] & 0xf) * 4;
        if ((net[9] == 6 || net[9] == 17) && net + ihl + 4 <= end) mix(net + ihl, 4);
    } else if (proto == kEthPIpv6 && net + 40 <= end) {
        mix(net + 8, 32);
        mix(net + 6, 1);
        if ((net[6] == 6 || net[6] == 17) && net + 44 <= end) mix(net + 40, 4);
    } else {
        return 0; // flow dissection found no flow: skb->hash stays 0
    }
    if (h == 0) h = 1;
    c->set_skb_field(offsetof(struct __sk_buff, hash), h);
    return h;
}

// ---- VLAN ----------------------------------------------------------------------------------------------

void set_hw_vlan(Context* c, uint16_t proto_host, uint16_t tci, bool present) {
    c->vlan_proto_be = present ? be16(proto_host) : 0;
    c->set_skb_field(offsetof(struct __sk_buff, vlan_present), present ? 1 : 0);
    c->set_skb_field(offsetof(struct __sk_buff, vlan_tci), present ? tci : 0);
    c->set_skb_field(offsetof(struct __sk_buff, vlan_proto), present ? be16(proto_host) : 0);
}
// net/core/skbuff.c __skb_vlan_pop(): remove the in-payload tag at offset 12; returns its TCI.
int payload_vlan_pop(Context* c, uint16_t* tci) {
    if (skb_len(c) < kEthHlen + 4) return -kEINVAL;
    uint8_t* d = c->data();
    *tci = uint16_t((d[14] << 8) | d[15]);
    uint16_t inner = uint16_t((d[16] << 8) | d[17]);
    int r = c->skb_room(12, -4);
    if (r) return r;
    set_skb_protocol_host(c, inner);
    return 0;
}
bool eth_type_vlan(uint16_t p) {
    return p == kEthP8021Q || p == kEthP8021AD;
}
// kernel: bpf_skb_vlan_push() -> skb_vlan_push().
u64 h_skb_vlan_push(u64, u64 vlan_proto, u64 vlan_tci, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    uint16_t proto = be16(uint16_t(vlan_proto));
    if (!eth_type_vlan(proto)) proto = kEthP8021Q;
    if (c->skb_field(offsetof(struct __sk_buff, vlan_present))) {
        // Move the present hw tag into the payload (__vlan_insert_tag) first.
        uint16_t old_proto = be16(c->vlan_proto_be);
        uint16_t old_tci = uint16_t(c->skb_field(offsetof(struct __sk_buff, vlan_tci)));
        if (int r = c->skb_room(12, 4)) return ret_int(r);
        uint8_t* d = c->data();
        d[12] = uint8_t(old_proto >> 8), d[13] = uint8_t(old_proto);
        d[14] = uint8_t(old_tci >> 8), d[15] = uint8_t(old_tci);
        set_skb_protocol_host(c, old_proto);
    }
    set_hw_vlan(c, proto, uint16_t(vlan_tci), true);
    return 0;
}
// kernel: bpf_skb_vlan_pop() -> skb_vlan_pop().
u64 h_skb_vlan_pop(u64, u64, u64, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    uint16_t tci;
    if (c->skb_field(offsetof(struct __sk_buff, vlan_present))) {
        set_hw_vlan(c, 0, 0, false);
    } else {
        if (!eth_type_vlan(skb_protocol_host(c))) return 0;
        if (int r = payload_vlan_pop(c, &tci)) return ret_int(r);
    }
    if (!eth_type_vlan(skb_protocol_host(c))) return 0;
    uint16_t proto = skb_protocol_host(c);
    if (int r = payload_vlan_pop(c, &tci)) return ret_int(r);
    set_hw_vlan(c, proto, tci, true);
    return 0;
}

// ---- tunnel metadata -----------------------------------------------------------------------------------

// BPF_F_TUNINFO_IPV6, BPF_F_ZERO_CSUM_TX, BPF_F_DONT_FRAGMENT, BPF_F_SEQ_NUMBER, BPF_F_NO_TUNNEL_KEY.
constexpr u64 kTunInfoIpv6 = 1, kTunFlagsAll = 0x1f;
// kernel: bpf_skb_set_tunnel_key(): flags, accepted sizes (current and the deprecated layouts).
u64 h_skb_set_tunnel_key(u64, u64 from, u64 size, u64 flags, u64, ExecEnv* env) {
    if (flags & ~kTunFlagsAll) return ret_int(-kEINVAL);
    struct bpf_tunnel_key key {};
    if (size != sizeof key && size != offsetof(struct bpf_tunnel_key, local_ipv4) &&
        size != offsetof(struct bpf_tunnel_key, tunnel_label) &&
        size != offsetof(struct bpf_tunnel_key, tunnel_ext) &&
        size != offsetof(struct bpf_tunnel_key, remote_ipv6[1]))
        return ret_int(-kEINVAL);
    std::memcpy(&key, P<void>(from), size);
    if ((!(flags & kTunInfoIpv6) && key.tunnel_label) || key.tunnel_ext) return ret_int(-kEINVAL);
    TunnelState& t = host_of(env)->tunnel;
    t.key_set = true;
    t.key.assign(reinterpret_cast<uint8_t*>(&key), reinterpret_cast<uint8_t*>(&key) + sizeof key);
    t.key.push_back(uint8_t(flags & kTunInfoIpv6)); // remembered address family
    return 0;
}
// kernel: bpf_skb_get_tunnel_key(): no tunnel info -> -EINVAL; family mismatch -> -EPROTO; zeroed on error.
u64 h_skb_get_tunnel_key(u64, u64 to, u64 size, u64 flags, u64, ExecEnv* env) {
    const TunnelState& t = host_of(env)->tunnel;
    std::memset(P<void>(to), 0, size);
    if (!t.key_set || (flags & ~u64(BPF_F_TUNINFO_IPV6 | (1u << 4)))) return ret_int(-kEINVAL);
    if (bool(t.key.back()) != bool(flags & kTunInfoIpv6)) return ret_int(-kEPROTO);
    if (size > sizeof(struct bpf_tunnel_key)) return ret_int(-kEINVAL);
    std::memcpy(P<void>(to), t.key.data(), size);
    return 0;
}
// kernel: bpf_skb_set_tunnel_opt(): needs the tunnel info of set_tunnel_key; size % 4, <= 255.
u64 h_skb_set_tunnel_opt(u64, u64 from, u64 size, u64, u64, ExecEnv* env) {
    TunnelState& t = host_of(env)->tunnel;
    if (!t.key_set || (size & 3)) return ret_int(-kEINVAL);
    if (size > 255) return ret_int(-kENOMEM);
    t.opt.assign(P<uint8_t>(from), P<uint8_t>(from) + size);
    return 0;
}
// kernel: bpf_skb_get_tunnel_opt(): -ENOENT without options, -ENOMEM when `to` is too small.
u64 h_skb_get_tunnel_opt(u64, u64 to, u64 size, u64, u64, ExecEnv* env) {
    const TunnelState& t = host_of(env)->tunnel;
    std::memset(P<void>(to), 0, size);
    if (!t.key_set || t.opt.empty()) return ret_int(-kENOENT);
    if (size < t.opt.size()) return ret_int(-kENOMEM);
    std::memcpy(P<void>(to), t.opt.data(), t.opt.size());
    return t.opt.size();
}

// ---- geometry changes ----------------------------------------------------------------------------------

u64 h_xdp_adjust_head(u64, u64 delta, u64, u64, u64, ExecEnv* env) {
    Context* c = xdp_ctx(env);
    return ret_int(c ? c->xdp_adjust_head(int32_t(delta)) : -kEINVAL);
}
u64 h_xdp_adjust_meta(u64, u64 delta, u64, u64, u64, ExecEnv* env) {
    Context* c = xdp_ctx(env);
    return ret_int(c ? c->xdp_adjust_meta(int32_t(delta)) : -kEINVAL);
}
u64 h_xdp_adjust_tail(u64, u64 delta, u64, u64, u64, ExecEnv* env) {
    Context* c = xdp_ctx(env);
    return ret_int(c ? c->xdp_adjust_tail(int32_t(delta)) : -kEINVAL);
}
// kernel: bpf_skb_change_tail(): flags must be 0.
u64 h_skb_change_tail(u64, u64 len, u64 flags, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c || flags) return ret_int(-kEINVAL);
    return ret_int(c->skb_change_tail(uint32_t(len)));
}
// kernel: bpf_skb_change_head(): flags must be 0.
u64 h_skb_change_head(u64, u64 head_room, u64 flags, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c || flags) return ret_int(-kEINVAL);
    return ret_int(c->skb_change_head(uint32_t(head_room)));
}
// kernel: bpf_skb_pull_data(): everything is linear; pulling more than the packet -> -ENOMEM.
u64 h_skb_pull_data(u64, u64 len, u64, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    return uint32_t(len) > skb_len(c) ? ret_int(-kENOMEM) : 0;
}
uint32_t net_base_len(uint16_t proto) {
    return proto == kEthPIp ? 20 : proto == kEthPIpv6 ? 40 : 0;
}
uint32_t mac_header_len(Context* c) {
    return uint32_t(c->network_header() - c->mac_header());
}
// kernel: bpf_skb_change_proto() -> bpf_skb_proto_xlat(): IPv4 <-> IPv6 header room (+/- 20 bytes after
// the MAC header); skb->protocol follows, the packet bytes are the program's to rewrite.
u64 h_skb_change_proto(u64, u64 proto, u64 flags, u64, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c || flags) return ret_int(-kEINVAL);
    uint16_t from = skb_protocol_host(c), to = be16(uint16_t(proto));
    uint32_t off = uint32_t(c->network_header() - c->data());
    if (from == kEthPIp && to == kEthPIpv6) {
        if (int r = c->skb_room(off, 20)) return ret_int(r);
    } else if (from == kEthPIpv6 && to == kEthPIp) {
        if (int r = c->skb_room(off, -20)) return ret_int(r);
    } else {
        return ret_int(-kENOTSUPP);
    }
    set_skb_protocol_host(c, to);
    return 0;
}
// kernel: bpf_skb_adjust_room(): room at the MAC (mode 1) or after the base L3 header (mode 0).
u64 h_skb_adjust_room(u64, u64 len_diff_u, u64 mode, u64 flags, u64, ExecEnv* env) {
    Context* c = skb_ctx(env);
    if (!c) return ret_int(-kEINVAL);
    constexpr u64 kEncapL3Mask = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
    constexpr u64 kDecapL3Mask = kDecapL3Ipv4 | kDecapL3Ipv6;
    constexpr u64 kMask = BPF_F_ADJ_ROOM_FIXED_GSO | kEncapL3Mask | BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
                          BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | (0xffull << 56) |
                          kDecapL3Mask;
    int32_t len_diff = int32_t(len_diff_u);
    uint32_t abs_diff = uint32_t(len_diff < 0 ? -int64_t(len_diff) : len_diff);
    uint16_t proto = skb_protocol_host(c);
    bool shrink = len_diff < 0;
    if (flags & ~(kMask | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return ret_int(-kEINVAL);
    if (abs_diff > 0xfff) return ret_int(-kEFAULT);
    if (proto != kEthPIp && proto != kEthPIpv6) return ret_int(-kENOTSUPP);
    uint32_t len_min = net_base_len(proto);
    uint32_t off = mac_header_len(c);
    if (mode == BPF_ADJ_ROOM_NET)
        off += net_base_len(proto);
    else if (mode != BPF_ADJ_ROOM_MAC)
        return ret_int(-kENOTSUPP);
    if (flags & kDecapL3Mask) {
        if (!shrink) return ret_int(-kEINVAL);
        switch (flags & kDecapL3Mask) {
        case kDecapL3Ipv4: len_min = 20; break;
        case kDecapL3Ipv6: len_min = 40; break;
        default: return ret_int(-kEINVAL);
        }
    }
    uint32_t net_off = uint32_t(c->network_header() - c->data());
    uint32_t len_cur = skb_len(c) - net_off;
    if ((shrink && (abs_diff >= len_cur || len_cur - abs_diff < len_min)) ||
        (!shrink && skb_len(c) + abs_diff > 0xffff))
        return ret_int(-kENOTSUPP);
    // kernel: bpf_skb_net_grow(): encapsulation flag consistency.
    bool encap = flags & (kEncapL3Mask | BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
                          BPF_F_ADJ_ROOM_ENCAP_L2_ETH | (0xffull << 56));
    if (shrink && encap) return ret_int(-kEINVAL);
    if (encap) {
        if ((flags & kEncapL3Mask) == kEncapL3Mask) return ret_int(-kEINVAL);
        if ((flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE) && (flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP))
            return ret_int(-kEINVAL);
    }
    uint32_t at = uint32_t(c->mac_header() - c->data()) + off; // room offset relative to data
    if (int r = c->skb_room(at, shrink ? -int32_t(abs_diff) : int32_t(abs_diff))) return ret_int(r);
    if (!shrink && proto == kEthPIp && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6))
        set_skb_protocol_host(c, kEthPIpv6);
    if (!shrink && proto == kEthPIpv6 && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4))
        set_skb_protocol_host(c, kEthPIp);
    if (shrink && (flags & kDecapL3Ipv4)) set_skb_protocol_host(c, kEthPIp);
    if (shrink && (flags & kDecapL3Ipv6)) set_skb_protocol_host(c, kEthPIpv6);
    return 0;
}

// ---- routing and MTU -----------------------------------------------------------------------------------

// kernel: bpf_skb_fib_lookup()/bpf_xdp_fib_lookup() -> bpf_ipv4/6_fib_lookup(): only loopback exists and
// it does not forward (FWD_DISABLED) unless BPF_FIB_LOOKUP_OUTPUT; the FIB has no route (NOT_FWDED).
u64 h_fib_lookup(u64, u64 params, u64 plen, u64 flags, u64, ExecEnv*) {
    if (plen < sizeof(struct bpf_fib_lookup)) return ret_int(-kEINVAL);
    constexpr u64 kFlags = BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT | (1u << 2) | (1u << 3) | (1u << 4) |
                           (1u << 5); // SKIP_NEIGH, TBID, SRC, MARK
    if (flags & ~kFlags) return ret_int(-kEINVAL);
    auto* p = P<struct bpf_fib_lookup>(params);
    if (p->family != 2 /*AF_INET*/ && p->family != 10 /*AF_INET6*/) return ret_int(-kEAFNOSUPPORT);
    if (p->ifindex != kLoIfindex) return ret_int(-kENODEV);
    if (!(flags & BPF_FIB_LOOKUP_OUTPUT)) return BPF_FIB_LKUP_RET_FWD_DISABLED;
    return BPF_FIB_LKUP_RET_NOT_FWDED;
}
// kernel: bpf_skb_check_mtu() / bpf_xdp_check_mtu() against loopback.
u64 h_check_mtu(u64, u64 ifindex, u64 mtu_len_p, u64 len_diff, u64 flags, ExecEnv* env) {
    Context* c = host_of(env)->ctx;
    if (!c || !c->has_packet()) return ret_int(-kEINVAL);
    auto* mtu_len = P<uint32_t>(mtu_len_p);
    bool xdp = c->kind() == CtxKind::Xdp;
    if (xdp ? flags != 0 : (flags & ~u64(BPF_MTU_CHK_SEGS)) != 0) return ret_int(-kEINVAL);
    if (!xdp && (flags & BPF_MTU_CHK_SEGS) && (len_diff || *mtu_len)) return ret_int(-kEINVAL);
    if (uint32_t(ifindex) != 0 && uint32_t(ifindex) != kLoIfindex) return ret_int(-kENODEV);
    int dev_len = int(kLoMtu + kLoHardHeaderLen);
    // the kernel's int arithmetic wraps (-fno-strict-overflow): done in u32, read back as int (C++20: modular)
    const uint32_t base = *mtu_len ? *mtu_len + uint32_t(kLoHardHeaderLen) : uint32_t(c->data_end() - c->data());
    const int len = int(base + uint32_t(len_diff));
    u64 ret = len <= dev_len ? BPF_MTU_CHK_RET_SUCCESS : BPF_MTU_CHK_RET_FRAG_NEEDED;
    *mtu_len = kLoMtu;
    return ret;
}

// After a helper that moves skb data: LD_ABS/LD_IND read the new linear data (ExecEnv::packet).
template <HelperFn F> u64 syncing(u64 a, u64 b, u64 c, u64 d, u64 e, ExecEnv* env) {
    u64 r = F(a, b, c, d, e, env);
    if (Context* ctx = skb_ctx(env)) {
        env->packet = ctx->ld_abs_base();
        env->packet_len = ctx->ld_abs_len();
    }
    return r;
}

} // namespace

std::vector<HelperEntry> net_helper_entries() {
    return {
        {9, h_skb_store_bytes},
        {10, h_l3_csum_replace},
        {11, h_l4_csum_replace},
        {13, h_clone_redirect},
        {17, h_zero},
        {18, syncing<h_skb_vlan_push>},
        {19, syncing<h_skb_vlan_pop>},
        {20, h_skb_get_tunnel_key},
        {21, h_skb_set_tunnel_key},
        {23, h_redirect},
        {24, h_zero},
        {26, h_skb_load_bytes},
        {28, h_csum_diff},
        {29, h_skb_get_tunnel_opt},
        {30, h_skb_set_tunnel_opt},
        {31, syncing<h_skb_change_proto>},
        {32, h_skb_change_type},
        {33, h_skb_under_cgroup},
        {34, h_get_hash_recalc},
        {38, syncing<h_skb_change_tail>},
        {39, h_skb_pull_data},
        {40, h_csum_update},
        {41, h_set_hash_invalid},
        {43, syncing<h_skb_change_head>},
        {44, h_xdp_adjust_head},
        {46, h_zero},
        {47, h_get_socket_uid},
        {48, h_set_hash},
        {50, syncing<h_skb_adjust_room>},
        {51, h_redirect_map},
        {52, h_zero}, // sk_redirect_map / _hash: SK_DROP, the socket is not in the map (no sockmaps here)
        {54, h_xdp_adjust_meta},
        {65, h_xdp_adjust_tail},
        {66, h_skb_get_xfrm_state},
        {68, h_skb_load_bytes_relative},
        {69, h_fib_lookup},
        {72, h_zero},
        {79, h_zero},
        {83, h_zero}, // skb_ancestor_cgroup_id: no socket, no cgroup
        {84, h_null},
        {85, h_null},
        {86, h_zero},
        {95, h_null},
        {96, h_null},
        {98, h_null},
        {99, h_null},
        {100, h_tcp_syncookie},
        {110, h_tcp_syncookie},
        {107, h_null},
        {124, h_null}, // sk_assign: needs a socket, which no run here has
        {128, h_zero}, // sk_cgroup_id / sk_ancestor_cgroup_id: likewise (0: no cgroup)
        {129, h_zero},
        {108, h_sk_storage_delete},
        {135, h_csum_level},
        {152, h_redirect_neigh},
        {155, h_redirect_peer},
        {163, h_check_mtu},
        {188, h_xdp_get_buff_len},
        {189, h_xdp_load_bytes},
        {190, h_xdp_store_bytes},
        {192, h_skb_set_tstamp},
    };
}

} // namespace tailgate::rt
