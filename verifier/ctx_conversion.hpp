// Declared cross-type tail calls (issue 5), after the kernel proposal's is_valid_tail_call / convert_ctx /
// finalize_context: a program of type `from` may tail-call a program of type `to` only when a conversion
// between the two is declared here. The conversion is data, not code: a list of field copies from the
// source ctx into a fresh target ctx. The verifier reads it to allow the edge (and checks the target against
// the target type's own ctx layout, ctx_layout.hpp); both runtime engines apply it at the tail call.
//
// The kernel has no such thing: there every program in a prog array must have the prog array owner's type
// (core.c __bpf_prog_map_compatible). Edges without a declared conversion stay errors.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "verifier/prog_type.hpp"

namespace tailgate {

// dst[dst_offset, +size) = src[src_offset, +size)
struct CtxCopy {
    uint32_t dst_offset;
    uint32_t src_offset;
    uint8_t size;
};

// dst[dst_offset, +8) = value
struct CtxConstant {
    uint32_t dst_offset;
    uint64_t value;
};

struct CtxConversion {
    std::string_view name; // "kprobe->generic_probe"
    ProgType from;         // is_valid_tail_call: the source types allowed to call `to` through it
    ProgType to;
    uint32_t src_size;     // bytes of the source ctx the copies read (the source ctx is at least this big)
    uint32_t dst_size;     // bytes of the target ctx (zeroed, then filled)
    std::span<const CtxCopy> copies;
    std::span<const CtxConstant> constants;
};

// Every declared conversion.
std::span<const CtxConversion> ctx_conversions();

// is_valid_tail_call(): the conversion that lets a `from` program tail-call a `to` program; nullptr when
// none is declared (the types are then incompatible unless equal).
const CtxConversion* find_ctx_conversion(ProgType from, ProgType to);

// convert_ctx(): builds the target ctx in dst (conv.dst_size bytes) from src (conv.src_size bytes).
void convert_ctx(const CtxConversion& conv, const uint8_t* src, uint8_t* dst);

// The largest dst_size of any conversion: a runtime reserves this much per converted ctx.
inline constexpr uint32_t kMaxConvertedCtxSize = 64;

// finalize_context(): `long bpf_tg_finalize_context(void *ctx)`, a tailgate helper a target program calls
// first to learn how it was entered: it returns the program type the ctx was converted from (e.g. 2 for a
// kprobe) or 0 when the program runs on its own native ctx. Helper ids from 10000 on are tailgate's own,
// far above the kernel's (enum bpf_func_id ends near 212 in 6.12).
inline constexpr int32_t kHelperFinalizeContext = 10000;

} // namespace tailgate
