// ctx-access: ctx offsets, sizes or writes the program type does not allow
// (kernel: the type's is_valid_access callback, "invalid bpf_context access off=%d size=%d").
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

// xdp_md is read-only for XDP programs (xdp_is_valid_access: BPF_WRITE -> false).
// tailgate: program name=xdp_write_data verdict=rejected
SEC("xdp")
int xdp_write_data(struct xdp_md *ctx)
{
    ctx->data = 0; // tailgate: expect code=ctx-access severity=error
    return XDP_PASS;
}

// skb->mark is a 4-byte field; an 8-byte load of it is refused (bpf_skb_is_valid_access: size).
// tailgate: program name=tc_wide_mark verdict=rejected
SEC("tc")
int tc_wide_mark(struct __sk_buff *skb)
{
    return *(volatile __u64 *)&skb->mark == 0; // tailgate: expect code=ctx-access severity=error
}

// skb->len is read-only for tc programs (tc_cls_act_is_valid_access).
// tailgate: program name=tc_write_len verdict=rejected
SEC("tc")
int tc_write_len(struct __sk_buff *skb)
{
    skb->len = 0; // tailgate: expect code=ctx-access severity=error
    return 0;
}

// Socket filters may not use direct packet access (sk_filter_is_valid_access: data -> false).
// tailgate: program name=socket_reads_data verdict=rejected
SEC("socket")
int socket_reads_data(struct __sk_buff *skb)
{
    return skb->data != 0; // tailgate: expect code=ctx-access severity=error
}

// pt_regs is read-only for kprobes (kprobe_prog_is_valid_access: type != BPF_READ -> false).
// tailgate: program name=kprobe_write_regs verdict=rejected
SEC("kprobe/do_sys_openat2")
int kprobe_write_regs(struct pt_regs *ctx)
{
    ctx->rdi = 0; // tailgate: expect code=ctx-access severity=error
    return 0;
}

// Control: allowed accesses of the same fields.
// tailgate: program name=tc_ctx_ok verdict=accepted
// tailgate: run program=tc_ctx_ok packet=tcp4 engine=both return=7
SEC("tc")
int tc_ctx_ok(struct __sk_buff *skb)
{
    skb->mark = 7;     // mark is writable for tc
    skb->cb[0] = 1;    // cb[] is writable
    return skb->mark;  // 4-byte read
}

char _license[] SEC("license") = "GPL";
