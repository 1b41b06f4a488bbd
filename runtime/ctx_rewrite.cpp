// Load-time rewrite of ctx field accesses (kernel: verifier.c convert_ctx_accesses() with the per-type
// convert_ctx_access callbacks of net/core/filter.c), and the verifier-less inference of ctx accesses.
#include <linux/bpf.h>

#include <cstddef>
#include <deque>
#include <optional>

#include "runtime/context.hpp"

namespace tailgate::rt {

namespace {

struct PtrField {
    uint32_t uapi_off;
    uint32_t runtime_off;
};

// The u32 "pointer" fields of each ctx struct and where the runtime keeps the real 64-bit pointer.
// kernel: filter.c xdp_convert_ctx_access() (data/data_end/data_meta) and bpf_convert_ctx_access()
// (__sk_buff data/data_end/data_meta). flow_keys and sk are already 64-bit (__bpf_md_ptr) in the uapi.
constexpr PtrField kXdpPtrs[] = {
    {offsetof(struct xdp_md, data), kXdpDataPtr},
    {offsetof(struct xdp_md, data_end), kXdpDataEndPtr},
    {offsetof(struct xdp_md, data_meta), kXdpDataMetaPtr},
};
constexpr PtrField kSkbPtrs[] = {
    {offsetof(struct __sk_buff, data), kSkbDataPtr},
    {offsetof(struct __sk_buff, data_end), kSkbDataEndPtr},
    {offsetof(struct __sk_buff, data_meta), kSkbDataMetaPtr},
};

std::span<const PtrField> ptr_fields(ProgType type) {
    if (type == ProgType::Xdp) return kXdpPtrs;
    if (takes_packet(type)) return kSkbPtrs;
    return {};
}

Error rewrite_error(uint32_t insn, const std::string& why) {
    return make_error("ctx-rewrite", "insn " + std::to_string(insn) + ": " + why);
}

} // namespace

Status rewrite_ctx_accesses(ProgType type, std::vector<Insn>& insns, std::span<const CtxAccessSite> sites) {
    auto fields = ptr_fields(type);
    for (const CtxAccessSite& s : sites) {
        if (s.insn >= insns.size()) return rewrite_error(s.insn, "past the end of the program");
        const PtrField* hit = nullptr;
        for (const PtrField& f : fields)
            if (s.ctx_offset < int32_t(f.uapi_off + 4) &&
                s.ctx_offset + int32_t(s.size) > int32_t(f.uapi_off))
                hit = &f;
        Insn& insn = insns[s.insn];
        int16_t* off = nullptr;
        uint8_t* width = nullptr;
        bool is_load = false;
        if (auto* l = std::get_if<Load>(&insn)) {
            off = &l->off, width = &l->width, is_load = true;
        } else if (auto* st = std::get_if<Store>(&insn)) {
            off = &st->off, width = &st->width;
        } else if (auto* a = std::get_if<Atomic>(&insn)) {
            off = &a->off, width = &a->width;
        } else {
            return rewrite_error(s.insn, "ctx access site is not a load, store or atomic");
        }
        if (!hit) continue; // every other field lives at its uapi offset in the runtime ctx
        if (!is_load || s.is_write) return rewrite_error(s.insn, "write to a ctx pointer field");
        if (s.size != 4 || s.ctx_offset != int32_t(hit->uapi_off))
            return rewrite_error(s.insn, "narrow or misaligned access to a ctx pointer field");
        // The base register points at the ctx start plus (off - ctx_offset); keep that displacement.
        int32_t new_off = int32_t(hit->runtime_off) + (int32_t(*off) - s.ctx_offset);
        *off = int16_t(new_off);
        *width = 8;
        if (auto* l = std::get_if<Load>(&insn)) l->sign_extend = false;
    }
    return Ok{};
}

// ---- inference for runs without the verifier ----------------------------------------------------------

namespace {

// Which registers and 8-byte stack slots (r10-8 .. r10-512) hold the unmodified ctx pointer.
struct CtxState {
    uint16_t regs = 0;
    uint64_t stack = 0;
    bool operator==(const CtxState&) const = default;
};

std::optional<int> stack_slot(int16_t off, uint8_t width) {
    if (off >= 0 || off < -kMaxBpfStack) return std::nullopt;
    if (off % 8 != 0 || width != 8) return std::nullopt;
    return (-off - 1) / 8;
}

void clear_stack_bytes(CtxState& st, int16_t off, uint8_t width) {
    for (int b = off; b < off + width; ++b) {
        if (b >= 0 || b < -kMaxBpfStack) continue;
        st.stack &= ~(uint64_t(1) << ((-b - 1) / 8));
    }
}

} // namespace

std::vector<CtxAccessSite> infer_ctx_accesses(const Program& prog) {
    const auto& insns = prog.insns;
    const size_t n = insns.size();
    std::vector<std::optional<CtxState>> in(n);
    std::deque<uint32_t> work;
    auto flow = [&](uint32_t to, const CtxState& st) {
        if (to >= n) return;
        // Must-analysis: a register holds ctx only if it does on every path (intersection).
        CtxState merged = in[to] ? CtxState{uint16_t(in[to]->regs & st.regs), in[to]->stack & st.stack} : st;
        if (in[to] && *in[to] == merged) return;
        in[to] = merged;
        work.push_back(to);
    };
    if (n) flow(0, CtxState{uint16_t(1u << kR1), 0});
    while (!work.empty()) {
        uint32_t pc = work.front();
        work.pop_front();
        CtxState st = *in[pc];
        const Insn& insn = insns[pc];
        auto clr = [&](Reg r) { st.regs &= uint16_t(~(1u << r)); };
        bool falls = true;
        std::visit(
            [&](const auto& i) {
                using T = std::decay_t<decltype(i)>;
                if constexpr (std::is_same_v<T, Alu>) {
                    bool copy = i.op == AluOp::Mov && i.is64 && i.src.is_reg;
                    bool src_ctx = copy && (st.regs & (1u << i.src.reg));
                    clr(i.dst);
                    if (src_ctx) st.regs |= uint16_t(1u << i.dst);
                } else if constexpr (std::is_same_v<T, Endian> || std::is_same_v<T, LoadImm64>) {
                    clr(i.dst);
                } else if constexpr (std::is_same_v<T, Load>) {
                    bool fill = false;
                    if (i.base == kR10 && i.width == 8 && i.off % 8 == 0) {
                        if (auto slot = stack_slot(i.off, 8)) fill = (st.stack >> *slot) & 1;
                    }
                    clr(i.dst);
                    if (fill) st.regs |= uint16_t(1u << i.dst);
                } else if constexpr (std::is_same_v<T, Store>) {
                    if (i.base == kR10) {
                        bool spill = i.width == 8 && i.off % 8 == 0 && i.value.is_reg &&
                                     (st.regs & (1u << i.value.reg));
                        clear_stack_bytes(st, i.off, i.width);
                        if (spill)
                            if (auto slot = stack_slot(i.off, 8)) st.stack |= uint64_t(1) << *slot;
                    }
                } else if constexpr (std::is_same_v<T, Atomic>) {
                    if (i.base == kR10) clear_stack_bytes(st, i.off, i.width);
                    if (i.fetch || i.op == AtomicOp::CmpXchg) clr(i.op == AtomicOp::CmpXchg ? kR0 : i.src);
                } else if constexpr (std::is_same_v<T, LoadPacket>) {
                    for (Reg r = 0; r <= kR5; ++r) clr(r);
                } else if constexpr (std::is_same_v<T, Call> || std::is_same_v<T, CallReg>) {
                    for (Reg r = 0; r <= kR5; ++r) clr(r);
                } else if constexpr (std::is_same_v<T, CallLocal>) {
                    // The callee gets a fresh frame; ctx arrives through the argument registers.
                    flow(i.target, CtxState{uint16_t(st.regs & 0x3e), 0});
                    for (Reg r = 0; r <= kR5; ++r) clr(r);
                } else if constexpr (std::is_same_v<T, Jump>) {
                    flow(i.target, st);
                } else if constexpr (std::is_same_v<T, Goto>) {
                    flow(i.target, st);
                    falls = false;
                } else if constexpr (std::is_same_v<T, Exit>) {
                    falls = false;
                }
            },
            insn);
        if (falls) flow(pc + uint32_t(slots(insn)), st);
    }
    // Sites from the fixpoint states (earlier visits may have seen a larger, optimistic state).
    std::vector<CtxAccessSite> out;
    for (uint32_t pc = 0; pc < n; ++pc) {
        if (!in[pc]) continue;
        auto is_ctx = [&](Reg base) { return base != kR10 && (in[pc]->regs & (1u << base)); };
        if (auto* l = std::get_if<Load>(&insns[pc]); l && is_ctx(l->base))
            out.push_back({pc, l->off, l->width, false});
        else if (auto* st = std::get_if<Store>(&insns[pc]); st && is_ctx(st->base))
            out.push_back({pc, st->off, st->width, true});
        else if (auto* a = std::get_if<Atomic>(&insns[pc]); a && is_ctx(a->base))
            out.push_back({pc, a->off, a->width, true});
    }
    return out;
}

} // namespace tailgate::rt
