// cgroup/sysctl and cgroup/dev programs, and bpf_strtol in a program the runtime can run.
//   - cgroup/sysctl: ctx struct bpf_sysctl (kernel/bpf/cgroup.c sysctl_is_valid_access(): `write` read-only,
//     `file_pos` readable and writable as a u32); the sysctl_* helpers read the name and the current or new
//     value and may replace the new value; return 1 to allow the access, 0 to refuse it (EPERM).
//   - cgroup/dev: ctx struct bpf_cgroup_dev_ctx (cgroup_dev_is_valid_access(): read-only, access_type
//     narrow loads, major/minor whole u32 only); return 1 to allow the device access.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define EINVAL 22

// Writes to net/ipv4/tcp_syn_retries above 8 are refused; the value is parsed from the written text.
// tailgate: program name=limit_syn_retries verdict=accepted
SEC("cgroup/sysctl")
int limit_syn_retries(struct bpf_sysctl *ctx)
{
    static const char want[] = "tcp_syn_retries";
    char name[sizeof(want)] = {};
    char value[8];
    unsigned long n = 0;
    int len;

    if (!ctx->write)
        return 1;
    if (bpf_sysctl_get_name(ctx, name, sizeof(name), BPF_F_SYSCTL_BASE_NAME) != sizeof(want) - 1)
        return 1;
    for (int i = 0; i < (int)sizeof(want) - 1; i++)
        if (name[i] != want[i])
            return 1;
    len = bpf_sysctl_get_new_value(ctx, value, sizeof(value));
    if (len < 0)
        return 0;
    if (bpf_strtoul(value, sizeof(value), 10, &n) < 0)
        return 0;
    return n <= 8;
}

// Reads of any sysctl start over at position 0, and a write's value is replaced by "1".
// tailgate: program name=rewrite_value verdict=accepted
SEC("cgroup/sysctl")
int rewrite_value(struct bpf_sysctl *ctx)
{
    static const char one[] = "1";
    if (!ctx->write) {
        ctx->file_pos = 0;
        return 1;
    }
    return bpf_sysctl_set_new_value(ctx, one, sizeof(one) - 1) == 0;
}

// `write` says what the access is: the program may not change it.
// tailgate: program name=sysctl_writes_write verdict=rejected
SEC("cgroup/sysctl")
int sysctl_writes_write(struct bpf_sysctl *ctx)
{
    ctx->write = 0; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// The current value is copied into the buffer: it may not be larger than the stack slot given.
// tailgate: program name=sysctl_value_overflow verdict=rejected
SEC("cgroup/sysctl")
int sysctl_value_overflow(struct bpf_sysctl *ctx)
{
    char value[8];
    return bpf_sysctl_get_current_value(ctx, value, 16) >= 0; // tailgate: expect code=helper-argument severity=error
}

// Only character devices of major 1 (mem, null, zero, random...) may be opened; block devices never.
// tailgate: program name=allow_mem_devices verdict=accepted
SEC("cgroup/dev")
int allow_mem_devices(struct bpf_cgroup_dev_ctx *ctx)
{
    unsigned short type = ctx->access_type & 0xffff; // a narrow load of the low half is allowed
    if (type != BPF_DEVCG_DEV_CHAR)
        return 0;
    return ctx->major == 1;
}

// major is a whole u32: a narrow load of it is refused.
// tailgate: program name=dev_narrow_major verdict=rejected
SEC("cgroup/dev")
int dev_narrow_major(struct bpf_cgroup_dev_ctx *ctx)
{
    return *(volatile unsigned char *)&ctx->major == 1; // tailgate: expect code=ctx-access severity=error
}

// The device context is read-only.
// tailgate: program name=dev_writes_minor verdict=rejected
SEC("cgroup/dev")
int dev_writes_minor(struct bpf_cgroup_dev_ctx *ctx)
{
    ctx->minor = 0; // tailgate: expect code=ctx-access severity=error
    return 1;
}

// bpf_strtol from any program type (bpf_base_func_proto()): " -42x" is -42, 4 bytes consumed; a number
// without digits is -EINVAL. Returns 1000 + the value + consumed bytes when both hold.
// tailgate: program name=xdp_strtol verdict=accepted
// tailgate: run program=xdp_strtol packet=tcp4 engine=both return=962
SEC("xdp")
int xdp_strtol(struct xdp_md *ctx)
{
    static const char text[] = " -42x";
    static const char junk[] = "zz";
    long v = 0;
    long used = bpf_strtol(text, sizeof(text) - 1, 0, &v);
    if (bpf_strtol(junk, sizeof(junk) - 1, 10, &v) != -EINVAL)
        return 1;
    if (v != 0) // zeroed on error
        return 2;
    bpf_strtol(text, sizeof(text) - 1, 0, &v);
    return 1000 + v + used;
}

char _license[] SEC("license") = "GPL";
