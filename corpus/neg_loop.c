// unbounded-loop: loops whose termination cannot be proved. The kernel explores bounded loops (5.3+) but
// rejects these: "infinite loop detected at insn %d", or "BPF program is too large" when exploring a loop
// that depends on a value it cannot bound.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// A jump to itself.
// tailgate: program name=self_loop verdict=rejected
SEC("xdp")
__attribute__((naked)) int self_loop(struct xdp_md *ctx)
{
    asm volatile("r0 = 2; if r0 == 2 goto -1; exit;" ::: "memory"); // tailgate: expect code=unbounded-loop severity=error
}

// Runs until a random number is 0: no bound exists.
// tailgate: program name=random_loop verdict=rejected
SEC("xdp")
int random_loop(struct xdp_md *ctx)
{
    __u32 n = 0;

    while (bpf_get_prandom_u32() != 0) n++; // tailgate: expect code=unbounded-loop severity=error
    return n & 3;
}

// A bounded loop over the first 8 packet bytes, each access checked against data_end: accepted.
// tcp4 starts with the destination MAC 02:00:00:00:00:02 and source MAC 02:00:00:00:00:01:
// the sum of the first 8 bytes is 2 + 2 + 2 = 6.
// tailgate: program name=bounded_loop verdict=accepted
// tailgate: run program=bounded_loop packet=tcp4 engine=both return=6
SEC("xdp")
int bounded_loop(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data;
    unsigned char *data_end = (void *)(long)ctx->data_end;
    __u32 sum = 0;

#pragma clang loop unroll(disable)
    for (int i = 0; i < 8; i++) {
        if (data + i + 1 > data_end)
            break;
        sum += data[i];
    }
    return sum;
}

char _license[] SEC("license") = "GPL";
