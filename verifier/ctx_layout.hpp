// The ctx struct of each program type: which offsets a program may read or write, at which sizes, and what
// a read yields. One table per program type, taken from the kernel's `*_is_valid_access()` functions
// (net/core/filter.c, kernel/trace/bpf_trace.c); each table in ctx_layout.cpp cites its function.
//
// Also per program type: whether it has direct packet access (verifier.c may_access_direct_pkt_data()),
// whether LD_ABS/LD_IND are allowed (verifier.c may_access_skb()), and the valid return range
// (verifier.c check_return_code()).
//
// The tables are immutable; lookups return pointers into them (valid for the whole process).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "verifier/prog_type.hpp"
#include "verifier/result.hpp"

namespace tailgate {

// What a load from a ctx field yields (the kernel's bpf_insn_access_aux.reg_type; SCALAR_VALUE otherwise).
enum class CtxValue : uint8_t {
    Scalar,           // SCALAR_VALUE
    PacketStart,      // PTR_TO_PACKET (xdp_md.data, __sk_buff.data)
    PacketEnd,        // PTR_TO_PACKET_END (data_end)
    PacketMeta,       // PTR_TO_PACKET_META (data_meta)
    SockCommonOrNull, // PTR_TO_SOCK_COMMON_OR_NULL (__sk_buff.sk)
    FlowKeys,         // PTR_TO_FLOW_KEYS (__sk_buff.flow_keys of a flow dissector)
    Socket,           // PTR_TO_SOCKET (sk_msg_md.sk, bpf_sock_addr.sk): never NULL
    SocketOrNull,     // PTR_TO_SOCKET_OR_NULL (bpf_sock_ops.sk)
};
// sizeof(struct bpf_flow_keys) (uapi bpf.h): what a PTR_TO_FLOW_KEYS may touch (verifier.c
// check_flow_keys_access()).
inline constexpr uint32_t kFlowKeysSize = 56;
const char* ctx_value_name(CtxValue v); // "scalar", "packet", "packet_end", "packet_meta",
                                        // "sock_common_or_null", "flow_keys", "socket", "socket_or_null"

// A set of access sizes (1, 2, 4, 8 bytes). Empty: the access is not allowed at all.
struct SizeSet {
    uint8_t mask = 0; // bit 0: 1 byte, bit 1: 2, bit 2: 4, bit 3: 8
    constexpr bool has(int size) const {
        switch (size) {
        case 1: return mask & 1;
        case 2: return mask & 2;
        case 4: return mask & 4;
        case 8: return mask & 8;
        default: return false;
        }
    }
    constexpr bool empty() const { return mask == 0; }
    std::string to_string() const; // "{1,2,4}", "{}"
};
inline constexpr SizeSet kNoAccess{0};
inline constexpr SizeSet kSize1{1}, kSize4{4}, kSize8{8};
inline constexpr SizeSet kNarrow4{1 | 2 | 4};     // bpf_ctx_narrow_access_ok() on a u32 field
inline constexpr SizeSet kNarrow8{1 | 2 | 4 | 8}; // bpf_ctx_narrow_access_ok() on a u64 field / any size

// uapi enum bpf_attach_type numbers that change a ctx table or a return range (prog_type.hpp's AttachType
// carries the same numbering).
inline constexpr int32_t kAttachCgroupInetIngress = 0; // BPF_CGROUP_INET_INGRESS
inline constexpr int32_t kAttachCgroupInetEgress = 1;  // BPF_CGROUP_INET_EGRESS
inline constexpr int32_t kAttachXdpDevmap = 33;        // BPF_XDP_DEVMAP

// One field (or array of fields) of a ctx struct. An access [off, off+size) is valid for the field when
// it lies inside [offset, offset+size), off % size == 0 (every is_valid_access function checks this), and
// size is in read_sizes / write_sizes; a load narrower than the field must also start in its first
// narrow_within bytes when that is set (bpf_sock.dst_port: a __be16 that may be read as a u32 together
// with the zero padding after it, but the padding alone is not readable).
struct CtxField {
    std::string_view name;               // "data", "cb", "remote_ip6", "di" (pt_regs), "args"
    uint32_t offset = 0;                 // byte offset in the ctx struct
    uint32_t size = 0;                   // bytes covered (an array field covers all its elements: cb = 20)
    SizeSet read_sizes;                  // allowed load sizes (empty: not readable)
    SizeSet write_sizes;                 // allowed store sizes (empty: read-only)
    CtxValue yields = CtxValue::Scalar;  // what a load yields
    AttachSet only_attach = kAnyAttach;  // if set: only programs with one of these attach types may touch it
    uint32_t narrow_within = 0;          // if set: loads narrower than `size` start in the first such bytes
    AttachSet write_attach = kAnyAttach; // if set: only programs with one of these attach types may store
};

enum class PacketAccess : uint8_t { None, Read, ReadWrite };

struct CtxLayout {
    ProgType type = ProgType::Unspec;
    std::string_view struct_name; // "xdp_md", "__sk_buff", "pt_regs", ...
    uint32_t size = 0; // sizeof the ctx struct as the program sees it (tracepoint: the kernel bound)
    std::span<const CtxField> fields;         // sorted by offset, non-overlapping; gaps are not accessible
    PacketAccess packet = PacketAccess::None; // kernel: verifier.c may_access_direct_pkt_data()
    bool ld_abs = false;                      // LD_ABS/LD_IND allowed; kernel: verifier.c may_access_skb()
    bool per_program_size = false; // tracepoint: the real size depends on the tracepoint (CtxOptions)
    std::string_view kernel_rule;  // the kernel function the table comes from
};

// The table for a program type; nullptr when tailgate does not model that type's ctx.
const CtxLayout* ctx_layout(ProgType type);

// The kernel's socket pointer types. A load through a socket pointer is checked like a ctx access against
// the struct its type exposes (verifier.c check_sock_access()); socket pointers are read-only
// (check_mem_access(): "cannot write into sock"). tailgate keeps the type with each socket pointer.
enum class SockView : uint8_t {
    Socket,     // PTR_TO_SOCKET: struct bpf_sock (net/core/filter.c bpf_sock_is_valid_access())
    SockCommon, // PTR_TO_SOCK_COMMON: struct bpf_sock without type, protocol, mark, priority
                // (bpf_sock_common_is_valid_access())
    TcpSock,    // PTR_TO_TCP_SOCK: struct bpf_tcp_sock (bpf_tcp_sock_is_valid_access())
    Opaque,     // paths disagree on the type: passed to helpers only, no field is readable
};
const char* sock_view_name(SockView v); // "sock", "sock_common", "tcp_sock", "sock (type unknown)"
// The struct a socket pointer exposes; nullptr for Opaque. (CtxLayout::type is Unspec for these.)
const CtxLayout* sock_layout(SockView v);

// Options of one program that change its ctx rules.
struct CtxOptions {
    int32_t attach = -1;          // expected attach type (uapi number; -1 none)
    uint32_t tracepoint_size = 0; // tracepoint: bytes of the tracepoint record; 0: kernel bound 2048
};

struct CtxAccess {
    const CtxField* field = nullptr;
    CtxValue yields = CtxValue::Scalar; // what a load yields (Scalar for stores)
    uint32_t offset_in_field = 0;
};

// Check one ctx access (off relative to the ctx pointer, size in bytes, store or load).
// Reads: the layout. Fails with code "ctx-access" when the offset is outside the struct or in a gap, the
// access is misaligned or crosses the field end, the size is not allowed, the field is not readable /
// writable for the type, or is restricted to another attach type. The message follows the kernel's
// "invalid bpf_context access off=%d size=%d" and adds the reason.
Result<CtxAccess> check_ctx_access(const CtxLayout& layout, int64_t off, int size, bool is_write,
                                   const CtxOptions& opts = {});

// Find the field covering byte `off` (nullptr in a gap or outside).
const CtxField* find_ctx_field(const CtxLayout& layout, int64_t off);

// Valid return values of the main program (R0 at exit). kernel: verifier.c check_return_code().
struct ReturnRule {
    bool constrained = false; // false: any scalar
    int64_t min = 0, max = 0; // inclusive, when constrained
    // R0 must hold a scalar (not a pointer). The kernel enforces this for unconstrained types only for
    // unprivileged loads (do_check() BPF_EXIT: "R0 leaks addr as return value"); tailgate always does.
    bool must_be_scalar = true;
    std::string_view kernel_rule;
};
ReturnRule return_rule(ProgType type, int32_t attach = -1);

// The tailgate-only GenericProbe ctx (ProgType::GenericProbe), the target type of the declared
// kprobe -> generic-probe tail-call conversion (issue 5):
//   struct tg_generic_probe_ctx { __u64 args[6]; __u64 probe_id; };   // 56 bytes, read-only
// args[i] are the probed function's arguments (x86-64: di, si, dx, cx, r8, r9 of the source pt_regs);
// probe_id identifies the probe that produced the ctx.
inline constexpr uint32_t kGenericProbeArgs = 6;
inline constexpr uint32_t kGenericProbeCtxSize = 8 * kGenericProbeArgs + 8;
inline constexpr uint32_t kGenericProbeIdOffset = 8 * kGenericProbeArgs;

// x86-64 struct pt_regs offsets of the argument registers (arch/x86/include/asm/ptrace.h), for the
// kprobe -> generic-probe conversion: PT_REGS_PARM1..6 = di, si, dx, cx, r8, r9.
inline constexpr uint32_t kPtRegsSize = 168;
inline constexpr uint32_t kPtRegsArgOffset[6] = {112, 104, 96, 88, 72, 64};

} // namespace tailgate
