// Program type names and libbpf's SEC() name table (libbpf.c section_defs, libbpf 1.x strict mode:
// no "sloppy" prefixes such as "xdp_prog" or "socket1").
#include "verifier/prog_type.hpp"

#include <array>

namespace tailgate {

std::string attach_set_text(AttachSet set) {
    std::string types;
    for (int a = 0; a < 64; ++a)
        if ((set >> a) & 1) types += (types.empty() ? "" : ", ") + std::to_string(a);
    return types.find(',') == std::string::npos ? types : "one of " + types;
}

const char* prog_type_name(ProgType t) {
    switch (t) {
    case ProgType::Unspec: return "unspec";
    case ProgType::SocketFilter: return "socket_filter";
    case ProgType::Kprobe: return "kprobe";
    case ProgType::SchedCls: return "sched_cls";
    case ProgType::SchedAct: return "sched_act";
    case ProgType::Tracepoint: return "tracepoint";
    case ProgType::Xdp: return "xdp";
    case ProgType::PerfEvent: return "perf_event";
    case ProgType::CgroupSkb: return "cgroup_skb";
    case ProgType::CgroupSock: return "cgroup_sock";
    case ProgType::LwtIn: return "lwt_in";
    case ProgType::LwtOut: return "lwt_out";
    case ProgType::LwtXmit: return "lwt_xmit";
    case ProgType::SockOps: return "sock_ops";
    case ProgType::SkSkb: return "sk_skb";
    case ProgType::CgroupDevice: return "cgroup_device";
    case ProgType::SkMsg: return "sk_msg";
    case ProgType::RawTracepoint: return "raw_tracepoint";
    case ProgType::CgroupSockAddr: return "cgroup_sock_addr";
    case ProgType::LwtSeg6local: return "lwt_seg6local";
    case ProgType::LircMode2: return "lirc_mode2";
    case ProgType::SkReuseport: return "sk_reuseport";
    case ProgType::FlowDissector: return "flow_dissector";
    case ProgType::CgroupSysctl: return "cgroup_sysctl";
    case ProgType::RawTracepointWritable: return "raw_tracepoint_writable";
    case ProgType::CgroupSockopt: return "cgroup_sockopt";
    case ProgType::Tracing: return "tracing";
    case ProgType::StructOps: return "struct_ops";
    case ProgType::Ext: return "ext";
    case ProgType::Lsm: return "lsm";
    case ProgType::SkLookup: return "sk_lookup";
    case ProgType::Syscall: return "syscall";
    case ProgType::Netfilter: return "netfilter";
    case ProgType::GenericProbe: return "generic_probe";
    }
    return "unknown";
}

namespace {

// How a table entry matches a section name (libbpf.c sec_def_matches()):
//   Exact  "xdp"        only the name itself;
//   Plus   "kprobe+"    the name itself or "kprobe/<anything>";
//   Slash  "xdp/devmap" is exact; entries ending in '/' would be prefixes (none are left in libbpf 1.x).
enum class Match : uint8_t { Exact, Plus };

struct SecDef {
    std::string_view name; // without the trailing '+'
    Match match;
    ProgType type;
    AttachType attach;
    bool xdp_frags;
};

using P = ProgType;
using A = AttachType;
constexpr Match E = Match::Exact;
constexpr Match X = Match::Plus;

// Order matters where names share a prefix only for Exact entries; Plus entries require '/' or end after the
// name, so "kprobe.multi" never matches "kprobe+". Kept in libbpf's order.
constexpr std::array kSectionDefs = {
    SecDef{"socket", E, P::SocketFilter, A::None, false},
    SecDef{"sk_reuseport/migrate", E, P::SkReuseport, A::SkReuseportSelectOrMigrate, false},
    SecDef{"sk_reuseport", E, P::SkReuseport, A::SkReuseportSelect, false},
    SecDef{"kprobe", X, P::Kprobe, A::None, false},
    SecDef{"uprobe", X, P::Kprobe, A::None, false},
    SecDef{"uprobe.s", X, P::Kprobe, A::None, false},
    SecDef{"kretprobe", X, P::Kprobe, A::None, false},
    SecDef{"uretprobe", X, P::Kprobe, A::None, false},
    SecDef{"uretprobe.s", X, P::Kprobe, A::None, false},
    SecDef{"kprobe.multi", X, P::Kprobe, A::TraceKprobeMulti, false},
    SecDef{"kretprobe.multi", X, P::Kprobe, A::TraceKprobeMulti, false},
    SecDef{"uprobe.multi", X, P::Kprobe, A::TraceUprobeMulti, false},
    SecDef{"uretprobe.multi", X, P::Kprobe, A::TraceUprobeMulti, false},
    SecDef{"ksyscall", X, P::Kprobe, A::None, false},
    SecDef{"kretsyscall", X, P::Kprobe, A::None, false},
    SecDef{"usdt", X, P::Kprobe, A::None, false},
    SecDef{"tc/ingress", E, P::SchedCls, A::TcxIngress, false},
    SecDef{"tc/egress", E, P::SchedCls, A::TcxEgress, false},
    SecDef{"tcx/ingress", E, P::SchedCls, A::TcxIngress, false},
    SecDef{"tcx/egress", E, P::SchedCls, A::TcxEgress, false},
    SecDef{"tc", E, P::SchedCls, A::None, false},
    SecDef{"classifier", E, P::SchedCls, A::None, false},
    SecDef{"action", E, P::SchedAct, A::None, false},
    SecDef{"tracepoint", X, P::Tracepoint, A::None, false},
    SecDef{"tp", X, P::Tracepoint, A::None, false},
    SecDef{"raw_tracepoint", X, P::RawTracepoint, A::None, false},
    SecDef{"raw_tp", X, P::RawTracepoint, A::None, false},
    SecDef{"raw_tracepoint.w", X, P::RawTracepointWritable, A::None, false},
    SecDef{"raw_tp.w", X, P::RawTracepointWritable, A::None, false},
    SecDef{"tp_btf", X, P::Tracing, A::TraceRawTp, false},
    SecDef{"fentry", X, P::Tracing, A::TraceFentry, false},
    SecDef{"fmod_ret", X, P::Tracing, A::ModifyReturn, false},
    SecDef{"fexit", X, P::Tracing, A::TraceFexit, false},
    SecDef{"fentry.s", X, P::Tracing, A::TraceFentry, false},
    SecDef{"fmod_ret.s", X, P::Tracing, A::ModifyReturn, false},
    SecDef{"fexit.s", X, P::Tracing, A::TraceFexit, false},
    SecDef{"freplace", X, P::Ext, A::None, false},
    SecDef{"lsm", X, P::Lsm, A::LsmMac, false},
    SecDef{"lsm.s", X, P::Lsm, A::LsmMac, false},
    SecDef{"lsm_cgroup", X, P::Lsm, A::LsmCgroup, false},
    SecDef{"iter", X, P::Tracing, A::TraceIter, false},
    SecDef{"iter.s", X, P::Tracing, A::TraceIter, false},
    SecDef{"syscall", E, P::Syscall, A::None, false},
    SecDef{"xdp.frags/devmap", E, P::Xdp, A::XdpDevmap, true},
    SecDef{"xdp/devmap", E, P::Xdp, A::XdpDevmap, false},
    SecDef{"xdp.frags/cpumap", E, P::Xdp, A::XdpCpumap, true},
    SecDef{"xdp/cpumap", E, P::Xdp, A::XdpCpumap, false},
    SecDef{"xdp.frags", E, P::Xdp, A::Xdp, true},
    SecDef{"xdp", E, P::Xdp, A::Xdp, false},
    SecDef{"perf_event", E, P::PerfEvent, A::None, false},
    SecDef{"lwt_in", E, P::LwtIn, A::None, false},
    SecDef{"lwt_out", E, P::LwtOut, A::None, false},
    SecDef{"lwt_xmit", E, P::LwtXmit, A::None, false},
    SecDef{"lwt_seg6local", E, P::LwtSeg6local, A::None, false},
    SecDef{"sockops", E, P::SockOps, A::CgroupSockOps, false},
    SecDef{"sk_skb/stream_parser", E, P::SkSkb, A::SkSkbStreamParser, false},
    SecDef{"sk_skb/stream_verdict", E, P::SkSkb, A::SkSkbStreamVerdict, false},
    SecDef{"sk_skb/verdict", E, P::SkSkb, A::SkSkbVerdict, false},
    SecDef{"sk_skb", E, P::SkSkb, A::None, false},
    SecDef{"sk_msg", E, P::SkMsg, A::SkMsgVerdict, false},
    SecDef{"lirc_mode2", E, P::LircMode2, A::LircMode2, false},
    SecDef{"flow_dissector", E, P::FlowDissector, A::FlowDissector, false},
    SecDef{"cgroup_skb/ingress", E, P::CgroupSkb, A::CgroupInetIngress, false},
    SecDef{"cgroup_skb/egress", E, P::CgroupSkb, A::CgroupInetEgress, false},
    SecDef{"cgroup/skb", E, P::CgroupSkb, A::None, false},
    SecDef{"cgroup/sock_create", E, P::CgroupSock, A::CgroupInetSockCreate, false},
    SecDef{"cgroup/sock_release", E, P::CgroupSock, A::CgroupInetSockRelease, false},
    SecDef{"cgroup/sock", E, P::CgroupSock, A::CgroupInetSockCreate, false},
    SecDef{"cgroup/post_bind4", E, P::CgroupSock, A::CgroupInet4PostBind, false},
    SecDef{"cgroup/post_bind6", E, P::CgroupSock, A::CgroupInet6PostBind, false},
    SecDef{"cgroup/bind4", E, P::CgroupSockAddr, A::CgroupInet4Bind, false},
    SecDef{"cgroup/bind6", E, P::CgroupSockAddr, A::CgroupInet6Bind, false},
    SecDef{"cgroup/connect4", E, P::CgroupSockAddr, A::CgroupInet4Connect, false},
    SecDef{"cgroup/connect6", E, P::CgroupSockAddr, A::CgroupInet6Connect, false},
    SecDef{"cgroup/sendmsg4", E, P::CgroupSockAddr, A::CgroupUdp4Sendmsg, false},
    SecDef{"cgroup/sendmsg6", E, P::CgroupSockAddr, A::CgroupUdp6Sendmsg, false},
    SecDef{"cgroup/recvmsg4", E, P::CgroupSockAddr, A::CgroupUdp4Recvmsg, false},
    SecDef{"cgroup/recvmsg6", E, P::CgroupSockAddr, A::CgroupUdp6Recvmsg, false},
    SecDef{"cgroup/getpeername4", E, P::CgroupSockAddr, A::CgroupInet4Getpeername, false},
    SecDef{"cgroup/getpeername6", E, P::CgroupSockAddr, A::CgroupInet6Getpeername, false},
    SecDef{"cgroup/getsockname4", E, P::CgroupSockAddr, A::CgroupInet4Getsockname, false},
    SecDef{"cgroup/getsockname6", E, P::CgroupSockAddr, A::CgroupInet6Getsockname, false},
    SecDef{"cgroup/sysctl", E, P::CgroupSysctl, A::CgroupSysctl, false},
    SecDef{"cgroup/getsockopt", E, P::CgroupSockopt, A::CgroupGetsockopt, false},
    SecDef{"cgroup/setsockopt", E, P::CgroupSockopt, A::CgroupSetsockopt, false},
    SecDef{"cgroup/dev", E, P::CgroupDevice, A::CgroupDevice, false},
    SecDef{"struct_ops", X, P::StructOps, A::None, false},
    SecDef{"struct_ops.s", X, P::StructOps, A::None, false},
    SecDef{"sk_lookup", E, P::SkLookup, A::SkLookup, false},
    SecDef{"netfilter", E, P::Netfilter, A::Netfilter, false},
    // tailgate's own type (not libbpf's): the target of declared cross-type tail calls (ctx_conversion.hpp).
    SecDef{"generic_probe", X, P::GenericProbe, A::None, false},
};

bool matches(const SecDef& def, std::string_view section) {
    if (def.match == Match::Exact) return section == def.name;
    // kernel-side naming rule from libbpf.c sec_def_matches(): "type+" is "type" or "type/extras".
    if (section.substr(0, def.name.size()) != def.name) return false;
    return section.size() == def.name.size() || section[def.name.size()] == '/';
}

} // namespace

std::optional<SectionMatch> prog_type_from_section(std::string_view section) {
    for (const SecDef& def : kSectionDefs) {
        if (matches(def, section)) return SectionMatch{def.type, def.attach, def.xdp_frags};
    }
    return std::nullopt;
}

} // namespace tailgate
