// Maps at run time: the storage behind every MapDef of a loaded Object.
//
// One Map object per MapDef. Its element memory never moves for the life of the Map (hash maps preallocate
// max_entries elements, as the kernel's default BPF_F_NO_PREALLOC-less hash does), so a value pointer a
// program obtained from lookup() stays valid memory even after the element is deleted.
//
// Results follow the kernel's syscall/helper conventions: 0 on success, a negative errno otherwise
// (-EEXIST, -ENOENT, -E2BIG, -EINVAL, -EPERM). Every rule cites the kernel function it comes from.
//
// Thread safety: hash-like maps guard their index with a mutex; array values are plain memory (as in the
// kernel, concurrent writers race on the bytes); prog-array slots are atomics owned by vm.hpp's ProgArray.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "runtime/vm.hpp"
#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate::rt {

// Negated errno values, as the kernel returns them (include/uapi/asm-generic/errno-base.h).
inline constexpr int kEPERM = 1, kENOENT = 2, kE2BIG = 7, kEAGAIN = 11, kEFAULT = 14, kEACCES = 13,
                     kENODEV = 19, kENOMEM = 12, kEBUSY = 16, kEEXIST = 17, kEINVAL = 22, kENOSPC = 28,
                     kEOPNOTSUPP = 95, kEAFNOSUPPORT = 97,
                     kENOTSUPP = 524; // kernel-internal ENOTSUPP

// Update flags (uapi bpf.h).
inline constexpr uint64_t kBpfAny = 0, kBpfNoExist = 1, kBpfExist = 2, kBpfFLock = 4;

// struct bpf_spin_lock: a 4-byte word, 0 when free. kernel: helpers.c __bpf_spin_lock() is a queued spinlock;
// here a test-and-set, shared by the bpf_spin_lock helper and BPF_F_LOCK updates.
inline void spin_lock_word(uint32_t* word) {
    while (__atomic_exchange_n(word, 1u, __ATOMIC_ACQUIRE) != 0)
        while (__atomic_load_n(word, __ATOMIC_RELAXED) != 0) __builtin_ia32_pause();
}
inline void spin_unlock_word(uint32_t* word) { __atomic_store_n(word, 0u, __ATOMIC_RELEASE); }

// Owned, page-aligned, zeroed memory (mmap). Can be made read-only after initialisation.
class Region {
  public:
    Region() = default;
    explicit Region(size_t bytes);
    ~Region();
    Region(Region&& o) noexcept;
    Region& operator=(Region&& o) noexcept;
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    bool ok() const { return data_ != nullptr || size_ == 0; }
    void make_read_only(); // mprotect(PROT_READ)

  private:
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t mapped_ = 0;
};

// Array, percpu array (one CPU), global data, and the fd-like arrays (devmap, cpumap, xskmap,
// perf_event_array, cgroup_array) whose slots are either present or empty.
struct ArrayStore {
    Region mem;
    uint32_t stride = 0;          // value_size rounded up to 8 (kernel: array->elem_size)
    bool fd_like = false;         // slot presence matters (lookup of an empty slot yields nullptr)
    std::vector<uint8_t> present; // fd_like only
};

// Hash, percpu hash (one CPU), LRU hash, LRU percpu hash, devmap_hash.
struct HashStore {
    Region mem; // capacity * stride value bytes
    uint32_t stride = 0;
    bool lru = false;
    std::vector<std::string> keys;                   // per element slot
    std::unordered_map<std::string, uint32_t> index; // key bytes -> element slot
    std::vector<uint32_t> free_slots;
    std::list<uint32_t> recency; // LRU: front = most recently used
    std::vector<std::list<uint32_t>::iterator> recency_pos;
    std::unique_ptr<std::mutex> mu = std::make_unique<std::mutex>();
};

// Queue and stack (kernel/bpf/queue_stack_maps.c): a ring of max_entries values.
struct QueueStore {
    std::vector<uint8_t> ring; // max_entries * value_size
    uint32_t head = 0;         // index of the oldest value
    uint32_t count = 0;
    bool is_stack = false;
    std::unique_ptr<std::mutex> mu = std::make_unique<std::mutex>();
};

// Ring buffer (kernel/bpf/ringbuf.c), observed by the host as a list of submitted records.
struct RingbufStore {
    uint64_t capacity = 0; // max_entries bytes
    uint64_t in_use = 0;   // reserved + submitted-but-unconsumed bytes (8-byte header + rounded data each)
    std::unordered_map<const uint8_t*, std::unique_ptr<uint8_t[]>> reserved;
    std::unordered_map<const uint8_t*, uint32_t> reserved_size;
    std::vector<std::vector<uint8_t>> records; // submitted, in order
    std::unique_ptr<std::mutex> mu = std::make_unique<std::mutex>();
};

// Bloom filter (kernel/bpf/bloom_filter.c), kept exact: peek never reports a false positive, which is
// one of the answers a bloom filter may give.
struct BloomStore {
    std::unordered_map<std::string, uint32_t> values;
    std::unique_ptr<std::mutex> mu = std::make_unique<std::mutex>();
};

// Prog array: the slots are vm.hpp's ProgArray (atomic LoadedProgram pointers), which the engines read
// through MapEntry::progs.
struct ProgSlotsStore {
    std::unique_ptr<ProgArray> progs;
};

class Map {
  public:
    // Checks the definition as the kernel's map_alloc_check callbacks do; fails with code "bad-map-def"
    // (message names the rule) or "unsupported-map-type".
    static Result<std::unique_ptr<Map>> create(const MapDef& def);

    Map(const Map&) = delete;
    Map& operator=(const Map&) = delete;

    const MapDef& def() const { return def_; }
    MapType type() const { return def_.type; }
    const std::string& name() const { return def_.name; }

    // Pointer to the value for `key` (def().key_size bytes), nullptr when absent. For LRU maps a lookup marks
    // the element used. Not for queue/stack/ringbuf/prog_array (nullptr).
    void* lookup(const void* key);
    // Host-side copying lookup: 0 and `value_out` filled, or -ENOENT.
    int lookup_copy(const void* key, void* value_out);
    // Insert/replace. flags: BPF_ANY / BPF_NOEXIST / BPF_EXIST. Queue/stack: push (key ignored).
    int update(const void* key, const void* value, uint64_t flags);
    int remove(const void* key);
    // key == nullptr: the first key. -ENOENT past the last.
    int get_next_key(const void* key, void* next_key);

    // bpf_for_each_map_elem's walk (kernel: arraymap.c bpf_for_each_array_elem(), hashtab.c
    // bpf_for_each_hash_elem()): visit(key, value) for every element in turn (arrays: each index; hashes:
    // the elements live when the walk reaches them) until it returns true; returns how many it visited. The
    // key is a copy and no lock is held during visit, so the callback may update or delete elements. Other
    // map types visit nothing.
    uint32_t for_each_elem(const std::function<bool(const void* key, void* value)>& visit);

    // Cgroup storage (cgroup_storage / percpu_cgroup_storage): the one storage of the attached cgroup.
    void* local_storage();

    // Queue/stack (kernel: queue_stack_maps.c); bloom filter: push adds, peek tests. push flags: BPF_ANY, or
    // BPF_EXIST to overwrite when full.
    int push(const void* value, uint64_t flags);
    int pop(void* value_out);
    int peek(void* value_out);

    // Ring buffer (kernel: ringbuf.c). reserve returns nullptr when full or size is too big.
    uint8_t* ringbuf_reserve(uint64_t size);
    void ringbuf_commit(const uint8_t* sample, bool discard);
    int ringbuf_output(const void* data, uint64_t size);
    std::vector<std::vector<uint8_t>> ringbuf_drain();
    uint64_t ringbuf_pending_bytes();

    // fd-like arrays: is slot `index` populated? (perf_event_array, devmap, cpumap, xskmap, cgroup_array)
    bool slot_present(uint32_t index) const;

    // Prog array slots. set: kernel bpf_fd_array_map_update_elem rules (flags != BPF_ANY -> -EINVAL,
    // index >= max_entries -> -E2BIG); an atomic release store, safe while programs run on other threads.
    // clear: -E2BIG out of range, -ENOENT when empty. get: nullptr when out of range or empty.
    int set_prog_slot(uint32_t index, const LoadedProgram* target, uint64_t flags = kBpfAny);
    int clear_prog_slot(uint32_t index);
    const LoadedProgram* prog_slot(uint32_t index) const;
    ProgArray* prog_array(); // nullptr unless a prog array

    // What the engines see for this map (vm.hpp MapEntry): map / progs / value_base filled.
    MapEntry entry();

    // Number of live elements (arrays: max_entries; hash: inserted; queue: queued).
    uint32_t size();

  private:
    explicit Map(const MapDef& def) : def_(def) {}
    // kernel: bpf.h copy_map_value() / copy_map_value_locked(): a value is copied around its bpf_spin_lock
    // word (a held lock stays held); locked: under the destination's lock (BPF_F_LOCK).
    void copy_value(uint8_t* dst, const void* src, bool locked) const;
    using Store = std::variant<ArrayStore, HashStore, QueueStore, RingbufStore, ProgSlotsStore, BloomStore>;
    MapDef def_;
    Store store_;
    friend struct MapFactory;
};

// Kind predicates (uapi map types).
bool is_array_like(MapType t); // index by u32 key into preallocated values
bool is_hash_like(MapType t);
bool is_fd_array(MapType t); // slots hold references (present / empty)

} // namespace tailgate::rt
