// Program contexts at run time, and the load-time rewrite of ctx field accesses.
//
// Programs are written against the kernel's uapi ctx structs (xdp_md with u32 data/data_end, __sk_buff,
// pt_regs, bpf_raw_tracepoint_args). The runtime's ctx for a type is that uapi struct's image followed by
// the 64-bit pointers the u32 "pointer" fields stand for:
//
//   xdp (xdp_md, 24 bytes):        +24 data, +32 data_end, +40 data_meta            (uint8_t*)
//   __sk_buff types (192 bytes):   +192 data, +200 data_end, +208 data_meta          (uint8_t*)
//
// Every other field keeps its uapi offset, so only the pointer-field loads change: a u32 load of
// xdp_md->data becomes a u64 load of the real pointer (kernel: filter.c xdp_convert_ctx_access(),
// bpf_convert_ctx_access(); verifier.c convert_ctx_accesses()). The rewrite is one instruction for one,
// so slot numbering, jump targets and source lines are unchanged.
//
// Packet contexts are laid out as the kernel's BPF_PROG_TEST_RUN does (net/bpf/test_run.c):
//   xdp:  bpf_prog_test_run_xdp(): 256 bytes headroom (XDP_PACKET_HEADROOM), data at the Ethernet
//         header, data_meta == data, frame of 4096 bytes whose last 320 bytes (skb_shared_info) are
//         not packet room; ingress_ifindex = 1 (loopback), rx_queue_index = 0.
//   tc (sched_cls/sched_act), lwt_*: bpf_prog_test_run_skb() with is_l2: data at the Ethernet header,
//         len = packet length.
//   socket_filter, cgroup_skb, and the other skb types: bpf_prog_test_run_skb() without is_l2: the
//         kernel's eth_type_trans() pulls the Ethernet header, so data starts at the network header and
//         len = packet length - 14.
//   All skb types: protocol = the EtherType as eth_type_trans() stores skb->protocol (network order),
//   pkt_type from the destination MAC (loopback's address is all zero), ifindex = 1, cb[] zeroed and
//   writable, wire_len = len. Packets shorter than 14 bytes (ETH_HLEN) are rejected as the kernel's
//   bpf_test_init() does.
// Argument contexts: kprobe/perf_event: x86-64 pt_regs with the args in di, si, dx, cx, r8, r9;
//   raw_tracepoint(_writable), tracing, syscall: an array of u64 args; tracepoint: u64 words from offset 0
//   of a 2048-byte record; generic_probe (tailgate): tg_generic_probe_ctx {args[6], probe_id}.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "runtime/vm.hpp"
#include "verifier/isa.hpp"
#include "verifier/object.hpp"
#include "verifier/prog_type.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

// Offsets of the runtime-only pointer slots.
inline constexpr uint32_t kXdpMdSize = 24;
inline constexpr uint32_t kXdpDataPtr = 24, kXdpDataEndPtr = 32, kXdpDataMetaPtr = 40;
inline constexpr uint32_t kSkbUapiSize = 192;
inline constexpr uint32_t kSkbDataPtr = 192, kSkbDataEndPtr = 200, kSkbDataMetaPtr = 208;

// Kernel constants used by the packet layouts.
inline constexpr uint32_t kEthHlen = 14;            // ETH_HLEN
inline constexpr uint32_t kXdpPacketHeadroom = 256; // XDP_PACKET_HEADROOM
inline constexpr uint32_t kXdpFrameSize = 4096;     // PAGE_SIZE frame of bpf_prog_test_run_xdp()
inline constexpr uint32_t kSkbSharedInfoSize = 320; // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
inline constexpr uint32_t kXdpFrameStructSize = 40; // sizeof(struct xdp_frame)
inline constexpr uint32_t kXdpMaxMetaLen = 32;      // xdp_metalen_invalid()
inline constexpr uint32_t kSkbHeadroom = 256;       // room for bpf_skb_change_head() (kernel reallocates)
inline constexpr uint32_t kMaxPacketSize = kXdpFrameSize - kXdpPacketHeadroom - kSkbSharedInfoSize;

// Cross-type tail calls with a declared conversion (verifier/ctx_conversion.hpp, issue 5) are converted by
// the engines at the tail call (vm.hpp convert_ctx_for_tail_call): a target type's ctx here is its own.
struct ContextInput {
    std::vector<uint8_t> packet; // packet types: the frame from the Ethernet header on
    std::vector<uint64_t> args;  // argument types
};

enum class CtxKind : uint8_t { Xdp, Skb, PtRegs, PerfEvent, ArgArray, Tracepoint, GenericProbe };

// Does this program type take a packet (xdp / skb kinds)?
bool takes_packet(ProgType type);
// Can Context::build make a context for this type? (Others fail with "unsupported-ctx".)
bool builds_context(ProgType type);

class Context {
  public:
    // Fails with "bad-input" (packet missing or too short/long, too many args) or "unsupported-ctx".
    static Result<std::unique_ptr<Context>> build(ProgType type, const ContextInput& input);

    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    ProgType type() const { return type_; }
    CtxKind kind() const { return kind_; }
    void* ctx() { return ctx_.data(); } // r1 at entry
    uint32_t ctx_size() const { return ctx_size_; }

    // Restore the state right after build() (packet bytes, pointers, fields).
    void reset();

    // Packet state (xdp/skb kinds; empty otherwise).
    bool has_packet() const { return kind_ == CtxKind::Xdp || kind_ == CtxKind::Skb; }
    uint8_t* data() const;
    uint8_t* data_end() const;
    uint8_t* data_meta() const;
    std::span<const uint8_t> packet() const { return {data(), size_t(data_end() - data())}; }
    // The whole buffer (headroom + packet + tailroom): the region checked mode allows.
    MemRegion buffer_region();
    MemRegion ctx_region();

    // ExecEnv fields for LD_ABS/LD_IND (skb kinds): the linear data.
    const uint8_t* ld_abs_base() const { return kind_ == CtxKind::Skb ? data() : nullptr; }
    uint64_t ld_abs_len() const { return kind_ == CtxKind::Skb ? uint64_t(data_end() - data()) : 0; }

    // Packet-changing operations, with the kernel helper's checks and errno results.
    int xdp_adjust_head(int32_t delta);      // kernel: filter.c bpf_xdp_adjust_head()
    int xdp_adjust_meta(int32_t delta);      // kernel: filter.c bpf_xdp_adjust_meta()
    int xdp_adjust_tail(int32_t delta);      // kernel: filter.c bpf_xdp_adjust_tail()
    int skb_change_tail(uint32_t new_len);   // kernel: bpf_skb_change_tail()
    int skb_change_head(uint32_t head_room); // kernel: bpf_skb_change_head()
    // Insert (delta > 0, zeroed) or remove (delta < 0) bytes at `off` from data, moving the bytes before
    // `off` towards the head as the kernel's bpf_skb_generic_push()/bpf_skb_generic_pop() do; mac and
    // network header offsets before `off` move with them.
    int skb_room(uint32_t off, int32_t delta);
    uint8_t* mac_header() { return buf_.data() + mac_off_; }
    uint8_t* network_header() { return buf_.data() + net_off_; }
    void reset_mac_header_to_data();
    // skb->ip_summed / csum_level (test_run skbs start CHECKSUM_NONE).
    uint8_t ip_summed = 0; // CHECKSUM_NONE 0, UNNECESSARY 1, COMPLETE 2, PARTIAL 3
    uint8_t csum_level = 0;
    uint16_t vlan_proto_be = 0; // hw-accelerated VLAN tag (vlan_present / vlan_tci / vlan_proto fields)
    uint32_t skb_field(uint32_t uapi_off) const; // a u32 field of the __sk_buff image
    void set_skb_field(uint32_t uapi_off, uint32_t value);
    void set_skb_tstamp(uint64_t tstamp, uint8_t tstamp_type); // __sk_buff tstamp (u64) and tstamp_type (u8)

  private:
    Context() = default;
    void set_ptrs(uint8_t* data, uint8_t* data_end, uint8_t* meta);
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(ctx_.data()); }
    const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(ctx_.data()); }
    uint8_t* ptr_at(uint32_t off) const;
    void set_ptr_at(uint32_t off, uint8_t* p);

    ProgType type_ = ProgType::Unspec;
    CtxKind kind_ = CtxKind::ArgArray;
    std::vector<uint8_t> buf_; // packet buffer: headroom | packet | tailroom
    std::vector<uint8_t> initial_buf_;
    uint32_t headroom_ = 0;                       // offset of data in buf_ right after build()
    uint32_t initial_len_ = 0;                    // bytes between data and data_end right after build()
    uint32_t room_end_ = 0;                       // xdp: offset of data_hard_end; skb: buf_.size()
    uint32_t mac_off_ = 0, net_off_ = 0;          // offsets in buf_ of the mac and network headers
    uint32_t lo_mark_ = UINT32_MAX, hi_mark_ = 0; // packet bytes touched since build()/reset()
    bool l2_ = true;            // skb: data at the Ethernet header (tc) or at the network header
    std::vector<uint64_t> ctx_; // the ctx struct, 8-aligned
    std::vector<uint64_t> initial_ctx_;
    uint32_t ctx_size_ = 0;
};

// One ctx access of a program: the instruction, the offset into the uapi ctx struct, the access size and
// whether it writes. (The verifier's ProgramReport::ctx_accesses carries the same facts.)
struct CtxAccessSite {
    uint32_t insn = 0;
    int32_t ctx_offset = 0;
    uint8_t size = 0;
    bool is_write = false;
};

// Rewrite the ctx accesses of `insns` for the runtime ctx of `type` (kernel: convert_ctx_accesses()).
// Reads: sites. Writes: the Load/Store/Atomic instructions at the sites that touch pointer fields.
// Fails ("ctx-rewrite") when a site is not a memory instruction, or accesses a pointer field with a size
// other than 4 or writes it (the verifier rejects both).
Status rewrite_ctx_accesses(ProgType type, std::vector<Insn>& insns, std::span<const CtxAccessSite> sites);

// For runs without the verifier (--no-verify): find the ctx accesses by a small forward data-flow over
// registers and 8-byte stack slots (r1 holds ctx at entry; copies, spills and fills propagate it; any
// other write clears it; bpf2bpf callees receive it through r1-r5). A ctx pointer with an added offset is
// not tracked (the kernel forbids accesses through it).
std::vector<CtxAccessSite> infer_ctx_accesses(const Program& prog);

} // namespace tailgate::rt
