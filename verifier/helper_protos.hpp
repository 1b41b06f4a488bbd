// Helper prototypes: what each `call N` expects in r1..r5, what it leaves in r0, which program types may
// call it and which map types it takes. Modelled on the kernel's struct bpf_func_proto
// (include/linux/bpf.h: enum bpf_arg_type, enum bpf_return_type) and the per-type get_func_proto()
// functions (net/core/filter.c, kernel/trace/bpf_trace.c, kernel/bpf/helpers.c bpf_base_func_proto()).
//
// The built-in table is immutable. A HelperRegistry is a value that starts as a copy of it; a host (the
// runtime's embedding API) adds its own prototypes to its registry instance, so the verifier checks calls
// to host helpers with the same rules. No global mutable state.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/object.hpp"
#include "verifier/prog_type.hpp"
#include "verifier/result.hpp"

namespace tailgate {

// Argument kinds (kernel enum bpf_arg_type with its flags folded in).
enum class ArgKind : uint8_t {
    DontCare,            // ARG_DONTCARE: not an argument; the register is not read
    Anything,            // ARG_ANYTHING: any initialised value (scalar; pointers only when privileged)
    PtrToCtx,            // ARG_PTR_TO_CTX: the unmodified ctx pointer (offset 0)
    PtrToCtxOrNull,      // ARG_PTR_TO_CTX_OR_NULL: as PtrToCtx, or NULL (get_netns_cookie)
    ConstMapPtr,         // ARG_CONST_MAP_PTR: a map pointer from lddw (pseudo map)
    PtrToMapKey,         // ARG_PTR_TO_MAP_KEY: key_size initialised readable bytes (stack/map value/packet)
    PtrToMapValue,       // ARG_PTR_TO_MAP_VALUE: value_size initialised readable bytes
    PtrToUninitMapValue, // ARG_PTR_TO_MAP_VALUE | MEM_UNINIT: value_size writable bytes (map_pop/peek)
    PtrToMapValueOrNull, // ARG_PTR_TO_MAP_VALUE_OR_NULL: as PtrToMapValue, or NULL (sk_storage_get)
    PtrToMem,            // ARG_PTR_TO_MEM | MEM_RDONLY: readable initialised memory, size in the next arg
    PtrToMemOrNull,      // ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY: as PtrToMem, or NULL with size 0
    PtrToWritableMem,    // ARG_PTR_TO_MEM: initialised memory the helper reads and writes; size next
    PtrToWritableMemOrNull, // ARG_PTR_TO_MEM_OR_NULL: as PtrToWritableMem, or NULL with size 0
    PtrToUninitMem,         // ARG_PTR_TO_UNINIT_MEM: memory the helper fills; size in the next arg
    PtrToFixedUninitMem,    // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT: HelperProto::arg_size bytes filled
    PtrToFixedMem,   // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE: arg_size initialised bytes read, then written
    ConstSize,       // ARG_CONST_SIZE: size of the previous arg, known bounds, > 0
    ConstSizeOrZero, // ARG_CONST_SIZE_OR_ZERO: as ConstSize, 0 allowed
    ConstAllocSizeOrZero, // ARG_CONST_ALLOC_SIZE_OR_ZERO: constant size of memory the helper returns
    PtrToRingbufMem,      // ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE: a pointer returned by ringbuf_reserve
    PtrToSockCommon,      // ARG_PTR_TO_SOCK_COMMON
    PtrToBtfIdSockCommon, // ARG_PTR_TO_BTF_ID_SOCK_COMMON (with OBJ_RELEASE for sk_release)
    PtrToSocketOrNull,    // ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL: a full socket (struct bpf_sock) or NULL
    PtrToFunc,            // ARG_PTR_TO_FUNC: a callback (lddw pseudo func)
    PtrToStackOrNull,     // ARG_PTR_TO_STACK_OR_NULL: callback context on the stack, or NULL
    PtrToSpinLock,        // ARG_PTR_TO_SPIN_LOCK: a null-checked map value pointer at its bpf_spin_lock
    // ARG_PTR_TO_CONST_STR: a NUL-terminated string at a constant offset of a read-only map value (.rodata),
    // known when the program is verified
    PtrToConstStr,
};
const char* arg_kind_name(ArgKind k); // "anything", "ptr_to_ctx", "const_map_ptr", ...

// Return kinds (kernel enum bpf_return_type with its flags folded in).
enum class RetKind : uint8_t {
    Integer,               // RET_INTEGER: r0 is an unknown scalar
    Void,                  // RET_VOID: r0 is unset (NOT_INIT): reading it is uninitialized-register
    PtrToMapValue,         // RET_PTR_TO_MAP_VALUE (get_local_storage)
    PtrToMapValueOrNull,   // RET_PTR_TO_MAP_VALUE_OR_NULL: value_size bytes of the map argument, or NULL
    PtrToMemOrNull,        // RET_PTR_TO_MEM | PTR_MAYBE_NULL (ringbuf_reserve): size from ret_size_arg
    PtrToSocketOrNull,     // RET_PTR_TO_SOCKET_OR_NULL
    PtrToSockCommonOrNull, // RET_PTR_TO_SOCK_COMMON_OR_NULL
    PtrToTcpSockOrNull,    // RET_PTR_TO_TCP_SOCK_OR_NULL
};
const char* ret_kind_name(RetKind k);

// A set of program types (GenericProbe included).
struct ProgTypeSet {
    uint64_t bits = 0;
    static constexpr int bit(ProgType t) {
        return t == ProgType::GenericProbe ? 63 : (uint32_t(t) < 63 ? int(t) : -1);
    }
    constexpr bool contains(ProgType t) const { return bit(t) >= 0 && ((bits >> bit(t)) & 1); }
    constexpr ProgTypeSet operator|(ProgTypeSet o) const { return ProgTypeSet{bits | o.bits}; }
    static constexpr ProgTypeSet of(std::initializer_list<ProgType> ts) {
        ProgTypeSet s;
        for (ProgType t : ts)
            if (bit(t) >= 0) s.bits |= uint64_t(1) << bit(t);
        return s;
    }
    static constexpr ProgTypeSet all() { return ProgTypeSet{~uint64_t(0) & ~uint64_t(1)}; } // not Unspec
};

// A set of map types. Empty: the helper does not restrict map types (the map-type side still may).
struct MapTypeSet {
    uint64_t bits = 0;
    constexpr bool empty() const { return bits == 0; }
    constexpr bool contains(MapType t) const { return uint32_t(t) < 64 && ((bits >> uint32_t(t)) & 1); }
    static constexpr MapTypeSet of(std::initializer_list<MapType> ts) {
        MapTypeSet s;
        for (MapType t : ts) s.bits |= uint64_t(1) << uint32_t(t);
        return s;
    }
};

struct HelperProto {
    int32_t id = 0;   // uapi enum bpf_func_id (the `call` immediate)
    std::string name; // without the "bpf_" prefix: "map_lookup_elem"
    RetKind ret = RetKind::Integer;
    std::array<ArgKind, 5> args{ArgKind::DontCare, ArgKind::DontCare, ArgKind::DontCare, ArgKind::DontCare,
                                ArgKind::DontCare};
    std::array<uint16_t, 5> arg_size{}; // bytes, for PtrToFixedUninitMem / PtrToFixedMem args
    ProgTypeSet prog_types;             // program types whose get_func_proto() offers it
    // Some get_func_proto() functions also switch on prog->expected_attach_type: the helper exists only for
    // the attach types in only_attach (when set) and not for those in not_attach.
    AttachSet only_attach = kAnyAttach;
    AttachSet not_attach = kAnyAttach;
    MapTypeSet map_types; // accepted map types for the ConstMapPtr arg (empty: no restriction)
    bool gpl_only = false;
    bool pkt_access = false;       // bpf_func_proto.pkt_access: packet pointers allowed as mem/key args
    bool changes_pkt_data = false; // filter.c bpf_helper_changes_pkt_data(): invalidates packet pointers
    bool acquires_ref = false;     // the returned pointer is a reference that must be released
    int8_t release_arg = -1;       // 0-based arg index released (OBJ_RELEASE), -1 none
    // 0-based arg index whose reference the returned pointer shares, -1 none: a cast of an acquired socket
    // (kernel: verifier.c is_ptr_cast_function(), r0 gets the argument's ref_obj_id)
    int8_t ref_from_arg = -1;
    int8_t ret_size_arg = -1; // 0-based arg index giving the size of returned memory, -1 none

    int num_args() const; // index of the last non-DontCare arg + 1
};

// The built-in table, sorted by id.
std::span<const HelperProto> builtin_helpers();
const HelperProto* builtin_helper(int32_t id);
// A helper id may have one prototype per family of program types, as the kernel's get_func_proto()
// functions return different protos for one id (bpf_sk_assign: tc's takes a sock_common, sk_lookup's a
// socket or NULL). This finds the one for `type`, else the first with that id (whose program types then
// do not include `type`: check_helper_prog_type() says so).
const HelperProto* builtin_helper(int32_t id, ProgType type);

// Host-registered helpers should use ids in [kFirstHostHelperId, kHelperIdEnd), clear of the kernel's
// numbering; the runtime's engines call helpers by id below kHelperIdEnd (runtime/vm.hpp HelperTable).
inline constexpr int32_t kFirstHostHelperId = 0x10000;
inline constexpr int32_t kHelperIdEnd = kFirstHostHelperId + 0x10000;

class HelperRegistry {
  public:
    // Starts from the built-in table.
    HelperRegistry();
    static HelperRegistry builtin() { return HelperRegistry(); }

    const HelperProto* find(int32_t id) const;
    const HelperProto* find(int32_t id, ProgType type) const; // as builtin_helper(id, type)
    const HelperProto* find(std::string_view name) const;
    std::span<const HelperProto> all() const { return protos_; } // sorted by id

    // Add a host prototype. Fails with "helper-id-taken" when the id or name is already used, and with
    // "bad-helper-proto" when the prototype is malformed (see validate_helper_proto).
    Status add(HelperProto proto);

  private:
    std::vector<HelperProto> protos_;
};

// kernel: verifier.c check_func_proto() / check_arg_pair_ok() / check_raw_mode_ok(): every memory arg is
// followed by a size arg and every size arg follows a memory arg; at most one uninit-mem arg; a
// PtrToMemOrNull return names its size arg; arg_size set for fixed-size args. Fails "bad-helper-proto".
Status validate_helper_proto(const HelperProto& proto);

// Does a call acquire a reference the program must release (kernel: verifier.c is_acquire_function())?
// The prototype says so, and map_lookup_elem on a SOCKMAP / SOCKHASH returns an acquired socket.
bool helper_acquires_ref(const HelperProto& proto, const MapDef* map);
// Does this call return a full socket or NULL instead of the prototype's return (kernel: verifier.c
// check_helper_call(): map_lookup_elem on a SOCKMAP / SOCKHASH gives PTR_TO_SOCKET_OR_NULL)?
bool helper_returns_socket(const HelperProto& proto, const MapDef* map);

// May a program of `type` and expected attach type `attach` call the helper? kernel: the type's
// get_func_proto() returning NULL gives "unknown func %s#%d". An attach type of None is the kernel's
// default expected_attach_type, 0. Fails with "unknown-helper".
Status check_helper_prog_type(const HelperProto& proto, ProgType type, AttachType attach = AttachType::None);

// kernel: verifier.c check_map_func_compatibility(): both directions — map types that only work with
// some helpers (prog_array only with tail_call, perf_event_array only with perf_event_output/read...,
// devmap/cpumap/xskmap with redirect_map...) and helpers that only take some map types. Fails with
// "helper-argument", message "cannot pass map_type %d into func %s#%d".
Status check_map_func_compatibility(const HelperProto& proto, MapType map_type);

// Well-known ids used by other modules.
inline constexpr int32_t kHelperMapLookupElem = 1;
inline constexpr int32_t kHelperMapUpdateElem = 2;
inline constexpr int32_t kHelperMapDeleteElem = 3;
inline constexpr int32_t kHelperTracePrintk = 6;
inline constexpr int32_t kHelperRedirect = 23;
inline constexpr int32_t kHelperPerfEventOutput = 25;
inline constexpr int32_t kHelperRedirectMap = 51;
inline constexpr int32_t kHelperMapPushElem = 87;
inline constexpr int32_t kHelperMapPopElem = 88;
inline constexpr int32_t kHelperRingbufReserve = 131;
inline constexpr int32_t kHelperSnprintf = 165;
inline constexpr int32_t kHelperSpinLock = 93;
inline constexpr int32_t kHelperSpinUnlock = 94;

} // namespace tailgate
