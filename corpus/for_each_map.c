// bpf_for_each_map_elem() callbacks (kernel: verifier.c set_map_elem_callback_state(); arraymap.c
// bpf_for_each_array_elem(), hashtab.c bpf_for_each_hash_elem()): the callback gets r1 = the map, r2 = a
// read-only pointer to the key (PTR_TO_MAP_KEY), r3 = a pointer to the value, r4 = the ctx argument, and
// returns 0 (go on) or 1 (stop); the helper returns how many elements it visited. Only arrays and hashes
// (plain, per-CPU, LRU) can be walked.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} squares SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u32);
} ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} jmp SEC(".maps");

struct bpf_map;

struct walk {
    __u64 sum;
    __u32 stop_key;
    __u32 seen;
};

static long add_value(struct bpf_map *map, __u32 *key, __u64 *value, struct walk *w)
{
    w->sum += *value;
    w->seen++;
    return *key == w->stop_key;
}

// The key is a copy of the counter: a counter whose address is taken lives in a 4-byte stack slot at
// r10-4, which the kernel does not track as a spill (check_stack_write_fixed_off() needs off % 8 == 0), so
// the loop could not be bounded.
static void fill_squares(void)
{
    for (__u32 i = 0; i < 8; i++) {
        __u32 key = i;
        __u64 v = i * i;

        bpf_map_update_elem(&squares, &key, &v, BPF_ANY);
    }
}

static __always_inline long walk_squares(__u32 stop_key)
{
    struct walk w = {.sum = 0, .stop_key = stop_key, .seen = 0};
    long n;

    fill_squares();
    n = bpf_for_each_map_elem(&squares, add_value, &w, 0);
    return w.sum + (n << 8);
}

// Walks the whole array: 0 + 1 + 4 + ... + 49 = 140 over 8 elements; returns sum + 256 * visited.
// tailgate: program name=each_sum verdict=accepted
// tailgate: run program=each_sum packet=tcp4 return=2188
SEC("xdp")
int each_sum(struct xdp_md *ctx)
{
    return walk_squares(100);
}

// The callback stops at key 3: four elements visited (0 + 1 + 4 + 9 = 14); returns sum + 256 * visited.
// tailgate: program name=each_stop verdict=accepted
// tailgate: run program=each_stop packet=tcp4 return=1038
SEC("xdp")
int each_stop(struct xdp_md *ctx)
{
    return walk_squares(3);
}

// The map pointer and the key may go back into map helpers: looking the key up finds the value again.
static long count_port(struct bpf_map *map, __u32 *key, __u32 *value, struct walk *w)
{
    __u32 *again = bpf_map_lookup_elem(map, key);

    if (!again || *again != *value)
        return 1;
    w->sum += *key + *value;
    w->seen++;
    return 0;
}

// A hash walk visits the present elements in no particular order: the sums do not depend on it.
// Keys 22, 80, 443 with values 1, 2, 3: sum 551; returns sum + 1000 * seen + 10000 * visited.
// tailgate: program name=each_hash verdict=accepted
// tailgate: run program=each_hash packet=tcp4 return=33551
SEC("classifier")
int each_hash(struct __sk_buff *skb)
{
    __u32 keys[3] = {22, 80, 443};
    struct walk w = {};
    long n;

    for (__u32 i = 0; i < 3; i++) {
        __u32 v = i + 1;

        bpf_map_update_elem(&ports, &keys[i], &v, BPF_NOEXIST);
    }
    n = bpf_for_each_map_elem(&ports, count_port, &w, 0);
    return w.sum + 1000 * w.seen + 10000 * n;
}

static long clears_key(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
    *key = 0; // tailgate: expect code=memory-bounds severity=error program=each_write_key
    return 0;
}

// The key is the map's own: a callback may read it, never write it.
// tailgate: program name=each_write_key verdict=rejected
SEC("xdp")
int each_write_key(struct xdp_md *ctx)
{
    bpf_for_each_map_elem(&squares, clears_key, 0, 0);
    return XDP_PASS;
}

static long reads_next_value(struct bpf_map *map, __u32 *key, __u64 *value, struct walk *w)
{
    w->sum += value[1]; // tailgate: expect code=memory-bounds severity=error program=each_value_overflow
    return 0;
}

// The value pointer covers value_size (8) bytes: value[1] is past it.
// tailgate: program name=each_value_overflow verdict=rejected
SEC("xdp")
int each_value_overflow(struct xdp_md *ctx)
{
    struct walk w = {};

    bpf_for_each_map_elem(&squares, reads_next_value, &w, 0);
    return w.sum & 1;
}

static long returns_seven(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
    return 7; // tailgate: expect code=invalid-return severity=error program=each_bad_return
}

// tailgate: program name=each_bad_return verdict=rejected
SEC("xdp")
int each_bad_return(struct xdp_md *ctx)
{
    bpf_for_each_map_elem(&squares, returns_seven, 0, 0);
    return XDP_PASS;
}

static long visit_prog(struct bpf_map *map, __u32 *key, __u32 *value, void *ctx)
{
    return 0;
}

// A prog array cannot be walked (it has no map_for_each_callback).
// tailgate: program name=each_prog_array verdict=rejected
SEC("xdp")
int each_prog_array(struct xdp_md *ctx)
{
    bpf_for_each_map_elem(&jmp, visit_prog, 0, 0); // tailgate: expect code=helper-argument severity=error
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
