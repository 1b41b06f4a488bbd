// A two-program tail-call cycle (socket filters): ping -> pong -> ping -> ... Both count runs in .data;
// the 33-call limit ends the cycle, so 34 programs run. The program that runs last returns a bias that
// tells which one it was (.data for ping, .rodata for pong) plus the run count.
//   run ping: runs 1..34 alternate ping, pong, ...; run 34 is pong -> 500 + 34 = 534
//   run pong: run 34 is ping -> 1000 + 34 = 1034
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int ping(struct __sk_buff *skb);
int pong(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} cycle_table SEC(".maps") = {
    .values = {[0] = (void *)&ping, [1] = (void *)&pong},
};

__u32 runs = 0;          // .bss (zero-initialised)
__u32 ping_bias = 1000;  // .data
const volatile __u32 pong_bias = 500; // .rodata

// tailgate: program name=ping verdict=accepted
// tailgate: graph program=ping targets=pong max_chain_length=33 cycle=yes
// tailgate: run program=ping packet=udp4 engine=both return=534
SEC("socket")
int ping(struct __sk_buff *skb)
{
    runs++;
    bpf_tail_call(skb, &cycle_table, 1); // tailgate: tailcall map=cycle_table index_min=1 index_max=1
    return ping_bias + runs;
}

// tailgate: program name=pong verdict=accepted
// tailgate: graph program=pong targets=ping max_chain_length=33 cycle=yes
// tailgate: run program=pong packet=udp4 engine=both return=1034
SEC("socket")
int pong(struct __sk_buff *skb)
{
    runs++;
    bpf_tail_call(skb, &cycle_table, 0); // tailgate: tailcall map=cycle_table index_min=0 index_max=0
    return pong_bias + runs;
}

char _license[] SEC("license") = "GPL";
