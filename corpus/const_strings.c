// Constant strings (ARG_PTR_TO_CONST_STR): bpf_strncmp's second string must be NUL-terminated at a
// constant offset of a read-only map value (.rodata), so the verifier knows it (kernel: verifier.c
// check_func_arg()). The first is any readable memory of the size given.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static const char get_method[] = "GET ";
char writable_prefix[] = "GET "; // .data: the program could change it
volatile int which = 0;          // .bss

// Compares the packet's first bytes with "GET " (strncmp semantics: stops at a NUL or after 4 bytes);
// the test packet starts with a MAC address (02:...), below "G": strncmp says -1, the program 9.
// tailgate: program name=http_get verdict=accepted
// tailgate: run program=http_get packet=tcp4 engine=both return=9
SEC("xdp")
int http_get(struct xdp_md *ctx)
{
    char head[4];
    if (bpf_xdp_load_bytes(ctx, 0, head, sizeof(head)) < 0)
        return XDP_ABORTED;
    long r = bpf_strncmp(head, sizeof(head), get_method);
    if (r == 0)
        return XDP_PASS;
    return r < 0 ? 9 : 7;
}

// Equal strings compare 0, a shorter first string (its NUL first) compares below.
// tailgate: program name=compare_known verdict=accepted
// tailgate: run program=compare_known packet=tcp4 engine=both return=3
SEC("xdp")
int compare_known(struct xdp_md *ctx)
{
    char same[5] = "GET ", shorter[5] = "GE";
    int score = 0;
    if (bpf_strncmp(same, sizeof(same), get_method) == 0)
        score += 1;
    if (bpf_strncmp(shorter, sizeof(shorter), get_method) < 0)
        score += 2;
    return score;
}

// A string in .data is not constant: the kernel refuses it ("does not point to a readonly map").
// tailgate: program name=prefix_writable verdict=rejected
SEC("xdp")
int prefix_writable(struct xdp_md *ctx)
{
    char head[4] = {};
    return bpf_strncmp(head, sizeof(head), writable_prefix) == 0; // tailgate: expect code=helper-argument severity=error
}

// The offset into .rodata must be a constant.
// tailgate: program name=prefix_variable_offset verdict=rejected
SEC("xdp")
int prefix_variable_offset(struct xdp_md *ctx)
{
    char head[4] = {};
    return bpf_strncmp(head, sizeof(head), get_method + (which & 3)) == 0; // tailgate: expect code=helper-argument severity=error
}

// bpf_snprintf's format is a constant string too, checked at load against its args (data_len / 8).
// "q=%u/%x" with 7 and 255 is "q=7/ff": 6 bytes, so it returns 7 (with the NUL); the output is cut to
// the 4-byte buffer ("q=7" + NUL). Returns 100 * 7 + buf[2] ('7' = 55) = 755.
static const char q_fmt[] = "q=%u/%x";
static const char bad_fmt[] = "q=%q";

// tailgate: program name=format_queue verdict=accepted
// tailgate: run program=format_queue packet=tcp4 engine=both return=755
SEC("xdp")
int format_queue(struct xdp_md *ctx)
{
    char buf[4] = {};
    __u64 args[2] = {7, 255};
    long n = bpf_snprintf(buf, sizeof(buf), q_fmt, args, sizeof(args));
    if (n < 0)
        return 1;
    return 100 * n + buf[2];
}

// %q is no conversion bpf_bprintf_prepare() knows: refused at load.
// tailgate: program name=format_unknown_conversion verdict=rejected
SEC("xdp")
int format_unknown_conversion(struct xdp_md *ctx)
{
    char buf[8] = {};
    __u64 args[1] = {1};
    return bpf_snprintf(buf, sizeof(buf), bad_fmt, args, sizeof(args)) > 0; // tailgate: expect code=helper-argument severity=error
}

// Two conversions, one arg.
// tailgate: program name=format_too_few_args verdict=rejected
SEC("xdp")
int format_too_few_args(struct xdp_md *ctx)
{
    char buf[8] = {};
    __u64 args[1] = {1};
    return bpf_snprintf(buf, sizeof(buf), q_fmt, args, sizeof(args)) > 0; // tailgate: expect code=helper-argument severity=error
}

// The output buffer is ARG_PTR_TO_MEM_OR_NULL without MEM_UNINIT: its bytes must be initialised
// (check_stack_range_initialized()), unless the loader may read uninitialised stack (CAP_PERFMON).
// tailgate: program name=format_uninit_buffer verdict=rejected
// tailgate: program name=format_uninit_buffer verdict=accepted when=allow-uninit-stack
SEC("xdp")
int format_uninit_buffer(struct xdp_md *ctx)
{
    char buf[8];
    __u64 args[2] = {7, 255};
    return bpf_snprintf(buf, sizeof(buf), q_fmt, args, sizeof(args)) > 0; // tailgate: expect code=helper-argument severity=error unless=allow-uninit-stack
}

// A NULL output buffer needs a size of 0 (kernel: check_helper_mem_access()).
// tailgate: program name=format_null_sized verdict=rejected
SEC("xdp")
int format_null_sized(struct xdp_md *ctx)
{
    __u64 args[2] = {1, 2};
    return bpf_snprintf((char *)0, 8, q_fmt, args, sizeof(args)) > 0; // tailgate: expect code=helper-argument severity=error
}

char _license[] SEC("license") = "GPL";
