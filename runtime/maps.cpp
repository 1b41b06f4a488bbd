// Maps at run time. See maps.hpp for the contract; each rule cites the kernel function it mirrors.
#include "runtime/maps.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace tailgate::rt {

// ---- Region ----------------------------------------------------------------------------------------------

Region::Region(size_t bytes) : size_(bytes) {
    if (bytes == 0) return;
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    mapped_ = (bytes + page - 1) / page * page;
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        mapped_ = 0;
        return;
    }
    data_ = static_cast<uint8_t*>(p);
}

Region::~Region() {
    if (data_) munmap(data_, mapped_);
}

Region::Region(Region&& o) noexcept : data_(o.data_), size_(o.size_), mapped_(o.mapped_) {
    o.data_ = nullptr;
    o.size_ = o.mapped_ = 0;
}

Region& Region::operator=(Region&& o) noexcept {
    if (this != &o) {
        if (data_) munmap(data_, mapped_);
        data_ = o.data_;
        size_ = o.size_;
        mapped_ = o.mapped_;
        o.data_ = nullptr;
        o.size_ = o.mapped_ = 0;
    }
    return *this;
}

void Region::make_read_only() {
    if (data_) mprotect(data_, mapped_, PROT_READ);
}

// ---- kinds -----------------------------------------------------------------------------------------------

bool is_fd_array(MapType t) {
    switch (t) {
    case MapType::PerfEventArray:
    case MapType::CgroupArray:
    case MapType::Devmap:
    case MapType::Cpumap:
    case MapType::Xskmap:
    case MapType::Sockmap:
    case MapType::ArrayOfMaps: return true;
    default: return false;
    }
}

bool is_array_like(MapType t) {
    return t == MapType::Array || t == MapType::PercpuArray || is_fd_array(t);
}

bool is_hash_like(MapType t) {
    switch (t) {
    case MapType::Hash:
    case MapType::PercpuHash:
    case MapType::LruHash:
    case MapType::LruPercpuHash:
    case MapType::DevmapHash:
    case MapType::Sockhash:
    case MapType::HashOfMaps:
    case MapType::StackTrace: return true;
    default: return false;
    }
}

namespace {

constexpr uint32_t round8(uint32_t v) {
    return (v + 7u) & ~7u;
}

// kernel: include/linux/bpf.h KMALLOC_MAX_SIZE-based caps; we use the kernel's effective 4 MiB-ish bound
// for a single value and 1 GiB total, enough for any test program and small enough to fail cleanly.
constexpr uint64_t kMaxValueSize = 1u << 22;
constexpr uint64_t kMaxTotalBytes = 1ull << 30;

Error bad_def(const MapDef& d, const std::string& why) {
    return make_error("bad-map-def", "map '" + d.name + "' (" + map_type_name(d.type) + "): " + why);
}

std::string key_string(const void* key, uint32_t size) {
    return std::string(static_cast<const char*>(key), size);
}

} // namespace

struct MapFactory {
    // kernel: arraymap.c array_map_alloc_check() (+ fd_array_map_alloc_check for fd arrays).
    static Result<std::unique_ptr<Map>> array(const MapDef& d) {
        if (d.max_entries == 0) return bad_def(d, "max_entries is 0");
        if (d.key_size != 4) return bad_def(d, "key_size must be 4, is " + std::to_string(d.key_size));
        if (d.value_size == 0) return bad_def(d, "value_size is 0");
        if (is_fd_array(d.type) && d.type != MapType::Devmap && d.type != MapType::Cpumap &&
            d.value_size != 4)
            return bad_def(d, "value_size must be 4 (only file descriptors can be stored)");
        if (d.value_size > kMaxValueSize) return bad_def(d, "value_size too large");
        uint64_t total = uint64_t(round8(d.value_size)) * d.max_entries;
        if (total > kMaxTotalBytes) return bad_def(d, "map too large");
        std::unique_ptr<Map> m(new Map(d));
        ArrayStore s;
        s.stride = round8(d.value_size);
        s.mem = Region(size_t(total));
        if (!s.mem.ok()) return make_error("map-alloc-failed", "cannot allocate map '" + d.name + "'");
        s.fd_like = is_fd_array(d.type);
        if (s.fd_like) s.present.assign(d.max_entries, 0);
        // Global data (.data/.rodata/.bss): the section image is the initial value of element 0.
        if (!d.initial_value.empty()) {
            size_t n = std::min<size_t>(d.initial_value.size(), d.value_size);
            std::memcpy(s.mem.data(), d.initial_value.data(), n);
        }
        // .rodata is frozen and mapped read-only (libbpf freezes it; kernel: map_freeze()).
        if (d.readonly) s.mem.make_read_only();
        m->store_ = std::move(s);
        return m;
    }

    // kernel: hashtab.c htab_map_alloc_check().
    static Result<std::unique_ptr<Map>> hash(const MapDef& d) {
        if (d.max_entries == 0) return bad_def(d, "max_entries is 0");
        if (d.key_size == 0) return bad_def(d, "key_size is 0");
        if (d.value_size == 0) return bad_def(d, "value_size is 0");
        if (d.key_size > uint32_t(kMaxBpfStack)) return bad_def(d, "key_size larger than 512");
        if (d.value_size > kMaxValueSize) return bad_def(d, "value_size too large");
        uint64_t total = uint64_t(round8(d.value_size)) * d.max_entries;
        if (total > kMaxTotalBytes) return bad_def(d, "map too large");
        std::unique_ptr<Map> m(new Map(d));
        HashStore s;
        s.stride = round8(d.value_size);
        s.mem = Region(size_t(total));
        if (!s.mem.ok()) return make_error("map-alloc-failed", "cannot allocate map '" + d.name + "'");
        s.lru = d.type == MapType::LruHash || d.type == MapType::LruPercpuHash;
        s.keys.resize(d.max_entries);
        s.recency_pos.resize(d.max_entries);
        s.free_slots.reserve(d.max_entries);
        for (uint32_t i = d.max_entries; i-- > 0;) s.free_slots.push_back(i);
        s.index.reserve(d.max_entries);
        m->store_ = std::move(s);
        return m;
    }

    // kernel: queue_stack_maps.c queue_stack_map_alloc_check().
    static Result<std::unique_ptr<Map>> queue(const MapDef& d) {
        if (d.max_entries == 0) return bad_def(d, "max_entries is 0");
        if (d.key_size != 0) return bad_def(d, "key_size must be 0");
        if (d.value_size == 0) return bad_def(d, "value_size is 0");
        if (uint64_t(d.value_size) * d.max_entries > kMaxTotalBytes) return bad_def(d, "map too large");
        std::unique_ptr<Map> m(new Map(d));
        QueueStore s;
        s.ring.assign(size_t(d.value_size) * d.max_entries, 0);
        s.is_stack = d.type == MapType::Stack;
        m->store_ = std::move(s);
        return m;
    }

    // kernel: bloom_filter.c bloom_map_alloc(): key_size 0, value_size > 0, max_entries > 0.
    static Result<std::unique_ptr<Map>> bloom(const MapDef& d) {
        if (d.key_size != 0 || d.value_size == 0 || d.max_entries == 0)
            return bad_def(d, "key_size must be 0, value_size and max_entries non-zero");
        std::unique_ptr<Map> m(new Map(d));
        m->store_ = BloomStore{};
        return m;
    }

    // kernel: local_storage.c cgroup_storage_map_alloc(): key is struct bpf_cgroup_storage_key (12 bytes
    // padded: 16) or a u64 cgroup inode id; max_entries must be 0. One storage: the attached cgroup's.
    static Result<std::unique_ptr<Map>> cgroup_storage(const MapDef& d) {
        if (d.key_size != 16 && d.key_size != 12 && d.key_size != 8) return bad_def(d, "bad key_size");
        if (d.value_size == 0 || d.value_size > kMaxValueSize) return bad_def(d, "bad value_size");
        if (d.max_entries != 0) return bad_def(d, "max_entries must be 0");
        std::unique_ptr<Map> m(new Map(d));
        ArrayStore s;
        s.stride = round8(d.value_size);
        s.mem = Region(s.stride);
        if (!s.mem.ok()) return make_error("map-alloc-failed", "cannot allocate map '" + d.name + "'");
        m->store_ = std::move(s);
        return m;
    }

    // kernel: ringbuf.c ringbuf_map_alloc(): key/value 0, max_entries a power of two multiple of a page.
    static Result<std::unique_ptr<Map>> ringbuf(const MapDef& d) {
        if (d.key_size != 0 || d.value_size != 0) return bad_def(d, "key_size and value_size must be 0");
        const uint32_t page = uint32_t(sysconf(_SC_PAGESIZE));
        if (d.max_entries == 0 || (d.max_entries & (d.max_entries - 1)) != 0 || d.max_entries % page != 0)
            return bad_def(d, "max_entries must be a power of 2 and a multiple of the page size");
        std::unique_ptr<Map> m(new Map(d));
        RingbufStore s;
        s.capacity = d.max_entries;
        m->store_ = std::move(s);
        return m;
    }

    // kernel: arraymap.c fd_array_map_alloc_check().
    static Result<std::unique_ptr<Map>> prog_array(const MapDef& d) {
        if (d.max_entries == 0) return bad_def(d, "max_entries is 0");
        if (d.key_size != 4) return bad_def(d, "key_size must be 4");
        if (d.value_size != 4)
            return bad_def(d, "value_size must be 4 (only file descriptors can be stored)");
        if (d.flags & (kMapFlagRdonlyProg | kMapFlagWronlyProg))
            return bad_def(d, "BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG not allowed on a prog array");
        if (d.max_entries > (1u << 24)) return bad_def(d, "max_entries too large");
        std::unique_ptr<Map> m(new Map(d));
        ProgSlotsStore s;
        s.progs = std::make_unique<ProgArray>(d.max_entries);
        m->store_ = std::move(s);
        return m;
    }
};

Result<std::unique_ptr<Map>> Map::create(const MapDef& def) {
    switch (def.type) {
    case MapType::ProgArray: return MapFactory::prog_array(def);
    case MapType::Queue:
    case MapType::Stack: return MapFactory::queue(def);
    case MapType::Ringbuf: return MapFactory::ringbuf(def);
    case MapType::BloomFilter: return MapFactory::bloom(def);
    case MapType::CgroupStorage:
    case MapType::PercpuCgroupStorage: return MapFactory::cgroup_storage(def);
    case MapType::Sockmap:
    case MapType::ArrayOfMaps:
    case MapType::Sockhash:
    case MapType::HashOfMaps:
        return make_error("unsupported-map-type", "map '" + def.name + "': type " + map_type_name(def.type) +
                                                      " has no run-time implementation");
    default: break;
    }
    if (is_array_like(def.type)) return MapFactory::array(def);
    if (is_hash_like(def.type)) return MapFactory::hash(def);
    return make_error("unsupported-map-type", "map '" + def.name + "': type " + map_type_name(def.type) +
                                                  " has no run-time implementation");
}

// ---- element access
// ----------------------------------------------------------------------------------------

namespace {

void lru_touch(HashStore& h, uint32_t slot) {
    h.recency.splice(h.recency.begin(), h.recency, h.recency_pos[slot]);
}

} // namespace

void* Map::lookup(const void* key) {
    if (def_.type == MapType::CgroupStorage || def_.type == MapType::PercpuCgroupStorage)
        return local_storage();
    if (auto* a = std::get_if<ArrayStore>(&store_)) {
        // kernel: arraymap.c array_map_lookup_elem(): index >= max_entries -> NULL.
        uint32_t index;
        std::memcpy(&index, key, 4);
        if (index >= def_.max_entries) return nullptr;
        if (a->fd_like && !a->present[index]) return nullptr;
        return a->mem.data() + size_t(index) * a->stride;
    }
    if (auto* h = std::get_if<HashStore>(&store_)) {
        std::lock_guard<std::mutex> g(*h->mu);
        auto it = h->index.find(key_string(key, def_.key_size));
        if (it == h->index.end()) return nullptr;
        if (h->lru) lru_touch(*h, it->second); // kernel: bpf_lru_node_set_ref()
        return h->mem.data() + size_t(it->second) * h->stride;
    }
    return nullptr;
}

void Map::copy_value(uint8_t* dst, const void* src, bool locked) const {
    const int32_t lock = def_.spin_lock_off;
    if (lock < 0) {
        std::memcpy(dst, src, def_.value_size);
        return;
    }
    auto* word = reinterpret_cast<uint32_t*>(dst + lock);
    if (locked) spin_lock_word(word);
    const auto* from = static_cast<const uint8_t*>(src);
    std::memcpy(dst, from, size_t(lock));
    std::memcpy(dst + lock + 4, from + lock + 4, def_.value_size - size_t(lock) - 4);
    if (locked) spin_unlock_word(word);
}

int Map::lookup_copy(const void* key, void* value_out) {
    if (std::holds_alternative<ProgSlotsStore>(store_)) return -kEOPNOTSUPP;
    if (std::holds_alternative<QueueStore>(store_)) return peek(value_out);
    void* v = lookup(key);
    if (!v) return -kENOENT;
    std::memcpy(value_out, v, def_.value_size);
    // kernel: syscall.c bpf_map_copy_value(): check_and_init_map_value() masks the lock word
    if (def_.spin_lock_off >= 0) std::memset(static_cast<uint8_t*>(value_out) + def_.spin_lock_off, 0, 4);
    return 0;
}

int Map::update(const void* key, const void* value, uint64_t flags) {
    if (auto* a = std::get_if<ArrayStore>(&store_)) {
        // kernel: arraymap.c array_map_update_elem().
        if ((flags & ~kBpfFLock) > kBpfExist) return -kEINVAL;
        uint32_t index;
        std::memcpy(&index, key, 4);
        if (index >= def_.max_entries) return -kE2BIG;
        if (flags & kBpfNoExist) return -kEEXIST;                           // all array elements always exist
        if ((flags & kBpfFLock) && def_.spin_lock_off < 0) return -kEINVAL; // no bpf_spin_lock to take
        if (def_.readonly) return -kEPERM; // frozen map (kernel: map_update_elem, map->frozen)
        copy_value(a->mem.data() + size_t(index) * a->stride, value, flags & kBpfFLock);
        if (a->fd_like) a->present[index] = 1;
        return 0;
    }
    if (auto* h = std::get_if<HashStore>(&store_)) {
        // kernel: hashtab.c htab_map_update_elem() / htab_lru_map_update_elem() + check_flags().
        // LRU hashes take no BPF_F_LOCK (htab_lru_map_update_elem(): flags > BPF_EXIST -> -EINVAL)
        if ((flags & ~kBpfFLock) > kBpfExist || (h->lru && (flags & kBpfFLock))) return -kEINVAL;
        if ((flags & kBpfFLock) && def_.spin_lock_off < 0) return -kEINVAL;
        std::lock_guard<std::mutex> g(*h->mu);
        std::string k = key_string(key, def_.key_size);
        auto it = h->index.find(k);
        const uint64_t mode = flags & ~kBpfFLock; // kernel: check_flags()
        if (it != h->index.end() && mode == kBpfNoExist) return -kEEXIST;
        if (it == h->index.end() && mode == kBpfExist) return -kENOENT;
        const bool existed = it != h->index.end();
        uint32_t slot;
        if (existed) {
            slot = it->second;
        } else {
            if (h->free_slots.empty()) {
                if (!h->lru) return -kE2BIG; // kernel: alloc_htab_elem() -> -E2BIG when full
                // kernel: prealloc_lru_pop() evicts the least recently used element.
                uint32_t victim = h->recency.back();
                h->recency.pop_back();
                h->index.erase(h->keys[victim]);
                h->free_slots.push_back(victim);
            }
            slot = h->free_slots.back();
            h->free_slots.pop_back();
            h->keys[slot] = k;
            h->index.emplace(std::move(k), slot);
            if (h->lru) {
                h->recency.push_front(slot);
                h->recency_pos[slot] = h->recency.begin();
            }
        }
        if (h->lru && existed) lru_touch(*h, slot);
        uint8_t* dst = h->mem.data() + size_t(slot) * h->stride;
        // an existing element is updated in place around its lock; a new one starts with the lock free
        // (kernel: htab_map_update_elem() BPF_F_LOCK path, alloc_htab_elem())
        if (!existed && def_.spin_lock_off >= 0) std::memset(dst + def_.spin_lock_off, 0, 4);
        copy_value(dst, value, existed && (flags & kBpfFLock));
        return 0;
    }
    if (std::holds_alternative<QueueStore>(store_) || std::holds_alternative<BloomStore>(store_))
        return push(value, flags);
    if (std::holds_alternative<ProgSlotsStore>(store_)) return -kEINVAL; // use set_prog_slot()
    return -kEINVAL;
}

int Map::remove(const void* key) {
    if (std::holds_alternative<ArrayStore>(store_)) {
        auto& a = std::get<ArrayStore>(store_);
        // kernel: array_map_delete_elem() -> -EINVAL; fd arrays: fd_array_map_delete_elem().
        if (!a.fd_like) return -kEINVAL;
        uint32_t index;
        std::memcpy(&index, key, 4);
        if (index >= def_.max_entries) return -kE2BIG;
        if (!a.present[index]) return -kENOENT;
        a.present[index] = 0;
        std::memset(a.mem.data() + size_t(index) * a.stride, 0, a.stride);
        return 0;
    }
    if (auto* h = std::get_if<HashStore>(&store_)) {
        // kernel: htab_map_delete_elem() -> -ENOENT when absent.
        std::lock_guard<std::mutex> g(*h->mu);
        auto it = h->index.find(key_string(key, def_.key_size));
        if (it == h->index.end()) return -kENOENT;
        uint32_t slot = it->second;
        h->index.erase(it);
        if (h->lru) h->recency.erase(h->recency_pos[slot]);
        h->free_slots.push_back(slot);
        return 0;
    }
    if (std::holds_alternative<ProgSlotsStore>(store_)) {
        uint32_t index;
        std::memcpy(&index, key, 4);
        return clear_prog_slot(index);
    }
    return -kEINVAL;
}

int Map::get_next_key(const void* key, void* next_key) {
    if (is_array_like(def_.type) || def_.type == MapType::ProgArray) {
        // kernel: array_map_get_next_key().
        uint32_t index = 0;
        if (key) std::memcpy(&index, key, 4);
        uint32_t next;
        if (!key || index >= def_.max_entries) {
            next = 0;
        } else {
            if (index == def_.max_entries - 1) return -kENOENT;
            next = index + 1;
        }
        std::memcpy(next_key, &next, 4);
        return 0;
    }
    if (auto* h = std::get_if<HashStore>(&store_)) {
        // kernel: htab_map_get_next_key(): an unknown key restarts at the first element.
        std::lock_guard<std::mutex> g(*h->mu);
        auto it = key ? h->index.find(key_string(key, def_.key_size)) : h->index.end();
        if (it == h->index.end())
            it = h->index.begin();
        else
            ++it;
        if (it == h->index.end()) return -kENOENT;
        std::memcpy(next_key, it->first.data(), def_.key_size);
        return 0;
    }
    return -kEINVAL;
}

// ---- queue / stack
// -----------------------------------------------------------------------------------------

void* Map::local_storage() {
    if (def_.type != MapType::CgroupStorage && def_.type != MapType::PercpuCgroupStorage) return nullptr;
    return std::get<ArrayStore>(store_).mem.data();
}

int Map::push(const void* value, uint64_t flags) {
    if (auto* b = std::get_if<BloomStore>(&store_)) {
        // kernel: bloom_filter.c bloom_map_push_elem(): flags must be BPF_ANY.
        if (flags != kBpfAny) return -kEINVAL;
        std::lock_guard<std::mutex> g(*b->mu);
        b->values[key_string(value, def_.value_size)] = 1;
        return 0;
    }
    auto* q = std::get_if<QueueStore>(&store_);
    if (!q) return -kEINVAL;
    // kernel: queue_stack_map_push_elem(): flags BPF_ANY or BPF_EXIST (overwrite the oldest when full).
    if (flags & kBpfNoExist || flags > kBpfExist) return -kEINVAL;
    std::lock_guard<std::mutex> g(*q->mu);
    const uint32_t n = def_.max_entries, vs = def_.value_size;
    if (q->count == n) {
        if (!(flags & kBpfExist)) return -kE2BIG;
        q->head = (q->head + 1) % n; // drop the oldest
        --q->count;
    }
    uint32_t pos = (q->head + q->count) % n;
    std::memcpy(q->ring.data() + size_t(pos) * vs, value, vs);
    ++q->count;
    return 0;
}

namespace {
int take(QueueStore& q, const MapDef& d, void* out, bool remove) {
    std::lock_guard<std::mutex> g(*q.mu);
    if (q.count == 0) return -kENOENT;
    const uint32_t n = d.max_entries, vs = d.value_size;
    // queue: the oldest (head); stack: the newest.
    uint32_t pos = q.is_stack ? (q.head + q.count - 1) % n : q.head;
    std::memcpy(out, q.ring.data() + size_t(pos) * vs, vs);
    if (remove) {
        if (!q.is_stack) q.head = (q.head + 1) % n;
        --q.count;
    }
    return 0;
}
} // namespace

int Map::pop(void* value_out) {
    auto* q = std::get_if<QueueStore>(&store_);
    return q ? take(*q, def_, value_out, true) : -kEINVAL;
}

int Map::peek(void* value_out) {
    if (auto* b = std::get_if<BloomStore>(&store_)) {
        // kernel: bloom_map_peek_elem(): the value is an input; -ENOENT when certainly absent.
        std::lock_guard<std::mutex> g(*b->mu);
        return b->values.count(key_string(value_out, def_.value_size)) ? 0 : -kENOENT;
    }
    auto* q = std::get_if<QueueStore>(&store_);
    return q ? take(*q, def_, value_out, false) : -kEINVAL;
}

// ---- ring buffer
// -------------------------------------------------------------------------------------------

namespace {
constexpr uint64_t kRingbufHdr = 8; // kernel: BPF_RINGBUF_HDR_SZ
uint64_t ring_cost(uint64_t size) {
    return kRingbufHdr + ((size + 7) & ~uint64_t(7));
}
} // namespace

uint8_t* Map::ringbuf_reserve(uint64_t size) {
    auto* r = std::get_if<RingbufStore>(&store_);
    if (!r) return nullptr;
    // kernel: __bpf_ringbuf_reserve(): size > ringbuf_total_data_sz - header -> NULL; no space -> NULL.
    std::lock_guard<std::mutex> g(*r->mu);
    if (size > (1u << 28) || ring_cost(size) > r->capacity - r->in_use) return nullptr;
    auto buf = std::make_unique<uint8_t[]>(size ? size : 1);
    std::memset(buf.get(), 0, size ? size : 1);
    uint8_t* p = buf.get();
    r->reserved_size[p] = uint32_t(size);
    r->reserved.emplace(p, std::move(buf));
    r->in_use += ring_cost(size);
    return p;
}

void Map::ringbuf_commit(const uint8_t* sample, bool discard) {
    auto* r = std::get_if<RingbufStore>(&store_);
    if (!r) return;
    std::lock_guard<std::mutex> g(*r->mu);
    auto it = r->reserved.find(sample);
    if (it == r->reserved.end()) return;
    uint32_t size = r->reserved_size[sample];
    if (discard) {
        r->in_use -= ring_cost(size);
    } else {
        r->records.emplace_back(sample, sample + size);
    }
    r->reserved.erase(it);
    r->reserved_size.erase(sample);
}

int Map::ringbuf_output(const void* data, uint64_t size) {
    uint8_t* p = ringbuf_reserve(size);
    if (!p) return -kEAGAIN; // kernel: bpf_ringbuf_output() -> -EAGAIN when no space
    std::memcpy(p, data, size);
    ringbuf_commit(p, false);
    return 0;
}

std::vector<std::vector<uint8_t>> Map::ringbuf_drain() {
    auto* r = std::get_if<RingbufStore>(&store_);
    if (!r) return {};
    std::lock_guard<std::mutex> g(*r->mu);
    std::vector<std::vector<uint8_t>> out;
    out.swap(r->records);
    for (auto& rec : out) r->in_use -= ring_cost(rec.size());
    return out;
}

uint64_t Map::ringbuf_pending_bytes() {
    auto* r = std::get_if<RingbufStore>(&store_);
    if (!r) return 0;
    std::lock_guard<std::mutex> g(*r->mu);
    return r->in_use;
}

// ---- fd arrays / prog arrays
// -------------------------------------------------------------------------------

bool Map::slot_present(uint32_t index) const {
    auto* a = std::get_if<ArrayStore>(&store_);
    if (!a || !a->fd_like || index >= def_.max_entries) return false;
    return a->present[index] != 0;
}

int Map::set_prog_slot(uint32_t index, const LoadedProgram* target, uint64_t flags) {
    auto* p = std::get_if<ProgSlotsStore>(&store_);
    if (!p) return -kEINVAL;
    // kernel: arraymap.c bpf_fd_array_map_update_elem().
    if (flags != kBpfAny) return -kEINVAL;
    if (index >= def_.max_entries) return -kE2BIG;
    p->progs->set(index, target);
    return 0;
}

int Map::clear_prog_slot(uint32_t index) {
    auto* p = std::get_if<ProgSlotsStore>(&store_);
    if (!p) return -kEINVAL;
    // kernel: fd_array_map_delete_elem(): -E2BIG out of range, -ENOENT when already empty.
    if (index >= def_.max_entries) return -kE2BIG;
    if (p->progs->slots[index].exchange(nullptr, std::memory_order_acq_rel) == nullptr) return -kENOENT;
    return 0;
}

const LoadedProgram* Map::prog_slot(uint32_t index) const {
    auto* p = std::get_if<ProgSlotsStore>(&store_);
    return p ? p->progs->get(index) : nullptr;
}

ProgArray* Map::prog_array() {
    auto* p = std::get_if<ProgSlotsStore>(&store_);
    return p ? p->progs.get() : nullptr;
}

MapEntry Map::entry() {
    MapEntry e;
    if (auto* p = std::get_if<ProgSlotsStore>(&store_)) {
        e.progs = p->progs.get();
        return e;
    }
    e.map = this;
    if (auto* a = std::get_if<ArrayStore>(&store_)) e.value_base = a->mem.data();
    return e;
}

uint32_t Map::for_each_elem(const std::function<bool(const void* key, void* value)>& visit) {
    uint32_t visited = 0;
    if (auto* a = std::get_if<ArrayStore>(&store_); a && !a->fd_like) {
        for (uint32_t i = 0; i < def_.max_entries; ++i) {
            ++visited;
            const uint32_t key = i;
            if (visit(&key, a->mem.data() + size_t(i) * a->stride)) break;
        }
        return visited;
    }
    auto* h = std::get_if<HashStore>(&store_);
    if (h == nullptr) return 0;
    for (uint32_t slot = 0; slot < h->keys.size(); ++slot) {
        std::string key;
        {
            std::lock_guard<std::mutex> g(*h->mu);
            auto it = h->index.find(h->keys[slot]);
            if (it == h->index.end() || it->second != slot) continue; // a free slot
            key = h->keys[slot];
        }
        ++visited;
        if (visit(key.data(), h->mem.data() + size_t(slot) * h->stride)) break;
    }
    return visited;
}

uint32_t Map::size() {
    if (auto* h = std::get_if<HashStore>(&store_)) {
        std::lock_guard<std::mutex> g(*h->mu);
        return uint32_t(h->index.size());
    }
    if (auto* q = std::get_if<QueueStore>(&store_)) {
        std::lock_guard<std::mutex> g(*q->mu);
        return q->count;
    }
    if (std::holds_alternative<RingbufStore>(store_)) return 0;
    return def_.max_entries;
}

} // namespace tailgate::rt
