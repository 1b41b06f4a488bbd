// Safety checks per instruction kind: registers, pointer arithmetic, memory, exit. Helper calls and tail
// calls are in checks_call.cpp.
#include "analysis/checks.hpp"

#include <algorithm>

#include "analysis/checks_internal.hpp"
#include "analysis/wto.hpp"

namespace tailgate {

void CheckSink::report(const AnalysisEnv& env, Severity sev, const std::string& code, uint32_t insn,
                       std::string message) {
    if (!seen.insert({insn, code}).second) return;
    diags.push_back(make_diagnostic(sev, code, std::move(message), *env.prog, insn));
}

void CheckSink::note_stack(uint32_t function, int64_t depth) {
    if (function >= stack_depth.size()) stack_depth.resize(function + 1, 0);
    stack_depth[function] = std::max(stack_depth[function], depth);
}

std::string reg_name(Reg r) {
    return "r" + std::to_string(int(r));
}

bool need_init(const Frame& f, Reg r, uint32_t pc, const AnalysisEnv& env, CheckSink& sink) {
    if (f.regs[r].kind != Kind::Uninit) return true;
    sink.report(env, Severity::Error, "uninitialized-register", pc,
                reg_name(r) + " is read before it is written (kernel: \"R" + std::to_string(int(r)) +
                    " !read_ok\")");
    return false;
}

static std::string map_label(const AnalysisEnv& env, int32_t map) {
    const MapDef* m = env.obj->map_at(map);
    return m ? "'" + m->name + "'" : "?";
}

std::string describe(const RegValue& v, const AnalysisEnv& env) {
    std::string s = to_string(v);
    if (v.map >= 0 && (v.kind == Kind::MapValue || v.kind == Kind::MapValueOrNull || v.kind == Kind::MapPtr ||
                       v.kind == Kind::MapPtrOrNull || v.kind == Kind::ProgArray))
        s += " of map " + map_label(env, v.map);
    if (v.kind == Kind::Sock || v.kind == Kind::SockOrNull)
        s += std::string(" (") + sock_view_name(v.sock) + ")";
    return s;
}

static std::string range_text(int64_t lo, int64_t hi) {
    return lo == hi ? std::to_string(lo) : "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

// --- memory ------------------------------------------------------------------------------------------

std::optional<MemIssue> check_region(const State& s, Reg r, const RegValue& v, int64_t off, int64_t size,
                                     bool write, bool need_init_bytes, const AnalysisEnv& env,
                                     CheckSink& sink) {
    const std::string who = r <= kR10 ? reg_name(r) : "pointer";
    auto err = [](std::string code, std::string msg) { return MemIssue{std::move(code), std::move(msg)}; };
    switch (v.kind) {
    case Kind::Uninit: return err("uninitialized-register", who + " is read before it is written");
    case Kind::Scalar:
        if (v.num.is_const() && v.num.const_value() == 0)
            return err("null-dereference", who + " is NULL (scalar 0)");
        return err("memory-bounds", who + " is a scalar (" + to_string(v.num) + "), not a pointer");
    case Kind::Mixed: return err("memory-bounds", who + " is a scalar on some paths and a pointer on others");
    case Kind::MapValueOrNull:
    case Kind::MapPtrOrNull:
    case Kind::SockOrNull:
    case Kind::MemOrNull:
        return err("null-dereference",
                   who + " (" + describe(v, env) + ") may be NULL; compare it with 0 first");
    case Kind::Mem: {
        ByteRange br = access_range(v.num, off, size);
        if (br.lo < 0 || br.hi > int64_t(v.mem_size))
            return err("memory-bounds", "invalid access to memory of " + std::to_string(v.mem_size) +
                                            " bytes: off=" + range_text(br.lo, br.hi - size) +
                                            " size=" + std::to_string(size));
        return std::nullopt;
    }
    case Kind::FlowKeys: { // kernel: verifier.c check_flow_keys_access()
        ByteRange br = access_range(v.num, off, size);
        if (br.lo < 0 || br.hi > int64_t(kFlowKeysSize))
            return err("memory-bounds", "invalid access to flow keys (" + std::to_string(kFlowKeysSize) +
                                            " bytes): off=" + range_text(br.lo, br.hi - size) +
                                            " size=" + std::to_string(size));
        return std::nullopt;
    }
    case Kind::PacketEnd:
        return err("memory-bounds", who + " is pkt_end: it may be compared, not dereferenced");
    case Kind::MapPtr:
    case Kind::ProgArray:
        return err("memory-bounds", who + " is a map pointer (" + describe(v, env) + "), not memory");
    case Kind::Sock: { // kernel: verifier.c check_mem_access() / check_sock_access()
        if (write) return err("memory-bounds", who + " cannot write into " + sock_view_name(v.sock));
        const CtxLayout* layout = sock_layout(v.sock);
        if (!layout)
            return err("memory-bounds", who + " is a socket pointer whose type differs between paths (sock, "
                                              "sock_common or tcp_sock): its fields cannot be read");
        if (!v.num.is_const() || v.num.const_value() != 0)
            return err("memory-bounds", who + " is a modified " + std::string(sock_view_name(v.sock)) +
                                            " pointer: only its unmodified value may be dereferenced");
        auto acc = check_ctx_access(*layout, off, int(size), false);
        if (!acc.ok()) return err("memory-bounds", acc.error().message);
        return std::nullopt;
    }
    case Kind::Func: return err("memory-bounds", who + " is a function pointer (a callback), not memory");
    case Kind::Ctx: return std::nullopt; // ctx accesses are checked against the ctx table by the caller
    case Kind::Stack: {
        if (v.frame >= s.frames.size())
            return err("memory-bounds", who + " points into the stack of a returned call");
        ByteRange br = access_range(v.num, off, size);
        if (br.lo < -kStackSize || br.hi > 0)
            return err("memory-bounds", "stack access " + who + "+" + std::to_string(off) + " size " +
                                            std::to_string(size) + " covers r10" + (br.lo < 0 ? "" : "+") +
                                            std::to_string(br.lo) + ".." + std::to_string(br.hi) +
                                            ", outside the frame [-512, 0)");
        if (v.frame < s.frames.size()) sink.note_stack(s.frames[v.frame].function, -br.lo);
        if (need_init_bytes && !env.allow_uninit_stack && v.frame < s.frames.size()) {
            const Frame& f = s.frames[v.frame];
            for (int64_t b = br.lo; b < br.hi; ++b)
                if (f.bytes[size_t(stack_index(b))] == StackByte::Uninit)
                    return err("uninitialized-register",
                               "reads uninitialized stack byte r10" + std::to_string(b) + " (access " + who +
                                   "+" + std::to_string(off) + " size " + std::to_string(size) + ")");
        }
        return std::nullopt;
    }
    case Kind::MapKey: // kernel: verifier.c check_mem_access() PTR_TO_MAP_KEY
    case Kind::MapValue: {
        const bool key = v.kind == Kind::MapKey;
        if (write && key) return err("memory-bounds", "write to change key " + who + " not allowed");
        const MapDef* mp = env.obj->map_at(v.map);
        if (!mp) return err("memory-bounds", who + " points into an unknown map");
        const MapDef& m = *mp;
        const uint32_t limit = key ? m.key_size : m.value_size;
        ByteRange br = access_range(v.num, off, size);
        if (br.lo < 0 || br.hi > int64_t(limit))
            return err("memory-bounds",
                       std::string("invalid access to map ") + (key ? "key" : "value") + " of '" + m.name +
                           "': " + (key ? "key_size=" : "value_size=") + std::to_string(limit) +
                           " off=" + range_text(br.lo, br.hi - size) + " size=" + std::to_string(size));
        // kernel: check_map_access_type()
        if (!key && write && !m.prog_can_write())
            return err("memory-bounds",
                       "write into map forbidden: '" + m.name + "' is read-only to programs");
        if (!key && !write && !m.prog_can_read())
            return err("memory-bounds", "read from map forbidden: '" + m.name + "' is BPF_F_WRONLY_PROG");
        // kernel: check_map_access(): "bpf_spin_lock cannot be accessed directly by load/store"
        if (!key && m.spin_lock_off >= 0 && br.lo < m.spin_lock_off + 4 && m.spin_lock_off < br.hi)
            return err("spin-lock", "bpf_spin_lock cannot be accessed directly by load/store (map '" +
                                        m.name + "' holds it at offset " + std::to_string(m.spin_lock_off) +
                                        ")");
        return std::nullopt;
    }
    case Kind::Packet:
    case Kind::PacketMeta: {
        bool meta = v.kind == Kind::PacketMeta;
        if (!meta && (!env.ctx || env.ctx->packet == PacketAccess::None))
            return err("memory-bounds", "this program type has no direct packet access");
        if (write && env.ctx && env.ctx->packet != PacketAccess::ReadWrite)
            return err("memory-bounds", "this program type may not write packet data");
        ByteRange br = access_range(v.num, off, size);
        if (br.lo < 0)
            return err("memory-bounds", "packet access " + who + "+" + std::to_string(off) +
                                            " may start before the packet (offset " + to_string(v.num) + ")");
        std::optional<int64_t> avail;
        if (r <= kR10)
            avail = packet_avail(s.top(), r);
        else if (v.pkt_avail != INT32_MIN)
            avail = v.pkt_avail;
        int64_t need = off + size; // relative to the pointer's own offset
        if (!avail || *avail < need)
            return err("memory-bounds", "invalid access to packet: " + who + "+" + std::to_string(off) +
                                            " size " + std::to_string(size) + " is not proved inside the " +
                                            (meta ? "metadata" : "packet") + " (proved: " +
                                            (avail ? std::to_string(*avail) : std::string("0")) +
                                            " bytes after " + who + "); compare with data_end first");
        return std::nullopt;
    }
    }
    return std::nullopt;
}

// kernel: verifier.c save_aux_ptr_type(), reg_type_mismatch(): one load or store may go through a ctx or
// socket pointer only if it does so on every path (its field offsets are rewritten for that struct: the
// runtime rewrites the instruction itself, runtime/ctx_rewrite.cpp). Reports "same insn cannot be used with
// different pointers" once per instruction.
static void check_same_base(uint32_t pc, const RegValue& b, const AnalysisEnv& env, CheckSink& sink) {
    if (!is_pointer(b.kind)) return;
    const std::pair<Kind, SockView> here{b.kind, b.kind == Kind::Sock ? b.sock : SockView::Opaque};
    const auto [it, first] = sink.access_bases.emplace(pc, here);
    const auto rewritten = [](Kind k) { return k == Kind::Ctx || k == Kind::Sock; };
    if (first || it->second == here || !(rewritten(here.first) || rewritten(it->second.first))) return;
    const bool ctx = here.first == Kind::Ctx || it->second.first == Kind::Ctx;
    sink.report(env, Severity::Error, ctx ? "ctx-access" : "memory-bounds", pc,
                std::string("same insn cannot be used with different pointers: ") +
                    kind_name(it->second.first) + " on one path, " + kind_name(here.first) +
                    " on another (the access is rewritten for one)");
}

// Load/store/atomic through `base`: memory rules plus ctx rules and the ctx access record.
static void check_access(uint32_t pc, const State& s, Reg base, int16_t off, uint8_t width, bool write,
                         bool atomic, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    const RegValue& b = f.regs[base];
    check_same_base(pc, b, env, sink);
    if (b.kind == Kind::Ctx) {
        if (atomic) {
            sink.report(env, Severity::Error, "ctx-access", pc, "atomic operation on the ctx is not allowed");
            return;
        }
        if (!b.num.is_const()) {
            sink.report(env, Severity::Error, "ctx-access", pc,
                        "variable ctx access: " + reg_name(base) + " offset " + to_string(b.num));
            return;
        }
        int64_t roff = int64_t(b.num.const_value());
        int64_t coff = roff + off;
        sink.ctx_accesses[pc] = CtxAccessRecord{pc, coff, width, write};
        if (roff != 0) { // kernel: __check_ptr_off_reg() "dereference of modified ctx ptr"
            sink.report(env, Severity::Error, "ctx-access", pc,
                        "dereference of modified ctx ptr " + reg_name(base) + " off=" + std::to_string(roff) +
                            " disallowed");
            return;
        }
        if (!env.ctx) {
            sink.report(env, Severity::Error, "ctx-access", pc,
                        std::string("tailgate has no ctx layout for program type ") +
                            prog_type_name(env.prog->type));
            return;
        }
        auto acc = check_ctx_access(*env.ctx, coff, width, write, env.ctx_opts);
        if (!acc.ok()) sink.report(env, Severity::Error, "ctx-access", pc, acc.error().message);
        return;
    }
    if (atomic && (b.kind == Kind::Packet || b.kind == Kind::PacketMeta)) {
        sink.report(env, Severity::Error, "memory-bounds", pc,
                    "atomic operation on packet memory is not allowed");
        return;
    }
    bool need = !write || atomic;
    if (auto issue = check_region(s, base, b, off, width, write, need, env, sink))
        sink.report(env, Severity::Error, issue->code, pc, issue->message);
}

std::optional<int> spilled_pointer_in(const Frame& f, int64_t lo, int64_t hi) {
    for (const auto& [slot, v] : f.spills) {
        const int64_t at = int64_t(slot) * 8 - kStackSize;
        if (at + 8 > lo && at < hi && may_be_pointer(v.kind)) return slot;
    }
    return std::nullopt;
}

// A read of stack bytes that hold a spilled pointer, other than the whole 8-byte slot by a load: kernel
// check_stack_read_fixed_off() "invalid size of register fill" (for every loader) and, for an atomic
// operation, "leaking pointer from stack" (it would turn the pointer into a number). Either way the
// pointer's bits would reach a register as a scalar.
static std::optional<std::string> spilled_pointer_read(const State& s, const RegValue& b, Reg base,
                                                       int16_t off, uint8_t width, bool atomic,
                                                       bool allow_ptr_leaks) {
    if (b.kind != Kind::Stack || b.frame >= s.frames.size()) return std::nullopt;
    const Frame& f = s.frames[b.frame];
    const ByteRange br = access_range(b.num, off, width);
    if (br.lo < -kStackSize || br.hi > 0) return std::nullopt; // memory-bounds says so
    // (privileged loads may also change a whole spilled pointer by an atomic operation: it is a number after)
    const bool whole_slot =
        (!atomic || allow_ptr_leaks) && br.constant && width == 8 && stack_index(br.lo) % 8 == 0;
    if (whole_slot) return std::nullopt;
    const std::optional<int> slot = spilled_pointer_in(f, br.lo, br.hi);
    if (!slot) return std::nullopt;
    const std::string what = std::string(kind_name(f.spill_at(*slot)->kind)) + " pointer spilled at r10" +
                             std::to_string(*slot * 8 - kStackSize);
    if (atomic) return "atomic operation on the " + what + " would leak it as a number";
    return "invalid size of register fill: " + reg_name(base) + "+" + std::to_string(off) + " size " +
           std::to_string(width) + " reads part of the " + what + "; a pointer is filled whole";
}

// Stores of pointers anywhere but the stack leak kernel addresses (kernel: "R%d leaks addr into map"); on
// the stack a pointer is spilled whole (kernel: check_stack_write_fixed_off() "invalid size of register
// spill"): its low bytes, read back as a number, would leak it too.
static void check_store_value(uint32_t pc, const Frame& f, Reg base, const RegValue& v, Reg vreg, int width,
                              const AnalysisEnv& env, CheckSink& sink) {
    const RegValue& b = f.regs[base];
    if (!may_be_pointer(v.kind)) return;
    if (b.kind == Kind::Stack) {
        if (width != 8)
            sink.report(env, Severity::Error, "pointer-leak", pc,
                        "invalid size of register spill: " + reg_name(vreg) + " (" + describe(v, env) +
                            ") stored with " + std::to_string(width) + " bytes; a pointer is spilled whole");
        return;
    }
    if (env.allow_ptr_leaks) return; // privileged: the memory holds the address as a number
    std::string where =
        b.kind == Kind::MapValue ? "map " + map_label(env, b.map) : std::string(kind_name(b.kind));
    sink.report(env, Severity::Error, "pointer-leak", pc,
                reg_name(vreg) + " (" + describe(v, env) + ") is stored into " + where +
                    ": leaks a kernel address");
}

// kernel: verifier.c check_reg_sane_offset(), BPF_MAX_VAR_OFF: a pointer moves by less than 2^29 bytes,
// and stays within 2^29 of its object, so that an address never wraps and pointers into one object compare
// like their offsets. `what` names the number checked: the scalar added ("value") or the new offset.
static std::optional<std::string> insane_offset(const ScalarValue& v, const char* what) {
    if (v.is_const() && (int64_t(v.const_value()) >= kMaxVarOff || int64_t(v.const_value()) <= -kMaxVarOff))
        return std::string("math with ") + what + " " + std::to_string(int64_t(v.const_value())) +
               " is not allowed: a pointer moves by less than 2^29 bytes";
    if (v.smin == INT64_MIN)
        return std::string("math with a ") + what + " with unbounded min value is not allowed";
    if (v.smin >= kMaxVarOff || v.smin <= -kMaxVarOff)
        return std::string(what) + " " + std::to_string(v.smin) + " makes the pointer be out of bounds";
    return std::nullopt;
}

static void check_alu(const Alu& a, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    bool mov =
        a.op == AluOp::Mov || a.op == AluOp::MovSx8 || a.op == AluOp::MovSx16 || a.op == AluOp::MovSx32;
    bool ok = true;
    if (a.src.is_reg && a.op != AluOp::Neg) ok = need_init(f, a.src.reg, pc, env, sink) && ok;
    if (!mov) ok = need_init(f, a.dst, pc, env, sink) && ok;
    if (!ok) return;
    const RegValue& d = f.regs[a.dst];
    RegValue src = operand_value(f, a.src, a.is64);
    auto bad = [&](const std::string& msg) {
        sink.report(env, Severity::Error, "pointer-arithmetic", pc, msg);
    };
    if (mov) {
        if (a.op != AluOp::Mov && is_pointer(src.kind))
            bad("sign-extending move of pointer " + reg_name(a.src.reg) + " prohibited");
        return;
    }
    bool dptr = may_be_pointer(d.kind);
    bool sptr = a.op != AluOp::Neg && may_be_pointer(src.kind);
    if (!dptr && !sptr) return;
    std::string dn = reg_name(a.dst);
    if (d.kind == Kind::Mixed || src.kind == Kind::Mixed) {
        bad("arithmetic on a value that is a pointer on some paths (" + dn + ")");
        return;
    }
    if (!a.is64) {
        bad(dn + " 32-bit pointer arithmetic prohibited (" + describe(dptr ? d : src, env) + ")");
        return;
    }
    if (a.op != AluOp::Add && a.op != AluOp::Sub) {
        bad(dn + " pointer arithmetic with " + std::string(a.op == AluOp::Mul ? "*=" : "this") +
            " operator prohibited (" + describe(dptr ? d : src, env) + ")");
        return;
    }
    if (dptr && sptr) {
        if (a.op == AluOp::Add) {
            bad(dn + " pointer += pointer prohibited");
            return;
        }
        // pointer - pointer: allowed (kernel: with allow_ptr_leaks, the result is an unknown scalar), except
        // on pointers that may be NULL
        if (may_be_null(d.kind) || may_be_null(src.kind))
            bad(dn + " pointer -= pointer on a pointer that may be NULL prohibited, null-check it first");
        return;
    }
    if (sptr && a.op == AluOp::Sub) {
        bad(dn + " scalar -= pointer prohibited");
        return;
    }
    const RegValue& p = dptr ? d : src;
    switch (p.kind) {
    case Kind::MapValueOrNull:
    case Kind::MapPtrOrNull:
    case Kind::SockOrNull:
    case Kind::MemOrNull:
        bad(dn + " pointer arithmetic on " + std::string(kind_name(p.kind)) +
            " prohibited, null-check it first");
        break;
    case Kind::PacketEnd: bad(dn + " pointer arithmetic on pkt_end prohibited"); break;
    case Kind::MapPtr:
    case Kind::ProgArray:
        bad(dn + " pointer arithmetic on map_ptr prohibited (" + describe(p, env) + ")");
        break;
    case Kind::Sock: bad(dn + " pointer arithmetic on sock prohibited"); break;
    case Kind::Func: bad(dn + " pointer arithmetic on func prohibited"); break;
    default: {
        const RegValue& sc = dptr ? src : d;
        auto why = insane_offset(sc.num, "value");
        if (!why) why = insane_offset(alu(a.op, true, p.num, sc.num), "offset");
        if (why) bad(dn + " " + *why + " (" + describe(p, env) + ")");
        break;
    }
    }
}

// A map value's address loaded directly (global data: lddw src 2/6). kernel: resolve_pseudo_ldimm64()
// ("direct value offset of %u is not allowed") and array_map_direct_value_addr() (a single-element array,
// the offset inside its value).
static std::optional<std::string> direct_value_problem(const MapDef& m, uint32_t off) {
    if (int64_t(off) >= kMaxVarOff)
        return "direct value offset of " + std::to_string(off) + " is not allowed";
    if (m.type != MapType::Array || m.max_entries != 1)
        return "no direct value access support for map '" + m.name + "' (" + map_type_name(m.type) +
               ", max_entries " + std::to_string(m.max_entries) + "): only an array of one element";
    if (off >= m.value_size)
        return "direct value offset " + std::to_string(off) + " is outside the " +
               std::to_string(m.value_size) + "-byte value of map '" + m.name + "'";
    return std::nullopt;
}

// The register an instruction writes, if any (for the r10 rule).
static std::optional<Reg> written_reg(const Insn& insn) {
    if (const auto* a = std::get_if<Alu>(&insn)) return a->dst;
    if (const auto* e = std::get_if<Endian>(&insn)) return e->dst;
    if (const auto* l = std::get_if<Load>(&insn)) return l->dst;
    if (const auto* l = std::get_if<LoadImm64>(&insn)) return l->dst;
    return std::nullopt;
}

void check_insn(const Insn& insn, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    if (written_reg(insn) ==
        std::optional<Reg>(kR10)) { // kernel: check_reg_arg() "frame pointer is read only"
        sink.report(env, Severity::Error, "invalid-instruction", pc, "frame pointer r10 is read only");
        return;
    }
    std::visit(
        [&](const auto& i) {
            using T = std::decay_t<decltype(i)>;
            if constexpr (std::is_same_v<T, Alu>) {
                check_alu(i, pc, s, env, sink);
            } else if constexpr (std::is_same_v<T, Endian>) {
                if (need_init(f, i.dst, pc, env, sink) && is_pointer(f.regs[i.dst].kind))
                    sink.report(env, Severity::Error, "pointer-arithmetic", pc,
                                "byte swap of pointer " + reg_name(i.dst) + " prohibited");
            } else if constexpr (std::is_same_v<T, LoadImm64>) {
                if (i.pseudo == 1 || i.pseudo == 2 || i.pseudo == 5 || i.pseudo == 6) {
                    const MapDef* m = env.obj->map_at(i.imm_lo);
                    if (!m)
                        sink.report(env, Severity::Error, "invalid-instruction", pc,
                                    "lddw refers to map index " + std::to_string(i.imm_lo) +
                                        " which does not exist");
                    else if (i.pseudo == 2 || i.pseudo == 6)
                        if (auto why = direct_value_problem(*m, uint32_t(i.imm_hi)))
                            sink.report(env, Severity::Error, "invalid-instruction", pc, *why);
                } else if (i.pseudo == 4) { // kernel: check_ld_imm() BPF_PSEUDO_FUNC
                    const int64_t target = int64_t(pc) + 1 + i.imm_lo;
                    if (target < 0 || function_starting_at(*env.prog, uint32_t(target)) < 0)
                        sink.report(env, Severity::Error, "invalid-instruction", pc,
                                    "lddw pseudo func points to insn " + std::to_string(target) +
                                        ", which starts no function");
                } else if (i.pseudo != 0) {
                    sink.report(env, Severity::Error, "invalid-instruction", pc,
                                "lddw with src_reg " + std::to_string(i.pseudo) +
                                    " (BTF variable) is not supported");
                }
            } else if constexpr (std::is_same_v<T, Load>) {
                if (need_init(f, i.base, pc, env, sink)) {
                    check_access(pc, s, i.base, i.off, i.width, false, false, env, sink);
                    if (auto why = spilled_pointer_read(s, f.regs[i.base], i.base, i.off, i.width, false,
                                                        env.allow_ptr_leaks))
                        sink.report(env, Severity::Error, "pointer-leak", pc, *why);
                }
            } else if constexpr (std::is_same_v<T, Store>) {
                bool ok = need_init(f, i.base, pc, env, sink);
                if (i.value.is_reg) ok = need_init(f, i.value.reg, pc, env, sink) && ok;
                if (!ok) return;
                check_access(pc, s, i.base, i.off, i.width, true, false, env, sink);
                if (i.value.is_reg)
                    check_store_value(pc, f, i.base, f.regs[i.value.reg], i.value.reg, i.width, env, sink);
            } else if constexpr (std::is_same_v<T, Atomic>) {
                bool ok = need_init(f, i.base, pc, env, sink) && need_init(f, i.src, pc, env, sink);
                if (i.op == AtomicOp::CmpXchg) ok = need_init(f, kR0, pc, env, sink) && ok;
                if (!ok) return;
                check_access(pc, s, i.base, i.off, i.width, true, true, env, sink);
                if (auto why = spilled_pointer_read(s, f.regs[i.base], i.base, i.off, i.width, true,
                                                    env.allow_ptr_leaks))
                    sink.report(env, Severity::Error, "pointer-leak", pc, *why);
                // kernel check_atomic(): "R%d leaks addr into mem", for the operand and cmpxchg's r0 alike
                for (Reg r : {i.src, kR0}) {
                    if (env.allow_ptr_leaks || (r == kR0 && i.op != AtomicOp::CmpXchg)) continue;
                    if (may_be_pointer(f.regs[r].kind))
                        sink.report(env, Severity::Error, "pointer-leak", pc,
                                    "atomic operation with pointer " + reg_name(r) + " as operand");
                }
            } else if constexpr (std::is_same_v<T, LoadPacket>) {
                check_load_packet(i, pc, s, env, sink);
            } else if constexpr (std::is_same_v<T, Call>) {
                check_call(i, pc, s, env, sink);
            } else if constexpr (std::is_same_v<T, CallReg>) {
                sink.report(env, Severity::Error, "invalid-instruction", pc,
                            "callx (call through a register) is not supported");
            } else if constexpr (std::is_same_v<T, LddwHigh>) {
                sink.report(env, Severity::Error, "invalid-instruction", pc,
                            "execution reaches the second half of an lddw");
            }
        },
        insn);
}

void check_jump(const Jump& j, uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    need_init(f, j.dst, pc, env, sink);
    if (j.src.is_reg) need_init(f, j.src.reg, pc, env, sink);
}

void check_exit(uint32_t pc, const State& s, const AnalysisEnv& env, CheckSink& sink) {
    const Frame& f = s.top();
    // kernel: prepare_func_exit() hands a static subprogram's r0 to its caller whatever it holds (a void
    // helper's NOT_INIT included, e.g. a subprogram ending `bpf_tail_call(); exit`): only a read there is an
    // error. A callback's and the program's r0 are checked here.
    const bool subprogram = s.frames.size() > 1 && !f.callback;
    if (!subprogram && !need_init(f, kR0, pc, env, sink)) return;
    if (s.lock != 0) // kernel: do_check() BPF_EXIT
        sink.report(env, Severity::Error, "spin-lock", pc,
                    "bpf_spin_unlock is missing: an exit holds the lock");
    if (s.frames.size() > 1) { // a subprogram returns to its caller
        // kernel: verifier.c prepare_func_exit(): "At callback return R0 must be in [0, 1]" (bpf_loop and
        // bpf_for_each_map_elem: 1 stops)
        const RegValue& r0 = f.regs[kR0];
        if (f.callback && (r0.kind != Kind::Scalar || r0.num.s32_min < 0 || r0.num.s32_max > 1))
            sink.report(env, Severity::Error, "invalid-return", pc,
                        "r0 = " + describe(r0, env) +
                            " at callback return; a callback returns 0 (go on) or 1 (stop)");
        return;
    }
    if (!s.refs
             .empty()) // kernel: verifier.c check_reference_leak() "Unreleased reference id=%d alloc_insn=%d"
        sink.report(env, Severity::Error, "reference-leak", pc,
                    "unreleased reference acquired at insn " + std::to_string(s.refs.front() - 1) +
                        " (submit/discard or release it on every path before exit)");
    const RegValue& r0 = f.regs[kR0];
    ReturnRule rule = return_rule(env.prog->type, env.ctx_opts.attach);
    if (r0.kind != Kind::Scalar) {
        sink.report(env, Severity::Error, "pointer-leak", pc,
                    "r0 (" + describe(r0, env) + ") leaks addr as return value");
        return;
    }
    if (!rule.constrained) return;
    // the return value is an int: judge the low 32 bits (kernel: retval_range_within(..., return_32bit))
    if (r0.num.s32_min < rule.min || r0.num.s32_max > rule.max)
        sink.report(env, Severity::Error, "invalid-return", pc,
                    "r0 = " + to_string(r0.num) + " at exit; " + prog_type_name(env.prog->type) +
                        " programs must return a value in [" + std::to_string(rule.min) + ", " +
                        std::to_string(rule.max) + "] (" + std::string(rule.kernel_rule) + ")");
}

} // namespace tailgate
