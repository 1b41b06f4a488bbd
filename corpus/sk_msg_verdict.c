// An sk_msg verdict program (SEC("sk_msg")): the ctx is struct sk_msg_md (net/core/filter.c
// sk_msg_is_valid_access()): read-only, data and data_end are 8-byte packet pointers over the message,
// the address fields are u32 read at exactly 4 bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// Passes messages whose first byte is not 0xff and that come from a port other than 0.
// tailgate: program name=msg_first_byte verdict=accepted
SEC("sk_msg")
int msg_first_byte(struct sk_msg_md *msg)
{
    __u8 *data = msg->data;
    __u8 *data_end = msg->data_end;

    if (data + 1 > data_end)
        return SK_PASS;
    if (data[0] == 0xff || msg->remote_port == 0)
        return SK_DROP;
    return SK_PASS;
}

// Negative: the ctx is read-only, and u32 fields are read whole.
// tailgate: program name=msg_ctx_rules verdict=rejected
SEC("sk_msg")
int msg_ctx_rules(struct sk_msg_md *msg)
{
    __u16 port = *(volatile __u16 *)&msg->local_port; // tailgate: expect code=ctx-access severity=error
    msg->family = 2;                                  // tailgate: expect code=ctx-access severity=error
    return port == 0 ? SK_DROP : SK_PASS;
}

// Applies the verdict to the next 64 bytes, then pulls the first 4 bytes into the linear data and reads
// them: msg_pull_data moves the data (bpf_helper_changes_pkt_data()), so the bounds are checked again.
// tailgate: program name=msg_pull_then_read verdict=accepted
SEC("sk_msg")
int msg_pull_then_read(struct sk_msg_md *msg)
{
    bpf_msg_apply_bytes(msg, 64);
    if (bpf_msg_pull_data(msg, 0, 4, 0))
        return SK_PASS;
    __u8 *data = msg->data;
    __u8 *data_end = msg->data_end;

    if (data + 4 > data_end)
        return SK_PASS;
    return data[3] == 0xff ? SK_DROP : SK_PASS;
}

// Negative: the pointers read before msg_pull_data are stale after it.
// tailgate: program name=msg_stale_after_pull verdict=rejected
SEC("sk_msg")
int msg_stale_after_pull(struct sk_msg_md *msg)
{
    __u8 *data = msg->data;
    __u8 *data_end = msg->data_end;

    if (data + 4 > data_end)
        return SK_PASS;
    bpf_msg_pull_data(msg, 0, 8, 0);
    return data[3] == 0xff ? SK_DROP : SK_PASS; // tailgate: expect code=memory-bounds severity=error
}

char LICENSE[] SEC("license") = "GPL";
