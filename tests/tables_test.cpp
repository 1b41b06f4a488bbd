// Tests of the ctx layout tables (verifier/ctx_layout.hpp) and the helper table (verifier/helper_protos.hpp).
// Offsets are checked against the uapi headers (<linux/bpf.h>, <asm/ptrace.h>), the access rules against
// the kernel's *_is_valid_access() behaviour on edge cases.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <asm/ptrace.h>
#include <cstddef>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <set>

#include "verifier/ctx_layout.hpp"
#include "verifier/helper_protos.hpp"

using namespace tailgate;

namespace {

const CtxLayout& L(ProgType t) {
    const CtxLayout* l = ctx_layout(t);
    REQUIRE(l != nullptr);
    return *l;
}

bool can_read(ProgType t, int64_t off, int size, CtxOptions o = {}) {
    return check_ctx_access(L(t), off, size, false, o).ok();
}
bool can_write(ProgType t, int64_t off, int size, CtxOptions o = {}) {
    return check_ctx_access(L(t), off, size, true, o).ok();
}
CtxValue yields(ProgType t, int64_t off, int size) {
    auto r = check_ctx_access(L(t), off, size, false);
    REQUIRE(r.ok());
    return r->yields;
}
uint32_t field_off(ProgType t, std::string_view name) {
    for (const auto& f : L(t).fields)
        if (f.name == name) return f.offset;
    FAIL("no field " << name);
    return 0;
}

void check_sorted(const CtxLayout& l) {
    uint32_t end = 0;
    for (const auto& f : l.fields) {
        CHECK_MESSAGE(f.offset >= end, l.struct_name << "." << f.name);
        end = f.offset + f.size;
    }
    CHECK(end <= l.size);
}

constexpr auto kSock = ProgType::SocketFilter;
constexpr auto kCls = ProgType::SchedCls;
constexpr auto kAct = ProgType::SchedAct;
constexpr auto kCg = ProgType::CgroupSkb;

} // namespace

TEST_CASE("ctx tables are sorted, non-overlapping, inside the struct") {
    // clang-format off
    for (ProgType t : {ProgType::Xdp, kSock, kCls, kAct, kCg, ProgType::SkSkb, ProgType::LwtIn,
                       ProgType::LwtOut, ProgType::LwtXmit, ProgType::LwtSeg6local, ProgType::FlowDissector,
                       ProgType::SkMsg, ProgType::Kprobe, ProgType::PerfEvent, ProgType::RawTracepoint,
                       ProgType::Tracepoint, ProgType::GenericProbe, ProgType::CgroupSockAddr,
                       ProgType::CgroupSock, ProgType::SockOps, ProgType::SkLookup,
                       ProgType::CgroupSockopt, ProgType::CgroupSysctl, ProgType::CgroupDevice,
                       ProgType::SkReuseport}) {
        // clang-format on
        const CtxLayout& l = L(t);
        CHECK(l.type == t);
        check_sorted(l);
    }
    for (SockView v : {SockView::Socket, SockView::SockCommon, SockView::TcpSock}) {
        REQUIRE(sock_layout(v) != nullptr);
        CHECK(sock_layout(v)->type == ProgType::Unspec);
        check_sorted(*sock_layout(v));
    }
    CHECK(ctx_layout(ProgType::Unspec) == nullptr);
    CHECK(ctx_layout(ProgType::LircMode2) == nullptr);
}

TEST_CASE("offsets match the uapi headers") {
    CHECK(L(ProgType::Xdp).size == sizeof(xdp_md));
    CHECK(field_off(ProgType::Xdp, "data_meta") == offsetof(xdp_md, data_meta));
    CHECK(field_off(ProgType::Xdp, "egress_ifindex") == offsetof(xdp_md, egress_ifindex));
    CHECK(L(kCls).size == sizeof(__sk_buff));
#define SKB(f) CHECK(field_off(kCls, #f) == offsetof(__sk_buff, f))
    SKB(len);
    SKB(mark);
    SKB(queue_mapping);
    SKB(priority);
    SKB(tc_index);
    SKB(cb);
    SKB(hash);
    SKB(tc_classid);
    SKB(data);
    SKB(data_end);
    SKB(napi_id);
    SKB(family);
    SKB(remote_ip6);
    SKB(local_ip6);
    SKB(local_port);
    SKB(data_meta);
    SKB(flow_keys);
    SKB(tstamp);
    SKB(wire_len);
    SKB(gso_segs);
    SKB(sk);
    SKB(gso_size);
    SKB(tstamp_type);
    SKB(hwtstamp);
#undef SKB
    CHECK(L(ProgType::Kprobe).size == sizeof(pt_regs));
    CHECK(field_off(ProgType::Kprobe, "di") == offsetof(pt_regs, rdi));
    CHECK(field_off(ProgType::Kprobe, "ip") == offsetof(pt_regs, rip));
    CHECK(field_off(ProgType::Kprobe, "ss") == offsetof(pt_regs, ss));
    CHECK(kPtRegsArgOffset[0] == offsetof(pt_regs, rdi));
    CHECK(kPtRegsArgOffset[3] == offsetof(pt_regs, rcx));
    CHECK(kPtRegsArgOffset[5] == offsetof(pt_regs, r9));
    CHECK(L(ProgType::PerfEvent).size == sizeof(bpf_perf_event_data));
    CHECK(field_off(ProgType::PerfEvent, "addr") == offsetof(bpf_perf_event_data, addr));
    CHECK(L(ProgType::GenericProbe).size == kGenericProbeCtxSize);
    CHECK(field_off(ProgType::GenericProbe, "probe_id") == kGenericProbeIdOffset);
}

TEST_CASE("xdp_md: 4-byte reads only, no writes, egress_ifindex for devmap programs") {
    auto xdp = ProgType::Xdp;
    CHECK(yields(xdp, 0, 4) == CtxValue::PacketStart);
    CHECK(yields(xdp, 4, 4) == CtxValue::PacketEnd);
    CHECK(yields(xdp, 8, 4) == CtxValue::PacketMeta);
    CHECK(yields(xdp, 12, 4) == CtxValue::Scalar);
    CHECK_FALSE(can_read(xdp, 0, 8));
    CHECK_FALSE(can_read(xdp, 12, 2));
    CHECK_FALSE(can_read(xdp, 2, 2));
    CHECK_FALSE(can_write(xdp, 12, 4));
    CHECK_FALSE(can_read(xdp, 24, 4));
    CHECK_FALSE(can_read(xdp, -4, 4));
    CHECK_FALSE(can_read(xdp, 20, 4));
    CHECK(can_read(xdp, 20, 4, CtxOptions{kAttachXdpDevmap, 0}));
    CHECK(L(xdp).packet == PacketAccess::ReadWrite);
    CHECK_FALSE(L(xdp).ld_abs);
    auto r = check_ctx_access(L(xdp), 12, 4, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "ctx-access");
    CHECK(r.error().message.find("off=12 size=4") != std::string::npos);
}

TEST_CASE("__sk_buff: per-type differences") {
    // data / data_end / data_meta
    CHECK_FALSE(can_read(kSock, 76, 4));
    CHECK_FALSE(can_read(kSock, 80, 4));
    CHECK(yields(kCls, 76, 4) == CtxValue::PacketStart);
    CHECK(yields(kAct, 80, 4) == CtxValue::PacketEnd);
    CHECK(yields(kCls, 140, 4) == CtxValue::PacketMeta);
    CHECK(yields(kCg, 76, 4) == CtxValue::PacketStart);
    CHECK(yields(kCg, 80, 4) == CtxValue::PacketEnd);
    CHECK_FALSE(can_read(kCg, 140, 4));
    CHECK_FALSE(can_read(kCls, 76, 2)); // pointer fields: exactly 4 bytes
    // writes
    for (ProgType t : {kSock, kCls, kCg}) {
        CAPTURE(prog_type_name(t));
        CHECK(can_write(t, 48, 4));       // cb[0]
        CHECK(can_write(t, 56, 8));       // cb[2..3]
        CHECK(can_write(t, 49, 1));       // byte of cb[0]
        CHECK_FALSE(can_write(t, 64, 8)); // crosses the end of cb
        CHECK_FALSE(can_write(t, 0, 4));  // len
        CHECK_FALSE(can_write(t, 76, 4)); // data
    }
    CHECK_FALSE(can_write(kSock, 8, 4)); // mark
    CHECK(can_write(kCls, 8, 4));
    CHECK_FALSE(can_write(kCls, 8, 2)); // writes are full-width
    CHECK(can_write(kCg, 8, 4));
    CHECK(can_write(kCls, 44, 4)); // tc_index
    CHECK_FALSE(can_write(kCg, 44, 4));
    CHECK(can_write(kCls, 72, 4));     // tc_classid
    CHECK_FALSE(can_read(kCg, 72, 4)); // cgroup_skb may not even read it
    CHECK_FALSE(can_read(kSock, 72, 4));
    CHECK(can_write(kCls, 32, 4)); // priority
    CHECK(can_write(kCg, 32, 4));
    CHECK(can_write(kCls, 12, 4)); // queue_mapping
    CHECK_FALSE(can_write(kCg, 12, 4));
    CHECK(can_write(kCls, 152, 8)); // tstamp
    CHECK(can_write(kCg, 152, 8));
    CHECK_FALSE(can_write(kSock, 152, 8));
    CHECK_FALSE(can_read(kSock, 152, 8));
    // narrow reads of u32 fields
    CHECK(can_read(kSock, 0, 1));
    CHECK(can_read(kSock, 2, 2));
    CHECK(can_read(kSock, 3, 1));
    CHECK_FALSE(can_read(kSock, 0, 8));
    CHECK_FALSE(can_read(kSock, 1, 2));
    // socket fields: tc may not read family..local_port, cgroup_skb may
    CHECK_FALSE(can_read(kCls, 88, 4));
    CHECK_FALSE(can_read(kSock, 92, 4));
    CHECK(can_read(kCg, 92, 4));
    CHECK_FALSE(can_read(kCg, 92, 2)); // remote_ip4: 4 bytes only
    CHECK(can_read(kCg, 112, 4));      // remote_ip6[3]
    CHECK_FALSE(can_read(kCg, 112, 8));
    // sk, flow_keys, tstamp_type, padding, hwtstamp
    CHECK(yields(kCls, 168, 8) == CtxValue::SockCommonOrNull);
    CHECK_FALSE(can_read(kCls, 168, 4));
    CHECK_FALSE(can_write(kCls, 168, 8));
    CHECK_FALSE(can_read(kCls, 144, 8));
    CHECK(can_read(kCls, 180, 1));
    CHECK_FALSE(can_read(kCg, 180, 1));
    CHECK_FALSE(can_read(kCls, 181, 1));
    CHECK_FALSE(can_read(kCls, 182, 2));
    CHECK(can_read(kCls, 184, 8));
    CHECK_FALSE(can_write(kCls, 184, 8));
    CHECK_FALSE(can_read(kCls, 192, 4));
    // packet access, LD_ABS
    CHECK(L(kSock).packet == PacketAccess::None);
    CHECK(L(kCg).packet == PacketAccess::Read);
    CHECK(L(kCls).packet == PacketAccess::ReadWrite);
    CHECK(L(kSock).ld_abs);
    CHECK(L(kAct).ld_abs);
    CHECK_FALSE(L(kCg).ld_abs);
}

TEST_CASE("sk_skb, sk_msg, lwt and flow_dissector: their is_valid_access functions") {
    using P = ProgType;
    const uint32_t data = offsetof(__sk_buff, data), data_end = offsetof(__sk_buff, data_end);
    const uint32_t flow_keys = offsetof(__sk_buff, flow_keys);
    // sk_skb_is_valid_access(): packet pointers, mark hidden, writes only to tc_index and priority
    CHECK(yields(P::SkSkb, data, 4) == CtxValue::PacketStart);
    CHECK(yields(P::SkSkb, data_end, 4) == CtxValue::PacketEnd);
    CHECK_FALSE(can_read(P::SkSkb, offsetof(__sk_buff, mark), 4));
    CHECK_FALSE(can_read(P::SkSkb, offsetof(__sk_buff, data_meta), 4));
    CHECK(can_read(P::SkSkb, offsetof(__sk_buff, remote_ip4), 4));
    CHECK(can_write(P::SkSkb, offsetof(__sk_buff, tc_index), 4));
    CHECK(can_write(P::SkSkb, offsetof(__sk_buff, priority), 4));
    CHECK_FALSE(can_write(P::SkSkb, offsetof(__sk_buff, cb), 4));
    CHECK(L(P::SkSkb).packet == PacketAccess::ReadWrite);
    // lwt_is_valid_access(): socket fields hidden; mark, priority and cb[] writable
    for (P t : {P::LwtIn, P::LwtOut, P::LwtXmit, P::LwtSeg6local}) {
        CAPTURE(prog_type_name(t));
        CHECK(yields(t, data, 4) == CtxValue::PacketStart);
        CHECK_FALSE(can_read(t, offsetof(__sk_buff, family), 4));
        CHECK_FALSE(can_read(t, offsetof(__sk_buff, tc_classid), 4));
        CHECK(can_write(t, offsetof(__sk_buff, mark), 4));
        CHECK(can_write(t, offsetof(__sk_buff, cb), 8));
        CHECK_FALSE(can_write(t, offsetof(__sk_buff, tc_index), 4));
    }
    // may_access_direct_pkt_data(): lwt_xmit writes packets, the others only read them
    CHECK(L(P::LwtXmit).packet == PacketAccess::ReadWrite);
    CHECK(L(P::LwtIn).packet == PacketAccess::Read);
    CHECK(L(P::LwtSeg6local).packet == PacketAccess::Read);
    // flow_dissector_is_valid_access(): data, data_end, flow_keys (8 bytes) and nothing else; no writes
    CHECK(yields(P::FlowDissector, data, 4) == CtxValue::PacketStart);
    CHECK(yields(P::FlowDissector, data_end, 4) == CtxValue::PacketEnd);
    CHECK(yields(P::FlowDissector, flow_keys, 8) == CtxValue::FlowKeys);
    CHECK_FALSE(can_read(P::FlowDissector, flow_keys, 4));
    CHECK_FALSE(can_read(P::FlowDissector, offsetof(__sk_buff, len), 4));
    CHECK_FALSE(can_read(P::FlowDissector, offsetof(__sk_buff, cb), 4));
    CHECK_FALSE(can_write(P::FlowDissector, data, 4));
    CHECK(L(P::FlowDissector).packet == PacketAccess::Read);
    CHECK(kFlowKeysSize == sizeof(struct bpf_flow_keys));
    // sk_msg_is_valid_access(): read-only; 8-byte packet pointers and sk, 4-byte u32 fields
    CHECK(L(P::SkMsg).size == sizeof(struct sk_msg_md));
    CHECK(field_off(P::SkMsg, "data_end") == offsetof(struct sk_msg_md, data_end));
    CHECK(field_off(P::SkMsg, "remote_ip6") == offsetof(struct sk_msg_md, remote_ip6));
    CHECK(field_off(P::SkMsg, "size") == offsetof(struct sk_msg_md, size));
    CHECK(field_off(P::SkMsg, "sk") == offsetof(struct sk_msg_md, sk));
    CHECK(yields(P::SkMsg, offsetof(struct sk_msg_md, data), 8) == CtxValue::PacketStart);
    CHECK(yields(P::SkMsg, offsetof(struct sk_msg_md, data_end), 8) == CtxValue::PacketEnd);
    CHECK(yields(P::SkMsg, offsetof(struct sk_msg_md, sk), 8) == CtxValue::Socket);
    CHECK_FALSE(can_read(P::SkMsg, offsetof(struct sk_msg_md, data), 4));
    CHECK_FALSE(can_read(P::SkMsg, offsetof(struct sk_msg_md, remote_port), 2));
    CHECK(can_read(P::SkMsg, offsetof(struct sk_msg_md, remote_ip6) + 12, 4));
    CHECK_FALSE(can_write(P::SkMsg, offsetof(struct sk_msg_md, family), 4));
    CHECK(L(P::SkMsg).packet == PacketAccess::ReadWrite);
}

TEST_CASE("bpf_sock_addr: sock_addr_is_valid_access()") {
    constexpr auto kSa = ProgType::CgroupSockAddr;
    CHECK(L(kSa).size == sizeof(struct bpf_sock_addr));
    CHECK(field_off(kSa, "user_ip4") == offsetof(struct bpf_sock_addr, user_ip4));
    CHECK(field_off(kSa, "user_ip6") == offsetof(struct bpf_sock_addr, user_ip6));
    CHECK(field_off(kSa, "user_port") == offsetof(struct bpf_sock_addr, user_port));
    CHECK(field_off(kSa, "protocol") == offsetof(struct bpf_sock_addr, protocol));
    CHECK(field_off(kSa, "msg_src_ip4") == offsetof(struct bpf_sock_addr, msg_src_ip4));
    CHECK(field_off(kSa, "msg_src_ip6") == offsetof(struct bpf_sock_addr, msg_src_ip6));
    CHECK(field_off(kSa, "sk") == offsetof(struct bpf_sock_addr, sk));
    const CtxOptions connect4{int32_t(AttachType::CgroupInet4Connect), 0};
    const CtxOptions connect6{int32_t(AttachType::CgroupInet6Connect), 0};
    const CtxOptions sendmsg4{int32_t(AttachType::CgroupUdp4Sendmsg), 0};
    const CtxOptions recvmsg6{int32_t(AttachType::CgroupUdp6Recvmsg), 0};
    const int64_t ip4 = offsetof(struct bpf_sock_addr, user_ip4),
                  ip6 = offsetof(struct bpf_sock_addr, user_ip6);
    const int64_t port = offsetof(struct bpf_sock_addr, user_port),
                  src4 = offsetof(struct bpf_sock_addr, msg_src_ip4);
    const int64_t src6 = offsetof(struct bpf_sock_addr, msg_src_ip6), sk = offsetof(struct bpf_sock_addr, sk);
    // an address field only for its family's attach types (and msg_src_* only for sendmsg)
    CHECK(can_read(kSa, ip4, 4, connect4));
    CHECK(can_write(kSa, ip4, 4, connect4));
    CHECK_FALSE(can_read(kSa, ip4, 4, connect6));
    CHECK_FALSE(can_read(kSa, ip6, 4, connect4));
    CHECK(can_read(kSa, ip6 + 12, 4, recvmsg6));
    CHECK(can_read(kSa, src4, 4, sendmsg4));
    CHECK_FALSE(can_read(kSa, src4, 4, connect4));
    CHECK_FALSE(can_read(kSa, src6, 4, recvmsg6));
    CHECK_FALSE(can_read(kSa, ip4, 4)); // no attach type at all
    // narrow reads, 4-byte writes; 8-byte aligned reads and writes inside user_ip6 / msg_src_ip6
    CHECK(can_read(kSa, ip4 + 2, 2, connect4));
    CHECK(can_read(kSa, port + 3, 1, connect4));
    CHECK_FALSE(can_write(kSa, port, 2, connect4));
    CHECK(can_write(kSa, port, 4, connect6));
    CHECK(can_read(kSa, ip6 + 8, 8, connect6));
    CHECK(can_write(kSa, ip6, 8, connect6));
    CHECK_FALSE(can_write(kSa, ip6 + 4, 8, connect6)); // misaligned
    CHECK_FALSE(can_write(kSa, ip6 + 1, 1, connect6)); // no narrow writes
    CHECK_FALSE(can_read(kSa, ip4, 8, connect4));
    // read-only u32 fields: 4-byte reads only
    CHECK(can_read(kSa, offsetof(struct bpf_sock_addr, family), 4, connect4));
    CHECK_FALSE(can_read(kSa, offsetof(struct bpf_sock_addr, family), 2, connect4));
    CHECK_FALSE(can_write(kSa, offsetof(struct bpf_sock_addr, family), 4, connect4));
    CHECK_FALSE(can_write(kSa, offsetof(struct bpf_sock_addr, user_family), 4, connect4));
    // sk: an 8-byte read yielding a socket
    CHECK(yields(kSa, sk, 8) == CtxValue::Socket);
    CHECK_FALSE(can_read(kSa, sk, 4, connect4));
    CHECK_FALSE(can_write(kSa, sk, 8, connect4));
    CHECK(L(kSa).packet == PacketAccess::None);
    auto r = check_ctx_access(L(kSa), ip6, 4, false, connect4);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(
              "needs expected attach type one of 9, 11, 15, 20, 30, 32 (this program's: 10)") !=
          std::string::npos);
}

TEST_CASE("socket structs: bpf_sock, its sock_common part, bpf_tcp_sock") {
    auto field = [](SockView v, std::string_view name) -> int64_t {
        for (const auto& f : sock_layout(v)->fields)
            if (f.name == name) return f.offset;
        return -1;
    };
    auto read = [](SockView v, int64_t off, int size) {
        return check_ctx_access(*sock_layout(v), off, size, false).ok();
    };
#define SK(f) CHECK(field(SockView::Socket, #f) == int64_t(offsetof(struct bpf_sock, f)))
    SK(bound_dev_if), SK(family), SK(type), SK(protocol), SK(mark), SK(priority), SK(src_ip4);
    SK(src_ip6), SK(src_port), SK(dst_port), SK(dst_ip4), SK(dst_ip6), SK(state), SK(rx_queue_mapping);
#undef SK
    CHECK(sock_layout(SockView::Socket)->size == sizeof(struct bpf_sock));
#define TCP(f) CHECK(field(SockView::TcpSock, #f) == int64_t(offsetof(struct bpf_tcp_sock, f)))
    TCP(snd_cwnd), TCP(ecn_flags), TCP(sacked_out), TCP(bytes_received), TCP(bytes_acked);
    TCP(dsack_dups), TCP(delivered), TCP(delivered_ce), TCP(icsk_retransmits);
#undef TCP
    CHECK(sock_layout(SockView::TcpSock)->size == sizeof(struct bpf_tcp_sock));
    CHECK(sock_layout(SockView::Opaque) == nullptr);

    const auto S = SockView::Socket;
    const int64_t dport = offsetof(struct bpf_sock, dst_port), family = offsetof(struct bpf_sock, family);
    // dst_port: a __be16 readable as u32 with its zero padding, or narrower inside the two bytes only
    CHECK(read(S, dport, 4));
    CHECK(read(S, dport, 2));
    CHECK(read(S, dport + 1, 1));
    CHECK_FALSE(read(S, dport + 2, 2));
    CHECK_FALSE(read(S, dport + 2, 1));
    // `case offsetof(struct bpf_sock, family)`: a narrow load only at the field's start
    CHECK(read(S, family, 2));
    CHECK(read(S, family, 1));
    CHECK_FALSE(read(S, family + 1, 1));
    // the addresses: bpf_ctx_range(), narrow loads anywhere aligned
    CHECK(read(S, offsetof(struct bpf_sock, src_ip6) + 13, 1));
    CHECK_FALSE(read(S, offsetof(struct bpf_sock, src_ip6), 8));
    CHECK(read(S, offsetof(struct bpf_sock, mark), 4));
    CHECK_FALSE(read(S, offsetof(struct bpf_sock, mark), 2));
    CHECK_FALSE(read(S, sizeof(struct bpf_sock), 4));
    // sock_common: no type, protocol, mark, priority (a request or timewait socket has none)
    CHECK(read(SockView::SockCommon, family, 4));
    CHECK_FALSE(read(SockView::SockCommon, offsetof(struct bpf_sock, type), 4));
    CHECK_FALSE(read(SockView::SockCommon, offsetof(struct bpf_sock, priority), 4));
    CHECK(read(SockView::SockCommon, offsetof(struct bpf_sock, src_ip4), 4));
    // bpf_tcp_sock: exact sizes
    CHECK(read(SockView::TcpSock, offsetof(struct bpf_tcp_sock, bytes_received), 8));
    CHECK_FALSE(read(SockView::TcpSock, offsetof(struct bpf_tcp_sock, bytes_received), 4));
    CHECK_FALSE(read(SockView::TcpSock, offsetof(struct bpf_tcp_sock, snd_cwnd), 2));
    auto r = check_ctx_access(*sock_layout(S), dport + 2, 1, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "invalid access off=50 size=1 (bpf_sock: a narrow load of field 'dst_port' "
                               "must start in its first 2 bytes)");
}

TEST_CASE("cgroup_sock: bpf_sock with attach-type rules (sock_filter_is_valid_access())") {
    const auto T = ProgType::CgroupSock;
    CtxOptions create, post4, post6;
    create.attach = BPF_CGROUP_INET_SOCK_CREATE;
    post4.attach = BPF_CGROUP_INET4_POST_BIND;
    post6.attach = BPF_CGROUP_INET6_POST_BIND;
    const int64_t mark = offsetof(struct bpf_sock, mark), ip4 = offsetof(struct bpf_sock, src_ip4);
    const int64_t ip6 = offsetof(struct bpf_sock, src_ip6), port = offsetof(struct bpf_sock, src_port);
    CHECK(can_write(T, mark, 4, create));
    CHECK(can_read(T, mark, 4, create));
    CHECK_FALSE(can_write(T, mark, 2, create));
    CHECK_FALSE(can_write(T, mark, 4, post4));
    CHECK_FALSE(can_read(T, mark, 4, post4));
    CHECK(can_write(T, offsetof(struct bpf_sock, priority), 4, create));
    CHECK(can_write(T, offsetof(struct bpf_sock, bound_dev_if), 4, create));
    CHECK_FALSE(can_write(T, offsetof(struct bpf_sock, family), 4, create));
    CHECK(can_read(T, offsetof(struct bpf_sock, family), 4, create));
    CHECK(can_read(T, ip4, 4, post4));
    CHECK_FALSE(can_read(T, ip4, 4, post6));
    CHECK_FALSE(can_read(T, ip4, 4, create));
    CHECK(can_read(T, ip6 + 4, 4, post6));
    CHECK_FALSE(can_read(T, ip6, 4, post4));
    CHECK(can_read(T, port, 4, post4));
    CHECK(can_read(T, port, 4, post6));
    CHECK_FALSE(can_read(T, port, 4, create));
    CHECK_FALSE(can_write(T, port, 4, post4));
    CHECK(L(T).packet == PacketAccess::None);
}

TEST_CASE("sock_ops: sock_ops_is_valid_access()") {
    const auto T = ProgType::SockOps;
#define OPS(f) CHECK(field_off(T, #f) == offsetof(struct bpf_sock_ops, f))
    OPS(op), OPS(reply), OPS(family), OPS(remote_ip6), OPS(local_port), OPS(is_fullsock), OPS(state);
    OPS(sacked_out), OPS(sk_txhash), OPS(bytes_received), OPS(bytes_acked), OPS(sk), OPS(skb_data);
    OPS(skb_data_end), OPS(skb_len), OPS(skb_tcp_flags);
#undef OPS
    // skb_hwtstamp (Linux 6.2) is after skb_tcp_flags; the 6.1 uapi header here does not have it
    CHECK(field_off(T, "skb_hwtstamp") == offsetof(struct bpf_sock_ops, skb_tcp_flags) + 4);
    const int64_t reply = offsetof(struct bpf_sock_ops, reply);
    CHECK(can_write(T, reply, 4));
    CHECK(can_write(T, offsetof(struct bpf_sock_ops, replylong) + 12, 4));
    CHECK_FALSE(can_write(T, reply, 8));
    CHECK(can_read(T, offsetof(struct bpf_sock_ops, args) + 4, 4));
    CHECK_FALSE(can_write(T, offsetof(struct bpf_sock_ops, op), 4));
    CHECK_FALSE(can_write(T, offsetof(struct bpf_sock_ops, family), 4));
    CHECK(can_write(T, offsetof(struct bpf_sock_ops, sk_txhash), 4));
    CHECK_FALSE(can_read(T, offsetof(struct bpf_sock_ops, op), 2));
    CHECK(can_read(T, offsetof(struct bpf_sock_ops, bytes_acked), 8));
    CHECK_FALSE(can_read(T, offsetof(struct bpf_sock_ops, bytes_acked), 4));
    CHECK(can_read(T, offsetof(struct bpf_sock_ops, skb_tcp_flags) + 1, 1));
    CHECK(yields(T, offsetof(struct bpf_sock_ops, sk), 8) == CtxValue::SocketOrNull);
    CHECK(yields(T, offsetof(struct bpf_sock_ops, skb_data), 8) == CtxValue::PacketStart);
    CHECK(yields(T, offsetof(struct bpf_sock_ops, skb_data_end), 8) == CtxValue::PacketEnd);
    CHECK_FALSE(can_read(T, offsetof(struct bpf_sock_ops, sk), 4));
    CHECK(L(T).packet == PacketAccess::Read);
}

TEST_CASE("cgroup_sysctl and cgroup_device: sysctl_is_valid_access(), cgroup_dev_is_valid_access()") {
    const auto S = ProgType::CgroupSysctl, D = ProgType::CgroupDevice;
    CHECK(field_off(S, "write") == offsetof(struct bpf_sysctl, write));
    CHECK(field_off(S, "file_pos") == offsetof(struct bpf_sysctl, file_pos));
    CHECK(L(S).size == sizeof(struct bpf_sysctl));
    CHECK(can_read(S, offsetof(struct bpf_sysctl, write), 4));
    CHECK(can_read(S, offsetof(struct bpf_sysctl, write) + 2, 2));
    CHECK(can_read(S, offsetof(struct bpf_sysctl, write) + 3, 1));
    CHECK_FALSE(can_write(S, offsetof(struct bpf_sysctl, write), 4));
    CHECK(can_read(S, offsetof(struct bpf_sysctl, file_pos) + 1, 1));
    CHECK(can_write(S, offsetof(struct bpf_sysctl, file_pos), 4));
    CHECK_FALSE(can_write(S, offsetof(struct bpf_sysctl, file_pos), 2)); // writes are whole u32s
    CHECK_FALSE(can_read(S, 0, 8));
    CHECK(field_off(D, "access_type") == offsetof(struct bpf_cgroup_dev_ctx, access_type));
    CHECK(field_off(D, "major") == offsetof(struct bpf_cgroup_dev_ctx, major));
    CHECK(field_off(D, "minor") == offsetof(struct bpf_cgroup_dev_ctx, minor));
    CHECK(L(D).size == sizeof(struct bpf_cgroup_dev_ctx));
    CHECK(can_read(D, offsetof(struct bpf_cgroup_dev_ctx, access_type) + 2, 2));
    CHECK(can_read(D, offsetof(struct bpf_cgroup_dev_ctx, major), 4));
    CHECK_FALSE(can_read(D, offsetof(struct bpf_cgroup_dev_ctx, major), 2));
    CHECK_FALSE(can_read(D, offsetof(struct bpf_cgroup_dev_ctx, minor) + 3, 1));
    CHECK_FALSE(can_write(D, offsetof(struct bpf_cgroup_dev_ctx, access_type), 4));
    CHECK_FALSE(can_read(D, sizeof(struct bpf_cgroup_dev_ctx), 4));
    for (int id : {BPF_FUNC_sysctl_get_name, BPF_FUNC_sysctl_get_current_value, BPF_FUNC_sysctl_get_new_value,
                   BPF_FUNC_sysctl_set_new_value}) {
        CHECK(check_helper_prog_type(*builtin_helper(id), S).ok());
        CHECK_FALSE(check_helper_prog_type(*builtin_helper(id), D).ok());
    }
    CHECK(builtin_helper(BPF_FUNC_strtol)->args[3] == ArgKind::PtrToFixedUninitMem);
    CHECK(builtin_helper(BPF_FUNC_strtol)->arg_size[3] == 8);
    CHECK(check_helper_prog_type(*builtin_helper(BPF_FUNC_strtoul), ProgType::Xdp).ok());
    // bpf_base_func_proto() since 6.10: every type may ask for the current pid/tgid
    for (ProgType t : {ProgType::Xdp, ProgType::SchedCls, ProgType::SocketFilter, ProgType::Kprobe})
        CHECK(check_helper_prog_type(*builtin_helper(BPF_FUNC_get_current_pid_tgid), t).ok());
    // check_mtu's mtu_len is read and written: initialised memory
    CHECK(builtin_helper(BPF_FUNC_check_mtu)->args[2] == ArgKind::PtrToFixedMem);
    // bind4/bind6 hooks may return 0..3 (bit 1: skip the CAP_NET_BIND_SERVICE check)
    CHECK(return_rule(ProgType::CgroupSockAddr, int32_t(AttachType::CgroupInet4Bind)).max == 3);
    CHECK(return_rule(ProgType::CgroupSockAddr, int32_t(AttachType::CgroupInet4Connect)).max == 1);
}

TEST_CASE("sk_reuseport: sk_reuseport_is_valid_access()") {
    const auto T = ProgType::SkReuseport;
#define SKR(f) CHECK(field_off(T, #f) == offsetof(struct sk_reuseport_md, f))
    SKR(data), SKR(data_end), SKR(len), SKR(eth_protocol), SKR(ip_protocol), SKR(bind_inany), SKR(hash);
    SKR(sk), SKR(migrating_sk);
#undef SKR
    CHECK(L(T).size == sizeof(struct sk_reuseport_md));
    CHECK(yields(T, offsetof(struct sk_reuseport_md, data), 8) == CtxValue::PacketStart);
    CHECK(yields(T, offsetof(struct sk_reuseport_md, data_end), 8) == CtxValue::PacketEnd);
    CHECK(yields(T, offsetof(struct sk_reuseport_md, sk), 8) == CtxValue::Socket);
    CHECK(yields(T, offsetof(struct sk_reuseport_md, migrating_sk), 8) == CtxValue::SockCommonOrNull);
    CHECK_FALSE(can_read(T, offsetof(struct sk_reuseport_md, data), 4));
    CHECK(can_read(T, offsetof(struct sk_reuseport_md, eth_protocol), 2));
    CHECK_FALSE(
        can_read(T, offsetof(struct sk_reuseport_md, eth_protocol), 1)); // narrower than skb->protocol
    CHECK(can_read(T, offsetof(struct sk_reuseport_md, ip_protocol) + 3, 1));
    CHECK_FALSE(can_read(T, offsetof(struct sk_reuseport_md, hash), 2));
    CHECK_FALSE(can_write(T, offsetof(struct sk_reuseport_md, hash), 4));
    CHECK_FALSE(can_read(T, offsetof(struct sk_reuseport_md, hash) + 4, 4)); // padding before sk
    CHECK(L(T).packet == PacketAccess::Read);
    const HelperProto* sel = builtin_helper(BPF_FUNC_sk_select_reuseport, T);
    REQUIRE(sel != nullptr);
    CHECK(check_helper_prog_type(*sel, T).ok());
    CHECK(check_map_func_compatibility(*sel, MapType::ReuseportSockarray).ok());
    CHECK(check_map_func_compatibility(*sel, MapType::Sockhash).ok());
    CHECK_FALSE(check_map_func_compatibility(*sel, MapType::Array).ok());
}

TEST_CASE("sk_lookup: sk_lookup_is_valid_access()") {
    const auto T = ProgType::SkLookup;
#define SKL(f) CHECK(field_off(T, #f) == offsetof(struct bpf_sk_lookup, f))
    SKL(sk), SKL(family), SKL(protocol), SKL(remote_ip4), SKL(remote_ip6), SKL(remote_port);
    SKL(local_ip4), SKL(local_ip6), SKL(local_port), SKL(ingress_ifindex);
#undef SKL
    CHECK(L(T).size == sizeof(struct bpf_sk_lookup));
    const int64_t port = offsetof(struct bpf_sk_lookup, remote_port);
    CHECK(yields(T, offsetof(struct bpf_sk_lookup, sk), 8) == CtxValue::SocketOrNull);
    CHECK_FALSE(can_read(T, offsetof(struct bpf_sk_lookup, sk), 4));
    CHECK(can_read(T, port, 4));
    CHECK(can_read(T, port, 2));
    CHECK(can_read(T, port + 2, 2)); // the zero padding, for old programs
    CHECK(can_read(T, port + 3, 1));
    CHECK(can_read(T, offsetof(struct bpf_sk_lookup, local_ip6) + 6, 2));
    CHECK_FALSE(can_read(T, offsetof(struct bpf_sk_lookup, local_ip6), 8));
    CHECK_FALSE(can_write(T, offsetof(struct bpf_sk_lookup, local_port), 4));
    CHECK_FALSE(can_read(T, sizeof(struct bpf_sk_lookup) - 4, 4)); // tail padding
    CHECK(L(T).packet == PacketAccess::None);
    // bpf_sk_assign has one prototype per family: tc's takes a sock_common, sk_lookup's a socket or NULL
    const HelperProto* tc = builtin_helper(BPF_FUNC_sk_assign, ProgType::SchedCls);
    const HelperProto* skl = builtin_helper(BPF_FUNC_sk_assign, T);
    REQUIRE(tc != nullptr);
    REQUIRE(skl != nullptr);
    CHECK(tc->args[1] == ArgKind::PtrToBtfIdSockCommon);
    CHECK(skl->args[1] == ArgKind::PtrToSocketOrNull);
    CHECK(builtin_helper(BPF_FUNC_sk_assign, ProgType::Xdp) == tc); // none for xdp: the first, which refuses
    CHECK_FALSE(check_helper_prog_type(*tc, ProgType::Xdp).ok());
}

TEST_CASE("cgroup_sockopt: cg_sockopt_is_valid_access()") {
    const auto T = ProgType::CgroupSockopt;
#define SO(f) CHECK(field_off(T, #f) == offsetof(struct bpf_sockopt, f))
    SO(sk), SO(optval), SO(optval_end), SO(level), SO(optname), SO(optlen), SO(retval);
#undef SO
    CHECK(L(T).size == sizeof(struct bpf_sockopt));
    CtxOptions get, set;
    get.attach = BPF_CGROUP_GETSOCKOPT;
    set.attach = BPF_CGROUP_SETSOCKOPT;
    const int64_t level = offsetof(struct bpf_sockopt, level), optlen = offsetof(struct bpf_sockopt, optlen);
    const int64_t retval = offsetof(struct bpf_sockopt, retval);
    CHECK(yields(T, offsetof(struct bpf_sockopt, sk), 8) == CtxValue::Socket);
    CHECK(yields(T, offsetof(struct bpf_sockopt, optval), 8) == CtxValue::PacketStart);
    CHECK(yields(T, offsetof(struct bpf_sockopt, optval_end), 8) == CtxValue::PacketEnd);
    CHECK_FALSE(can_write(T, offsetof(struct bpf_sockopt, optval), 8, set));
    CHECK(can_read(T, level, 4, get));
    CHECK(can_write(T, level, 4, set));
    CHECK_FALSE(can_write(T, level, 4, get));
    CHECK_FALSE(can_read(T, level, 2, set));
    CHECK(can_write(T, optlen, 4, get));
    CHECK(can_write(T, optlen, 4, set));
    CHECK_FALSE(can_write(T, optlen, 8, get)); // optlen and retval in one store: refused
    CHECK(can_read(T, retval, 4, get));
    CHECK(can_write(T, retval, 4, get));
    CHECK_FALSE(can_read(T, retval, 4, set));
    CHECK_FALSE(can_write(T, retval, 4, set));
    CHECK(L(T).packet == PacketAccess::ReadWrite);
}

TEST_CASE("tracing contexts are read-only") {
    auto kp = ProgType::Kprobe;
    CHECK(can_read(kp, 112, 8));
    CHECK(can_read(kp, 112, 4));
    CHECK(can_read(kp, 164, 4));
    CHECK_FALSE(can_read(kp, 166, 4));
    CHECK_FALSE(can_read(kp, 168, 8));
    CHECK_FALSE(can_write(kp, 112, 8));
    CHECK(L(kp).packet == PacketAccess::None);

    auto pe = ProgType::PerfEvent;
    CHECK(can_read(pe, 0, 8));
    CHECK_FALSE(can_read(pe, 0, 4)); // regs: whole words only
    CHECK(can_read(pe, 168, 4));     // sample_period narrowed
    CHECK(can_read(pe, 176, 8));
    CHECK_FALSE(can_read(pe, 184, 8));

    auto rt = ProgType::RawTracepoint;
    CHECK(can_read(rt, 0, 8));
    CHECK(can_read(rt, 88, 8));
    CHECK(can_read(rt, 92, 4));
    CHECK_FALSE(can_read(rt, 96, 8));
    CHECK_FALSE(can_write(rt, 0, 8));

    auto tp = ProgType::Tracepoint;
    CHECK(L(tp).per_program_size);
    CHECK_FALSE(can_read(tp, 0, 4)); // common header
    CHECK_FALSE(can_read(tp, 4, 4));
    CHECK(can_read(tp, 8, 8));
    CHECK(can_read(tp, 2040, 8));
    CHECK_FALSE(can_read(tp, 2048, 8));
    CHECK_FALSE(can_read(tp, 12, 8));
    CHECK(can_read(tp, 16, 8, CtxOptions{-1, 24}));
    CHECK_FALSE(can_read(tp, 24, 8, CtxOptions{-1, 24}));
    CHECK_FALSE(can_write(tp, 8, 8));

    auto gp = ProgType::GenericProbe;
    CHECK(can_read(gp, 0, 8));
    CHECK(can_read(gp, 40, 8));
    CHECK(can_read(gp, kGenericProbeIdOffset, 8));
    CHECK_FALSE(can_read(gp, kGenericProbeCtxSize, 8));
    CHECK_FALSE(can_write(gp, 0, 8));
}

TEST_CASE("return ranges") {
    CHECK_FALSE(return_rule(ProgType::Xdp).constrained);
    CHECK(return_rule(ProgType::Xdp).must_be_scalar);
    CHECK_FALSE(return_rule(ProgType::Kprobe).constrained);
    auto in = return_rule(ProgType::CgroupSkb, kAttachCgroupInetIngress);
    CHECK((in.constrained && in.min == 0 && in.max == 1));
    auto eg = return_rule(ProgType::CgroupSkb, kAttachCgroupInetEgress);
    CHECK((eg.constrained && eg.min == 0 && eg.max == 3));
    CHECK(return_rule(ProgType::SockOps).max == 1);
    auto rcv = return_rule(ProgType::CgroupSockAddr, 19);
    CHECK((rcv.min == 1 && rcv.max == 1));
}

TEST_CASE("helper table covers the required helpers with kernel ids") {
    std::set<std::pair<int, std::string>> want = {{1, "map_lookup_elem"},      {2, "map_update_elem"},
                                                  {3, "map_delete_elem"},      {4, "probe_read"},
                                                  {5, "ktime_get_ns"},         {6, "trace_printk"},
                                                  {7, "get_prandom_u32"},      {8, "get_smp_processor_id"},
                                                  {9, "skb_store_bytes"},      {10, "l3_csum_replace"},
                                                  {11, "l4_csum_replace"},     {12, "tail_call"},
                                                  {13, "clone_redirect"},      {14, "get_current_pid_tgid"},
                                                  {15, "get_current_uid_gid"}, {16, "get_current_comm"},
                                                  {17, "get_cgroup_classid"},  {18, "skb_vlan_push"},
                                                  {19, "skb_vlan_pop"},        {23, "redirect"},
                                                  {25, "perf_event_output"},   {26, "skb_load_bytes"},
                                                  {28, "csum_diff"},           {31, "skb_change_proto"},
                                                  {32, "skb_change_type"},     {34, "get_hash_recalc"},
                                                  {44, "xdp_adjust_head"},     {51, "redirect_map"},
                                                  {54, "xdp_adjust_meta"},     {55, "perf_event_read_value"},
                                                  {65, "xdp_adjust_tail"},     {112, "probe_read_user"},
                                                  {113, "probe_read_kernel"},  {125, "ktime_get_boot_ns"},
                                                  {130, "ringbuf_output"},     {131, "ringbuf_reserve"},
                                                  {132, "ringbuf_submit"},     {133, "ringbuf_discard"},
                                                  {173, "get_func_ip"}};
    for (const auto& [id, name] : want) {
        const HelperProto* p = builtin_helper(id);
        REQUIRE_MESSAGE(p != nullptr, id);
        CHECK(p->name == name);
    }
    // the uapi numbering, checked against <linux/bpf.h>
    CHECK(builtin_helper(BPF_FUNC_xdp_adjust_tail)->name == "xdp_adjust_tail");
    CHECK(builtin_helper(BPF_FUNC_check_mtu)->name == "check_mtu");
    CHECK(builtin_helper(BPF_FUNC_ringbuf_query)->name == "ringbuf_query");
    CHECK(builtin_helper(BPF_FUNC_get_attach_cookie)->name == "get_attach_cookie");
    CHECK(builtin_helper(BPF_FUNC_xdp_store_bytes)->name == "xdp_store_bytes");
    CHECK(builtin_helper(BPF_FUNC_redirect_peer)->name == "redirect_peer");
    CHECK(builtin_helper(9999) == nullptr);
    const HelperProto* prev = nullptr;
    for (const auto& p : builtin_helpers()) {
        // sorted by id; prototypes sharing an id serve disjoint program types
        if (prev) CHECK(p.id >= prev->id);
        if (prev && p.id == prev->id) CHECK((p.prog_types.bits & prev->prog_types.bits) == 0);
        prev = &p;
        auto v = validate_helper_proto(p);
        CHECK_MESSAGE(v.ok(), p.name << ": " << (v.ok() ? "" : v.error().message));
    }
}

TEST_CASE("helper prototypes follow the kernel") {
    const HelperProto& tc = *builtin_helper(12);
    CHECK(tc.ret == RetKind::Void);
    CHECK(tc.args[0] == ArgKind::PtrToCtx);
    CHECK(tc.args[1] == ArgKind::ConstMapPtr);
    CHECK(tc.args[2] == ArgKind::Anything);
    CHECK(tc.num_args() == 3);
    CHECK(builtin_helper(1)->ret == RetKind::PtrToMapValueOrNull);
    CHECK(builtin_helper(1)->pkt_access);
    CHECK(builtin_helper(4)->args[0] == ArgKind::PtrToUninitMem);
    CHECK(builtin_helper(4)->args[1] == ArgKind::ConstSizeOrZero);
    CHECK(builtin_helper(6)->num_args() == 2);
    CHECK(builtin_helper(26)->args[2] == ArgKind::PtrToUninitMem);
    CHECK(builtin_helper(44)->changes_pkt_data);
    CHECK(builtin_helper(9)->changes_pkt_data);
    CHECK_FALSE(builtin_helper(26)->changes_pkt_data);
    CHECK(builtin_helper(131)->ret == RetKind::PtrToMemOrNull);
    CHECK(builtin_helper(131)->ret_size_arg == 1);
    CHECK(builtin_helper(132)->release_arg == 0);
    CHECK(builtin_helper(163)->arg_size[2] == 4);
}

TEST_CASE("helpers per program type") {
    auto allowed = [](int id, ProgType t) { return check_helper_prog_type(*builtin_helper(id), t).ok(); };
    for (ProgType t : {ProgType::Xdp, kSock, kCls, kCg, ProgType::Kprobe, ProgType::Tracepoint,
                       ProgType::RawTracepoint, ProgType::PerfEvent, ProgType::GenericProbe})
        for (int id : {1, 2, 3, 5, 7, 8, 12}) CHECK_MESSAGE(allowed(id, t), id << " " << prog_type_name(t));
    CHECK(allowed(9, kCls));
    CHECK_FALSE(allowed(9, ProgType::Xdp));
    CHECK_FALSE(allowed(9, kSock));
    CHECK(allowed(44, ProgType::Xdp));
    CHECK_FALSE(allowed(44, kCls));
    CHECK(allowed(51, ProgType::Xdp));
    CHECK(allowed(26, kSock));
    CHECK(allowed(4, ProgType::Kprobe));
    CHECK(allowed(4, ProgType::GenericProbe));
    CHECK_FALSE(allowed(4, ProgType::Xdp));
    CHECK(allowed(25, ProgType::Xdp));
    CHECK(allowed(25, ProgType::Tracepoint));
    CHECK(allowed(58, ProgType::Kprobe));
    CHECK_FALSE(allowed(58, ProgType::Tracepoint));
    auto r = check_helper_prog_type(*builtin_helper(65), kCls);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unknown-helper");
    CHECK(r.error().message.find("bpf_xdp_adjust_tail#65") != std::string::npos);
}

// kernel: cgroup_common_func_proto(), sock_addr_func_proto(), cg_sockopt_func_proto(), bpf_lsm_func_proto()
TEST_CASE("helpers per expected attach type") {
    using AT = AttachType;
    auto allowed = [](int id, ProgType t, AttachType a) {
        return check_helper_prog_type(*builtin_helper(id, t), t, a).ok();
    };
    for (int id : {186, 187}) {
        CAPTURE(id);
        CHECK(allowed(id, ProgType::CgroupSock, AT::CgroupInetSockCreate));
        CHECK(allowed(id, ProgType::CgroupDevice, AT::CgroupDevice));
        CHECK(allowed(id, ProgType::CgroupSockAddr, AT::CgroupInet4Connect));
        CHECK(allowed(id, ProgType::CgroupSockopt, AT::CgroupGetsockopt));
        CHECK(allowed(id, ProgType::CgroupSysctl, AT::CgroupSysctl));
        CHECK_FALSE(allowed(id, ProgType::CgroupSkb, AT::CgroupInetEgress));
        CHECK_FALSE(allowed(id, ProgType::CgroupSkb, AT::None)); // the kernel's default 0: ingress
        CHECK_FALSE(allowed(id, ProgType::SockOps, AT::CgroupSockOps));
        for (AT a : {AT::CgroupUdp4Recvmsg, AT::CgroupUdp6Recvmsg, AT::CgroupInet4Getpeername,
                     AT::CgroupInet6Getpeername, AT::CgroupInet4Getsockname, AT::CgroupInet6Getsockname})
            CHECK_FALSE(allowed(id, ProgType::CgroupSockAddr, a));
        CHECK(allowed(id, ProgType::Lsm, AT::LsmCgroup));
        CHECK_FALSE(allowed(id, ProgType::Lsm, AT::LsmMac));
        CHECK_FALSE(allowed(id, ProgType::Xdp, AT::None));
    }
    CHECK(allowed(64, ProgType::CgroupSockAddr, AT::CgroupInet4Connect));
    CHECK(allowed(64, ProgType::CgroupSockAddr, AT::CgroupInet6Connect));
    CHECK_FALSE(allowed(64, ProgType::CgroupSockAddr, AT::CgroupInet4Bind));
    CHECK_FALSE(allowed(64, ProgType::CgroupSockAddr, AT::CgroupUdp4Sendmsg));
    // setsockopt / getsockopt: sock_ops and sock_addr take the ctx, cgroup sockopt the socket
    CHECK(builtin_helper(49, ProgType::SockOps)->args[0] == ArgKind::PtrToCtx);
    CHECK(builtin_helper(49, ProgType::CgroupSockopt)->args[0] == ArgKind::PtrToBtfIdSockCommon);
    CHECK(builtin_helper(57, ProgType::CgroupSockopt)->args[3] == ArgKind::PtrToUninitMem);
    for (int id : {49, 57}) {
        CHECK(allowed(id, ProgType::CgroupSockopt, AT::CgroupSetsockopt));
        CHECK_FALSE(allowed(id, ProgType::CgroupSockopt, AT::CgroupGetsockopt));
        CHECK(allowed(id, ProgType::CgroupSockAddr, AT::CgroupInet4Connect));
    }
    auto r = check_helper_prog_type(*builtin_helper(64), ProgType::CgroupSockAddr, AT::CgroupInet4Bind);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unknown-helper");
    CHECK(r.error().message ==
          "unknown func bpf_bind#64: not available to cgroup_sock_addr programs of expected attach type 8 "
          "(only for one of 10, 11)");
    CHECK(builtin_helper(122)->args[0] == ArgKind::PtrToCtxOrNull);
}

TEST_CASE("map/helper compatibility (check_map_func_compatibility)") {
    auto compat = [](int id, MapType m) { return check_map_func_compatibility(*builtin_helper(id), m).ok(); };
    CHECK(compat(12, MapType::ProgArray));
    CHECK_FALSE(compat(12, MapType::Array));
    CHECK_FALSE(compat(12, MapType::Hash));
    auto e = check_map_func_compatibility(*builtin_helper(1), MapType::ProgArray);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == "helper-argument");
    CHECK(e.error().message.find("cannot pass map_type 3") == 0);
    CHECK(e.error().message.find("bpf_map_lookup_elem#1") != std::string::npos);
    CHECK_FALSE(compat(2, MapType::ProgArray));
    CHECK(compat(1, MapType::Hash));
    CHECK(compat(1, MapType::Array));
    CHECK(compat(1, MapType::Devmap));
    CHECK(compat(1, MapType::Xskmap));
    CHECK_FALSE(compat(1, MapType::Cpumap));
    CHECK_FALSE(compat(1, MapType::PerfEventArray));
    CHECK(compat(51, MapType::Devmap));
    CHECK(compat(51, MapType::DevmapHash));
    CHECK(compat(51, MapType::Cpumap));
    CHECK(compat(51, MapType::Xskmap));
    CHECK_FALSE(compat(51, MapType::Hash));
    CHECK(compat(25, MapType::PerfEventArray));
    CHECK_FALSE(compat(25, MapType::Array));
    CHECK(compat(130, MapType::Ringbuf));
    CHECK_FALSE(compat(1, MapType::Ringbuf));
    CHECK_FALSE(compat(130, MapType::Array));
    // local storages: only their own get/delete (and kptr_xchg); inode_storage_get/delete (145/146) are not
    // in the table (LSM BTF-id arguments), so by id
    auto compat_id = [](int32_t id, MapType m) {
        HelperProto p;
        p.id = id;
        p.name = "h";
        return check_map_func_compatibility(p, m).ok();
    };
    CHECK(compat_id(145, MapType::InodeStorage));
    CHECK(compat_id(146, MapType::InodeStorage));
    CHECK(compat_id(194, MapType::InodeStorage));
    CHECK_FALSE(compat_id(99, MapType::InodeStorage));
    CHECK_FALSE(compat_id(100, MapType::InodeStorage));
    CHECK(compat(107, MapType::SkStorage));
    CHECK_FALSE(compat(1, MapType::SkStorage));
}

TEST_CASE("a host registers its own helper on its registry instance") {
    HelperRegistry reg;
    CHECK(reg.all().size() == builtin_helpers().size());
    CHECK(reg.find("tail_call")->id == 12);
    HelperProto host;
    host.id = kFirstHostHelperId;
    host.name = "host_counter_add";
    host.args = {ArgKind::PtrToCtx, ArgKind::PtrToMem, ArgKind::ConstSize, ArgKind::DontCare,
                 ArgKind::DontCare};
    host.prog_types = ProgTypeSet::of({ProgType::Xdp});
    REQUIRE(reg.add(host).ok());
    REQUIRE(reg.find(kFirstHostHelperId) != nullptr);
    CHECK(reg.find(kFirstHostHelperId)->name == "host_counter_add");
    CHECK(check_helper_prog_type(*reg.find(kFirstHostHelperId), ProgType::Xdp).ok());
    CHECK_FALSE(check_helper_prog_type(*reg.find(kFirstHostHelperId), kCls).ok());
    // another instance and the built-in table are unaffected
    CHECK(HelperRegistry().find(kFirstHostHelperId) == nullptr);
    CHECK(builtin_helper(kFirstHostHelperId) == nullptr);
    // the map-type side still applies to host helpers
    HelperProto withmap = host;
    withmap.id = kFirstHostHelperId + 1;
    withmap.name = "host_map_peek";
    withmap.args = {ArgKind::ConstMapPtr, ArgKind::PtrToMapKey};
    REQUIRE(reg.add(withmap).ok());
    CHECK_FALSE(check_map_func_compatibility(*reg.find("host_map_peek"), MapType::ProgArray).ok());
    CHECK(check_map_func_compatibility(*reg.find("host_map_peek"), MapType::Hash).ok());
    // duplicates and malformed prototypes are refused
    auto dup = reg.add(host);
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().code == "helper-id-taken");
    HelperProto clash = host;
    clash.id = 12 + 0x20000;
    clash.name = "tail_call";
    CHECK(reg.add(clash).error().code == "helper-id-taken");
    HelperProto bad = host;
    bad.id = kFirstHostHelperId + 2;
    bad.name = "host_bad";
    bad.args = {ArgKind::PtrToMem, ArgKind::Anything};
    auto b = reg.add(bad);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == "bad-helper-proto");
    bad.args = {ArgKind::Anything, ArgKind::ConstSize};
    CHECK_FALSE(reg.add(bad).ok());
    bad.args = {ArgKind::PtrToMapKey};
    CHECK_FALSE(reg.add(bad).ok());
    CHECK(reg.find("host_bad") == nullptr);
}

TEST_CASE("the corpus's ctx-access cases (corpus/neg_ctx.c)") {
    CHECK_FALSE(can_write(ProgType::Xdp, offsetof(xdp_md, data), 4));    // xdp_write_data
    CHECK_FALSE(can_read(kCls, offsetof(__sk_buff, mark), 8));           // tc_wide_mark
    CHECK_FALSE(can_write(kCls, offsetof(__sk_buff, len), 4));           // tc_write_len
    CHECK_FALSE(can_read(kSock, offsetof(__sk_buff, data), 4));          // socket_reads_data
    CHECK_FALSE(can_write(ProgType::Kprobe, offsetof(pt_regs, rdi), 8)); // kprobe_write_regs
    CHECK(can_write(kCls, offsetof(__sk_buff, mark), 4));                // tc_ctx_ok
    CHECK(can_write(kCls, offsetof(__sk_buff, cb), 4));
    CHECK(can_read(kCls, offsetof(__sk_buff, mark), 4));
    auto r = check_ctx_access(L(kSock), offsetof(__sk_buff, data), 4, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "invalid bpf_context access off=76 size=4 (__sk_buff: field 'data' is not "
                               "readable for socket_filter)");
}
