// Port of the kernel sample tracex5 (samples/bpf/tracex5_kern.c; user side tracex5_user.c): a kprobe on
// __seccomp_filter dispatches on the syscall number through a prog array. Facts kept: the prog array
// `progs` (1024 slots), filled by the loader with one program per handled syscall (slot = the number in
// the program's section name: SYS__NR_read / write / mmap); bpf_prog1 tail-calls slot PT_REGS_PARM1 (the
// syscall number, an int) and, when that falls through, prints the get/set uid/pid/gid syscalls
// (__NR_getuid..__NR_getsid); the write handler reads the struct seccomp_data at PT_REGS_PARM2 and prints
// writes of 512 bytes, the read handler reads of 129..1024 bytes, the mmap handler prints "mmap".
// The sample has no expected output beyond the trace; every program returns 0 (the runs say so, and
// tests/corpus_run_test.cpp checks which program ran through the trace_printk output).
// Here the slots are initialised statically with the x86-64 numbers: read 0, write 1, mmap 9.
// The syscall number is any u32 to the verifier: the kernel accepts (numbers >= 1024 fall through);
// tailgate warns (tail-call-index).
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <bpf/bpf_helpers.h>

// x86-64 syscall numbers (asm/unistd_64.h)
#define NR_read 0
#define NR_write 1
#define NR_mmap 9
#define NR_getuid 102
#define NR_getsid 124

// x86-64 argument registers (bpf_tracing.h PT_REGS_PARM1/2 for user-space pt_regs)
#define PARM1(x) ((x)->rdi)
#define PARM2(x) ((x)->rsi)

int bpf_func_SYS__NR_read(struct pt_regs *ctx);
int bpf_func_SYS__NR_write(struct pt_regs *ctx);
int bpf_func_SYS__NR_mmap(struct pt_regs *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(max_entries, 1024);
    __array(values, int(void *));
} progs SEC(".maps") = {
    .values = {[NR_read] = (void *)&bpf_func_SYS__NR_read, [NR_write] = (void *)&bpf_func_SYS__NR_write,
               [NR_mmap] = (void *)&bpf_func_SYS__NR_mmap},
};

// Hand count (llvm-objdump -d, deepest r10 offset rounded up to 16; no subprograms): bpf_prog1 48 (fmt at
// r10-48), the write and read handlers 96 (fmt at r10-96 below sd at r10-64), the mmap handler 16 (fmt at
// r10-8). One site, in the main function (keeps nothing), key any u32: slots 0, 1, 9 are in range ->
// the read, write and mmap handlers (no tail calls of their own): max_chain_length = 1, no cycle;
// chain_stack_bytes = max(48, 0 + 96) = 96.
// tailgate: program name=bpf_prog1 verdict=accepted
// tailgate: program name=bpf_prog1 verdict=rejected when=strict
// tailgate: graph program=bpf_prog1 targets=bpf_func_SYS__NR_mmap,bpf_func_SYS__NR_read,bpf_func_SYS__NR_write max_chain_length=1 chain_stack_bytes=96 cycle=no
// Runs: mmap (-> the mmap handler), getuid (falls through, prints), write with a NULL seccomp_data (the
// probe read faults and zero-fills: nothing printed).
// tailgate: run program=bpf_prog1 args=9 return=0
// tailgate: run program=bpf_prog1 args=102 return=0
// tailgate: run program=bpf_prog1 args=1,0 return=0
SEC("kprobe/__seccomp_filter")
int bpf_prog1(struct pt_regs *ctx)
{
    int sc_nr = (int)PARM1(ctx);

    // dispatch into next BPF program depending on syscall number
    bpf_tail_call(ctx, &progs, sc_nr); // tailgate: tailcall map=progs index_min=0 index_max=4294967295 tailgate: expect code=tail-call-index severity=warning

    // fall through -> unknown syscall
    if (sc_nr >= NR_getuid && sc_nr <= NR_getsid) {
        char fmt[] = "syscall=%d (one of get/set uid/pid/gid)\n";
        bpf_trace_printk(fmt, sizeof(fmt), sc_nr);
    }
    return 0;
}

// Hand count: frame 96, no tail call.
// tailgate: program name=bpf_func_SYS__NR_write verdict=accepted
// tailgate: graph program=bpf_func_SYS__NR_write targets= max_chain_length=0 chain_stack_bytes=96 cycle=no
SEC("kprobe/SYS__NR_write")
int bpf_func_SYS__NR_write(struct pt_regs *ctx)
{
    struct seccomp_data sd;

    bpf_probe_read_kernel(&sd, sizeof(sd), (void *)PARM2(ctx));
    if (sd.args[2] == 512) {
        char fmt[] = "write(fd=%d, buf=%p, size=%d)\n";
        bpf_trace_printk(fmt, sizeof(fmt), sd.args[0], sd.args[1], sd.args[2]);
    }
    return 0;
}

// Hand count: frame 96, no tail call.
// tailgate: program name=bpf_func_SYS__NR_read verdict=accepted
// tailgate: graph program=bpf_func_SYS__NR_read targets= max_chain_length=0 chain_stack_bytes=96 cycle=no
SEC("kprobe/SYS__NR_read")
int bpf_func_SYS__NR_read(struct pt_regs *ctx)
{
    struct seccomp_data sd;

    bpf_probe_read_kernel(&sd, sizeof(sd), (void *)PARM2(ctx));
    if (sd.args[2] > 128 && sd.args[2] <= 1024) {
        char fmt[] = "read(fd=%d, buf=%p, size=%d)\n";
        bpf_trace_printk(fmt, sizeof(fmt), sd.args[0], sd.args[1], sd.args[2]);
    }
    return 0;
}

// Hand count: frame 16 (r10-8 rounded up), no tail call.
// tailgate: program name=bpf_func_SYS__NR_mmap verdict=accepted
// tailgate: graph program=bpf_func_SYS__NR_mmap targets= max_chain_length=0 chain_stack_bytes=16 cycle=no
// tailgate: run program=bpf_func_SYS__NR_mmap args=9 return=0
SEC("kprobe/SYS__NR_mmap")
int bpf_func_SYS__NR_mmap(struct pt_regs *ctx)
{
    char fmt[] = "mmap\n";
    bpf_trace_printk(fmt, sizeof(fmt));
    return 0;
}

char _license[] SEC("license") = "GPL";
