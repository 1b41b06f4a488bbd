// The built-in helper table (Linux 6.12 prototypes) and the registry hosts extend.
#include "verifier/helper_protos.hpp"

#include "verifier/ctx_conversion.hpp"

#include <algorithm>

namespace tailgate {

const char* arg_kind_name(ArgKind k) {
    switch (k) {
    case ArgKind::DontCare: return "dontcare";
    case ArgKind::Anything: return "anything";
    case ArgKind::PtrToCtx: return "ptr_to_ctx";
    case ArgKind::PtrToCtxOrNull: return "ptr_to_ctx_or_null";
    case ArgKind::ConstMapPtr: return "const_map_ptr";
    case ArgKind::PtrToMapKey: return "ptr_to_map_key";
    case ArgKind::PtrToMapValue: return "ptr_to_map_value";
    case ArgKind::PtrToMapValueOrNull: return "ptr_to_map_value_or_null";
    case ArgKind::PtrToUninitMapValue: return "ptr_to_uninit_map_value";
    case ArgKind::PtrToMem: return "ptr_to_mem";
    case ArgKind::PtrToMemOrNull: return "ptr_to_mem_or_null";
    case ArgKind::PtrToWritableMem: return "ptr_to_writable_mem";
    case ArgKind::PtrToWritableMemOrNull: return "ptr_to_writable_mem_or_null";
    case ArgKind::PtrToUninitMem: return "ptr_to_uninit_mem";
    case ArgKind::PtrToFixedUninitMem: return "ptr_to_fixed_size_uninit_mem";
    case ArgKind::PtrToFixedMem: return "ptr_to_fixed_size_mem";
    case ArgKind::ConstSize: return "const_size";
    case ArgKind::ConstSizeOrZero: return "const_size_or_zero";
    case ArgKind::ConstAllocSizeOrZero: return "const_alloc_size_or_zero";
    case ArgKind::PtrToRingbufMem: return "ptr_to_ringbuf_mem";
    case ArgKind::PtrToSockCommon: return "ptr_to_sock_common";
    case ArgKind::PtrToBtfIdSockCommon: return "ptr_to_btf_id_sock_common";
    case ArgKind::PtrToSocketOrNull: return "ptr_to_socket_or_null";
    case ArgKind::PtrToFunc: return "ptr_to_func";
    case ArgKind::PtrToStackOrNull: return "ptr_to_stack_or_null";
    case ArgKind::PtrToConstStr: return "ptr_to_const_str";
    case ArgKind::PtrToSpinLock: return "ptr_to_spin_lock";
    }
    return "unknown";
}

const char* ret_kind_name(RetKind k) {
    switch (k) {
    case RetKind::Integer: return "integer";
    case RetKind::Void: return "void";
    case RetKind::PtrToMapValue: return "ptr_to_map_value";
    case RetKind::PtrToMapValueOrNull: return "ptr_to_map_value_or_null";
    case RetKind::PtrToMemOrNull: return "ptr_to_mem_or_null";
    case RetKind::PtrToSocketOrNull: return "ptr_to_socket_or_null";
    case RetKind::PtrToSockCommonOrNull: return "ptr_to_sock_common_or_null";
    case RetKind::PtrToTcpSockOrNull: return "ptr_to_tcp_sock_or_null";
    }
    return "unknown";
}

int HelperProto::num_args() const {
    for (int i = 4; i >= 0; --i)
        if (args[size_t(i)] != ArgKind::DontCare) return i + 1;
    return 0;
}

namespace {

using A = ArgKind;
using P = ProgType;
using M = MapType;

// Program-type families, after the kernel's get_func_proto() functions.
// bpf_base_func_proto() (kernel/bpf/helpers.c) is the fallback of nearly every type.
constexpr ProgTypeSet kBase = ProgTypeSet::all();
// kernel/trace/bpf_trace.c bpf_tracing_func_proto(): kprobe_prog_func_proto, tp_prog_func_proto,
// pe_prog_func_proto, raw_tp_prog_func_proto, tracing_prog_func_proto. GenericProbe is a tracing type.
constexpr ProgTypeSet kTracing = ProgTypeSet::of({P::Kprobe, P::Tracepoint, P::PerfEvent, P::RawTracepoint,
                                                  P::RawTracepointWritable, P::Tracing, P::GenericProbe});
// net/core/filter.c tc_cls_act_func_proto().
constexpr ProgTypeSet kTc = ProgTypeSet::of({P::SchedCls, P::SchedAct});
constexpr ProgTypeSet kXdp = ProgTypeSet::of({P::Xdp});
// lwt_out_func_proto() and the types falling back to it (lwt_in, lwt_xmit, lwt_seg6local_func_proto()).
constexpr ProgTypeSet kLwt = ProgTypeSet::of({P::LwtIn, P::LwtOut, P::LwtXmit, P::LwtSeg6local});
// cgroup_common_func_proto() / cgroup_current_func_proto() users.
constexpr ProgTypeSet kCgroup = ProgTypeSet::of({P::CgroupSkb, P::CgroupSock, P::CgroupSockAddr, P::SockOps,
                                                 P::CgroupDevice, P::CgroupSysctl, P::CgroupSockopt});
// sk_filter_func_proto() and the types falling back to it (cg_skb_func_proto()).
constexpr ProgTypeSet kSkFilter = ProgTypeSet::of({P::SocketFilter, P::CgroupSkb});
constexpr ProgTypeSet kSkSkb = ProgTypeSet::of({P::SkSkb});
constexpr ProgTypeSet kSkStorageUsers = ProgTypeSet::of(
    {P::SchedCls, P::SchedAct, P::CgroupSkb, P::SockOps, P::CgroupSockAddr, P::CgroupSockopt});

using AT = AttachType;
// cgroup_common_func_proto() (kernel/bpf/cgroup.c): get_retval / set_retval exist for every cgroup hook
// but those whose return value is not an errno the hook passes on (skb ingress/egress, sock_ops,
// recvmsg, getpeername, getsockname).
constexpr AttachSet kNoRetvalAttach =
    attach_set({AT::CgroupInetIngress, AT::CgroupInetEgress, AT::CgroupSockOps, AT::CgroupUdp4Recvmsg,
                AT::CgroupUdp6Recvmsg, AT::CgroupInet4Getpeername, AT::CgroupInet6Getpeername,
                AT::CgroupInet4Getsockname, AT::CgroupInet6Getsockname});
constexpr ProgTypeSet kLsm = ProgTypeSet::of({P::Lsm});
constexpr ProgTypeSet kSysctl = ProgTypeSet::of({P::CgroupSysctl});
// verifier.c check_map_prog_compatibility(): "socket filter progs cannot use bpf_spin_lock yet", "tracing
// progs cannot use bpf_spin_lock yet"
constexpr ProgTypeSet kSpinLockUsers{kBase.bits & ~kTracing.bits & ~ProgTypeSet::of({P::SocketFilter}).bits};
constexpr AttachSet kLsmCgroup = attach_set({AT::LsmCgroup});
// bpf_get_netns_cookie_{sock,sock_addr,sock_ops,sk_msg,sockopt}_proto: ctx or NULL (the init netns).
constexpr ProgTypeSet kNetnsCookie =
    ProgTypeSet::of({P::CgroupSock, P::CgroupSockAddr, P::SockOps, P::SkMsg, P::CgroupSockopt});

struct B {
    HelperProto p;
    B(int32_t id, std::string name, RetKind ret, std::initializer_list<ArgKind> args, ProgTypeSet types) {
        p.id = id;
        p.name = std::move(name);
        p.ret = ret;
        size_t i = 0;
        for (ArgKind a : args) p.args[i++] = a;
        p.prog_types = types;
    }
    B& gpl() { return p.gpl_only = true, *this; }
    B& pkt() { return p.pkt_access = true, *this; }
    B& changes() { return p.changes_pkt_data = true, *this; }
    B& maps(MapTypeSet m) { return p.map_types = m, *this; }
    B& acquire() { return p.acquires_ref = true, *this; }
    B& release(int8_t arg) { return p.release_arg = arg, *this; }
    B& ref_from(int8_t arg) { return p.ref_from_arg = arg, *this; }
    B& ret_size(int8_t arg) { return p.ret_size_arg = arg, *this; }
    B& fixed(size_t arg, uint16_t size) { return p.arg_size[arg] = size, *this; }
    B& only_attach(AttachSet s) { return p.only_attach = s, *this; }
    B& not_attach(AttachSet s) { return p.not_attach = s, *this; }
    operator HelperProto() const { return p; }
};

constexpr MapTypeSet kPerfArray = MapTypeSet::of({M::PerfEventArray});
constexpr MapTypeSet kRingbuf = MapTypeSet::of({M::Ringbuf});
constexpr MapTypeSet kCgroupArray = MapTypeSet::of({M::CgroupArray});
constexpr RetKind I = RetKind::Integer;

std::vector<HelperProto> make_builtin() {
    std::vector<HelperProto> t;
    auto add = [&](HelperProto p) { t.push_back(std::move(p)); };
    // kernel/bpf/helpers.c
    add(B(1, "map_lookup_elem", RetKind::PtrToMapValueOrNull, {A::ConstMapPtr, A::PtrToMapKey}, kBase).pkt());
    add(B(2, "map_update_elem", I, {A::ConstMapPtr, A::PtrToMapKey, A::PtrToMapValue, A::Anything}, kBase)
            .pkt());
    add(B(3, "map_delete_elem", I, {A::ConstMapPtr, A::PtrToMapKey}, kBase).pkt());
    // kernel/trace/bpf_trace.c bpf_probe_read_compat_proto (x86-64 keeps the legacy helper)
    add(B(4, "probe_read", I, {A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kTracing).gpl());
    add(B(5, "ktime_get_ns", I, {}, kBase));
    // bpf_trace_printk_proto: args 3..5 are ARG_DONTCARE (not checked)
    add(B(6, "trace_printk", I, {A::PtrToMem, A::ConstSize}, kBase).gpl());
    add(B(7, "get_prandom_u32", I, {}, kBase));
    add(B(8, "get_smp_processor_id", I, {}, kBase));
    // net/core/filter.c
    add(B(9, "skb_store_bytes", I, {A::PtrToCtx, A::Anything, A::PtrToMem, A::ConstSize, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit, P::SkSkb}))
            .changes());
    add(B(10, "l3_csum_replace", I, {A::PtrToCtx, A::Anything, A::Anything, A::Anything, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit}))
            .changes());
    add(B(11, "l4_csum_replace", I, {A::PtrToCtx, A::Anything, A::Anything, A::Anything, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit}))
            .changes());
    // kernel/bpf/core.c bpf_tail_call_proto. changes_pkt_data: upstream (6.13) "bpf: consider that tail
    // calls invalidate packet pointers" — the callee may run any packet-changing helper.
    add(B(12, "tail_call", RetKind::Void, {A::PtrToCtx, A::ConstMapPtr, A::Anything}, kBase)
            .maps(MapTypeSet::of({M::ProgArray}))
            .changes());
    add(B(13, "clone_redirect", I, {A::PtrToCtx, A::Anything, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit}))
            .changes());
    // in bpf_base_func_proto() since 6.10 ("bpf: Allow helper bpf_get_[ns_]current_pid_tgid() for all prog
    // types"): every program type may call it
    add(B(14, "get_current_pid_tgid", I, {}, kBase));
    add(B(15, "get_current_uid_gid", I, {}, kTracing | kCgroup));
    add(B(16, "get_current_comm", I, {A::PtrToUninitMem, A::ConstSize}, kTracing | kCgroup));
    add(B(17, "get_cgroup_classid", I, {A::PtrToCtx}, kTc | ProgTypeSet::of({P::LwtOut, P::LwtXmit})));
    add(B(18, "skb_vlan_push", I, {A::PtrToCtx, A::Anything, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit}))
            .changes());
    add(B(19, "skb_vlan_pop", I, {A::PtrToCtx}, kTc | ProgTypeSet::of({P::LwtXmit})).changes());
    add(B(20, "skb_get_tunnel_key", I, {A::PtrToCtx, A::PtrToUninitMem, A::ConstSize, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit})));
    add(B(21, "skb_set_tunnel_key", I, {A::PtrToCtx, A::PtrToMem, A::ConstSize, A::Anything},
          kTc | ProgTypeSet::of({P::LwtXmit})));
    add(B(22, "perf_event_read", I, {A::ConstMapPtr, A::Anything}, kTracing).maps(kPerfArray));
    // bpf_redirect_proto (tc) and bpf_xdp_redirect_proto (xdp) share this signature.
    add(B(23, "redirect", I, {A::Anything, A::Anything}, kTc | kXdp | ProgTypeSet::of({P::LwtXmit})));
    add(B(24, "get_route_realm", I, {A::PtrToCtx}, kTc | kLwt));
    // bpf_perf_event_output_proto (+ _tp, _raw_tp, bpf_skb_event_output_proto, bpf_xdp_event_output_proto)
    add(B(25, "perf_event_output", I,
          {A::PtrToCtx, A::ConstMapPtr, A::Anything, A::PtrToMem, A::ConstSizeOrZero},
          kTracing | kTc | kXdp | kSkFilter | kLwt | kSkSkb |
              ProgTypeSet::of({P::SockOps, P::CgroupSock, P::SkLookup}))
            .gpl()
            .maps(kPerfArray));
    add(B(26, "skb_load_bytes", I, {A::PtrToCtx, A::Anything, A::PtrToUninitMem, A::ConstSize},
          kTc | kSkFilter | kLwt | kSkSkb | ProgTypeSet::of({P::FlowDissector, P::SkReuseport})));
    add(B(27, "get_stackid", I, {A::PtrToCtx, A::ConstMapPtr, A::Anything}, kTracing)
            .gpl()
            .maps(MapTypeSet::of({M::StackTrace})));
    add(B(28, "csum_diff", I,
          {A::PtrToMemOrNull, A::ConstSizeOrZero, A::PtrToMemOrNull, A::ConstSizeOrZero, A::Anything},
          kTc | kXdp | kLwt)
            .pkt());
    add(B(29, "skb_get_tunnel_opt", I, {A::PtrToCtx, A::PtrToUninitMem, A::ConstSize},
          kTc | ProgTypeSet::of({P::LwtXmit})));
    add(B(30, "skb_set_tunnel_opt", I, {A::PtrToCtx, A::PtrToMem, A::ConstSize},
          kTc | ProgTypeSet::of({P::LwtXmit})));
    add(B(31, "skb_change_proto", I, {A::PtrToCtx, A::Anything, A::Anything}, kTc).changes());
    add(B(32, "skb_change_type", I, {A::PtrToCtx, A::Anything}, kTc));
    add(B(33, "skb_under_cgroup", I, {A::PtrToCtx, A::ConstMapPtr, A::Anything}, kTc | kLwt)
            .maps(kCgroupArray));
    add(B(34, "get_hash_recalc", I, {A::PtrToCtx}, kTc | kLwt));
    add(B(35, "get_current_task", I, {}, kTracing));
    add(B(36, "probe_write_user", I, {A::Anything, A::PtrToMem, A::ConstSize}, kTracing).gpl());
    add(B(37, "current_task_under_cgroup", I, {A::ConstMapPtr, A::Anything}, kTracing).maps(kCgroupArray));
    add(B(38, "skb_change_tail", I, {A::PtrToCtx, A::Anything, A::Anything}, kTc | kSkSkb).changes());
    add(B(39, "skb_pull_data", I, {A::PtrToCtx, A::Anything}, kTc | kLwt | kSkSkb).changes());
    add(B(40, "csum_update", I, {A::PtrToCtx, A::Anything}, kTc).pkt());
    add(B(41, "set_hash_invalid", RetKind::Void, {A::PtrToCtx}, kTc));
    add(B(42, "get_numa_node_id", I, {}, kBase));
    add(B(43, "skb_change_head", I, {A::PtrToCtx, A::Anything, A::Anything},
          kTc | kSkSkb | ProgTypeSet::of({P::LwtXmit}))
            .changes());
    add(B(44, "xdp_adjust_head", I, {A::PtrToCtx, A::Anything}, kXdp).changes());
    add(B(45, "probe_read_str", I, {A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kTracing).gpl());
    add(B(46, "get_socket_cookie", I, {A::PtrToCtx},
          kTc | kSkFilter | ProgTypeSet::of({P::SockOps, P::CgroupSock, P::CgroupSockAddr})));
    // sk_reuseport_func_proto(): bpf_get_socket_ptr_cookie_proto takes the socket (kernel: a BTF sock_common
    // or NULL; tailgate wants it null-checked)
    add(B(46, "get_socket_cookie", I, {A::PtrToBtfIdSockCommon}, ProgTypeSet::of({P::SkReuseport})));
    add(B(47, "get_socket_uid", I, {A::PtrToCtx}, kTc | kSkFilter | kSkSkb));
    add(B(48, "set_hash", I, {A::PtrToCtx, A::Anything}, kTc));
    add(B(50, "skb_adjust_room", I, {A::PtrToCtx, A::Anything, A::Anything, A::Anything}, kTc | kSkSkb)
            .changes());
    // bpf_xdp_redirect_map_proto
    add(B(51, "redirect_map", I, {A::ConstMapPtr, A::Anything, A::Anything}, kXdp)
            .maps(MapTypeSet::of({M::Devmap, M::DevmapHash, M::Cpumap, M::Xskmap})));
    // sock_ops_func_proto() and sock_addr_func_proto(): bpf_sock_ops_setsockopt_proto /
    // bpf_sock_addr_setsockopt_proto (optval read, optlen its size), getsockopt (optval filled)
    add(B(49, "setsockopt", I, {A::PtrToCtx, A::Anything, A::Anything, A::PtrToMem, A::ConstSize},
          ProgTypeSet::of({P::SockOps, P::CgroupSockAddr})));
    // net/core/sock_map.c: sk_skb verdicts redirect to a socket of a SOCKMAP (by index) or SOCKHASH (by
    // key); sk_msg likewise (msg_redirect_*); sock_ops programs add their socket to such a map.
    add(B(52, "sk_redirect_map", I, {A::PtrToCtx, A::ConstMapPtr, A::Anything, A::Anything}, kSkSkb)
            .maps(MapTypeSet::of({M::Sockmap})));
    add(B(53, "sock_map_update", I, {A::PtrToCtx, A::ConstMapPtr, A::PtrToMapKey, A::Anything},
          ProgTypeSet::of({P::SockOps}))
            .maps(MapTypeSet::of({M::Sockmap})));
    add(B(54, "xdp_adjust_meta", I, {A::PtrToCtx, A::Anything}, kXdp).changes());
    add(B(55, "perf_event_read_value", I, {A::ConstMapPtr, A::Anything, A::PtrToUninitMem, A::ConstSize},
          kTracing)
            .gpl()
            .maps(kPerfArray));
    add(B(57, "getsockopt", I, {A::PtrToCtx, A::Anything, A::Anything, A::PtrToUninitMem, A::ConstSize},
          ProgTypeSet::of({P::SockOps, P::CgroupSockAddr})));
    // cg_sockopt_func_proto(): bpf_sk_setsockopt_proto / bpf_sk_getsockopt_proto on ctx->sk, only for
    // BPF_CGROUP_SETSOCKOPT (for both helpers)
    add(B(49, "setsockopt", I, {A::PtrToBtfIdSockCommon, A::Anything, A::Anything, A::PtrToMem, A::ConstSize},
          ProgTypeSet::of({P::CgroupSockopt}))
            .only_attach(attach_set({AT::CgroupSetsockopt})));
    add(B(57, "getsockopt", I,
          {A::PtrToBtfIdSockCommon, A::Anything, A::Anything, A::PtrToUninitMem, A::ConstSize},
          ProgTypeSet::of({P::CgroupSockopt}))
            .only_attach(attach_set({AT::CgroupSetsockopt})));
    // bpf_perf_prog_read_value_proto (pe_prog_func_proto()): the event's counters, into arg2
    add(B(56, "perf_prog_read_value", I, {A::PtrToCtx, A::PtrToUninitMem, A::ConstSize},
          ProgTypeSet::of({P::PerfEvent})));
    add(B(58, "override_return", I, {A::PtrToCtx, A::Anything}, ProgTypeSet::of({P::Kprobe})).gpl());
    add(B(59, "sock_ops_cb_flags_set", I, {A::PtrToCtx, A::Anything}, ProgTypeSet::of({P::SockOps})));
    add(B(60, "msg_redirect_map", I, {A::PtrToCtx, A::ConstMapPtr, A::Anything, A::Anything},
          ProgTypeSet::of({P::SkMsg}))
            .maps(MapTypeSet::of({M::Sockmap})));
    // sk_msg_func_proto() (net/core/filter.c): byte accounting for the verdict, and data that moves
    // (bpf_helper_changes_pkt_data(): pull, push and pop invalidate packet pointers)
    add(B(61, "msg_apply_bytes", I, {A::PtrToCtx, A::Anything}, ProgTypeSet::of({P::SkMsg})));
    add(B(62, "msg_cork_bytes", I, {A::PtrToCtx, A::Anything}, ProgTypeSet::of({P::SkMsg})));
    add(B(63, "msg_pull_data", I, {A::PtrToCtx, A::Anything, A::Anything, A::Anything},
          ProgTypeSet::of({P::SkMsg}))
            .changes());
    add(B(90, "msg_push_data", I, {A::PtrToCtx, A::Anything, A::Anything, A::Anything},
          ProgTypeSet::of({P::SkMsg}))
            .changes());
    add(B(91, "msg_pop_data", I, {A::PtrToCtx, A::Anything, A::Anything, A::Anything},
          ProgTypeSet::of({P::SkMsg}))
            .changes());
    // sock_addr_func_proto(): bpf_bind_proto only for the connect hooks
    add(B(64, "bind", I, {A::PtrToCtx, A::PtrToMem, A::ConstSize}, ProgTypeSet::of({P::CgroupSockAddr}))
            .only_attach(attach_set({AT::CgroupInet4Connect, AT::CgroupInet6Connect})));
    add(B(65, "xdp_adjust_tail", I, {A::PtrToCtx, A::Anything}, kXdp).changes());
    // bpf_skb_get_xfrm_state_proto: the xfrm state at index arg2 is copied into arg3
    add(B(66, "skb_get_xfrm_state", I,
          {A::PtrToCtx, A::Anything, A::PtrToUninitMem, A::ConstSize, A::Anything}, kTc));
    add(B(67, "get_stack", I, {A::PtrToCtx, A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kTracing)
            .gpl());
    add(B(68, "skb_load_bytes_relative", I,
          {A::PtrToCtx, A::Anything, A::PtrToUninitMem, A::ConstSize, A::Anything},
          kTc | kSkFilter | ProgTypeSet::of({P::SkReuseport})));
    // bpf_skb_fib_lookup_proto / bpf_xdp_fib_lookup_proto: params are read and written
    add(B(69, "fib_lookup", I, {A::PtrToCtx, A::PtrToWritableMem, A::ConstSize, A::Anything}, kTc | kXdp));
    add(B(70, "sock_hash_update", I, {A::PtrToCtx, A::ConstMapPtr, A::PtrToMapKey, A::Anything},
          ProgTypeSet::of({P::SockOps}))
            .maps(MapTypeSet::of({M::Sockhash})));
    add(B(71, "msg_redirect_hash", I, {A::PtrToCtx, A::ConstMapPtr, A::PtrToMapKey, A::Anything},
          ProgTypeSet::of({P::SkMsg}))
            .maps(MapTypeSet::of({M::Sockhash})));
    add(B(72, "sk_redirect_hash", I, {A::PtrToCtx, A::ConstMapPtr, A::PtrToMapKey, A::Anything}, kSkSkb)
            .maps(MapTypeSet::of({M::Sockhash})));
    add(B(79, "skb_cgroup_id", I, {A::PtrToCtx}, kTc | ProgTypeSet::of({P::CgroupSkb})));
    add(B(83, "skb_ancestor_cgroup_id", I, {A::PtrToCtx, A::Anything},
          kTc | ProgTypeSet::of({P::CgroupSkb})));
    add(B(80, "get_current_cgroup_id", I, {}, kTracing | kCgroup));
    // kernel/bpf/helpers.c bpf_get_local_storage_proto: never NULL
    add(B(81, "get_local_storage", RetKind::PtrToMapValue, {A::ConstMapPtr, A::Anything}, kCgroup)
            .maps(MapTypeSet::of({M::CgroupStorage, M::PercpuCgroupStorage})));
    // bpf_sk_lookup_{tcp,udp}_proto, bpf_skc_lookup_tcp_proto: .pkt_access (the tuple may be in the packet)
    // sk_reuseport_func_proto(): the socket of a REUSEPORT_SOCKARRAY / SOCKMAP / SOCKHASH slot answers
    add(B(82, "sk_select_reuseport", I, {A::PtrToCtx, A::ConstMapPtr, A::PtrToMapKey, A::Anything},
          ProgTypeSet::of({P::SkReuseport}))
            .maps(MapTypeSet::of({M::ReuseportSockarray, M::Sockmap, M::Sockhash})));
    add(B(84, "sk_lookup_tcp", RetKind::PtrToSocketOrNull,
          {A::PtrToCtx, A::PtrToMem, A::ConstSize, A::Anything, A::Anything},
          kTc | kXdp | kSkSkb | ProgTypeSet::of({P::CgroupSkb, P::CgroupSockAddr}))
            .pkt()
            .acquire());
    add(B(85, "sk_lookup_udp", RetKind::PtrToSocketOrNull,
          {A::PtrToCtx, A::PtrToMem, A::ConstSize, A::Anything, A::Anything},
          kTc | kXdp | kSkSkb | ProgTypeSet::of({P::CgroupSkb, P::CgroupSockAddr}))
            .pkt()
            .acquire());
    add(B(86, "sk_release", I, {A::PtrToBtfIdSockCommon},
          kTc | kXdp | kSkSkb | ProgTypeSet::of({P::CgroupSkb, P::CgroupSockAddr, P::SkLookup}))
            .release(0));
    add(B(kHelperMapPushElem, "map_push_elem", I, {A::ConstMapPtr, A::PtrToMapValue, A::Anything}, kBase)
            .pkt()
            .maps(MapTypeSet::of({M::Queue, M::Stack, M::BloomFilter})));
    add(B(kHelperMapPopElem, "map_pop_elem", I, {A::ConstMapPtr, A::PtrToUninitMapValue}, kBase)
            .maps(MapTypeSet::of({M::Queue, M::Stack})));
    add(B(89, "map_peek_elem", I, {A::ConstMapPtr, A::PtrToUninitMapValue}, kBase)
            .maps(MapTypeSet::of({M::Queue, M::Stack, M::BloomFilter})));
    // kernel/bpf/helpers.c bpf_spin_lock_proto / bpf_spin_unlock_proto (analysis: State::lock)
    add(B(kHelperSpinLock, "spin_lock", RetKind::Void, {A::PtrToSpinLock}, kSpinLockUsers));
    add(B(kHelperSpinUnlock, "spin_unlock", RetKind::Void, {A::PtrToSpinLock}, kSpinLockUsers));
    add(B(95, "sk_fullsock", RetKind::PtrToSocketOrNull, {A::PtrToSockCommon},
          kTc | ProgTypeSet::of({P::CgroupSkb}))
            .ref_from(0));
    // tc_cls_act_func_proto(), cg_skb_func_proto(), sock_ops_func_proto(), cg_sockopt_func_proto()
    add(B(96, "tcp_sock", RetKind::PtrToTcpSockOrNull, {A::PtrToSockCommon},
          kTc | ProgTypeSet::of({P::CgroupSkb, P::SockOps, P::CgroupSockopt}))
            .ref_from(0));
    add(B(98, "get_listener_sock", RetKind::PtrToSocketOrNull, {A::PtrToSockCommon},
          kTc | ProgTypeSet::of({P::CgroupSkb})));
    // bpf_skc_lookup_tcp_proto: a request or timewait socket too, so only its sock_common fields
    add(B(99, "skc_lookup_tcp", RetKind::PtrToSockCommonOrNull,
          {A::PtrToCtx, A::PtrToMem, A::ConstSize, A::Anything, A::Anything},
          kTc | kXdp | kSkSkb | ProgTypeSet::of({P::CgroupSkb, P::CgroupSockAddr}))
            .pkt()
            .acquire());
    // bpf_tcp_check_syncookie_proto / bpf_tcp_gen_syncookie_proto (tc and xdp): a listener, the IP header
    // and the TCP header (either may be in the packet: .pkt_access)
    add(B(100, "tcp_check_syncookie", I,
          {A::PtrToBtfIdSockCommon, A::PtrToMem, A::ConstSize, A::PtrToMem, A::ConstSize}, kTc | kXdp)
            .pkt());
    add(B(110, "tcp_gen_syncookie", I,
          {A::PtrToBtfIdSockCommon, A::PtrToMem, A::ConstSize, A::PtrToMem, A::ConstSize}, kTc | kXdp)
            .pkt());
    // kernel/bpf/cgroup.c sysctl_func_proto(): the sysctl's name (arg4 flags: BPF_F_SYSCTL_BASE_NAME) into
    // an initialised buffer the helper overwrites (ARG_PTR_TO_MEM | MEM_WRITE), its current or new value
    // into uninitialised memory, a replacement new value from readable memory
    add(B(101, "sysctl_get_name", I, {A::PtrToCtx, A::PtrToWritableMem, A::ConstSize, A::Anything}, kSysctl));
    add(B(102, "sysctl_get_current_value", I, {A::PtrToCtx, A::PtrToUninitMem, A::ConstSize}, kSysctl));
    add(B(103, "sysctl_get_new_value", I, {A::PtrToCtx, A::PtrToUninitMem, A::ConstSize}, kSysctl));
    add(B(104, "sysctl_set_new_value", I, {A::PtrToCtx, A::PtrToMem, A::ConstSize}, kSysctl));
    // kernel/bpf/helpers.c bpf_strtol_proto / bpf_strtoul_proto: a string of buf_len bytes, flags (the base),
    // the s64/u64 result (ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_ALIGNED). In bpf_base_func_proto()
    // since 8a67f2de9b1d ("bpf: expose bpf_strtol and bpf_strtoul to all program types"); sysctl only
    // before it. MEM_ALIGNED (the result 8-byte aligned) is not checked: the runtime's stores need no
    // alignment.
    add(B(105, "strtol", I, {A::PtrToMem, A::ConstSize, A::Anything, A::PtrToFixedUninitMem}, kBase)
            .fixed(3, 8));
    add(B(106, "strtoul", I, {A::PtrToMem, A::ConstSize, A::Anything, A::PtrToFixedUninitMem}, kBase)
            .fixed(3, 8));
    // net/core/bpf_sk_storage.c bpf_sk_storage_get_proto / bpf_sk_storage_delete_proto (the tc, cgroup_skb,
    // sock_ops, sock_addr and cgroup sockopt func_protos; cgroup_sock and tracing programs get variants not
    // modelled here)
    add(B(107, "sk_storage_get", RetKind::PtrToMapValueOrNull,
          {A::ConstMapPtr, A::PtrToBtfIdSockCommon, A::PtrToMapValueOrNull, A::Anything}, kSkStorageUsers)
            .maps(MapTypeSet::of({M::SkStorage})));
    // bpf_sk_storage_get_cg_sock_proto (sock_filter_func_proto()): a cgroup_sock program's ctx is the socket
    add(B(107, "sk_storage_get", RetKind::PtrToMapValueOrNull,
          {A::ConstMapPtr, A::PtrToCtx, A::PtrToMapValueOrNull, A::Anything},
          ProgTypeSet::of({P::CgroupSock}))
            .maps(MapTypeSet::of({M::SkStorage})));
    add(B(108, "sk_storage_delete", I, {A::ConstMapPtr, A::PtrToBtfIdSockCommon}, kSkStorageUsers)
            .maps(MapTypeSet::of({M::SkStorage})));
    add(B(109, "send_signal", I, {A::Anything}, kTracing));
    add(B(117, "send_signal_thread", I, {A::Anything}, kTracing));
    add(B(112, "probe_read_user", I, {A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kTracing).gpl());
    // probe_read_kernel(_str) are also in bpf_base_func_proto() for CAP_PERFMON loaders.
    add(B(113, "probe_read_kernel", I, {A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kBase).gpl());
    add(B(114, "probe_read_user_str", I, {A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kTracing)
            .gpl());
    add(B(115, "probe_read_kernel_str", I, {A::PtrToUninitMem, A::ConstSizeOrZero, A::Anything}, kBase)
            .gpl());
    add(B(118, "jiffies64", I, {}, kBase));
    // bpf_sk_assign_proto (tc: the socket the skb is steered to) and bpf_sk_lookup_assign_proto (sk_lookup:
    // the socket selected for the connection, NULL to clear); net/core/filter.c tc_cls_act_func_proto(),
    // sk_lookup_func_proto()
    add(B(124, "sk_assign", I, {A::PtrToCtx, A::PtrToBtfIdSockCommon, A::Anything}, kTc));
    add(B(124, "sk_assign", I, {A::PtrToCtx, A::PtrToSocketOrNull, A::Anything},
          ProgTypeSet::of({P::SkLookup})));
    add(B(122, "get_netns_cookie", I, {A::PtrToCtxOrNull}, kNetnsCookie));
    add(B(125, "ktime_get_boot_ns", I, {}, kBase));
    // bpf_trace.c bpf_read_branch_records_proto (pe_prog_func_proto()): the sample's branch records into
    // buf (or NULL, 0 with BPF_F_GET_BRANCH_RECORDS_SIZE to ask for the size)
    add(B(119, "read_branch_records", I,
          {A::PtrToCtx, A::PtrToWritableMemOrNull, A::ConstSizeOrZero, A::Anything},
          ProgTypeSet::of({P::PerfEvent})));
    // cg_skb_func_proto(): bpf_sk_cgroup_id_proto / bpf_sk_ancestor_cgroup_id_proto
    add(B(128, "sk_cgroup_id", I, {A::PtrToBtfIdSockCommon}, ProgTypeSet::of({P::CgroupSkb})));
    add(B(129, "sk_ancestor_cgroup_id", I, {A::PtrToBtfIdSockCommon, A::Anything},
          ProgTypeSet::of({P::CgroupSkb})));
    // kernel/bpf/ringbuf.c
    add(B(130, "ringbuf_output", I, {A::ConstMapPtr, A::PtrToMem, A::ConstSizeOrZero, A::Anything}, kBase)
            .maps(kRingbuf));
    add(B(131, "ringbuf_reserve", RetKind::PtrToMemOrNull,
          {A::ConstMapPtr, A::ConstAllocSizeOrZero, A::Anything}, kBase)
            .maps(kRingbuf)
            .acquire()
            .ret_size(1));
    add(B(132, "ringbuf_submit", RetKind::Void, {A::PtrToRingbufMem, A::Anything}, kBase).release(0));
    add(B(133, "ringbuf_discard", RetKind::Void, {A::PtrToRingbufMem, A::Anything}, kBase).release(0));
    add(B(134, "ringbuf_query", I, {A::ConstMapPtr, A::Anything}, kBase).maps(kRingbuf));
    add(B(135, "csum_level", I, {A::PtrToCtx, A::Anything}, kTc | ProgTypeSet::of({P::LwtXmit})));
    // sock_ops_func_proto(): TCP header options (bpf_sock_ops_{load,store,reserve}_hdr_opt_proto); load's
    // arg2 holds the option kind to search for and receives the option (ARG_PTR_TO_MEM | MEM_WRITE)
    add(B(142, "load_hdr_opt", I, {A::PtrToCtx, A::PtrToWritableMem, A::ConstSize, A::Anything},
          ProgTypeSet::of({P::SockOps})));
    add(B(143, "store_hdr_opt", I, {A::PtrToCtx, A::PtrToMem, A::ConstSize, A::Anything},
          ProgTypeSet::of({P::SockOps})));
    add(B(144, "reserve_hdr_opt", I, {A::PtrToCtx, A::Anything, A::Anything}, ProgTypeSet::of({P::SockOps})));
    add(B(152, "redirect_neigh", I, {A::Anything, A::PtrToMemOrNull, A::ConstSizeOrZero, A::Anything}, kTc));
    add(B(155, "redirect_peer", I, {A::Anything, A::Anything}, kTc));
    add(B(160, "ktime_get_coarse_ns", I, {}, kBase));
    // bpf_skb_check_mtu_proto / bpf_xdp_check_mtu_proto: arg3 is a u32 the helper reads (the length to
    // check when len_diff is 0) and writes (the MTU): initialised memory (no MEM_UNINIT)
    add(B(163, "check_mtu", I, {A::PtrToCtx, A::Anything, A::PtrToFixedMem, A::Anything, A::Anything},
          kTc | kXdp)
            .fixed(2, 4));
    // the map types whose map_ops have map_for_each_callback (arraymap.c, hashtab.c)
    add(B(kHelperForEachMapElem, "for_each_map_elem", I,
          {A::ConstMapPtr, A::PtrToFunc, A::PtrToStackOrNull, A::Anything}, kBase)
            .maps(MapTypeSet::of(
                {M::Array, M::PercpuArray, M::Hash, M::PercpuHash, M::LruHash, M::LruPercpuHash})));
    // kernel/bpf/helpers.c bpf_snprintf_proto: out buffer (or NULL, 0), a constant format, u64 args (or NULL,
    // 0); the format is checked at load against data_len / 8 args (checks_call.cpp, verifier.c
    // check_bpf_snprintf_call())
    add(B(kHelperSnprintf, "snprintf", I,
          {A::PtrToWritableMemOrNull, A::ConstSizeOrZero, A::PtrToConstStr, A::PtrToMemOrNull,
           A::ConstSizeOrZero},
          kBase));
    add(B(173, "get_func_ip", I, {A::PtrToCtx}, ProgTypeSet::of({P::Kprobe, P::Tracing})));
    add(B(174, "get_attach_cookie", I, {A::PtrToCtx},
          ProgTypeSet::of({P::Kprobe, P::Tracepoint, P::PerfEvent, P::Tracing})));
    add(B(177, "trace_vprintk", I, {A::PtrToMem, A::ConstSize, A::PtrToMemOrNull, A::ConstSizeOrZero}, kBase)
            .gpl());
    add(B(181, "loop", I, {A::Anything, A::PtrToFunc, A::PtrToStackOrNull, A::Anything}, kBase));
    // cgroup_common_func_proto() for cgroup hooks; bpf_lsm_func_proto() for BPF_LSM_CGROUP only
    add(B(186, "get_retval", I, {}, kCgroup).not_attach(kNoRetvalAttach));
    add(B(186, "get_retval", I, {}, kLsm).only_attach(kLsmCgroup));
    add(B(187, "set_retval", I, {A::Anything}, kCgroup).not_attach(kNoRetvalAttach));
    add(B(187, "set_retval", I, {A::Anything}, kLsm).only_attach(kLsmCgroup));
    // kernel/bpf/helpers.c bpf_strncmp_proto: s1 of s1_sz readable bytes against a constant string
    add(B(182, "strncmp", I, {A::PtrToMem, A::ConstSize, A::PtrToConstStr}, kBase));
    add(B(188, "xdp_get_buff_len", I, {A::PtrToCtx}, kXdp));
    add(B(189, "xdp_load_bytes", I, {A::PtrToCtx, A::Anything, A::PtrToUninitMem, A::ConstSize}, kXdp));
    add(B(190, "xdp_store_bytes", I, {A::PtrToCtx, A::Anything, A::PtrToMem, A::ConstSize}, kXdp));
    // bpf_skb_set_tstamp_proto (tc): the skb's delivery time and its clock
    add(B(192, "skb_set_tstamp", I, {A::PtrToCtx, A::Anything, A::Anything}, kTc));
    add(B(208, "ktime_get_tai_ns", I, {}, kBase));
    // tailgate's own: finalize_context of a declared cross-type tail call (verifier/ctx_conversion.hpp).
    add(B(kHelperFinalizeContext, "tg_finalize_context", I, {A::PtrToCtx},
          ProgTypeSet::of({P::GenericProbe})));
    std::stable_sort(t.begin(), t.end(),
                     [](const HelperProto& a, const HelperProto& b) { return a.id < b.id; });
    return t;
}

const std::vector<HelperProto>& builtin_table() {
    static const std::vector<HelperProto> table = make_builtin();
    return table;
}

const HelperProto* find_in(std::span<const HelperProto> table, int32_t id) {
    auto it = std::lower_bound(table.begin(), table.end(), id,
                               [](const HelperProto& p, int32_t v) { return p.id < v; });
    return it != table.end() && it->id == id ? &*it : nullptr;
}

const HelperProto* find_in(std::span<const HelperProto> table, int32_t id, ProgType type) {
    const HelperProto* first = find_in(table, id);
    if (!first) return nullptr;
    for (const HelperProto* p = first; p != table.data() + table.size() && p->id == id; ++p)
        if (p->prog_types.contains(type)) return p;
    return first;
}

bool is_mem(ArgKind k) {
    return k == A::PtrToMem || k == A::PtrToMemOrNull || k == A::PtrToWritableMem ||
           k == A::PtrToWritableMemOrNull || k == A::PtrToUninitMem;
}
bool is_size(ArgKind k) {
    return k == A::ConstSize || k == A::ConstSizeOrZero;
}

} // namespace

std::span<const HelperProto> builtin_helpers() {
    return builtin_table();
}
const HelperProto* builtin_helper(int32_t id) {
    return find_in(builtin_table(), id);
}

const HelperProto* builtin_helper(int32_t id, ProgType type) {
    return find_in(builtin_table(), id, type);
}

HelperRegistry::HelperRegistry() : protos_(builtin_table()) {}

const HelperProto* HelperRegistry::find(int32_t id, ProgType type) const {
    return find_in(protos_, id, type);
}

const HelperProto* HelperRegistry::find(int32_t id) const {
    return find_in(protos_, id);
}

const HelperProto* HelperRegistry::find(std::string_view name) const {
    for (const auto& p : protos_)
        if (p.name == name) return &p;
    return nullptr;
}

Status HelperRegistry::add(HelperProto proto) {
    if (find(proto.id))
        return make_error("helper-id-taken", "helper id " + std::to_string(proto.id) + " is already '" +
                                                 find(proto.id)->name + "'");
    if (find(proto.name))
        return make_error("helper-id-taken", "helper name '" + proto.name + "' is already used");
    auto valid = validate_helper_proto(proto);
    if (!valid) return valid.error();
    auto pos = std::lower_bound(protos_.begin(), protos_.end(), proto.id,
                                [](const HelperProto& p, int32_t v) { return p.id < v; });
    protos_.insert(pos, std::move(proto));
    return Ok{};
}

Status validate_helper_proto(const HelperProto& p) {
    auto bad = [&](const std::string& why) -> Status {
        return make_error("bad-helper-proto", "helper " + p.name + "#" + std::to_string(p.id) + ": " + why);
    };
    if (p.name.empty()) return bad("empty name");
    int uninit = 0;
    for (size_t i = 0; i < 5; ++i) {
        ArgKind k = p.args[i];
        std::string arg = "arg" + std::to_string(i + 1);
        // kernel: check_arg_pair_ok(): a memory arg is followed by its size; a size follows memory.
        if (is_mem(k) && (i == 4 || !is_size(p.args[i + 1])))
            return bad(arg + " is memory without a size arg");
        if (is_size(k) && (i == 0 || !is_mem(p.args[i - 1]))) return bad(arg + " is a size without memory");
        if (k == A::ConstAllocSizeOrZero && p.ret != RetKind::PtrToMemOrNull)
            return bad(arg + " is an alloc size but the helper returns no memory");
        if ((k == A::PtrToFixedUninitMem || k == A::PtrToFixedMem) && p.arg_size[i] == 0)
            return bad(arg + " is fixed-size memory of 0 bytes");
        // kernel: check_raw_mode_ok(): at most one uninitialised-memory arg.
        if (k == A::PtrToUninitMem || k == A::PtrToFixedUninitMem || k == A::PtrToUninitMapValue) ++uninit;
        if ((k == A::PtrToMapKey || k == A::PtrToMapValue || k == A::PtrToUninitMapValue) &&
            std::find(p.args.begin(), p.args.begin() + long(i), A::ConstMapPtr) == p.args.begin() + long(i))
            return bad(arg + " needs a map argument before it");
    }
    if (uninit > 1) return bad("more than one uninitialised-memory argument");
    if (p.ret == RetKind::PtrToMemOrNull && (p.ret_size_arg < 0 || p.ret_size_arg > 4 ||
                                             p.args[size_t(p.ret_size_arg)] != A::ConstAllocSizeOrZero))
        return bad("returns memory but ret_size_arg does not name a const_alloc_size_or_zero arg");
    if (p.release_arg > 4) return bad("release_arg out of range");
    if (p.ref_from_arg > 4) return bad("ref_from_arg out of range");
    if (p.release_arg >= 0 && p.args[size_t(p.release_arg)] == A::DontCare)
        return bad("release_arg is not an argument");
    return Ok{};
}

bool helper_returns_socket(const HelperProto& proto, const MapDef* map) {
    return proto.id == 1 && map && (map->type == M::Sockmap || map->type == M::Sockhash);
}

bool helper_acquires_ref(const HelperProto& proto, const MapDef* map) {
    return proto.acquires_ref || helper_returns_socket(proto, map);
}

Status check_helper_prog_type(const HelperProto& proto, ProgType type, AttachType attach) {
    const std::string func = "unknown func bpf_" + proto.name + "#" + std::to_string(proto.id);
    if (!proto.prog_types.contains(type))
        return make_error("unknown-helper",
                          func + ": not available to " + prog_type_name(type) + " programs");
    const int32_t at = attach == AttachType::None ? 0 : int32_t(attach);
    const bool attach_ok = (proto.only_attach == kAnyAttach || attach_in(proto.only_attach, at)) &&
                           !attach_in(proto.not_attach, at);
    if (attach_ok) return Ok{};
    return make_error("unknown-helper", func + ": not available to " + prog_type_name(type) +
                                            " programs of expected attach type " + std::to_string(at) +
                                            (proto.only_attach != kAnyAttach
                                                 ? " (only for " + attach_set_text(proto.only_attach) + ")"
                                                 : ""));
}

Status check_map_func_compatibility(const HelperProto& proto, MapType map_type) {
    const int32_t f = proto.id;
    bool ok = true;
    // First: map types that only some helpers may use (verifier.c check_map_func_compatibility(),
    // first switch, on map->map_type). Host helpers (ids outside the kernel's) follow the same rules.
    auto only = [&](std::initializer_list<int32_t> ids) {
        ok = std::find(ids.begin(), ids.end(), f) != ids.end();
    };
    switch (map_type) {
    case M::ProgArray: only({12}); break;
    case M::PerfEventArray: only({22, 25, 55, 111 /*skb_output*/, 121 /*xdp_output*/}); break;
    case M::Ringbuf: only({130, 131, 134, 198, 199, 200}); break;
    case M::UserRingbuf: only({209}); break;
    case M::StackTrace: only({27}); break;
    case M::CgroupArray: only({33, 37}); break;
    case M::CgroupStorage:
    case M::PercpuCgroupStorage: only({81}); break;
    case M::Devmap:
    case M::DevmapHash:
    case M::Xskmap: only({51, 1}); break;
    case M::Cpumap: only({51}); break;
    case M::ArrayOfMaps:
    case M::HashOfMaps: only({1}); break;
    case M::Sockmap: only({52, 53, 60, 82, 1, 2, 3}); break; // sk/msg redirect, update, select_reuseport
    case M::Sockhash: only({70, 71, 72, 82, 1, 2, 3}); break;
    case M::ReuseportSockarray: only({82}); break;
    case M::Queue:
    case M::Stack: only({87, 88, 89}); break;
    case M::BloomFilter: only({87, 89}); break;
    case M::SkStorage: only({107, 108, 194}); break;
    case M::InodeStorage: only({145, 146, 194}); break;
    case M::TaskStorage: only({156, 157, 194}); break;
    case M::CgrpStorage: only({210, 211, 194}); break;
    default: break;
    }
    // Second: helpers that take only some map types (second switch, on func_id), from the table.
    if (ok && !proto.map_types.empty() && !proto.map_types.contains(map_type)) ok = false;
    if (ok) return Ok{};
    return make_error("helper-argument", "cannot pass map_type " + std::to_string(uint32_t(map_type)) + " (" +
                                             map_type_name(map_type) + ") into func bpf_" + proto.name + "#" +
                                             std::to_string(f));
}

} // namespace tailgate
