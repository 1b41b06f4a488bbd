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

char LICENSE[] SEC("license") = "GPL";
