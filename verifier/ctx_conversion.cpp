// The table of declared cross-type tail-call conversions (see ctx_conversion.hpp).
#include "verifier/ctx_conversion.hpp"

#include <array>
#include <cstring>

#include "verifier/ctx_layout.hpp"

namespace tailgate {
namespace {

// kprobe (x86-64 struct pt_regs) -> generic probe: args[i] = PT_REGS_PARM(i+1) (di, si, dx, cx, r8, r9),
// probe_id = the source program type, so the target can tell which kind of probe produced it.
constexpr std::array<CtxCopy, kGenericProbeArgs> kKprobeArgCopies = {{
    {0 * 8, kPtRegsArgOffset[0], 8},
    {1 * 8, kPtRegsArgOffset[1], 8},
    {2 * 8, kPtRegsArgOffset[2], 8},
    {3 * 8, kPtRegsArgOffset[3], 8},
    {4 * 8, kPtRegsArgOffset[4], 8},
    {5 * 8, kPtRegsArgOffset[5], 8},
}};
constexpr std::array<CtxConstant, 1> kKprobeConstants = {{
    {kGenericProbeIdOffset, uint64_t(ProgType::Kprobe)},
}};

const std::array<CtxConversion, 1> kConversions = {{
    {"kprobe->generic_probe", ProgType::Kprobe, ProgType::GenericProbe, kPtRegsSize, kGenericProbeCtxSize,
     kKprobeArgCopies, kKprobeConstants},
}};

static_assert(kGenericProbeCtxSize <= kMaxConvertedCtxSize);

} // namespace

std::span<const CtxConversion> ctx_conversions() { return kConversions; }

const CtxConversion* find_ctx_conversion(ProgType from, ProgType to) {
    for (const auto& c : kConversions)
        if (c.from == from && c.to == to) return &c;
    return nullptr;
}

void convert_ctx(const CtxConversion& conv, const uint8_t* src, uint8_t* dst) {
    std::memset(dst, 0, conv.dst_size);
    for (const auto& c : conv.copies) std::memcpy(dst + c.dst_offset, src + c.src_offset, c.size);
    for (const auto& k : conv.constants) std::memcpy(dst + k.dst_offset, &k.value, sizeof k.value);
}

} // namespace tailgate
