// Self-tail-calling chain (tc), as the kernel selftest tailcall_3: `chain` tail-calls slot 0 of its own
// prog array, which holds `chain` itself. The kernel allows 33 tail calls per chain (MAX_TAIL_CALL_CNT),
// so a run of chain_entry executes 34 programs (the entry + 33 tail calls); the 34th tail call falls
// through. `runs` in .bss counts the programs that ran; the last one returns it.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

int chain(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} chain_table SEC(".maps") = {
    .values = {[0] = (void *)&chain},
};

__u32 runs; // .bss

// tailgate: program name=chain_entry verdict=accepted
// tailgate: graph program=chain_entry targets=chain max_chain_length=33 cycle=yes
// tailgate: run program=chain_entry packet=tcp4 engine=both return=34
SEC("tc")
int chain_entry(struct __sk_buff *skb)
{
    runs = 1;
    bpf_tail_call(skb, &chain_table, 0); // tailgate: tailcall map=chain_table index_min=0 index_max=0
    return TC_ACT_SHOT; // only if slot 0 were empty
}

// tailgate: program name=chain verdict=accepted
// tailgate: graph program=chain targets=chain max_chain_length=33 cycle=yes
// tailgate: run program=chain packet=tcp4 engine=both return=34
SEC("tc")
int chain(struct __sk_buff *skb)
{
    runs++;
    bpf_tail_call(skb, &chain_table, 0); // tailgate: tailcall map=chain_table index_min=0 index_max=0
    return runs; // reached when the 34th tail call falls through: runs == 34
}

char _license[] SEC("license") = "GPL";
