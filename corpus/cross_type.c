// Cross-type tail calls (issue 5). A kprobe program (ctx: struct pt_regs) tail-calls a program of
// tailgate's own "generic probe" type, whose ctx carries the probed function's arguments:
//   struct tg_generic_probe_ctx { __u64 args[6]; __u64 probe_id; };   (verifier/ctx_layout.hpp)
// tailgate declares the conversion kprobe -> generic_probe (args[i] = PT_REGS_PARM(i+1)), so this edge is
// allowed and the target is checked against the converted ctx. The kernel has no such type: for it the
// prog array would be incompatible. SEC("generic_probe") is tailgate's section name for the type.
//
// `probe_to_tp` tail-calls a raw_tracepoint program: no conversion is declared for kprobe ->
// raw_tracepoint, so that edge is an error (tail-call-target-type) on the tail call.
// For kprobe programs, run args= are the probed function's arguments PT_REGS_PARM1..6 (x86-64: di, si,
// dx, cx, r8, r9).
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

struct tg_generic_probe_ctx {
    __u64 args[6];
    __u64 probe_id;
};

int generic_handler(struct tg_generic_probe_ctx *ctx);
int tp_handler(struct bpf_raw_tracepoint_args *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} probe_table SEC(".maps") = {
    .values = {[0] = (void *)&generic_handler},
};

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __array(values, int(void *));
} tp_table SEC(".maps") = {
    .values = {[0] = (void *)&tp_handler},
};

// tailgate: program name=probe_entry verdict=accepted
// tailgate: graph program=probe_entry targets=generic_handler max_chain_length=1 cross_type=generic_probe
// Through the conversion generic_handler sees args 5 and 7 and finalize_context says it came from a kprobe
// (program type 2): 5 + 7 + 2 * 100 = 212.
// tailgate: run program=probe_entry args=5,7 engine=both return=212
SEC("kprobe/do_sys_openat2")
int probe_entry(struct pt_regs *ctx)
{
    bpf_tail_call(ctx, &probe_table, 0); // tailgate: tailcall map=probe_table index_min=0 index_max=0
    return 1;
}

// tailgate's finalize_context helper (verifier/helper_protos.cpp, id 10000, generic_probe programs only),
// after the proposal's finalize_context(): called first by a conversion target, it returns the program type
// the ctx was converted from, 0 when the program was entered natively.
static long (*bpf_tg_finalize_context)(void *ctx) = (void *)10000;

// The generic probe: sums the first two arguments, plus 100 times the source program type.
// Run natively (no conversion): 5 + 7 + 0 = 12.
// tailgate: program name=generic_handler verdict=accepted type=generic_probe
// tailgate: run program=generic_handler args=5,7 engine=both return=12
SEC("generic_probe")
int generic_handler(struct tg_generic_probe_ctx *ctx)
{
    long from = bpf_tg_finalize_context(ctx);

    return ctx->args[0] + ctx->args[1] + from * 100;
}

// finalize_context belongs to conversion targets: a kprobe may not call it.
// tailgate: program name=probe_finalize verdict=rejected
SEC("kprobe/do_sys_openat2")
int probe_finalize(struct pt_regs *ctx)
{
    return bpf_tg_finalize_context(ctx); // tailgate: expect code=unknown-helper severity=error
}

// tailgate: program name=probe_to_tp verdict=rejected
// tailgate: graph program=probe_to_tp targets=tp_handler max_chain_length=1
SEC("kprobe/do_sys_openat2")
int probe_to_tp(struct pt_regs *ctx)
{
    bpf_tail_call(ctx, &tp_table, 0); // tailgate: expect code=tail-call-target-type severity=error
    return 1;
}

// tailgate: program name=tp_handler verdict=accepted
SEC("raw_tracepoint/sys_enter")
int tp_handler(struct bpf_raw_tracepoint_args *ctx)
{
    return 3;
}

char _license[] SEC("license") = "GPL";
