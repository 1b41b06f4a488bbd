// Program types and attach types, numbered as in include/uapi/linux/bpf.h, and the mapping from
// libbpf SEC() names to them (libbpf.c section_defs). The ctx layout of each type lives in ctx_layout.hpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace tailgate {

enum class ProgType : uint32_t {
    Unspec = 0,
    SocketFilter = 1,
    Kprobe = 2,
    SchedCls = 3,
    SchedAct = 4,
    Tracepoint = 5,
    Xdp = 6,
    PerfEvent = 7,
    CgroupSkb = 8,
    CgroupSock = 9,
    LwtIn = 10,
    LwtOut = 11,
    LwtXmit = 12,
    SockOps = 13,
    SkSkb = 14,
    CgroupDevice = 15,
    SkMsg = 16,
    RawTracepoint = 17,
    CgroupSockAddr = 18,
    LwtSeg6local = 19,
    LircMode2 = 20,
    SkReuseport = 21,
    FlowDissector = 22,
    CgroupSysctl = 23,
    RawTracepointWritable = 24,
    CgroupSockopt = 25,
    Tracing = 26,
    StructOps = 27,
    Ext = 28,
    Lsm = 29,
    SkLookup = 30,
    Syscall = 31,
    Netfilter = 32,
    // tailgate's own type for cross-type tail calls (analysis/ctx conversion): a probe whose ctx carries the
    // probed function's arguments. Not a kernel type; numbered out of the kernel's range.
    GenericProbe = 1000,
};

// enum bpf_attach_type values (uapi numbering) that SEC() names imply; None when the section implies none.
enum class AttachType : int32_t {
    None = -1,
    CgroupInetIngress = 0,
    CgroupInetEgress = 1,
    CgroupInetSockCreate = 2,
    CgroupSockOps = 3,
    SkSkbStreamParser = 4,
    SkSkbStreamVerdict = 5,
    CgroupDevice = 6,
    SkMsgVerdict = 7,
    CgroupInet4Bind = 8,
    CgroupInet6Bind = 9,
    CgroupInet4Connect = 10,
    CgroupInet6Connect = 11,
    CgroupInet4PostBind = 12,
    CgroupInet6PostBind = 13,
    CgroupUdp4Sendmsg = 14,
    CgroupUdp6Sendmsg = 15,
    LircMode2 = 16,
    FlowDissector = 17,
    CgroupSysctl = 18,
    CgroupUdp4Recvmsg = 19,
    CgroupUdp6Recvmsg = 20,
    CgroupGetsockopt = 21,
    CgroupSetsockopt = 22,
    TraceRawTp = 23,
    TraceFentry = 24,
    TraceFexit = 25,
    ModifyReturn = 26,
    LsmMac = 27,
    TraceIter = 28,
    CgroupInet4Getpeername = 29,
    CgroupInet6Getpeername = 30,
    CgroupInet4Getsockname = 31,
    CgroupInet6Getsockname = 32,
    XdpDevmap = 33,
    CgroupInetSockRelease = 34,
    XdpCpumap = 35,
    SkLookup = 36,
    Xdp = 37,
    SkSkbVerdict = 38,
    SkReuseportSelect = 39,
    SkReuseportSelectOrMigrate = 40,
    PerfEvent = 41,
    TraceKprobeMulti = 42,
    LsmCgroup = 43,
    StructOps = 44,
    Netfilter = 45,
    TcxIngress = 46,
    TcxEgress = 47,
    TraceUprobeMulti = 48,
};

// A set of expected attach types (bit n: uapi attach type n), for ctx fields and helpers only some attach
// types may use (every uapi attach type is below 64).
using AttachSet = uint64_t;
inline constexpr AttachSet kAnyAttach = 0; // no restriction
constexpr AttachSet attach_set(std::initializer_list<AttachType> types) {
    AttachSet s = 0;
    for (AttachType t : types) s |= AttachSet{1} << static_cast<int32_t>(t);
    return s;
}
constexpr bool attach_in(AttachSet set, int32_t attach) {
    return attach >= 0 && attach < 64 && ((set >> attach) & 1) != 0;
}

// "8" or "one of 10, 11": the uapi numbers of a non-empty set, for messages.
std::string attach_set_text(AttachSet set);

const char* prog_type_name(ProgType t); // "xdp", "sched_cls", "kprobe", ...

struct SectionMatch {
    ProgType type;
    AttachType attach;
    bool xdp_frags;
};

// libbpf SEC() conventions: "xdp", "tc", "classifier", "socket", "kprobe/...", "tracepoint/...", ... A
// leading
// '?' is stripped by the caller. Returns nullopt for a section name libbpf would not recognise.
std::optional<SectionMatch> prog_type_from_section(std::string_view section);

} // namespace tailgate
