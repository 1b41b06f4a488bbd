// invalid-instruction: encodings that decode (RFC 9669) but that the Linux verifier refuses.
// Written as naked functions in assembly; clang gives every instruction of an asm statement the line of
// the statement's first line, so the expectations sit there.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// callx (BPF_JMP | BPF_CALL | BPF_X, 0x8d): kernel do_check() "BPF_CALL uses reserved fields".
// tailgate: program name=bad_callx verdict=rejected
SEC("xdp")
__attribute__((naked)) int bad_callx(struct xdp_md *ctx)
{
    asm volatile("r0 = 2; .quad 0x000000000000008d; exit;" ::: "memory"); // tailgate: expect code=invalid-instruction severity=error
}

// A write to the frame pointer r10: kernel check_reg_arg() "frame pointer is read only".
// tailgate: program name=write_r10 verdict=rejected
SEC("xdp")
__attribute__((naked)) int write_r10(struct xdp_md *ctx)
{
    asm volatile("r10 = 0; r0 = 2; exit;" ::: "memory"); // tailgate: expect code=invalid-instruction severity=error
}

// The last instruction is not an exit or jump: control falls off the end of the program.
// kernel check_subprogs(): "last insn is not an exit or jmp".
// tailgate: program name=fall_off_end verdict=rejected
SEC("xdp")
__attribute__((naked)) int fall_off_end(struct xdp_md *ctx)
{
    asm volatile("r0 = 2;" ::: "memory"); // tailgate: expect code=invalid-instruction severity=error
}

// Dead code: no path reaches `r0 = 1; r0 += 1` (a goto jumps over it). kernel check_cfg(): "unreachable insn 2".
// tailgate: program name=dead_code verdict=rejected
SEC("xdp")
__attribute__((naked)) int dead_code(struct xdp_md *ctx)
{
    asm volatile("r0 = 2; goto +2; r0 = 1; r0 += 1; exit;" ::: "memory"); // tailgate: expect code=invalid-instruction severity=error
}

// Control reference: the same shape, well formed.
// tailgate: program name=insn_ok verdict=accepted
// tailgate: run program=insn_ok packet=tcp4 engine=both return=2
SEC("xdp")
__attribute__((naked)) int insn_ok(struct xdp_md *ctx)
{
    asm volatile("r0 = 2; exit;" ::: "memory");
}

char _license[] SEC("license") = "GPL";
