// The ctx tables. Each table cites the kernel function it transcribes (Linux 6.12).
#include "verifier/ctx_layout.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace tailgate {

const char* ctx_value_name(CtxValue v) {
    switch (v) {
    case CtxValue::Scalar: return "scalar";
    case CtxValue::PacketStart: return "packet";
    case CtxValue::PacketEnd: return "packet_end";
    case CtxValue::PacketMeta: return "packet_meta";
    case CtxValue::SockCommonOrNull: return "sock_common_or_null";
    case CtxValue::FlowKeys: return "flow_keys";
    case CtxValue::Socket: return "socket";
    case CtxValue::SocketOrNull: return "socket_or_null";
    }
    return "unknown";
}

std::string SizeSet::to_string() const {
    std::string s = "{";
    for (int size : {1, 2, 4, 8}) {
        if (!has(size)) continue;
        if (s.size() > 1) s += ",";
        s += std::to_string(size);
    }
    return s + "}";
}

namespace {

constexpr CtxField ro(std::string_view name, uint32_t off, uint32_t size, SizeSet reads,
                      CtxValue yields = CtxValue::Scalar) {
    return CtxField{name, off, size, reads, kNoAccess, yields, kAnyAttach};
}

// ---------------------------------------------------------------------------------------------------
// xdp_md. kernel: net/core/filter.c xdp_is_valid_access() + __is_valid_xdp_access(): every field is a
// u32 read at exactly 4 bytes; no writes (rx_queue_index only for offloaded programs, not modelled);
// egress_ifindex only with expected_attach_type BPF_XDP_DEVMAP; data/data_meta/data_end yield packet
// pointers.
constexpr std::array kXdpFields = {
    ro("data", 0, 4, kSize4, CtxValue::PacketStart),
    ro("data_end", 4, 4, kSize4, CtxValue::PacketEnd),
    ro("data_meta", 8, 4, kSize4, CtxValue::PacketMeta),
    ro("ingress_ifindex", 12, 4, kSize4),
    ro("rx_queue_index", 16, 4, kSize4),
    CtxField{"egress_ifindex", 20, 4, kSize4, kNoAccess, CtxValue::Scalar,
             attach_set({AttachType::XdpDevmap})},
};

// ---------------------------------------------------------------------------------------------------
// __sk_buff. The base rules are net/core/filter.c bpf_skb_is_valid_access():
//   - cb[0..4]: any size, off + size within cb (reads and writes);
//   - remote/local_ip4, remote/local_ip6[], data, data_meta, data_end: exactly 4 bytes;
//   - flow_keys: never; tstamp: 8 bytes; hwtstamp, sk: 8-byte reads only (sk yields
//     PTR_TO_SOCK_COMMON_OR_NULL); tstamp_type and the padding after it: never;
//   - every other u32: reads narrowed to 1/2/4 (bpf_ctx_narrow_access_ok), writes 4 bytes.
// Writability and the fields a type may not see are decided by the per-type functions below, applied
// to this base.
enum SkbField : uint8_t {
    Len,
    PktType,
    Mark,
    QueueMapping,
    Protocol,
    VlanPresent,
    VlanTci,
    VlanProto,
    Priority,
    IngressIfindex,
    Ifindex,
    TcIndex,
    Cb,
    Hash,
    TcClassid,
    Data,
    DataEnd,
    NapiId,
    Family,
    RemoteIp4,
    LocalIp4,
    RemoteIp6,
    LocalIp6,
    RemotePort,
    LocalPort,
    DataMeta,
    FlowKeys,
    Tstamp,
    WireLen,
    GsoSegs,
    Sk,
    GsoSize,
    TstampType,
    Hwtstamp,
    kSkbFieldCount
};

constexpr std::array<CtxField, kSkbFieldCount> kSkbBase = {
    ro("len", 0, 4, kNarrow4),
    ro("pkt_type", 4, 4, kNarrow4),
    ro("mark", 8, 4, kNarrow4),
    ro("queue_mapping", 12, 4, kNarrow4),
    ro("protocol", 16, 4, kNarrow4),
    ro("vlan_present", 20, 4, kNarrow4),
    ro("vlan_tci", 24, 4, kNarrow4),
    ro("vlan_proto", 28, 4, kNarrow4),
    ro("priority", 32, 4, kNarrow4),
    ro("ingress_ifindex", 36, 4, kNarrow4),
    ro("ifindex", 40, 4, kNarrow4),
    ro("tc_index", 44, 4, kNarrow4),
    ro("cb", 48, 20, kNarrow8),
    ro("hash", 68, 4, kNarrow4),
    ro("tc_classid", 72, 4, kNarrow4),
    ro("data", 76, 4, kSize4),
    ro("data_end", 80, 4, kSize4),
    ro("napi_id", 84, 4, kNarrow4),
    ro("family", 88, 4, kNarrow4),
    ro("remote_ip4", 92, 4, kSize4),
    ro("local_ip4", 96, 4, kSize4),
    ro("remote_ip6", 100, 16, kSize4),
    ro("local_ip6", 116, 16, kSize4),
    ro("remote_port", 132, 4, kNarrow4),
    ro("local_port", 136, 4, kNarrow4),
    ro("data_meta", 140, 4, kSize4),
    ro("flow_keys", 144, 8, kNoAccess),
    ro("tstamp", 152, 8, kSize8),
    ro("wire_len", 160, 4, kNarrow4),
    ro("gso_segs", 164, 4, kNarrow4),
    ro("sk", 168, 8, kSize8, CtxValue::SockCommonOrNull),
    ro("gso_size", 176, 4, kNarrow4),
    ro("tstamp_type", 180, 1, kNoAccess),
    // 181..183: padding, never accessible (bpf_skb_is_valid_access "prohibit access to padding").
    ro("hwtstamp", 184, 8, kSize8),
};
constexpr uint32_t kSkBuffSize = 192;

// Write size of a writable field in bpf_skb_is_valid_access(): cb any size, tstamp 8, others 4.
SizeSet skb_write_sizes(SkbField f) {
    if (f == Cb) return kNarrow8;
    if (f == Tstamp) return kSize8;
    return kSize4;
}

struct SkbRules {
    std::vector<SkbField> hidden;   // not accessible at all
    std::vector<SkbField> writable; // writes allowed (at bpf_skb_is_valid_access's sizes)
    std::vector<std::pair<SkbField, CtxValue>> pointers;
    std::vector<std::pair<SkbField, SizeSet>> extra_reads; // fields the type may read beyond the base
};

std::vector<CtxField> make_skb(const SkbRules& rules) {
    std::vector<CtxField> out(kSkbBase.begin(), kSkbBase.end());
    for (auto& f : out) f.yields = f.yields == CtxValue::SockCommonOrNull ? f.yields : CtxValue::Scalar;
    for (SkbField f : rules.hidden) out[f].read_sizes = kNoAccess;
    for (SkbField f : rules.writable) out[f].write_sizes = skb_write_sizes(f);
    for (auto [f, v] : rules.pointers) out[f].yields = v;
    for (auto [f, s] : rules.extra_reads) out[f].read_sizes = s;
    return out;
}

// kernel: net/core/filter.c sk_filter_is_valid_access(): no tc_classid, data, data_meta, data_end,
// family..local_port, tstamp, wire_len, hwtstamp; only cb[] is writable; no packet pointers.
const std::vector<CtxField>& socket_filter_fields() {
    static const std::vector<CtxField> fields = make_skb(SkbRules{
        .hidden = {TcClassid, Data, DataMeta, DataEnd, Family, RemoteIp4, LocalIp4, RemoteIp6, LocalIp6,
                   RemotePort, LocalPort, Tstamp, WireLen, Hwtstamp},
        .writable = {Cb},
        .pointers = {},
        .extra_reads = {},
    });
    return fields;
}

// kernel: net/core/filter.c tc_cls_act_is_valid_access() (sched_cls and sched_act): writes to mark,
// tc_index, priority, tc_classid, cb[], tstamp, queue_mapping; data/data_meta/data_end are packet
// pointers; family..local_port hidden; tstamp_type readable as one byte.
const std::vector<CtxField>& tc_fields() {
    static const std::vector<CtxField> fields = make_skb(SkbRules{
        .hidden = {Family, RemoteIp4, LocalIp4, RemoteIp6, LocalIp6, RemotePort, LocalPort},
        .writable = {Mark, TcIndex, Priority, TcClassid, Cb, Tstamp, QueueMapping},
        .pointers = {{Data, CtxValue::PacketStart},
                     {DataMeta, CtxValue::PacketMeta},
                     {DataEnd, CtxValue::PacketEnd}},
        .extra_reads = {{TstampType, kSize1}},
    });
    return fields;
}

// kernel: net/core/filter.c cg_skb_is_valid_access(): no tc_classid, data_meta, wire_len; data and
// data_end (privileged loads, CAP_BPF) are packet pointers; writes to mark, priority, cb[] and tstamp
// (CAP_BPF). tailgate models a privileged loader.
const std::vector<CtxField>& cgroup_skb_fields() {
    static const std::vector<CtxField> fields = make_skb(SkbRules{
        .hidden = {TcClassid, DataMeta, WireLen},
        .writable = {Mark, Priority, Cb, Tstamp},
        .pointers = {{Data, CtxValue::PacketStart}, {DataEnd, CtxValue::PacketEnd}},
        .extra_reads = {},
    });
    return fields;
}

// kernel: net/core/filter.c sk_skb_is_valid_access(): no tc_classid, data_meta, tstamp, wire_len,
// hwtstamp, mark; writes only to tc_index and priority; data/data_end are packet pointers.
const std::vector<CtxField>& sk_skb_fields() {
    static const std::vector<CtxField> fields = make_skb(SkbRules{
        .hidden = {TcClassid, DataMeta, Tstamp, WireLen, Hwtstamp, Mark},
        .writable = {TcIndex, Priority},
        .pointers = {{Data, CtxValue::PacketStart}, {DataEnd, CtxValue::PacketEnd}},
        .extra_reads = {},
    });
    return fields;
}

// kernel: net/core/filter.c lwt_is_valid_access() (lwt_in, lwt_out, lwt_xmit, lwt_seg6local): no
// tc_classid, family..local_port, data_meta, tstamp, wire_len, hwtstamp; writes to mark, priority, cb[];
// data/data_end are packet pointers.
const std::vector<CtxField>& lwt_fields() {
    static const std::vector<CtxField> fields = make_skb(SkbRules{
        .hidden = {TcClassid, Family, RemoteIp4, LocalIp4, RemoteIp6, LocalIp6, RemotePort, LocalPort,
                   DataMeta, Tstamp, WireLen, Hwtstamp},
        .writable = {Mark, Priority, Cb},
        .pointers = {{Data, CtxValue::PacketStart}, {DataEnd, CtxValue::PacketEnd}},
        .extra_reads = {},
    });
    return fields;
}

// kernel: net/core/filter.c flow_dissector_is_valid_access(): read-only; only data (u32, packet),
// data_end (u32, packet end) and flow_keys (u64, PTR_TO_FLOW_KEYS); every other field is refused.
constexpr std::array kFlowDissectorFields = {
    ro("data", 76, 4, kSize4, CtxValue::PacketStart),
    ro("data_end", 80, 4, kSize4, CtxValue::PacketEnd),
    ro("flow_keys", 144, 8, kSize8, CtxValue::FlowKeys),
};

// struct sk_msg_md. kernel: net/core/filter.c sk_msg_is_valid_access(): read-only; data and data_end
// (__bpf_md_ptr, 8 bytes) are packet pointers, sk (8 bytes) a PTR_TO_SOCKET; the other fields are u32
// read at exactly 4 bytes.
constexpr std::array kSkMsgFields = {
    ro("data", 0, 8, kSize8, CtxValue::PacketStart),
    ro("data_end", 8, 8, kSize8, CtxValue::PacketEnd),
    ro("family", 16, 4, kSize4),
    ro("remote_ip4", 20, 4, kSize4),
    ro("local_ip4", 24, 4, kSize4),
    ro("remote_ip6", 28, 16, kSize4),
    ro("local_ip6", 44, 16, kSize4),
    ro("remote_port", 60, 4, kSize4),
    ro("local_port", 64, 4, kSize4),
    ro("size", 68, 4, kSize4),
    ro("sk", 72, 8, kSize8, CtxValue::Socket),
};
constexpr uint32_t kSkMsgMdSize = 80;

// ---------------------------------------------------------------------------------------------------
// struct pt_regs, x86-64 (arch/x86/include/asm/ptrace.h). kernel: kernel/trace/bpf_trace.c
// kprobe_prog_is_valid_access(): read-only, off % size == 0, within sizeof(struct pt_regs); no narrow
// restriction (any aligned 1/2/4/8-byte read).
constexpr std::array kPtRegsFields = {
    ro("r15", 0, 8, kNarrow8),       ro("r14", 8, 8, kNarrow8),  ro("r13", 16, 8, kNarrow8),
    ro("r12", 24, 8, kNarrow8),      ro("bp", 32, 8, kNarrow8),  ro("bx", 40, 8, kNarrow8),
    ro("r11", 48, 8, kNarrow8),      ro("r10", 56, 8, kNarrow8), ro("r9", 64, 8, kNarrow8),
    ro("r8", 72, 8, kNarrow8),       ro("ax", 80, 8, kNarrow8),  ro("cx", 88, 8, kNarrow8),
    ro("dx", 96, 8, kNarrow8),       ro("si", 104, 8, kNarrow8), ro("di", 112, 8, kNarrow8),
    ro("orig_ax", 120, 8, kNarrow8), ro("ip", 128, 8, kNarrow8), ro("cs", 136, 8, kNarrow8),
    ro("flags", 144, 8, kNarrow8),   ro("sp", 152, 8, kNarrow8), ro("ss", 160, 8, kNarrow8),
};

// struct bpf_perf_event_data { bpf_user_pt_regs_t regs; __u64 sample_period; __u64 addr; }.
// kernel: kernel/trace/bpf_trace.c pe_prog_is_valid_access(): read-only; regs only as whole 8-byte
// words (size == sizeof(long)); sample_period and addr narrowed to 1/2/4/8.
std::vector<CtxField> make_perf_event_fields() {
    std::vector<CtxField> out;
    for (const auto& f : kPtRegsFields) out.push_back(ro(f.name, f.offset, 8, kSize8));
    out.push_back(ro("sample_period", kPtRegsSize, 8, kNarrow8));
    out.push_back(ro("addr", kPtRegsSize + 8, 8, kNarrow8));
    return out;
}
const std::vector<CtxField>& perf_event_fields() {
    static const std::vector<CtxField> fields = make_perf_event_fields();
    return fields;
}

// struct bpf_raw_tracepoint_args { __u64 args[]; }. kernel: kernel/trace/bpf_trace.c
// raw_tp_prog_is_valid_access() -> include/linux/bpf.h bpf_tracing_ctx_access(): read-only,
// off < 8 * MAX_BPF_FUNC_ARGS (12), off % size == 0.
constexpr std::array kRawTpFields = {ro("args", 0, 8 * 12, kNarrow8)};

// Tracepoint record: struct trace_entry (common_type, common_flags, common_preempt_count, common_pid;
// 8 bytes) then the tracepoint's fields. kernel: kernel/trace/bpf_trace.c tp_prog_is_valid_access():
// off >= sizeof(void *) (the common header is not readable), off < PERF_MAX_TRACE_SIZE (2048),
// read-only, off % size == 0. The field layout depends on the tracepoint, so it is one scalar area.
constexpr uint32_t kPerfMaxTraceSize = 2048;
constexpr std::array kTracepointFields = {
    ro("common", 0, 8, kNoAccess),
    ro("args", 8, kPerfMaxTraceSize - 8, kNarrow8),
};

// struct bpf_sock_addr (cgroup/bind4, connect6, sendmsg4, getpeername6, ...). kernel: net/core/filter.c
// sock_addr_is_valid_access(): user_ip4/user_ip6/msg_src_ip4/msg_src_ip6 only for the attach types of their
// address family (msg_src_* only for sendmsg); the address fields and user_port: narrow reads
// (bpf_ctx_narrow_access_ok) and 4-byte writes, plus 8-byte aligned reads and writes inside user_ip6 and
// msg_src_ip6 (bpf_ctx_wide_access_ok); sk: an 8-byte read yielding PTR_TO_SOCKET; every other field:
// 4-byte reads, no writes.
using AT = AttachType;
constexpr AttachSet kSockAddrIp4 =
    attach_set({AT::CgroupInet4Bind, AT::CgroupInet4Connect, AT::CgroupInet4Getpeername,
                AT::CgroupInet4Getsockname, AT::CgroupUdp4Sendmsg, AT::CgroupUdp4Recvmsg});
constexpr AttachSet kSockAddrIp6 =
    attach_set({AT::CgroupInet6Bind, AT::CgroupInet6Connect, AT::CgroupInet6Getpeername,
                AT::CgroupInet6Getsockname, AT::CgroupUdp6Sendmsg, AT::CgroupUdp6Recvmsg});
constexpr SizeSet kSize4or8{4 | 8};
constexpr std::array kSockAddrFields = {
    ro("user_family", 0, 4, kSize4),
    CtxField{"user_ip4", 4, 4, kNarrow4, kSize4, CtxValue::Scalar, kSockAddrIp4},
    CtxField{"user_ip6", 8, 16, kNarrow8, kSize4or8, CtxValue::Scalar, kSockAddrIp6},
    CtxField{"user_port", 24, 4, kNarrow4, kSize4, CtxValue::Scalar, kAnyAttach},
    ro("family", 28, 4, kSize4),
    ro("type", 32, 4, kSize4),
    ro("protocol", 36, 4, kSize4),
    CtxField{"msg_src_ip4", 40, 4, kNarrow4, kSize4, CtxValue::Scalar, attach_set({AT::CgroupUdp4Sendmsg})},
    CtxField{"msg_src_ip6", 44, 16, kNarrow8, kSize4or8, CtxValue::Scalar,
             attach_set({AT::CgroupUdp6Sendmsg})},
    ro("sk", 64, 8, kSize8, CtxValue::Socket),
};
constexpr uint32_t kSockAddrSize = 72;

// ---------------------------------------------------------------------------------------------------
// struct bpf_sock, read through a socket pointer. kernel: net/core/filter.c bpf_sock_is_valid_access():
// off % size == 0; family, type, protocol, src_port, state, rx_queue_mapping (`case offsetof()` labels):
// narrow reads starting at the field; src_ip4, src_ip6[], dst_ip4, dst_ip6[] (`bpf_ctx_range()`): narrow
// reads anywhere inside; dst_port (a __be16): 1/2-byte reads inside it, or a 4-byte read at its offset
// that takes the zero padding after it along; the padding alone: never; every other field: exactly 4 bytes.
constexpr CtxField narrow_at_start(std::string_view name, uint32_t off) {
    return CtxField{name, off, 4, kNarrow4, kNoAccess, CtxValue::Scalar, kAnyAttach, 1};
}
constexpr std::array kBpfSockFields = {
    ro("bound_dev_if", 0, 4, kSize4),
    narrow_at_start("family", 4),
    narrow_at_start("type", 8),
    narrow_at_start("protocol", 12),
    ro("mark", 16, 4, kSize4),
    ro("priority", 20, 4, kSize4),
    ro("src_ip4", 24, 4, kNarrow4),
    ro("src_ip6", 28, 16, kNarrow4),
    narrow_at_start("src_port", 44),
    CtxField{"dst_port", 48, 4, kNarrow4, kNoAccess, CtxValue::Scalar, kAnyAttach, 2},
    ro("dst_ip4", 52, 4, kNarrow4),
    ro("dst_ip6", 56, 16, kNarrow4),
    narrow_at_start("state", 72),
    narrow_at_start("rx_queue_mapping", 76),
};
constexpr uint32_t kBpfSockSize = 80;

// PTR_TO_SOCK_COMMON. kernel: net/core/filter.c bpf_sock_common_is_valid_access(): bpf_sock without
// type, protocol, mark and priority (bpf_ctx_range_till(struct bpf_sock, type, priority)), which a
// request or timewait socket does not have: those stay in the table, not readable.
std::vector<CtxField> make_sock_common_fields() {
    std::vector<CtxField> out(kBpfSockFields.begin(), kBpfSockFields.end());
    for (CtxField& f : out)
        if (f.offset >= 8 && f.offset < 24) f.read_sizes = kNoAccess;
    return out;
}
const std::vector<CtxField>& sock_common_fields() {
    static const std::vector<CtxField> fields = make_sock_common_fields();
    return fields;
}

// struct bpf_tcp_sock (bpf_tcp_sock() helper). kernel: net/core/filter.c bpf_tcp_sock_is_valid_access():
// up to offsetofend(icsk_retransmits), off % size == 0, bytes_received and bytes_acked exactly 8 bytes,
// every other field exactly 4.
constexpr std::array kTcpSockFields = {
    ro("snd_cwnd", 0, 4, kSize4),          ro("srtt_us", 4, 4, kSize4),
    ro("rtt_min", 8, 4, kSize4),           ro("snd_ssthresh", 12, 4, kSize4),
    ro("rcv_nxt", 16, 4, kSize4),          ro("snd_nxt", 20, 4, kSize4),
    ro("snd_una", 24, 4, kSize4),          ro("mss_cache", 28, 4, kSize4),
    ro("ecn_flags", 32, 4, kSize4),        ro("rate_delivered", 36, 4, kSize4),
    ro("rate_interval_us", 40, 4, kSize4), ro("packets_out", 44, 4, kSize4),
    ro("retrans_out", 48, 4, kSize4),      ro("total_retrans", 52, 4, kSize4),
    ro("segs_in", 56, 4, kSize4),          ro("data_segs_in", 60, 4, kSize4),
    ro("segs_out", 64, 4, kSize4),         ro("data_segs_out", 68, 4, kSize4),
    ro("lost_out", 72, 4, kSize4),         ro("sacked_out", 76, 4, kSize4),
    ro("bytes_received", 80, 8, kSize8),   ro("bytes_acked", 88, 8, kSize8),
    ro("dsack_dups", 96, 4, kSize4),       ro("delivered", 100, 4, kSize4),
    ro("delivered_ce", 104, 4, kSize4),    ro("icsk_retransmits", 108, 4, kSize4),
};
constexpr uint32_t kTcpSockSize = 112;

// struct bpf_sock as the ctx of cgroup_sock programs (cgroup/sock_create, sock_release, post_bind4/6).
// kernel: net/core/filter.c sock_filter_is_valid_access() = bpf_sock_is_valid_access() plus
// __sock_filter_check_attach_type(): bound_dev_if, mark and priority only for sock_create / sock_release,
// and there also writable (4 bytes); src_ip4 only for post_bind4, src_ip6 only for post_bind6, src_port for
// either post_bind (read-only); every other field read-only for every attach type.
constexpr AttachSet kSockCreateRelease = attach_set({AT::CgroupInetSockCreate, AT::CgroupInetSockRelease});
std::vector<CtxField> make_cgroup_sock_fields() {
    std::vector<CtxField> out(kBpfSockFields.begin(), kBpfSockFields.end());
    for (CtxField& f : out) {
        if (f.name == "bound_dev_if" || f.name == "mark" || f.name == "priority") {
            f.write_sizes = kSize4;
            f.only_attach = kSockCreateRelease;
        } else if (f.name == "src_ip4") {
            f.only_attach = attach_set({AT::CgroupInet4PostBind});
        } else if (f.name == "src_ip6") {
            f.only_attach = attach_set({AT::CgroupInet6PostBind});
        } else if (f.name == "src_port") {
            f.only_attach = attach_set({AT::CgroupInet4PostBind, AT::CgroupInet6PostBind});
        }
    }
    return out;
}
const std::vector<CtxField>& cgroup_sock_fields() {
    static const std::vector<CtxField> fields = make_cgroup_sock_fields();
    return fields;
}

// struct bpf_sock_ops. kernel: net/core/filter.c sock_ops_is_valid_access(): off % size == 0; writes
// only to reply / replylong[0..3] (the union after op) and sk_txhash, 4 bytes; reads of bytes_received,
// bytes_acked and skb_hwtstamp exactly 8 bytes, sk (PTR_TO_SOCKET_OR_NULL), skb_data (PTR_TO_PACKET) and
// skb_data_end (PTR_TO_PACKET_END) exactly 8, skb_tcp_flags narrowed to 1/2/4, every other field exactly 4.
// skb_hwtstamp is Linux 6.2's (offset 216; the struct is 224 bytes since).
constexpr std::array kSockOpsFields = {
    ro("op", 0, 4, kSize4),
    CtxField{"reply", 4, 16, kSize4, kSize4, CtxValue::Scalar, kAnyAttach, 0}, // args[] / reply / replylong[]
    ro("family", 20, 4, kSize4),
    ro("remote_ip4", 24, 4, kSize4),
    ro("local_ip4", 28, 4, kSize4),
    ro("remote_ip6", 32, 16, kSize4),
    ro("local_ip6", 48, 16, kSize4),
    ro("remote_port", 64, 4, kSize4),
    ro("local_port", 68, 4, kSize4),
    ro("is_fullsock", 72, 4, kSize4),
    ro("snd_cwnd", 76, 4, kSize4),
    ro("srtt_us", 80, 4, kSize4),
    ro("bpf_sock_ops_cb_flags", 84, 4, kSize4),
    ro("state", 88, 4, kSize4),
    ro("rtt_min", 92, 4, kSize4),
    ro("snd_ssthresh", 96, 4, kSize4),
    ro("rcv_nxt", 100, 4, kSize4),
    ro("snd_nxt", 104, 4, kSize4),
    ro("snd_una", 108, 4, kSize4),
    ro("mss_cache", 112, 4, kSize4),
    ro("ecn_flags", 116, 4, kSize4),
    ro("rate_delivered", 120, 4, kSize4),
    ro("rate_interval_us", 124, 4, kSize4),
    ro("packets_out", 128, 4, kSize4),
    ro("retrans_out", 132, 4, kSize4),
    ro("total_retrans", 136, 4, kSize4),
    ro("segs_in", 140, 4, kSize4),
    ro("data_segs_in", 144, 4, kSize4),
    ro("segs_out", 148, 4, kSize4),
    ro("data_segs_out", 152, 4, kSize4),
    ro("lost_out", 156, 4, kSize4),
    ro("sacked_out", 160, 4, kSize4),
    CtxField{"sk_txhash", 164, 4, kSize4, kSize4, CtxValue::Scalar, kAnyAttach, 0},
    ro("bytes_received", 168, 8, kSize8),
    ro("bytes_acked", 176, 8, kSize8),
    ro("sk", 184, 8, kSize8, CtxValue::SocketOrNull),
    ro("skb_data", 192, 8, kSize8, CtxValue::PacketStart),
    ro("skb_data_end", 200, 8, kSize8, CtxValue::PacketEnd),
    ro("skb_len", 208, 4, kSize4),
    ro("skb_tcp_flags", 212, 4, kNarrow4),
    ro("skb_hwtstamp", 216, 8, kSize8),
};
constexpr uint32_t kSockOpsSize = 224;

// struct bpf_sk_lookup. kernel: net/core/filter.c sk_lookup_is_valid_access(): read-only, off % size == 0;
// sk (PTR_TO_SOCKET_OR_NULL, the socket selected so far) exactly 8 bytes; the u32 fields narrow to 1/2/4;
// remote_port, a __be16 with zero padding after it, 4 bytes at its offset or 1/2 anywhere in the 4 bytes
// ("Allow access to zero padding for backward compatibility"); the cookie in sk's union is not readable.
constexpr std::array kSkLookupFields = {
    ro("sk", 0, 8, kSize8, CtxValue::SocketOrNull),
    ro("family", 8, 4, kNarrow4),
    ro("protocol", 12, 4, kNarrow4),
    ro("remote_ip4", 16, 4, kNarrow4),
    ro("remote_ip6", 20, 16, kNarrow4),
    ro("remote_port", 36, 4, kNarrow4),
    ro("local_ip4", 40, 4, kNarrow4),
    ro("local_ip6", 44, 16, kNarrow4),
    ro("local_port", 60, 4, kNarrow4),
    ro("ingress_ifindex", 64, 4, kNarrow4),
};
constexpr uint32_t kSkLookupSize = 72;

// struct bpf_sockopt (cgroup/getsockopt, cgroup/setsockopt). kernel: kernel/bpf/cgroup.c
// cg_sockopt_is_valid_access(): off % size == 0; sk (PTR_TO_SOCKET), optval (PTR_TO_PACKET) and optval_end
// (PTR_TO_PACKET_END) exactly 8 bytes, read-only; level and optname 4 bytes, writable by setsockopt
// programs; optlen 4 bytes, writable; retval 4 bytes, readable and writable by getsockopt programs only.
constexpr AttachSet kGetsockopt = attach_set({AT::CgroupGetsockopt});
constexpr AttachSet kSetsockopt = attach_set({AT::CgroupSetsockopt});
std::vector<CtxField> make_sockopt_fields() {
    return {
        ro("sk", 0, 8, kSize8, CtxValue::Socket),
        ro("optval", 8, 8, kSize8, CtxValue::PacketStart),
        ro("optval_end", 16, 8, kSize8, CtxValue::PacketEnd),
        CtxField{"level", 24, 4, kSize4, kSize4, CtxValue::Scalar, kAnyAttach, 0, kSetsockopt},
        CtxField{"optname", 28, 4, kSize4, kSize4, CtxValue::Scalar, kAnyAttach, 0, kSetsockopt},
        CtxField{"optlen", 32, 4, kSize4, kSize4, CtxValue::Scalar, kAnyAttach, 0},
        CtxField{"retval", 36, 4, kSize4, kSize4, CtxValue::Scalar, kGetsockopt, 0},
    };
}
const std::vector<CtxField>& sockopt_fields() {
    static const std::vector<CtxField> fields = make_sockopt_fields();
    return fields;
}
constexpr uint32_t kSockoptSize = 40;

// struct bpf_cgroup_dev_ctx (cgroup/dev). kernel: kernel/bpf/cgroup.c cgroup_dev_is_valid_access():
// read-only, off % size == 0; access_type ((BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*) narrows to 1/2/4,
// major and minor are read at exactly 4 bytes.
constexpr std::array kCgroupDevFields = {
    ro("access_type", 0, 4, kNarrow4),
    ro("major", 4, 4, kSize4),
    ro("minor", 8, 4, kSize4),
};
constexpr uint32_t kCgroupDevSize = 12;

// struct bpf_sysctl (cgroup/sysctl). kernel: kernel/bpf/cgroup.c sysctl_is_valid_access(): off % size == 0;
// write (is this a write to the sysctl?) read-only, narrow to 1/2/4; file_pos narrow reads, and writable
// at exactly 4 bytes (the position the value is read or written at).
constexpr std::array kSysctlFields = {
    ro("write", 0, 4, kNarrow4),
    CtxField{"file_pos", 4, 4, kNarrow4, kSize4, CtxValue::Scalar, kAnyAttach},
};
constexpr uint32_t kSysctlSize = 8;

// struct sk_reuseport_md (sk_reuseport/select, sk_reuseport/migrate). kernel: net/core/filter.c
// sk_reuseport_is_valid_access(): read-only, off % size == 0; data / data_end packet pointers, sk (the
// socket being selected for, PTR_TO_SOCKET) and migrating_sk (PTR_TO_SOCK_COMMON_OR_NULL) exactly 8 bytes;
// hash exactly 4; eth_protocol 2 or 4 bytes (no narrower than skb->protocol); len, ip_protocol and
// bind_inany narrow to 1/2/4.
constexpr std::array kSkReuseportFields = {
    ro("data", 0, 8, kSize8, CtxValue::PacketStart),
    ro("data_end", 8, 8, kSize8, CtxValue::PacketEnd),
    ro("len", 16, 4, kNarrow4),
    ro("eth_protocol", 20, 4, SizeSet{2 | 4}),
    ro("ip_protocol", 24, 4, kNarrow4),
    ro("bind_inany", 28, 4, kNarrow4),
    ro("hash", 32, 4, kSize4),
    ro("sk", 40, 8, kSize8, CtxValue::Socket),
    ro("migrating_sk", 48, 8, kSize8, CtxValue::SockCommonOrNull),
};
constexpr uint32_t kSkReuseportSize = 56;

// tailgate's GenericProbe ctx (see ctx_layout.hpp): read-only u64 words, any aligned size.
constexpr std::array kGenericProbeFields = {
    ro("args", 0, 8 * kGenericProbeArgs, kNarrow8),
    ro("probe_id", kGenericProbeIdOffset, 8, kNarrow8),
};

static_assert(kPtRegsFields.size() * 8 == kPtRegsSize);

} // namespace

const CtxLayout* ctx_layout(ProgType type) {
    // Direct packet access: verifier.c may_access_direct_pkt_data(): read+write for sched_cls,
    // sched_act, xdp, lwt_xmit, sk_skb, sk_msg; read-only for cgroup_skb, lwt_in/out/seg6local,
    // flow_dissector; none for socket filters and tracing types. LD_ABS/LD_IND: verifier.c may_access_skb():
    // socket_filter, sched_cls, sched_act.
    static const CtxLayout xdp{
        ProgType::Xdp,           "xdp_md", 24,    kXdpFields,
        PacketAccess::ReadWrite, false,    false, "net/core/filter.c xdp_is_valid_access()"};
    static const CtxLayout socket{
        ProgType::SocketFilter, "__sk_buff", kSkBuffSize, socket_filter_fields(),
        PacketAccess::None,     true,        false,       "net/core/filter.c sk_filter_is_valid_access()"};
    static const CtxLayout cls{
        ProgType::SchedCls,      "__sk_buff", kSkBuffSize, tc_fields(),
        PacketAccess::ReadWrite, true,        false,       "net/core/filter.c tc_cls_act_is_valid_access()"};
    static const CtxLayout act{
        ProgType::SchedAct,      "__sk_buff", kSkBuffSize, tc_fields(),
        PacketAccess::ReadWrite, true,        false,       "net/core/filter.c tc_cls_act_is_valid_access()"};
    static const CtxLayout cgskb{
        ProgType::CgroupSkb, "__sk_buff", kSkBuffSize, cgroup_skb_fields(),
        PacketAccess::Read,  false,       false,       "net/core/filter.c cg_skb_is_valid_access()"};
    static const CtxLayout sk_skb{
        ProgType::SkSkb,         "__sk_buff", kSkBuffSize, sk_skb_fields(),
        PacketAccess::ReadWrite, false,       false,       "net/core/filter.c sk_skb_is_valid_access()"};
    static const CtxLayout sk_msg{
        ProgType::SkMsg,         "sk_msg_md", kSkMsgMdSize, kSkMsgFields,
        PacketAccess::ReadWrite, false,       false,        "net/core/filter.c sk_msg_is_valid_access()"};
    static const CtxLayout lwt_in{
        ProgType::LwtIn,    "__sk_buff", kSkBuffSize, lwt_fields(),
        PacketAccess::Read, false,       false,       "net/core/filter.c lwt_is_valid_access()"};
    static const CtxLayout lwt_out{
        ProgType::LwtOut,   "__sk_buff", kSkBuffSize, lwt_fields(),
        PacketAccess::Read, false,       false,       "net/core/filter.c lwt_is_valid_access()"};
    static const CtxLayout lwt_xmit{
        ProgType::LwtXmit,       "__sk_buff", kSkBuffSize, lwt_fields(),
        PacketAccess::ReadWrite, false,       false,       "net/core/filter.c lwt_is_valid_access()"};
    static const CtxLayout lwt_seg6{
        ProgType::LwtSeg6local, "__sk_buff", kSkBuffSize, lwt_fields(),
        PacketAccess::Read,     false,       false,       "net/core/filter.c lwt_is_valid_access()"};
    static const CtxLayout flow{ProgType::FlowDissector,
                                "__sk_buff",
                                kSkBuffSize,
                                kFlowDissectorFields,
                                PacketAccess::Read,
                                false,
                                false,
                                "net/core/filter.c flow_dissector_is_valid_access()"};
    static const CtxLayout kprobe{
        ProgType::Kprobe,   "pt_regs", kPtRegsSize, kPtRegsFields,
        PacketAccess::None, false,     false,       "kernel/trace/bpf_trace.c kprobe_prog_is_valid_access()"};
    static const CtxLayout perf{ProgType::PerfEvent,
                                "bpf_perf_event_data",
                                kPtRegsSize + 16,
                                perf_event_fields(),
                                PacketAccess::None,
                                false,
                                false,
                                "kernel/trace/bpf_trace.c pe_prog_is_valid_access()"};
    static const CtxLayout rawtp{ProgType::RawTracepoint,
                                 "bpf_raw_tracepoint_args",
                                 8 * 12,
                                 kRawTpFields,
                                 PacketAccess::None,
                                 false,
                                 false,
                                 "kernel/trace/bpf_trace.c raw_tp_prog_is_valid_access()"};
    static const CtxLayout tp{ProgType::Tracepoint,
                              "trace_event_raw (tracepoint record)",
                              kPerfMaxTraceSize,
                              kTracepointFields,
                              PacketAccess::None,
                              false,
                              true,
                              "kernel/trace/bpf_trace.c tp_prog_is_valid_access()"};
    static const CtxLayout sock_addr{ProgType::CgroupSockAddr,
                                     "bpf_sock_addr",
                                     kSockAddrSize,
                                     kSockAddrFields,
                                     PacketAccess::None,
                                     false,
                                     false,
                                     "net/core/filter.c sock_addr_is_valid_access()"};
    static const CtxLayout cgroup_sock{
        ProgType::CgroupSock, "bpf_sock", kBpfSockSize, cgroup_sock_fields(),
        PacketAccess::None,   false,      false,        "net/core/filter.c sock_filter_is_valid_access()"};
    // Packet reads through skb_data: verifier.c check_mem_access() checks packet pointers of any program
    // type; only writes need may_access_direct_pkt_data(), which sock_ops is not in.
    static const CtxLayout sock_ops{
        ProgType::SockOps,  "bpf_sock_ops", kSockOpsSize, kSockOpsFields,
        PacketAccess::Read, false,          false,        "net/core/filter.c sock_ops_is_valid_access()"};
    // optval..optval_end: verifier.c may_access_direct_pkt_data() lets cgroup_sockopt read and write it
    static const CtxLayout sockopt{ProgType::CgroupSockopt,
                                   "bpf_sockopt",
                                   kSockoptSize,
                                   sockopt_fields(),
                                   PacketAccess::ReadWrite,
                                   false,
                                   false,
                                   "kernel/bpf/cgroup.c cg_sockopt_is_valid_access()"};
    static const CtxLayout sk_lookup{
        ProgType::SkLookup, "bpf_sk_lookup", kSkLookupSize, kSkLookupFields,
        PacketAccess::None, false,           false,         "net/core/filter.c sk_lookup_is_valid_access()"};
    static const CtxLayout cgroup_dev{ProgType::CgroupDevice,
                                      "bpf_cgroup_dev_ctx",
                                      kCgroupDevSize,
                                      kCgroupDevFields,
                                      PacketAccess::None,
                                      false,
                                      false,
                                      "kernel/bpf/cgroup.c cgroup_dev_is_valid_access()"};
    static const CtxLayout sysctl{
        ProgType::CgroupSysctl, "bpf_sysctl", kSysctlSize, kSysctlFields,
        PacketAccess::None,     false,        false,       "kernel/bpf/cgroup.c sysctl_is_valid_access()"};
    // packet reads only: writes need may_access_direct_pkt_data(), which sk_reuseport is not in
    static const CtxLayout sk_reuseport{ProgType::SkReuseport,
                                        "sk_reuseport_md",
                                        kSkReuseportSize,
                                        kSkReuseportFields,
                                        PacketAccess::Read,
                                        false,
                                        false,
                                        "net/core/filter.c sk_reuseport_is_valid_access()"};
    static const CtxLayout generic{ProgType::GenericProbe,
                                   "tg_generic_probe_ctx",
                                   kGenericProbeCtxSize,
                                   kGenericProbeFields,
                                   PacketAccess::None,
                                   false,
                                   false,
                                   "tailgate GenericProbe (not a kernel type)"};
    switch (type) {
    case ProgType::Xdp: return &xdp;
    case ProgType::SocketFilter: return &socket;
    case ProgType::SchedCls: return &cls;
    case ProgType::SchedAct: return &act;
    case ProgType::CgroupSkb: return &cgskb;
    case ProgType::SkSkb: return &sk_skb;
    case ProgType::SkMsg: return &sk_msg;
    case ProgType::LwtIn: return &lwt_in;
    case ProgType::LwtOut: return &lwt_out;
    case ProgType::LwtXmit: return &lwt_xmit;
    case ProgType::LwtSeg6local: return &lwt_seg6;
    case ProgType::FlowDissector: return &flow;
    case ProgType::Kprobe: return &kprobe;
    case ProgType::PerfEvent: return &perf;
    case ProgType::RawTracepoint: return &rawtp;
    case ProgType::Tracepoint: return &tp;
    case ProgType::CgroupSockAddr: return &sock_addr;
    case ProgType::CgroupSock: return &cgroup_sock;
    case ProgType::SockOps: return &sock_ops;
    case ProgType::SkLookup: return &sk_lookup;
    case ProgType::CgroupSockopt: return &sockopt;
    case ProgType::CgroupDevice: return &cgroup_dev;
    case ProgType::CgroupSysctl: return &sysctl;
    case ProgType::SkReuseport: return &sk_reuseport;
    case ProgType::GenericProbe: return &generic;
    default: return nullptr;
    }
}

const char* sock_view_name(SockView v) {
    switch (v) {
    case SockView::Socket: return "sock";
    case SockView::SockCommon: return "sock_common";
    case SockView::TcpSock: return "tcp_sock";
    case SockView::Opaque: return "sock (type unknown)";
    }
    return "sock";
}

const CtxLayout* sock_layout(SockView v) {
    static const CtxLayout sock{
        ProgType::Unspec,   "bpf_sock", kBpfSockSize, kBpfSockFields,
        PacketAccess::None, false,      false,        "net/core/filter.c bpf_sock_is_valid_access()"};
    static const CtxLayout common{ProgType::Unspec,
                                  "bpf_sock (sock_common)",
                                  kBpfSockSize,
                                  sock_common_fields(),
                                  PacketAccess::None,
                                  false,
                                  false,
                                  "net/core/filter.c bpf_sock_common_is_valid_access()"};
    static const CtxLayout tcp{
        ProgType::Unspec,   "bpf_tcp_sock", kTcpSockSize, kTcpSockFields,
        PacketAccess::None, false,          false,        "net/core/filter.c bpf_tcp_sock_is_valid_access()"};
    switch (v) {
    case SockView::Socket: return &sock;
    case SockView::SockCommon: return &common;
    case SockView::TcpSock: return &tcp;
    case SockView::Opaque: return nullptr;
    }
    return nullptr;
}

const CtxField* find_ctx_field(const CtxLayout& layout, int64_t off) {
    if (off < 0) return nullptr;
    for (const auto& f : layout.fields)
        if (off >= f.offset && off < int64_t(f.offset) + f.size) return &f;
    return nullptr;
}

Result<CtxAccess> check_ctx_access(const CtxLayout& layout, int64_t off, int size, bool is_write,
                                   const CtxOptions& opts) {
    auto fail = [&](const std::string& why) -> Result<CtxAccess> {
        // a socket struct (sock_layout()) has no program type: its accesses are not bpf_context ones
        const char* what =
            layout.type == ProgType::Unspec ? "invalid access off=" : "invalid bpf_context access off=";
        return make_error("ctx-access", what + std::to_string(off) + " size=" + std::to_string(size) + " (" +
                                            std::string(layout.struct_name) + ": " + why + ")");
    };
    int64_t limit = layout.size;
    if (layout.per_program_size && opts.tracepoint_size != 0)
        limit = std::min<int64_t>(limit, opts.tracepoint_size);
    if (size != 1 && size != 2 && size != 4 && size != 8) return fail("bad access size");
    if (off < 0 || off + size > limit)
        return fail("outside the " + std::to_string(limit) + "-byte " +
                    (layout.type == ProgType::Unspec ? "struct" : "context"));
    if (off % size != 0) return fail("misaligned access"); // every *_is_valid_access(): off % size
    const CtxField* f = find_ctx_field(layout, off);
    if (!f) return fail("offset is not inside any field");
    std::string name(f->name);
    if (off + size > int64_t(f->offset) + f->size)
        return fail("access crosses the end of field '" + name + "'");
    if (!is_write && f->narrow_within != 0 && uint32_t(size) < f->size &&
        off >= int64_t(f->offset) + f->narrow_within)
        return fail(f->narrow_within == 1 ? "a narrow load of field '" + name +
                                                "' must start at its offset " + std::to_string(f->offset)
                                          : "a narrow load of field '" + name + "' must start in its first " +
                                                std::to_string(f->narrow_within) + " bytes");
    const AttachSet need = is_write && f->write_attach != kAnyAttach ? f->write_attach : f->only_attach;
    if (need != kAnyAttach && !attach_in(need, opts.attach)) {
        return fail("field '" + name + "' needs expected attach type " + attach_set_text(need) +
                    (need == f->only_attach ? "" : " to be written") +
                    " (this program's: " + std::to_string(opts.attach) + ")");
    }
    const SizeSet& allowed = is_write ? f->write_sizes : f->read_sizes;
    if (allowed.empty())
        return fail("field '" + name + "' is not " + (is_write ? "writable" : "readable") +
                    (layout.type == ProgType::Unspec ? std::string()
                                                     : std::string(" for ") + prog_type_name(layout.type)));
    if (!allowed.has(size))
        return fail(std::string(is_write ? "store" : "load") + " of field '" + name + "' must use size " +
                    allowed.to_string());
    return CtxAccess{f, is_write ? CtxValue::Scalar : f->yields, uint32_t(off - f->offset)};
}

ReturnRule return_rule(ProgType type, int32_t attach) {
    auto range = [](int64_t lo, int64_t hi, std::string_view why) {
        return ReturnRule{true, lo, hi, true, why};
    };
    switch (type) {
    case ProgType::CgroupSkb:
        // check_return_code(): [0, 1], or [0, 3] for BPF_CGROUP_INET_EGRESS (bit 1: congestion notify).
        if (attach == kAttachCgroupInetEgress)
            return range(0, 3, "verifier.c check_return_code(): cgroup_skb egress");
        return range(0, 1, "verifier.c check_return_code(): cgroup_skb");
    case ProgType::CgroupSockAddr:
        // check_return_code(): BPF_CGROUP_UDP4/6_RECVMSG (19, 20) and INET4/6_GETPEERNAME/GETSOCKNAME
        // (29..32) must return 1. (The later AF_UNIX attach types are not modelled.)
        if (attach == 19 || attach == 20 || (attach >= 29 && attach <= 32))
            return range(1, 1, "verifier.c check_return_code(): cgroup_sock_addr recvmsg/get*name");
        // BPF_CGROUP_INET4/6_BIND (8, 9): bit 1 lets the bind skip the CAP_NET_BIND_SERVICE check
        // (BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE).
        if (attach == 8 || attach == 9)
            return range(0, 3, "verifier.c check_return_code(): cgroup_sock_addr bind4/bind6");
        return range(0, 1, "verifier.c check_return_code(): cgroup_sock_addr");
    case ProgType::CgroupSock:
    case ProgType::SockOps:
    case ProgType::CgroupDevice:
    case ProgType::CgroupSysctl:
    case ProgType::CgroupSockopt: return range(0, 1, "verifier.c check_return_code(): cgroup/sock_ops");
    case ProgType::SkLookup: return range(0, 1, "verifier.c check_return_code(): SK_DROP..SK_PASS");
    case ProgType::Netfilter: return range(0, 1, "verifier.c check_return_code(): NF_DROP..NF_ACCEPT");
    default:
        return ReturnRule{false, 0, 0, true, "verifier.c check_return_code(): unconstrained for this type"};
    }
}

} // namespace tailgate
