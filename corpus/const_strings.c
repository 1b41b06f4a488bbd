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

char _license[] SEC("license") = "GPL";
