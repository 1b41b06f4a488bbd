// Program contexts at run time. See context.hpp for the layouts; each rule cites its kernel function.
#include "runtime/context.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "runtime/maps.hpp"
#include "verifier/ctx_layout.hpp"

namespace tailgate::rt {

static_assert(sizeof(struct xdp_md) == kXdpMdSize);
static_assert(sizeof(struct __sk_buff) == kSkbUapiSize);

namespace {

constexpr uint32_t kSkbCtxSize = kSkbDataMetaPtr + 8;
constexpr uint32_t kXdpCtxSize = kXdpDataMetaPtr + 8;
constexpr uint32_t kSkbBufferSize = kSkbHeadroom + 65536; // grows up to the kernel's 64 KiB skb bound
constexpr uint32_t kMaxArgs = 12;                         // MAX_BPF_FUNC_ARGS
constexpr uint32_t kTracepointCtxSize = 2048;             // verifier bound for tracepoint ctx
constexpr uint32_t kPerfEventCtxSize = kPtRegsSize + 16;  // struct bpf_perf_event_data (x86-64)

// uapi enum bpf_prog_type members that take a struct __sk_buff ctx.
bool is_skb_type(ProgType t) {
    switch (t) {
    case ProgType::SocketFilter:
    case ProgType::SchedCls:
    case ProgType::SchedAct:
    case ProgType::CgroupSkb:
    case ProgType::LwtIn:
    case ProgType::LwtOut:
    case ProgType::LwtXmit:
    case ProgType::LwtSeg6local:
    case ProgType::SkSkb: return true;
    default: return false;
    }
}

// kernel: net/ethernet/eth.c eth_type_trans(): skb->protocol from the EtherType (network order as stored).
uint16_t eth_protocol_be(const uint8_t* frame) {
    uint16_t proto_be;
    std::memcpy(&proto_be, frame + 12, 2);
    uint16_t host = uint16_t((frame[12] << 8) | frame[13]);
    if (host >= 0x0600) return proto_be; // eth_proto_is_802_3()
    // 802.3 frames: raw IPX (0xFFFF) -> ETH_P_802_3, otherwise ETH_P_802_2 (stored big endian).
    uint16_t v = (frame[14] == 0xFF && frame[15] == 0xFF) ? 0x0001 : 0x0004;
    return uint16_t((v >> 8) | (v << 8));
}

// kernel: eth_type_trans(): pkt_type from the destination MAC; loopback_dev's address is all zero.
uint32_t eth_pkt_type(const uint8_t* frame) {
    bool bcast = true, zero = true;
    for (int i = 0; i < 6; ++i) {
        bcast = bcast && frame[i] == 0xFF;
        zero = zero && frame[i] == 0;
    }
    if (frame[0] & 1) return bcast ? 1 /*PACKET_BROADCAST*/ : 2 /*PACKET_MULTICAST*/;
    return zero ? 0 /*PACKET_HOST*/ : 3 /*PACKET_OTHERHOST*/;
}

} // namespace

bool takes_packet(ProgType type) {
    return type == ProgType::Xdp || is_skb_type(type);
}

bool builds_context(ProgType type) {
    switch (type) {
    case ProgType::Kprobe:
    case ProgType::PerfEvent:
    case ProgType::RawTracepoint:
    case ProgType::RawTracepointWritable:
    case ProgType::Tracing:
    case ProgType::Syscall:
    case ProgType::Lsm:
    case ProgType::Tracepoint:
    case ProgType::GenericProbe: return true;
    default: return takes_packet(type);
    }
}

uint8_t* Context::ptr_at(uint32_t off) const {
    uint8_t* p;
    std::memcpy(&p, bytes() + off, sizeof p);
    return p;
}

void Context::set_ptr_at(uint32_t off, uint8_t* p) {
    std::memcpy(bytes() + off, &p, sizeof p);
}

uint8_t* Context::data() const {
    if (kind_ == CtxKind::Xdp) return ptr_at(kXdpDataPtr);
    if (kind_ == CtxKind::Skb) return ptr_at(kSkbDataPtr);
    return nullptr;
}
uint8_t* Context::data_end() const {
    if (kind_ == CtxKind::Xdp) return ptr_at(kXdpDataEndPtr);
    if (kind_ == CtxKind::Skb) return ptr_at(kSkbDataEndPtr);
    return nullptr;
}
uint8_t* Context::data_meta() const {
    if (kind_ == CtxKind::Xdp) return ptr_at(kXdpDataMetaPtr);
    if (kind_ == CtxKind::Skb) return ptr_at(kSkbDataMetaPtr);
    return nullptr;
}

void Context::set_ptrs(uint8_t* d, uint8_t* de, uint8_t* meta) {
    lo_mark_ = std::min(lo_mark_, uint32_t(std::min(meta, d) - buf_.data()));
    hi_mark_ = std::max(hi_mark_, uint32_t(de - buf_.data()));
    if (kind_ == CtxKind::Xdp) {
        set_ptr_at(kXdpDataPtr, d);
        set_ptr_at(kXdpDataEndPtr, de);
        set_ptr_at(kXdpDataMetaPtr, meta);
    } else if (kind_ == CtxKind::Skb) {
        set_ptr_at(kSkbDataPtr, d);
        set_ptr_at(kSkbDataEndPtr, de);
        set_ptr_at(kSkbDataMetaPtr, meta);
        set_skb_field(offsetof(struct __sk_buff, len), uint32_t(de - d));
    }
}

uint32_t Context::skb_field(uint32_t uapi_off) const {
    uint32_t v;
    std::memcpy(&v, bytes() + uapi_off, 4);
    return v;
}

void Context::set_skb_field(uint32_t uapi_off, uint32_t value) {
    std::memcpy(bytes() + uapi_off, &value, 4);
}

void Context::set_skb_tstamp(uint64_t tstamp, uint8_t tstamp_type) {
    std::memcpy(bytes() + offsetof(struct __sk_buff, tstamp), &tstamp, 8);
    bytes()[offsetof(struct __sk_buff, tstamp_type)] = tstamp_type;
}

MemRegion Context::buffer_region() {
    return MemRegion{buf_.data(), buf_.size(), true};
}
MemRegion Context::ctx_region() {
    return MemRegion{bytes(), ctx_size_, true};
}

Result<std::unique_ptr<Context>> Context::build(ProgType type, const ContextInput& in) {
    if (!builds_context(type))
        return make_error("unsupported-ctx",
                          std::string("no run-time context for program type ") + prog_type_name(type));
    std::unique_ptr<Context> c(new Context());
    c->type_ = type;
    auto need_packet = [&]() -> Status {
        // kernel: test_run.c bpf_test_init(): size < ETH_HLEN or larger than the linear room -> -EINVAL.
        if (in.packet.size() < kEthHlen)
            return make_error("bad-input", "packet of " + std::to_string(in.packet.size()) +
                                               " bytes is shorter than an Ethernet header (14)");
        if (in.packet.size() > kMaxPacketSize)
            return make_error("bad-input", "packet of " + std::to_string(in.packet.size()) +
                                               " bytes exceeds the " + std::to_string(kMaxPacketSize) +
                                               "-byte linear frame");
        return Ok{};
    };
    auto too_many_args = [&](size_t n) -> Status {
        if (in.args.size() > n)
            return make_error("bad-input", std::to_string(in.args.size()) + " args given, " +
                                               prog_type_name(type) + " takes at most " + std::to_string(n));
        return Ok{};
    };

    if (type == ProgType::Xdp) {
        // kernel: test_run.c bpf_prog_test_run_xdp() + xdp_init_buff()/xdp_prepare_buff().
        if (auto s = need_packet(); !s) return s.error();
        c->kind_ = CtxKind::Xdp;
        c->buf_.assign(kXdpFrameSize, 0);
        c->headroom_ = kXdpPacketHeadroom;
        c->room_end_ = kXdpFrameSize - kSkbSharedInfoSize;
        c->initial_len_ = uint32_t(in.packet.size());
        std::memcpy(c->buf_.data() + c->headroom_, in.packet.data(), in.packet.size());
        c->ctx_size_ = kXdpCtxSize;
        c->ctx_.assign(kXdpCtxSize / 8, 0);
        uint8_t* d = c->buf_.data() + c->headroom_;
        c->set_ptrs(d, d + in.packet.size(), d);
        std::memcpy(c->bytes() + offsetof(struct xdp_md, ingress_ifindex), "\x01\0\0\0", 4); // loopback
    } else if (is_skb_type(type)) {
        // kernel: test_run.c bpf_prog_test_run_skb(): eth_type_trans() pulls the MAC header; only
        // sched_cls/sched_act (is_l2) push it back.
        if (auto s = need_packet(); !s) return s.error();
        c->kind_ = CtxKind::Skb;
        c->l2_ = type == ProgType::SchedCls || type == ProgType::SchedAct;
        c->buf_.assign(kSkbBufferSize, 0);
        c->room_end_ = kSkbBufferSize;
        std::memcpy(c->buf_.data() + kSkbHeadroom, in.packet.data(), in.packet.size());
        uint32_t pull = c->l2_ ? 0 : kEthHlen;
        c->headroom_ = kSkbHeadroom + pull;
        c->initial_len_ = uint32_t(in.packet.size()) - pull;
        c->ctx_size_ = kSkbCtxSize;
        c->ctx_.assign(kSkbCtxSize / 8, 0);
        const uint8_t* frame = in.packet.data();
        c->set_skb_field(offsetof(struct __sk_buff, pkt_type), eth_pkt_type(frame));
        c->set_skb_field(offsetof(struct __sk_buff, protocol), eth_protocol_be(frame));
        c->set_skb_field(offsetof(struct __sk_buff, ifindex), 1); // loopback_dev
        c->set_skb_field(offsetof(struct __sk_buff, gso_segs), 1);
        uint8_t* d = c->buf_.data() + c->headroom_;
        c->set_ptrs(d, d + c->initial_len_, d);
        c->set_skb_field(offsetof(struct __sk_buff, wire_len), c->initial_len_ + pull);
        c->mac_off_ = kSkbHeadroom;
        c->net_off_ = kSkbHeadroom + kEthHlen;
    } else if (type == ProgType::Kprobe) {
        // struct pt_regs (x86-64); PT_REGS_PARM1..6 = di, si, dx, cx, r8, r9.
        if (auto s = too_many_args(6); !s) return s.error();
        c->kind_ = CtxKind::PtRegs;
        c->ctx_size_ = kPtRegsSize;
        c->ctx_.assign(kPtRegsSize / 8, 0);
        for (size_t i = 0; i < in.args.size(); ++i)
            std::memcpy(c->bytes() + kPtRegsArgOffset[i], &in.args[i], 8);
    } else if (type == ProgType::PerfEvent) {
        // struct bpf_perf_event_data { pt_regs regs; u64 sample_period; u64 addr; }; the kernel reaches regs
        // through a pointer (pe_prog_convert_ctx_access); here they are inline, at the uapi offsets.
        if (auto s = too_many_args(6); !s) return s.error();
        c->kind_ = CtxKind::PerfEvent;
        c->ctx_size_ = kPerfEventCtxSize;
        c->ctx_.assign(kPerfEventCtxSize / 8, 0);
        for (size_t i = 0; i < in.args.size(); ++i)
            std::memcpy(c->bytes() + kPtRegsArgOffset[i], &in.args[i], 8);
    } else if (type == ProgType::RawTracepoint || type == ProgType::RawTracepointWritable ||
               type == ProgType::Tracing || type == ProgType::Syscall || type == ProgType::Lsm) {
        // struct bpf_raw_tracepoint_args { u64 args[]; } (tracing/lsm: the BTF args, same layout).
        if (auto s = too_many_args(kMaxArgs); !s) return s.error();
        c->kind_ = CtxKind::ArgArray;
        c->ctx_size_ = kMaxArgs * 8;
        c->ctx_.assign(kMaxArgs, 0);
        for (size_t i = 0; i < in.args.size(); ++i) c->ctx_[i] = in.args[i];
    } else if (type == ProgType::Tracepoint) {
        if (auto s = too_many_args(kTracepointCtxSize / 8); !s) return s.error();
        c->kind_ = CtxKind::Tracepoint;
        c->ctx_size_ = kTracepointCtxSize;
        c->ctx_.assign(kTracepointCtxSize / 8, 0);
        for (size_t i = 0; i < in.args.size(); ++i) c->ctx_[i] = in.args[i];
    } else if (type == ProgType::GenericProbe) {
        if (auto s = too_many_args(kGenericProbeArgs); !s) return s.error();
        c->kind_ = CtxKind::GenericProbe;
        c->ctx_size_ = kGenericProbeCtxSize;
        c->ctx_.assign(kGenericProbeCtxSize / 8, 0);
        for (size_t i = 0; i < in.args.size(); ++i) c->ctx_[i] = in.args[i];
    } else { // builds_context() and this chain name the same types
        return make_error("internal", std::string("no context builder for ") + prog_type_name(type));
    }
    c->initial_buf_ = c->buf_;
    c->lo_mark_ = c->headroom_;
    c->hi_mark_ = c->headroom_ + c->initial_len_;
    c->initial_ctx_ = c->ctx_;
    return c;
}

void Context::reset() {
    if (has_packet()) {
        // Only bytes between the low and high water marks of the packet pointers can have changed
        // (programs and helpers write inside [data_meta, data_end) only).
        if (hi_mark_ > lo_mark_)
            std::memcpy(buf_.data() + lo_mark_, initial_buf_.data() + lo_mark_, hi_mark_ - lo_mark_);
    }
    ctx_ = initial_ctx_;
    ip_summed = csum_level = 0;
    vlan_proto_be = 0;
    if (kind_ == CtxKind::Skb) {
        mac_off_ = kSkbHeadroom;
        net_off_ = kSkbHeadroom + kEthHlen;
    }
    if (has_packet()) {
        uint8_t* d = buf_.data() + headroom_;
        lo_mark_ = headroom_;
        hi_mark_ = headroom_ + initial_len_;
        set_ptrs(d, d + initial_len_, d);
    }
}

// ---- xdp -----------------------------------------------------------------------------------------------

int Context::xdp_adjust_head(int32_t delta) {
    if (kind_ != CtxKind::Xdp) return -kEINVAL;
    // kernel: filter.c bpf_xdp_adjust_head().
    uint8_t* hard_start = buf_.data();
    uint8_t* frame_end = hard_start + kXdpFrameStructSize;
    uint8_t *d = data(), *de = data_end(), *meta = data_meta();
    size_t metalen = size_t(d - meta);
    uint8_t* data_start = frame_end + metalen;
    uint8_t* nd = d + delta;
    if (nd < data_start || nd > de - kEthHlen) return -kEINVAL;
    if (metalen) std::memmove(meta + delta, meta, metalen);
    set_ptrs(nd, de, meta + delta);
    return 0;
}

int Context::xdp_adjust_meta(int32_t delta) {
    if (kind_ != CtxKind::Xdp) return -kEINVAL;
    // kernel: filter.c bpf_xdp_adjust_meta(); include/net/xdp.h xdp_metalen_invalid().
    uint8_t* frame_end = buf_.data() + kXdpFrameStructSize;
    uint8_t* meta = data_meta() + delta;
    if (meta < frame_end || meta > data()) return -kEINVAL;
    size_t metalen = size_t(data() - meta);
    if ((metalen & 3) != 0 || metalen > kXdpMaxMetaLen) return -13; // -EACCES
    set_ptrs(data(), data_end(), meta);
    return 0;
}

int Context::xdp_adjust_tail(int32_t delta) {
    if (kind_ != CtxKind::Xdp) return -kEINVAL;
    // kernel: filter.c bpf_xdp_adjust_tail() (linear frame): data_hard_end is the frame minus the
    // skb_shared_info tailroom; the packet may not shrink below ETH_HLEN; grown bytes are zeroed.
    uint8_t* hard_end = buf_.data() + room_end_;
    uint8_t* de = data_end() + delta;
    if (de > hard_end) return -kEINVAL;
    if (de < data() + kEthHlen) return -kEINVAL;
    if (delta > 0) std::memset(data_end(), 0, size_t(delta));
    set_ptrs(data(), de, data_meta());
    return 0;
}

// ---- skb -----------------------------------------------------------------------------------------------

int Context::skb_change_tail(uint32_t new_len) {
    if (kind_ != CtxKind::Skb) return -kEINVAL;
    // kernel: filter.c bpf_skb_change_tail(): new_len in [min_len, max_len]; new bytes are zeroed.
    uint32_t min_len = l2_ ? kEthHlen : 0;
    uint8_t* d = data();
    if (new_len < min_len || d + new_len > buf_.data() + room_end_ || new_len > 0xffff) return -kEINVAL;
    uint32_t old = uint32_t(data_end() - d);
    if (new_len > old) std::memset(d + old, 0, new_len - old);
    set_ptrs(d, d + new_len, d);
    return 0;
}

int Context::skb_change_head(uint32_t head_room) {
    if (kind_ != CtxKind::Skb) return -kEINVAL;
    // kernel: filter.c bpf_skb_change_head(): grows the front by head_room zeroed bytes (only for l2).
    uint8_t* d = data();
    if (!l2_ || d - buf_.data() < int64_t(head_room) || uint32_t(data_end() - d) + head_room > 0xffff)
        return -kEINVAL;
    uint8_t* nd = d - head_room;
    std::memset(nd, 0, head_room);
    set_ptrs(nd, data_end(), nd);
    reset_mac_header_to_data(); // skb_reset_mac_header()
    return 0;
}

int Context::skb_room(uint32_t off, int32_t delta) {
    if (kind_ != CtxKind::Skb) return -kEINVAL;
    uint8_t* d = data();
    uint32_t len = uint32_t(data_end() - d);
    if (off > len) return -kEINVAL;
    if (delta > 0) {
        // kernel: filter.c bpf_skb_generic_push(): skb_push(len); memmove(data, data + len, off); zero gap.
        if (d - buf_.data() < delta || len + uint32_t(delta) > 0xffff) return -kENOMEM;
        uint8_t* nd = d - delta;
        std::memmove(nd, d, off);
        std::memset(nd + off, 0, size_t(delta));
        if (mac_off_ < uint32_t(d - buf_.data()) + off) mac_off_ -= uint32_t(delta);
        if (net_off_ < uint32_t(d - buf_.data()) + off) net_off_ -= uint32_t(delta);
        set_ptrs(nd, data_end(), nd);
    } else if (delta < 0) {
        // kernel: bpf_skb_generic_pop(): memmove(data + len, data, off); skb_pull(len).
        uint32_t n = uint32_t(-delta);
        if (off + n > len) return -kEFAULT;
        std::memmove(d + n, d, off);
        if (mac_off_ <= uint32_t(d - buf_.data()) + off) mac_off_ += n;
        if (net_off_ <= uint32_t(d - buf_.data()) + off) net_off_ += n;
        set_ptrs(d + n, data_end(), d + n);
    }
    return 0;
}

void Context::reset_mac_header_to_data() {
    mac_off_ = uint32_t(data() - buf_.data());
}

} // namespace tailgate::rt
