// The loaded object: what libbpf would see after opening and relocating a clang-built eBPF ELF file.
// Produced by load_object() (verifier/elf_loader.hpp); read by every later step.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "verifier/isa.hpp"
#include "verifier/prog_type.hpp"

namespace tailgate {

// Map types, numbered as enum bpf_map_type in include/uapi/linux/bpf.h.
enum class MapType : uint32_t {
    Unspec = 0, Hash = 1, Array = 2, ProgArray = 3, PerfEventArray = 4, PercpuHash = 5, PercpuArray = 6,
    StackTrace = 7, CgroupArray = 8, LruHash = 9, LruPercpuHash = 10, LpmTrie = 11, ArrayOfMaps = 12,
    HashOfMaps = 13, Devmap = 14, Sockmap = 15, Cpumap = 16, Xskmap = 17, Sockhash = 18,
    CgroupStorage = 19, ReuseportSockarray = 20, PercpuCgroupStorage = 21, Queue = 22, Stack = 23,
    SkStorage = 24, DevmapHash = 25, StructOps = 26, Ringbuf = 27, InodeStorage = 28, TaskStorage = 29,
    BloomFilter = 30, UserRingbuf = 31, CgrpStorage = 32, Arena = 33,
};
inline constexpr uint32_t kMaxKnownMapType = 33;
const char* map_type_name(MapType t); // "prog_array", "hash", ...; "unknown" past the table
// Array or hash of maps: a lookup yields an inner map (kernel: map_in_map.c).
inline bool is_map_of_maps(MapType t) { return t == MapType::ArrayOfMaps || t == MapType::HashOfMaps; }

// map_flags bits (include/uapi/linux/bpf.h) that change what a program may do with a map.
inline constexpr uint32_t kMapFlagRdonlyProg = 1u << 7; // BPF_F_RDONLY_PROG
inline constexpr uint32_t kMapFlagWronlyProg = 1u << 8; // BPF_F_WRONLY_PROG

enum class MapOrigin : uint8_t {
    Btf,        // SEC(".maps") with BTF-defined layout
    Legacy,     // SEC("maps") struct bpf_map_def / bpf_elf_map records
    GlobalData, // .data / .rodata / .bss (and .data.* / .rodata.*): single-entry array maps
    InnerTemplate, // the inner map a BTF map of maps declares (`__array(values, struct {...})`), named
                   // "<outer>.inner" as libbpf names it: what a lookup in the outer map returns
};

struct MapDef {
    std::string name; // symbol name; for global data the section name (".bss", ".rodata.str1.1", ...)
    MapType type = MapType::Unspec;
    uint32_t key_size = 0;
    uint32_t value_size = 0;
    uint32_t max_entries = 0;
    uint32_t flags = 0;
    MapOrigin origin = MapOrigin::Btf;
    bool readonly = false;              // .rodata: the program may not write it
    std::vector<uint8_t> initial_value; // global data: the section's bytes (zeros for .bss)
    // Static prog-array initialisation (`.values = { [i] = &prog }`): slot -> program name.
    std::map<uint32_t, std::string> prog_slots;
    // Static map-in-map initialisation (array/hash of maps `.values = { [i] = &inner }`): slot -> map name.
    std::map<uint32_t, std::string> inner_map_slots;
    // Array / hash of maps: index in Object::maps of the inner map template, -1 when the object declares
    // none (a loader must then supply one; lookups in it give no usable map).
    int32_t inner_map = -1;
    // Offset in the value of its `struct bpf_spin_lock` (BTF value type, a top-level member), -1 none.
    // kernel: btf.c btf_find_spin_lock() / btf_parse_fields(); what bpf_spin_lock()/unlock() take.
    int32_t spin_lock_off = -1;

    // kernel: bpf_map_flags_to_cap(): what a program may do with the values (BPF_F_RDONLY_PROG /
    // BPF_F_WRONLY_PROG; .rodata is read-only to programs). Device and CPU maps are created read-only to
    // programs whatever their flags (devmap.c dev_map_init_map(), cpumap.c cpu_map_alloc() add
    // BPF_F_RDONLY_PROG); an XSKMAP lookup gives a struct xdp_sock no program may write.
    bool prog_can_write() const {
        return !readonly && !(flags & kMapFlagRdonlyProg) && type != MapType::Devmap &&
               type != MapType::DevmapHash && type != MapType::Cpumap && type != MapType::Xskmap;
    }
    bool prog_can_read() const { return !(flags & kMapFlagWronlyProg); }
};

struct SourceLoc {
    std::string file; // as recorded in DWARF (may be relative to comp_dir)
    uint32_t line = 0;
    uint32_t column = 0;
};

// A function inside a Program's instruction array: the main function at 0, then each appended .text
// subprogram at its start slot.
struct Subprogram {
    std::string name;
    uint32_t start = 0;
    uint32_t end = 0; // one past the last slot
};

// What a relocation said about one instruction, for display ("jmp_table", "parse_tcp").
struct RelocNote {
    uint32_t insn = 0;
    std::string symbol;
    std::string kind; // "R_BPF_64_64", "R_BPF_64_32"
};

struct Program {
    std::string name;    // the FUNC symbol
    std::string section; // ELF section name as written ("xdp", "tc", "kprobe/sys_open", "?xdp/foo"...)
    ProgType type = ProgType::Unspec;
    AttachType expected_attach = AttachType::None;
    bool autoload = true; // false for "?"-prefixed sections
    bool xdp_frags = false; // SEC("xdp.frags")
    std::vector<RawInsn> raw;  // relocated: map refs carry map indexes, local calls point at appended code
    std::vector<Insn> insns;   // decode(raw)
    std::vector<RawInsn> original; // the same slots as in the ELF file, before relocation (for display)
    std::vector<Subprogram> functions; // [0] is the program itself
    std::vector<std::optional<SourceLoc>> lines; // per slot; empty optional where no line info
    std::vector<RelocNote> relocs;
};

struct Object {
    std::string path;
    std::string license;
    std::vector<MapDef> maps;
    std::vector<Program> programs;

    const MapDef* find_map(const std::string& name) const;
    // The map a register's or lddw's map index names, or nullptr when the index is not one of ours.
    const MapDef* map_at(int32_t index) const {
        return index >= 0 && size_t(index) < maps.size() ? &maps[size_t(index)] : nullptr;
    }
    const Program* find_program(const std::string& name) const;
};

} // namespace tailgate
