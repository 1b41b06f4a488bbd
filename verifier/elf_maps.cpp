// Map definitions: legacy `maps` records, BTF-defined `.maps` (read with libbpf's btf.h API, never by hand),
// and global data sections as single-entry arrays. Mirrors libbpf.c bpf_object__init_user_maps() (legacy,
// removed in libbpf 1.0 but still found in real objects), bpf_object__init_user_btf_maps(),
// bpf_object__init_global_data_maps() and bpf_object__collect_map_relos().
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "verifier/elf_image.hpp"

namespace tailgate::elf {

namespace {

uint32_t read_u32(std::span<const uint8_t> data, uint64_t off) {
    uint32_t v;
    std::memcpy(&v, data.data() + off, 4);
    return v; // the image was checked to be little-endian, as is every host tailgate builds on
}

// The map's type is known, and the sizes its kernel map type requires at creation hold.
Status check_map_type(const MapDef& m) {
    const auto t = static_cast<uint32_t>(m.type);
    if (t == 0 || t > kMaxKnownMapType)
        return make_error("unknown-map-type", "map '" + m.name + "' has type " + std::to_string(t) +
                                                  (t == 0 ? " (unspec)" : " which tailgate does not know"));
    auto bad = [&](const std::string& why) {
        return make_error("bad-map-def", "map '" + m.name + "' (" + map_type_name(m.type) + "): " + why);
    };
    // kernel: devmap.c dev_map_init_map(), cpumap.c cpu_map_alloc(): a u32 key and a 4 or 8-byte value
    // (struct bpf_devmap_val / bpf_cpumap_val up to the program fd); xskmap.c xsk_map_alloc(): u32 and u32
    using M = MapType;
    if ((m.type == M::Devmap || m.type == M::DevmapHash || m.type == M::Cpumap) &&
        (m.key_size != 4 || (m.value_size != 4 && m.value_size != 8)))
        return bad("key_size must be 4 and value_size 4 or 8 (they are " + std::to_string(m.key_size) +
                   " and " + std::to_string(m.value_size) + ")");
    if (m.type == M::Xskmap && (m.key_size != 4 || m.value_size != 4))
        return bad("key_size and value_size must be 4");
    // kernel: map_check_btf(): the value's BTF type has the map's value size, so its lock lies inside it
    if (m.spin_lock_off >= 0 && uint64_t(m.spin_lock_off) + 4 > m.value_size)
        return bad("the bpf_spin_lock at offset " + std::to_string(m.spin_lock_off) + " lies outside the " +
                   std::to_string(m.value_size) + "-byte value");
    return Ok{};
}

// Map symbols of a section: named data symbols (not the section or file symbol), sorted by offset.
std::vector<uint32_t> map_symbols(const Image& image, uint32_t section) {
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < image.symbols.size(); ++i) {
        const Symbol& s = image.symbols[i];
        if (s.shndx != section || !s.defined()) continue;
        if (s.type != kSttObject && s.type != kSttNotype) continue;
        if (s.name.empty()) continue;
        out.push_back(i);
    }
    std::stable_sort(out.begin(), out.end(),
                     [&](uint32_t a, uint32_t b) { return image.symbols[a].value < image.symbols[b].value; });
    return out;
}

// Legacy `maps` section: struct bpf_map_def (20 bytes), iproute2 struct bpf_elf_map (28 bytes: + id,
// pinning), Cilium's bpf_elf_map (36 bytes: + inner_id, inner_idx). The first five u32 are the same in all of
// them. The record size is each symbol's size, or when symbols have size 0, the section size / number of maps
// (libbpf.c bpf_object__init_user_maps(): "assume equally sized map definitions").
Status collect_legacy(const Image& image, const Section& sec, Object& obj, MapIndex& index) {
    const std::vector<uint32_t> syms = map_symbols(image, sec.index);
    if (syms.empty()) return Ok{};
    if (sec.type == kShtNobits)
        return make_error("bad-map-def", "section 'maps' has no contents (SHT_NOBITS)");
    const uint64_t shared_size = sec.size / syms.size();
    for (uint32_t si : syms) {
        const Symbol& s = image.symbols[si];
        uint64_t rec = s.size;
        if (rec == 0) {
            if (sec.size % syms.size() != 0)
                return make_error("bad-map-def", "section 'maps' of " + std::to_string(sec.size) +
                                                     " bytes does not divide into " +
                                                     std::to_string(syms.size()) + " equal map records");
            rec = shared_size;
        }
        if (rec < 20 || rec > 36 || rec % 4 != 0)
            return make_error("bad-map-def", "legacy map '" + s.name + "' record is " + std::to_string(rec) +
                                                 " bytes; expected 20 to 36 bytes of u32 fields");
        if (s.value > sec.data.size() || rec > sec.data.size() - s.value)
            return make_error("truncated", "legacy map '" + s.name + "' at offset " +
                                               std::to_string(s.value) +
                                               " extends past the end of section 'maps'");
        MapDef m;
        m.name = s.name;
        m.origin = MapOrigin::Legacy;
        m.type = static_cast<MapType>(read_u32(sec.data, s.value));
        m.key_size = read_u32(sec.data, s.value + 4);
        m.value_size = read_u32(sec.data, s.value + 8);
        m.max_entries = read_u32(sec.data, s.value + 12);
        m.flags = read_u32(sec.data, s.value + 16);
        TG_TRY_ASSIGN(Ok ok, check_map_type(m));
        (void)ok;
        index.by_symbol[{sec.index, s.value}] = obj.maps.size();
        obj.maps.push_back(std::move(m));
    }
    return Ok{};
}

struct BtfDeleter {
    void operator()(btf* b) const { btf__free(b); }
};

// libbpf.c skip_mods_and_typedefs(); bounded so that a type loop in fuzzed BTF cannot hang.
const btf_type* skip_mods(const btf* b, uint32_t id, uint32_t* res_id) {
    const btf_type* t = btf__type_by_id(b, id);
    for (int depth = 0; t && depth < 64 && (btf_is_mod(t) || btf_is_typedef(t)); ++depth) {
        id = t->type;
        t = btf__type_by_id(b, id);
    }
    if (t && (btf_is_mod(t) || btf_is_typedef(t))) return nullptr;
    if (res_id) *res_id = id;
    return t;
}

// `__uint(name, N)` is `int (*name)[N]`: a pointer to an array whose element count is the value
// (libbpf.c get_map_field_int()).
Result<uint32_t> field_int(const btf* b, const std::string& map, const char* field, uint32_t type_id) {
    const btf_type* ptr = skip_mods(b, type_id, nullptr);
    if (!ptr || !btf_is_ptr(ptr))
        return make_error("bad-btf", "map '" + map + "' field '" + field + "' is not a pointer to an array");
    const btf_type* arr = skip_mods(b, ptr->type, nullptr);
    if (!arr || !btf_is_array(arr))
        return make_error("bad-btf", "map '" + map + "' field '" + field + "' is not a pointer to an array");
    return btf_array(arr)->nelems;
}

// `__type(key, T)` is `T *key`: the size of T.
Result<uint32_t> field_type_size(const btf* b, const std::string& map, const char* field, uint32_t type_id) {
    const btf_type* ptr = skip_mods(b, type_id, nullptr);
    if (!ptr || !btf_is_ptr(ptr))
        return make_error("bad-btf", "map '" + map + "' field '" + field + "' is not a pointer to a type");
    const long long sz = btf__resolve_size(b, ptr->type);
    if (sz < 0 || sz > UINT32_MAX)
        return make_error("bad-btf", "map '" + map + "' field '" + field + "' has a type of unknown size");
    return uint32_t(sz);
}

struct BtfMap {
    size_t index;        // into Object::maps
    uint64_t offset;     // of its symbol in .maps
    uint64_t end;        // one past its last byte in .maps
    uint64_t values_off; // offset of the `values` member in the struct; UINT64_MAX when absent
};

constexpr uint32_t kBpfFInnerMap = 1u << 12; // BPF_F_INNER_MAP

// Offset of the top-level `struct bpf_spin_lock` member of a value type, -1 when there is none; more than
// one is an error (kernel: btf_parse_fields() allows one).
Result<int32_t> find_spin_lock(const btf* b, const std::string& map, uint32_t value_type) {
    const btf_type* t = skip_mods(b, value_type, nullptr);
    if (!t || !btf_is_struct(t)) return int32_t(-1);
    int32_t found = -1;
    const btf_member* mem = btf_members(t);
    for (uint32_t i = 0; i < btf_vlen(t); ++i, ++mem) {
        const btf_type* mt = skip_mods(b, mem->type, nullptr);
        if (!mt || !btf_is_struct(mt)) continue;
        const char* n = btf__name_by_offset(b, mt->name_off);
        if (!n || std::strcmp(n, "bpf_spin_lock") != 0) continue;
        if (found >= 0)
            return make_error("bad-map-def",
                              "map '" + map + "' has more than one bpf_spin_lock in its value");
        found = int32_t(btf_member_bit_offset(t, i) / 8);
    }
    return found;
}

// One `.maps` variable: reads the struct members libbpf's parse_btf_map_def() knows. For a map of maps,
// `values` is an array of pointers to the inner map's definition (libbpf: map_def->inner_def), parsed into
// *inner; inner == nullptr while parsing an inner definition (one level only, as the kernel's
// bpf_map_meta_alloc() allows).
Result<MapDef> parse_btf_map(const btf* b, const std::string& name, uint32_t var_type, uint64_t& values_off,
                             std::optional<MapDef>* inner) {
    const btf_type* def = skip_mods(b, var_type, nullptr);
    if (!def || !btf_is_struct(def))
        return make_error("bad-btf", "map '" + name + "' in .maps is not a struct");
    MapDef m;
    m.name = name;
    m.origin = MapOrigin::Btf;
    values_off = UINT64_MAX;
    // libbpf.c parse_btf_map_def(): __uint(key_size) and __type(key) (value likewise) must agree
    auto set_size = [&](uint32_t old, uint32_t v, const char* what) -> Result<uint32_t> {
        if (old != 0 && old != v)
            return make_error("bad-map-def", "map '" + name + "': conflicting " + what + " size " +
                                                 std::to_string(old) + " != " + std::to_string(v));
        return v;
    };
    const btf_member* mem = btf_members(def);
    for (uint32_t i = 0; i < btf_vlen(def); ++i, ++mem) {
        const char* mname_c = btf__name_by_offset(b, mem->name_off);
        if (!mname_c) return make_error("bad-btf", "map '" + name + "' has a member with an invalid name");
        const std::string mname = mname_c;
        if (mname == "type" || mname == "max_entries" || mname == "map_flags" || mname == "key_size" ||
            mname == "value_size") {
            TG_TRY_ASSIGN(uint32_t v, field_int(b, name, mname_c, mem->type));
            if (mname == "type") m.type = static_cast<MapType>(v);
            if (mname == "max_entries") m.max_entries = v;
            if (mname == "map_flags") m.flags = v;
            if (mname == "key_size") {
                TG_TRY_ASSIGN(m.key_size, set_size(m.key_size, v, "key"));
            }
            if (mname == "value_size") {
                TG_TRY_ASSIGN(m.value_size, set_size(m.value_size, v, "value"));
            }
        } else if (mname == "key" || mname == "value") {
            TG_TRY_ASSIGN(uint32_t v, field_type_size(b, name, mname_c, mem->type));
            uint32_t& size = mname == "key" ? m.key_size : m.value_size;
            TG_TRY_ASSIGN(size, set_size(size, v, mname_c));
            if (mname == "value") {
                const btf_type* ptr = skip_mods(b, mem->type, nullptr); // a pointer: field_type_size checked
                TG_TRY_ASSIGN(int32_t lock, find_spin_lock(b, name, ptr->type));
                m.spin_lock_off = lock;
            }
        } else if (mname == "values") {
            const btf_type* arr = skip_mods(b, mem->type, nullptr);
            if (!arr || !btf_is_array(arr))
                return make_error("bad-btf", "map '" + name + "' field 'values' is not an array");
            values_off = btf_member_bit_offset(def, i) / 8;
            const btf_type* elem = skip_mods(b, btf_array(arr)->type, nullptr);
            uint32_t pointee = 0;
            if (elem && btf_is_ptr(elem) && skip_mods(b, elem->type, &pointee) &&
                btf_is_struct(btf__type_by_id(b, pointee))) {
                if (!inner)
                    return make_error("bad-map-def",
                                      "map '" + name +
                                          "' is a map of maps inside a map of maps (the kernel "
                                          "allows one level: bpf_map_meta_alloc())");
                uint64_t inner_values_off = 0;
                TG_TRY_ASSIGN(MapDef in,
                              parse_btf_map(b, name + ".inner", pointee, inner_values_off, nullptr));
                *inner = std::move(in);
            }
            // A prog array's and a map-of-maps' value is a 4-byte fd/id (libbpf sets it the same way).
            if (m.value_size == 0) m.value_size = 4;
        }
        // numa_node, pinning, map_extra: no effect on verification or on tailgate's runtime.
    }
    // kernel: syscall.c map_check_btf(): a bpf_spin_lock only in these map types, never in a map the program
    // may only read (BPF_F_RDONLY_PROG: -EACCES)
    if (m.spin_lock_off >= 0) {
        using M = MapType;
        if (m.type != M::Hash && m.type != M::Array && m.type != M::CgroupStorage && m.type != M::SkStorage &&
            m.type != M::InodeStorage && m.type != M::TaskStorage && m.type != M::CgrpStorage)
            return make_error("bad-map-def", "map '" + name + "': a " + map_type_name(m.type) +
                                                 " cannot hold a bpf_spin_lock (map_check_btf(): -ENOTSUPP)");
        if (m.flags & kMapFlagRdonlyProg)
            return make_error("bad-map-def",
                              "map '" + name +
                                  "' holds a bpf_spin_lock but is BPF_F_RDONLY_PROG (map_check_btf(): "
                                  "-EACCES)");
    }
    if ((m.type == MapType::ProgArray || is_map_of_maps(m.type)) && m.key_size == 0) m.key_size = 4;
    if (inner && inner->has_value()) {
        // libbpf.c parse_btf_map_def(): "map '%s': should be map-in-map."
        if (!is_map_of_maps(m.type))
            return make_error("bad-map-def", "map '" + name + "' declares an inner map but is a " +
                                                 map_type_name(m.type) + ", not a map of maps");
        // kernel: map_in_map.c bpf_map_meta_alloc(): no map of maps inside, and the inner map type needs
        // map_meta_equal (prog arrays have none: -ENOTSUPP)
        const MapType it = (*inner)->type;
        if (is_map_of_maps(it) || it == MapType::ProgArray)
            return make_error("bad-map-def", "map '" + name + "': a " + map_type_name(it) +
                                                 " cannot be the inner map of a map of maps");
        (*inner)->origin = MapOrigin::InnerTemplate;
    }
    return m;
}

Status collect_btf(const Image& image, const Section& sec, Object& obj, MapIndex& index) {
    const Section* btf_sec = image.find_section(".BTF");
    if (!btf_sec || btf_sec->data.empty())
        return make_error("bad-btf", "section .maps needs BTF, and the object has no .BTF section");
    if (btf_sec->data.size() > UINT32_MAX) return make_error("bad-btf", ".BTF is too large");
    std::unique_ptr<btf, BtfDeleter> b(btf__new(btf_sec->data.data(), uint32_t(btf_sec->data.size())));
    if (!b || libbpf_get_error(b.get())) {
        (void)b.release(); // an error pointer from libbpf is not a pointer to free
        return make_error("bad-btf", "libbpf cannot parse .BTF");
    }

    std::vector<BtfMap> btf_maps;
    const uint32_t n = btf__type_cnt(b.get());
    for (uint32_t id = 1; id < n; ++id) {
        const btf_type* t = btf__type_by_id(b.get(), id);
        if (!t || !btf_is_datasec(t)) continue;
        const char* dname = btf__name_by_offset(b.get(), t->name_off);
        if (!dname || std::strcmp(dname, ".maps") != 0) continue;
        const btf_var_secinfo* vi = btf_var_secinfos(t);
        for (uint32_t i = 0; i < btf_vlen(t); ++i, ++vi) {
            const btf_type* var = btf__type_by_id(b.get(), vi->type);
            if (!var || !btf_is_var(var))
                return make_error("bad-btf", ".maps entry " + std::to_string(i) + " is not a variable");
            const char* vname = btf__name_by_offset(b.get(), var->name_off);
            if (!vname || !*vname)
                return make_error("bad-btf", ".maps variable " + std::to_string(i) + " has no name");
            // The variable's place in .maps comes from its ELF symbol (clang leaves DATASEC offsets to
            // libbpf: libbpf.c btf_fixup_datasec()).
            const Symbol* sym = nullptr;
            for (const Symbol& s : image.symbols) {
                if (s.shndx == sec.index && s.defined() && s.name == vname && s.type != kSttSection) sym = &s;
            }
            if (!sym) return make_error("bad-btf", "map '" + std::string(vname) + "' has no symbol in .maps");
            uint64_t values_off = UINT64_MAX;
            std::optional<MapDef> inner;
            TG_TRY_ASSIGN(MapDef m, parse_btf_map(b.get(), vname, var->type, values_off, &inner));
            TG_TRY_ASSIGN(Ok ok, check_map_type(m));
            (void)ok;
            btf_maps.push_back(BtfMap{obj.maps.size(), sym->value, sym->value + sym->size, values_off});
            index.by_symbol[{sec.index, sym->value}] = obj.maps.size();
            obj.maps.push_back(std::move(m));
            if (inner) {
                TG_TRY_ASSIGN(Ok inner_ok, check_map_type(*inner));
                (void)inner_ok;
                obj.maps.back().inner_map = int32_t(obj.maps.size());
                obj.maps.push_back(std::move(*inner));
            }
        }
    }

    // Static initialisation `.values = { [i] = &prog }`: one R_BPF_64_ABS64 per filled slot, at
    // map offset + offsetof(values) + 8 * i (libbpf.c bpf_object__collect_map_relos()).
    for (const Reloc& r : image.relocs_of(sec.index)) {
        const Symbol& target = image.symbols[r.sym];
        const BtfMap* owner = nullptr;
        for (const BtfMap& bm : btf_maps) {
            if (r.offset >= bm.offset && (r.offset < bm.end || bm.end == bm.offset)) {
                if (!owner || bm.offset > owner->offset) owner = &bm;
            }
        }
        const std::string where = ".rel.maps offset " + std::to_string(r.offset);
        if (!owner || owner->values_off == UINT64_MAX || r.offset < owner->offset + owner->values_off)
            return make_error("bad-relocation", where + " is not inside a map's 'values' array");
        MapDef& m = obj.maps[owner->index];
        const uint64_t moff = r.offset - owner->offset - owner->values_off;
        if (moff % 8 != 0) return make_error("bad-relocation", where + " is not at a 'values' slot");
        const uint64_t slot = moff / 8;
        if (!target.defined())
            return make_error("bad-relocation", where + " names undefined symbol '" + target.name + "'");
        if (slot >= m.max_entries)
            return make_error("bad-map-def", "map '" + m.name + "' initialises slot " + std::to_string(slot) +
                                                 " but has max_entries " + std::to_string(m.max_entries));
        if (m.type == MapType::ProgArray) {
            if (target.type != kSttFunc)
                return make_error("bad-relocation", where + ": prog array '" + m.name + "' slot " +
                                                        std::to_string(slot) + " points at non-function '" +
                                                        target.name + "'");
            m.prog_slots[uint32_t(slot)] = target.name;
        } else if (is_map_of_maps(m.type)) {
            m.inner_map_slots[uint32_t(slot)] = target.name;
        } else {
            return make_error("bad-relocation", where + ": map '" + m.name + "' of type " +
                                                    map_type_name(m.type) +
                                                    " cannot be statically initialised");
        }
    }
    // The maps a map of maps is initialised with must match its template: libbpf's update of the outer
    // map fails otherwise (kernel: map_in_map.c bpf_map_meta_equal(), arraymap.c array_map_meta_equal():
    // max_entries too for arrays without BPF_F_INNER_MAP).
    for (const MapDef& outer : obj.maps) {
        if (outer.inner_map < 0) continue;
        const MapDef& t = obj.maps[size_t(outer.inner_map)];
        for (const auto& [slot, name] : outer.inner_map_slots) {
            auto it = std::find_if(obj.maps.begin(), obj.maps.end(), [&](const MapDef& d) {
                return d.name == name && d.origin == MapOrigin::Btf;
            });
            if (it == obj.maps.end()) continue; // not a BTF map of this object: the loader's business
            std::string diff;
            if (it->type != t.type)
                diff = "type";
            else if (it->key_size != t.key_size)
                diff = "key_size";
            else if (it->value_size != t.value_size)
                diff = "value_size";
            else if (it->flags != t.flags)
                diff = "map_flags";
            else if (t.type == MapType::Array && !(t.flags & kBpfFInnerMap) &&
                     it->max_entries != t.max_entries)
                diff = "max_entries";
            if (!diff.empty())
                return make_error("bad-map-def", "map '" + outer.name + "' slot " + std::to_string(slot) +
                                                     " holds map '" + name + "' whose " + diff +
                                                     " differs from its inner map template");
        }
    }
    return Ok{};
}

bool is_global_data(const Section& s) {
    auto has_prefix = [&](const char* p) { return s.name.rfind(p, 0) == 0; };
    if (s.type == kShtProgbits) {
        return s.name == ".data" || s.name == ".rodata" || has_prefix(".data.") || has_prefix(".rodata.");
    }
    return s.type == kShtNobits && s.name == ".bss";
}

} // namespace

Status collect_maps(const Image& image, Object& obj, MapIndex& index) {
    for (const Section& s : image.sections) {
        if (s.name == "maps") {
            TG_TRY_ASSIGN(Ok ok, collect_legacy(image, s, obj, index));
            (void)ok;
        }
    }
    for (const Section& s : image.sections) {
        if (s.name == ".maps") {
            TG_TRY_ASSIGN(Ok ok, collect_btf(image, s, obj, index));
            (void)ok;
        }
    }
    // libbpf.c bpf_object__init_global_data_maps(): one array map per data section, value = whole section.
    for (const Section& s : image.sections) {
        if (!is_global_data(s) || s.size == 0) continue;
        // kernel: arraymap.c array_map_alloc_check() rejects values near KMALLOC_MAX_SIZE (4 MiB on x86-64);
        // checked here too so that a corrupt .bss size cannot make the loader allocate gigabytes.
        if (s.size >= (uint64_t(4) << 20))
            return make_error("bad-map-def", "global data section " + s.name + " is " +
                                                 std::to_string(s.size) +
                                                 " bytes, more than a map value can hold (4 MiB)");
        MapDef m;
        m.name = s.name;
        m.type = MapType::Array;
        m.key_size = 4;
        m.value_size = uint32_t(s.size);
        m.max_entries = 1;
        m.origin = MapOrigin::GlobalData;
        m.readonly = s.name.rfind(".rodata", 0) == 0;
        if (s.type == kShtNobits)
            m.initial_value.assign(s.size, 0);
        else
            m.initial_value.assign(s.data.begin(), s.data.end());
        index.by_section[s.index] = obj.maps.size();
        obj.maps.push_back(std::move(m));
    }
    return Ok{};
}

} // namespace tailgate::elf
