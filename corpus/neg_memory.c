// memory-bounds (packet, stack, map value out of bounds) and null-dereference (map value used without a
// NULL check), judged as the kernel does (check_packet_access, check_stack_access_within_bounds,
// check_map_access, "R0 invalid mem access 'map_value_or_null'").
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} values SEC(".maps");

// Program-side access rights of a map (kernel: bpf_map_flags_to_cap(), check_map_access_type()).
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_RDONLY_PROG);
    __type(key, __u32);
    __type(value, __u64);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_WRONLY_PROG);
    __type(key, __u32);
    __type(value, __u64);
} sink SEC(".maps");

// Packet read with no data_end check at all: "invalid access to packet, off=12 size=2, R?(r=0)".
// tailgate: program name=pkt_no_check verdict=rejected
SEC("xdp")
int pkt_no_check(struct xdp_md *ctx)
{
    struct ethhdr *eth = (void *)(long)ctx->data;

    return eth->h_proto == 8 ? XDP_DROP : XDP_PASS; // tailgate: expect code=memory-bounds severity=error
}

// The check covers the Ethernet header only, the read is in the IPv4 header behind it.
// tailgate: program name=pkt_short_check verdict=rejected
SEC("xdp")
int pkt_short_check(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = data + sizeof(*eth);

    if ((void *)(eth + 1) > data_end)
        return XDP_ABORTED;
    return ip->protocol == 6 ? XDP_DROP : XDP_PASS; // tailgate: expect code=memory-bounds severity=error
}

// The same with the right check: accepted.
// tailgate: program name=pkt_checked verdict=accepted
// tailgate: run program=pkt_checked packet=tcp4 engine=both return=1
// tailgate: run program=pkt_checked packet=udp4 engine=both return=2
// tailgate: run program=pkt_checked packet=short engine=both return=0
SEC("xdp")
int pkt_checked(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct iphdr *ip = data + sizeof(struct ethhdr);

    if ((void *)(ip + 1) > data_end)
        return XDP_ABORTED;
    return ip->protocol == 6 ? XDP_DROP : XDP_PASS;
}

// A stack read above the frame (r10 + 8): "invalid read from stack off 8+0 size 8".
// tailgate: program name=stack_above_frame verdict=rejected
SEC("xdp")
__attribute__((naked)) int stack_above_frame(struct xdp_md *ctx)
{
    asm volatile("r0 = *(u64 *)(r10 + 8); exit;" ::: "memory"); // tailgate: expect code=memory-bounds severity=error
}

// An 8-byte read at offset 8 of an 8-byte map value: "invalid access to map value, value_size=8 off=8
// size=8".
// tailgate: program name=map_value_oob verdict=rejected
SEC("xdp")
int map_value_oob(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&values, &key);

    if (!v)
        return XDP_PASS;
    return v[1] ? XDP_DROP : XDP_PASS; // tailgate: expect code=memory-bounds severity=error
}

// No NULL check on the lookup result: "R0 invalid mem access 'map_value_or_null'".
// tailgate: program name=map_no_null_check verdict=rejected
SEC("xdp")
int map_no_null_check(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&values, &key);

    return *v ? XDP_DROP : XDP_PASS; // tailgate: expect code=null-dereference severity=error
}

// With the check: accepted. The array map starts zeroed, so the value is 0 -> XDP_PASS.
// tailgate: program name=map_checked verdict=accepted
// tailgate: run program=map_checked packet=tcp4 engine=both return=2
SEC("xdp")
int map_checked(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&values, &key);

    if (!v)
        return XDP_ABORTED;
    return *v ? XDP_DROP : XDP_PASS;
}

// BPF_F_RDONLY_PROG: the program reads the value but may not store into it.
// tailgate: program name=write_rdonly_map verdict=rejected
SEC("xdp")
int write_rdonly_map(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&config, &key);

    if (!v)
        return XDP_ABORTED;
    if (*v)
        return XDP_DROP;
    *v = 1; // tailgate: expect code=memory-bounds severity=error
    return XDP_PASS;
}

// A device map's values are read-only to programs whatever its flags (devmap.c dev_map_init_map() adds
// BPF_F_RDONLY_PROG): a lookup may read the target ifindex, never write it.
struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} ports SEC(".maps");

// tailgate: program name=write_devmap_value verdict=rejected
SEC("xdp")
int write_devmap_value(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u32 *ifindex = bpf_map_lookup_elem(&ports, &key);

    if (!ifindex)
        return XDP_PASS;
    *ifindex = 1; // tailgate: expect code=memory-bounds severity=error
    return XDP_PASS;
}

// Nor change it through a helper (kernel record_func_map(): "write into map forbidden").
// tailgate: program name=update_rdonly_map verdict=rejected
SEC("xdp")
int update_rdonly_map(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 one = 1;

    return bpf_map_update_elem(&config, &key, &one, BPF_ANY) ? XDP_DROP : XDP_PASS; // tailgate: expect code=helper-argument severity=error
}

// BPF_F_WRONLY_PROG: stores are fine, loads are not.
// tailgate: program name=read_wronly_map verdict=rejected
SEC("xdp")
int read_wronly_map(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&sink, &key);

    if (!v)
        return XDP_ABORTED;
    *v = 7;
    return *(volatile __u64 *)v == 7 ? XDP_PASS : XDP_DROP; // tailgate: expect code=memory-bounds severity=error
}

char _license[] SEC("license") = "GPL";
