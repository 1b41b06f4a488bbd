// Object lookups and map type names (enum bpf_map_type order, libbpf.c map_type_name[] spelling).
#include "verifier/object.hpp"

#include <array>

namespace tailgate {

const char* map_type_name(MapType t) {
    static constexpr std::array<const char*, kMaxKnownMapType + 1> kNames = {
        "unspec",
        "hash",
        "array",
        "prog_array",
        "perf_event_array",
        "percpu_hash",
        "percpu_array",
        "stack_trace",
        "cgroup_array",
        "lru_hash",
        "lru_percpu_hash",
        "lpm_trie",
        "array_of_maps",
        "hash_of_maps",
        "devmap",
        "sockmap",
        "cpumap",
        "xskmap",
        "sockhash",
        "cgroup_storage",
        "reuseport_sockarray",
        "percpu_cgroup_storage",
        "queue",
        "stack",
        "sk_storage",
        "devmap_hash",
        "struct_ops",
        "ringbuf",
        "inode_storage",
        "task_storage",
        "bloom_filter",
        "user_ringbuf",
        "cgrp_storage",
        "arena",
    };
    auto i = static_cast<uint32_t>(t);
    return i < kNames.size() ? kNames[i] : "unknown";
}

const MapDef* Object::find_map(const std::string& name) const {
    for (const MapDef& m : maps) {
        if (m.name == name) return &m;
    }
    return nullptr;
}

const Program* Object::find_program(const std::string& name) const {
    for (const Program& p : programs) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

} // namespace tailgate
