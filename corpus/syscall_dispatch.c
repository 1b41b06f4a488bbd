// Syscall-number dispatcher (raw tracepoint sys_enter): ctx->args[1] is the syscall number; it indexes a
// prog array whose slots 0 (read), 1 (write) and 59 (execve) are filled statically. The number is
// checked against the table size first, so the index is provably in range.
// For raw_tracepoint programs the run expectation's args= are ctx->args[0], ctx->args[1], ...
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NR_SLOTS 512

int sys_read(struct bpf_raw_tracepoint_args *ctx);
int sys_write(struct bpf_raw_tracepoint_args *ctx);
int sys_execve(struct bpf_raw_tracepoint_args *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, NR_SLOTS);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} syscall_table SEC(".maps") = {
    .values =
        {
            [0] = (void *)&sys_read,
            [1] = (void *)&sys_write,
            [59] = (void *)&sys_execve,
        },
};

// Calls per handled syscall, in .bss (a global-data map).
__u64 calls[3];

// tailgate: program name=sys_enter_dispatch verdict=accepted
// tailgate: graph program=sys_enter_dispatch targets=sys_read,sys_write,sys_execve max_chain_length=1
// tailgate: run program=sys_enter_dispatch args=0,0 engine=both return=10
// tailgate: run program=sys_enter_dispatch args=0,1 engine=both return=11
// tailgate: run program=sys_enter_dispatch args=0,59 engine=both return=69
// tailgate: run program=sys_enter_dispatch args=0,2 engine=both return=0
// tailgate: run program=sys_enter_dispatch args=0,4096 engine=both return=1
SEC("raw_tracepoint/sys_enter")
int sys_enter_dispatch(struct bpf_raw_tracepoint_args *ctx)
{
    __u64 nr = ctx->args[1];

    if (nr >= NR_SLOTS)
        return 1;
    bpf_tail_call(ctx, &syscall_table, nr); // tailgate: tailcall map=syscall_table index_min=0 index_max=511
    return 0;
}

// tailgate: program name=sys_read verdict=accepted
SEC("raw_tracepoint/sys_enter")
int sys_read(struct bpf_raw_tracepoint_args *ctx)
{
    calls[0]++;
    return 10;
}

// tailgate: program name=sys_write verdict=accepted
SEC("raw_tracepoint/sys_enter")
int sys_write(struct bpf_raw_tracepoint_args *ctx)
{
    calls[1]++;
    return 11;
}

// tailgate: program name=sys_execve verdict=accepted
SEC("raw_tracepoint/sys_enter")
int sys_execve(struct bpf_raw_tracepoint_args *ctx)
{
    calls[2]++;
    return 69;
}

char _license[] SEC("license") = "GPL";
