// Unit tests of the abstract interpreter and its checks on hand-written programs (assembled, then decoded
// with tailgate::decode): each check fires on an unsafe program, and each safe idiom passes.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sstream>

#include "analysis/abstract_state.hpp"
#include "analysis/transfer.hpp"
#include "analysis/verify.hpp"
#include "verifier/assembler.hpp"

using namespace tailgate;

namespace {

// `lddw %rN, 0x4d41502100000000 + i` stands for "map i" (pseudo 1) in the test sources.
constexpr uint64_t kMapMarker = 0x4d41502100000000ULL;

// Slots taken by one assembler line (0 for labels/comments, 2 for lddw).
int line_slots(std::string line) {
    if (auto h = line.find('#'); h != std::string::npos) line = line.substr(0, h);
    if (auto c = line.find(':'); c != std::string::npos && line.find('[') > c) line = line.substr(c + 1);
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) return 0;
    return line.compare(b, 4, "lddw") == 0 ? 2 : 1;
}

// Functions start at lines "#fn NAME" (the first function is the program).
Object make_object(ProgType type, const std::string& src, std::vector<MapDef> maps = {}) {
    Object obj;
    obj.path = "test.o";
    obj.maps = std::move(maps);
    Program p;
    p.name = "prog";
    p.section = "test";
    p.type = type;
    auto raw = assemble(src);
    REQUIRE_MESSAGE(raw.ok(), (raw.ok() ? std::string() : raw.error().message));
    for (size_t i = 0; i < raw->size(); ++i) {
        RawInsn& r = (*raw)[i];
        if (r.opcode == 0x18 && i + 1 < raw->size() &&
            uint32_t((*raw)[i + 1].imm) == uint32_t(kMapMarker >> 32)) {
            r.src = 1;
            (*raw)[i + 1].imm = 0;
        }
    }
    p.raw = *raw;
    auto insns = decode(p.raw);
    REQUIRE_MESSAGE(insns.ok(), (insns.ok() ? std::string() : insns.error().message));
    p.insns = *insns;
    std::istringstream in(src);
    std::string line;
    uint32_t pc = 0;
    p.functions.push_back(Subprogram{"prog", 0, 0});
    while (std::getline(in, line)) {
        if (line.rfind("#fn ", 0) == 0) {
            p.functions.back().end = pc;
            p.functions.push_back(Subprogram{line.substr(4), pc, 0});
        }
        pc += uint32_t(line_slots(line));
    }
    p.functions.back().end = pc;
    p.lines.resize(p.insns.size());
    obj.programs.push_back(std::move(p));
    return obj;
}

MapDef map_def(const std::string& name, MapType t, uint32_t key, uint32_t value, uint32_t entries) {
    MapDef m;
    m.name = name;
    m.type = t;
    m.key_size = key;
    m.value_size = value;
    m.max_entries = entries;
    return m;
}

ProgramReport verify(const Object& obj, VerifyOptions opts = {}) {
    auto r = verify_program(obj, 0, opts);
    REQUIRE(r.ok());
    return *r;
}

std::string dump(const ProgramReport& r) {
    std::string s = std::string(verdict_name(r.verdict)) + ":";
    for (const Diagnostic& d : r.diagnostics)
        s += "\n  insn " + std::to_string(d.insn.value_or(0)) + " " + d.code + ": " + d.message;
    return s;
}

// The codes reported, in instruction order.
std::vector<std::string> codes(const ProgramReport& r) {
    std::vector<std::string> c;
    for (const Diagnostic& d : r.diagnostics) c.push_back(d.code);
    return c;
}

void expect_only(const ProgramReport& r, const std::string& code, uint32_t insn) {
    INFO(dump(r));
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].code == code);
    CHECK(r.diagnostics[0].insn == insn);
}

void expect_clean(const ProgramReport& r) {
    INFO(dump(r));
    CHECK(r.diagnostics.empty());
    CHECK(r.verdict == Verdict::Accepted);
}

const std::string kLookup = // r0 = lookup(map 0, &(u32)0 at fp-4)
    "mov %r1, 0\n stxw [%r10-4], %r1\n lddw %r1, 0x4d41502100000000\n mov %r2, %r10\n add %r2, -4\n call 1\n";

} // namespace

TEST_CASE("registers: reads of unwritten registers") {
    expect_only(verify(make_object(ProgType::Xdp, "mov %r0, %r2\n exit\n")), "uninitialized-register", 0);
    expect_only(verify(make_object(ProgType::SocketFilter, "mov %r1, 0\n exit\n")), "uninitialized-register",
                1);
    expect_only(verify(make_object(ProgType::Xdp, "call 7\n mov %r0, %r1\n exit\n")),
                "uninitialized-register", 1);
    expect_clean(verify(make_object(ProgType::Xdp, "call 7\n mov %r0, 2\n exit\n")));
    expect_only(verify(make_object(ProgType::Xdp, "mov %r10, 0\n mov %r0, 2\n exit\n")),
                "invalid-instruction", 0);
    expect_only(verify(make_object(ProgType::Xdp, "mov %r0, 2\n")), "invalid-instruction", 0);
}

TEST_CASE("packet: bounds proved by comparisons with data_end") {
    // r2 = data, r3 = data_end; read the byte at 14 after checking data + 15 <= data_end
    std::string checked = "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n mov %r4, %r2\n add %r4, 15\n"
                          " jgt %r4, %r3, out\n ldxb %r0, [%r2+14]\n and %r0, 1\n exit\n"
                          "out:\n mov %r0, 0\n exit\n";
    ProgramReport ok = verify(make_object(ProgType::Xdp, checked));
    expect_clean(ok);
    REQUIRE(ok.ctx_accesses.size() == 2);
    CHECK(ok.ctx_accesses[0].offset == 0);
    CHECK(ok.ctx_accesses[1].offset == 4);
    CHECK(ok.ctx_accesses[1].size == 4);
    CHECK_FALSE(ok.ctx_accesses[1].is_write);

    std::string short_check = checked;
    short_check.replace(short_check.find("add %r4, 15"), 11, "add %r4, 14");
    expect_only(verify(make_object(ProgType::Xdp, short_check)), "memory-bounds", 5);
    expect_only(verify(make_object(ProgType::Xdp, "ldxw %r2, [%r1+0]\n ldxb %r0, [%r2+0]\n exit\n")),
                "memory-bounds", 1);
    // variable offset: data + (len & 31), then a check of 4 bytes after it
    std::string var =
        "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n ldxw %r5, [%r1+12]\n and %r5, 31\n add %r2, %r5\n"
        " mov %r4, %r2\n add %r4, 4\n jgt %r4, %r3, out\n ldxw %r0, [%r2+0]\n and %r0, 1\n exit\n"
        "out:\n mov %r0, 0\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, var)));
    // the reversed comparison (data_end < data + 15 goto out)
    std::string rev =
        "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n mov %r4, %r2\n add %r4, 15\n"
        " jlt %r3, %r4, out\n ldxb %r0, [%r2+14]\n and %r0, 1\n exit\n out:\n mov %r0, 0\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, rev)));
}

TEST_CASE("packet: a spilled pointer is bounded by a check made on a reloaded copy") {
    // p = data + (ifindex & 60) is spilled; reload 1 + 20 is checked against data_end; reload 2 reads the 2
    // bytes at 18 after it (the TCP urgent pointer in test_pkt_access.c). The offset is variable, so only
    // the relation between the reloads proves the access.
    std::string spilled =
        "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n ldxw %r5, [%r1+12]\n and %r5, 60\n"
        " mov %r4, %r2\n add %r4, %r5\n stxdw [%r10-8], %r4\n ldxdw %r6, [%r10-8]\n"
        " add %r6, 20\n jgt %r6, %r3, out\n ldxdw %r7, [%r10-8]\n ldxh %r0, [%r7+18]\n exit\n"
        "out:\n mov %r0, 0\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, spilled)));
    std::string beyond = spilled;
    beyond.replace(beyond.find("ldxh %r0, [%r7+18]"), 18, "ldxh %r0, [%r7+19]");
    expect_only(verify(make_object(ProgType::Xdp, beyond)), "memory-bounds", 11);
    // a pointer spilled into a slot that shares the zone variable (64 bytes lower) unlinks the first: the
    // check then says nothing about the spilled pointer
    std::string shared = spilled;
    shared.replace(shared.find(" ldxdw %r6"), 0, " stxdw [%r10-72], %r2\n");
    expect_only(verify(make_object(ProgType::Xdp, shared)), "memory-bounds", 12);
}

TEST_CASE("merges keep a pointer's kinds apart: packet, stack copy or NULL") {
    // r7 = (data + 8 <= data_end) ? data : (r0 & 1 ? fp - 8 : NULL); if (r7) read *(u8 *)r7
    std::string src =
        "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n mov %r0, 0\n stxdw [%r10-8], %r0\n"
        " ldxw %r0, [%r1+12]\n mov %r4, %r2\n add %r4, 8\n mov %r7, %r2\n jle %r4, %r3, merge\n"
        " mov %r7, 0\n mov %r5, %r0\n and %r5, 1\n jeq %r5, 0, merge\n mov %r7, %r10\n"
        " add %r7, -8\nmerge:\n jeq %r7, 0, out\n ldxb %r0, [%r7+7]\nout:\n and %r0, 1\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, src)));
    // reading 8 bytes on: past the proved packet (8 bytes) and past the stack copy (fp - 8 .. fp)
    std::string beyond = src;
    beyond.replace(beyond.find("[%r7+7]"), 7, "[%r7+8]");
    ProgramReport r = verify(make_object(ProgType::Xdp, beyond));
    INFO(dump(r));
    CHECK(r.verdict == Verdict::Rejected);
    CHECK(codes(r) == std::vector<std::string>{"memory-bounds"});
}

TEST_CASE("maps: null checks and value bounds") {
    std::vector<MapDef> maps = {map_def("values", MapType::Array, 4, 8, 4)};
    expect_only(verify(make_object(ProgType::Xdp, kLookup + " ldxdw %r0, [%r0+0]\n exit\n", maps)),
                "null-dereference", 7);
    std::string checked =
        kLookup + " jeq %r0, 0, out\n ldxdw %r0, [%r0+0]\n and %r0, 1\n exit\n out:\n mov %r0, 2\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, checked, maps)));
    std::string oob =
        kLookup + " jeq %r0, 0, out\n ldxdw %r0, [%r0+8]\n and %r0, 1\n exit\n out:\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, oob, maps)), "memory-bounds", 8);
    // a copy of the pointer is null-checked through the original (same id)
    std::string copy =
        kLookup +
        " mov %r6, %r0\n jne %r0, 0, ok\n mov %r0, 2\n exit\n ok:\n ldxdw %r0, [%r6+0]\n and %r0, 1\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, copy, maps)));
    // a variable index bounded by a check
    std::string var =
        kLookup +
        " jeq %r0, 0, out\n ldxw %r1, [%r0+0]\n jgt %r1, 7, out\n add %r0, %r1\n ldxb %r0, [%r0+0]\n exit\n"
        " out:\n mov %r0, 2\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, var, maps)));
}

TEST_CASE("stack: bounds and initialisation") {
    expect_only(verify(make_object(ProgType::Xdp, "ldxdw %r0, [%r10+8]\n exit\n")), "memory-bounds", 0);
    expect_only(verify(make_object(ProgType::Xdp, "ldxdw %r0, [%r10-520]\n exit\n")), "memory-bounds", 0);
    expect_only(verify(make_object(ProgType::Xdp, "ldxdw %r0, [%r10-8]\n exit\n")), "uninitialized-register",
                0);
    // a spilled pointer comes back as the same pointer
    ProgramReport r = verify(make_object(
        ProgType::Xdp, "stxdw [%r10-8], %r1\n ldxdw %r2, [%r10-8]\n ldxw %r0, [%r2+12]\n exit\n"));
    expect_clean(r);
    CHECK(r.stack_depth == 8);
    REQUIRE(r.ctx_accesses.size() == 1);
    CHECK(r.ctx_accesses[0].insn == 2);
}

TEST_CASE("stack: narrow spills of scalars keep their bounds at 8-byte aligned offsets, as the kernel's do") {
    // idx = (ctx->rx_queue_index & 7) spilled as a u32 at fp-16, reloaded, then used to index an 8-byte value
    std::vector<MapDef> maps = {map_def("values", MapType::Array, 4, 8, 4)};
    auto prog = [&](const std::string& spill, const std::string& fill) {
        return " ldxw %r6, [%r1+16]\n and %r6, 7\n " + spill + "\n" + kLookup + " jeq %r0, 0, out\n " + fill +
               "\n add %r0, %r1\n ldxb %r0, [%r0+0]\n exit\n out:\n mov %r0, 2\n exit\n";
    };
    expect_clean(
        verify(make_object(ProgType::Xdp, prog("stxw [%r10-16], %r6", "ldxw %r1, [%r10-16]"), maps)));
    expect_clean(
        verify(make_object(ProgType::Xdp, prog("stxh [%r10-16], %r6", "ldxb %r1, [%r10-16]"), maps)));
    expect_clean(
        verify(make_object(ProgType::Xdp, prog("stxb [%r10-16], %r6", "ldxb %r1, [%r10-16]"), maps)));
    // kernel check_stack_write_fixed_off(): only spills at off % 8 == 0 are tracked
    expect_only(verify(make_object(ProgType::Xdp, prog("stxw [%r10-12], %r6", "ldxw %r1, [%r10-12]"), maps)),
                "memory-bounds", 13);
    // the 4 spilled bytes do not cover an 8-byte fill (the upper half is unknown): adding the unbounded
    // value to the pointer is refused (kernel check_reg_sane_offset(), where it stops), and so is the access
    CHECK(codes(verify(make_object(
              ProgType::Xdp, prog("stxw [%r10-16], %r6\n stw [%r10-12], 0", "ldxdw %r1, [%r10-16]"),
              maps))) == std::vector<std::string>{"pointer-arithmetic", "memory-bounds"});
    // a narrow spill keeps only what the written bytes hold: 0x100 stored as a byte reads back as 0
    expect_only(verify(make_object(
                    ProgType::Xdp,
                    prog("mov %r6, 0x108\n stxb [%r10-16], %r6", "ldxb %r1, [%r10-16]\n add %r1, 8"), maps)),
                "memory-bounds", 15);
    // a pointer cannot be spilled narrowly (kernel: "invalid size of register spill")
    expect_only(verify(make_object(ProgType::Xdp, "stxw [%r10-8], %r1\n mov %r0, 0\n exit\n")),
                "pointer-leak", 0);
}

TEST_CASE("pointer arithmetic and leaks") {
    expect_only(verify(make_object(ProgType::Xdp, "mul %r1, 2\n mov %r0, 2\n exit\n")), "pointer-arithmetic",
                0);
    expect_only(verify(make_object(ProgType::Xdp, "add %r1, %r10\n mov %r0, 2\n exit\n")),
                "pointer-arithmetic", 0);
    expect_only(verify(make_object(ProgType::Xdp, "add32 %r1, 4\n mov %r0, 2\n exit\n")),
                "pointer-arithmetic", 0);
    std::vector<MapDef> maps = {map_def("slots", MapType::Array, 4, 8, 1)};
    expect_only(verify(make_object(ProgType::Xdp,
                                   "lddw %r1, 0x4d41502100000000\n add %r1, 8\n mov %r0, 2\n exit\n", maps)),
                "pointer-arithmetic", 2);
    std::string leak =
        "mov %r6, %r1\n" + kLookup + " jeq %r0, 0, out\n stxdw [%r0+0], %r6\n out:\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, leak, maps)), "pointer-leak", 9);
    expect_only(verify(make_object(ProgType::Xdp, "mov %r0, %r10\n exit\n")), "pointer-leak", 1);
    expect_clean(
        verify(make_object(ProgType::Xdp, "add %r1, 0\n mov %r2, %r10\n add %r2, -8\n mov %r0, 2\n exit\n")));
    // a spilled pointer is filled whole or not at all (kernel: "invalid size of register fill"): its low
    // half, its high half
    expect_only(verify(make_object(ProgType::Xdp, "stxdw [%r10-16], %r10\n ldxw %r0, [%r10-16]\n exit\n")),
                "pointer-leak", 1);
    expect_only(verify(make_object(ProgType::Xdp, "stxdw [%r10-16], %r10\n ldxw %r0, [%r10-12]\n exit\n")),
                "pointer-leak", 1);
    expect_clean(verify(
        make_object(ProgType::Xdp, "stxdw [%r10-16], %r10\n ldxdw %r1, [%r10-16]\n mov %r0, 2\n exit\n")));
    // an atomic operation on a spilled pointer would hand it back as a number (kernel: "leaking pointer from
    // stack"); cmpxchg's r0 is stored too (kernel: "R0 leaks addr into mem")
    expect_only(
        verify(make_object(
            ProgType::Xdp,
            "stxdw [%r10-8], %r10\n mov %r1, 0\n lock fetch add [%r10-8], %r1\n mov %r0, 2\n exit\n")),
        "pointer-leak", 2);
    expect_only(verify(make_object(ProgType::Xdp, "stdw [%r10-8], 0\n mov %r0, %r10\n mov %r1, 0\n"
                                                  " lock cmpxchg [%r10-8], %r1\n mov %r0, 2\n exit\n")),
                "pointer-leak", 3);
}

TEST_CASE("--allow-ptr-leaks: the privileged rule lets pointers reach memory as numbers, never in part") {
    VerifyOptions priv;
    priv.allow_ptr_leaks = true;
    std::vector<MapDef> maps = {map_def("slots", MapType::Array, 4, 8, 1)};
    const std::string store =
        "mov %r6, %r1\n" + kLookup + " jeq %r0, 0, out\n stxdw [%r0+0], %r6\n out:\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, store, maps)), "pointer-leak", 9);
    expect_clean(verify(make_object(ProgType::Xdp, store, maps), priv));
    const std::string atomic =
        "stxdw [%r10-8], %r10\n mov %r1, 0\n lock fetch add [%r10-8], %r1\n mov %r0, 2\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, atomic), priv));
    // a pointer is still filled whole (kernel: "invalid size of register fill" for every loader)
    expect_only(
        verify(make_object(ProgType::Xdp, "stxdw [%r10-16], %r10\n ldxw %r0, [%r10-16]\n exit\n"), priv),
        "pointer-leak", 1);
    // kernel check_func_arg() ARG_ANYTHING: allowed when privileged
    expect_clean(
        verify(make_object(ProgType::SchedCls, "mov %r2, %r10\n call 48\n mov %r0, 0\n exit\n"), priv));
}

TEST_CASE("helpers: memory a helper reads and writes must be initialised (no MEM_UNINIT)") {
    // bpf_check_mtu's mtu_len is read (the length to check) and written (kernel 6.12: no MEM_UNINIT)
    const std::string mtu =
        " mov %r3, %r10\n add %r3, -4\n mov %r2, 0\n mov %r4, 0\n mov %r5, 0\n call 163\n exit\n";
    expect_only(verify(make_object(ProgType::SchedCls, mtu)), "helper-argument", 5);
    expect_clean(verify(make_object(ProgType::SchedCls, "stw [%r10-4], 0\n" + mtu)));
    VerifyOptions privileged; // CAP_PERFMON: uninitialised stack reads are allowed
    privileged.allow_uninit_stack = true;
    expect_clean(verify(make_object(ProgType::SchedCls, mtu), privileged));
}

TEST_CASE("helpers: unknown ids, program types, argument kinds") {
    std::vector<MapDef> maps = {map_def("h", MapType::Hash, 4, 8, 16),
                                map_def("progs", MapType::ProgArray, 4, 4, 4)};
    expect_only(verify(make_object(ProgType::Xdp, "call 999\n mov %r0, 2\n exit\n")), "unknown-helper", 0);
    expect_only(verify(make_object(ProgType::Kprobe, "mov %r1, 1\n mov %r2, 0\n call 23\n exit\n")),
                "unknown-helper", 2);
    // key = ctx
    expect_only(verify(make_object(
                    ProgType::Xdp,
                    "mov %r2, %r1\n lddw %r1, 0x4d41502100000000\n call 1\n mov %r0, 2\n exit\n", maps)),
                "helper-argument", 3);
    // map = scalar
    expect_only(
        verify(make_object(
            ProgType::Xdp,
            "mov %r1, 0\n stxw [%r10-4], %r1\n mov %r2, %r10\n add %r2, -4\n call 1\n mov %r0, 2\n exit\n")),
        "helper-argument", 4);
    // prog array into map_lookup_elem
    std::string pa = "mov %r1, 0\n stxw [%r10-4], %r1\n lddw %r1, 0x4d41502100000001\n mov %r2, %r10\n add "
                     "%r2, -4\n call 1\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, pa, maps)), "helper-argument", 6);
    // uninitialised key bytes
    std::string uk =
        "lddw %r1, 0x4d41502100000000\n mov %r2, %r10\n add %r2, -4\n call 1\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, uk, maps)), "helper-argument", 4);
    expect_clean(verify(make_object(ProgType::Xdp, kLookup + " mov %r0, 2\n exit\n", maps)));
}

TEST_CASE("return values per program type") {
    expect_only(verify(make_object(ProgType::CgroupSkb, "mov %r0, 2\n exit\n")), "invalid-return", 1);
    expect_only(verify(make_object(ProgType::CgroupSkb, "ldxw %r0, [%r1+0]\n exit\n")), "invalid-return", 1);
    expect_clean(verify(make_object(ProgType::CgroupSkb, "ldxw %r0, [%r1+0]\n and %r0, 1\n exit\n")));
    expect_clean(verify(make_object(ProgType::Xdp, "mov %r0, 77\n exit\n")));
}

TEST_CASE("ctx accesses follow the ctx table") {
    expect_only(verify(make_object(ProgType::Xdp, "stw [%r1+0], 0\n mov %r0, 2\n exit\n")), "ctx-access", 0);
    expect_only(verify(make_object(ProgType::SchedCls, "ldxdw %r0, [%r1+8]\n exit\n")), "ctx-access", 0);
    expect_only(verify(make_object(ProgType::Xdp, "add %r1, 4\n ldxw %r0, [%r1+8]\n exit\n")), "ctx-access",
                1);
    ProgramReport w =
        verify(make_object(ProgType::SchedCls, "stw [%r1+8], 1\n mov %r0, 0\n exit\n")); // skb->mark
    expect_clean(w);
    REQUIRE(w.ctx_accesses.size() == 1);
    CHECK(w.ctx_accesses[0].is_write);
}

TEST_CASE("loops: bounded counters pass, unbounded loops are reported") {
    expect_clean(verify(make_object(
        ProgType::Xdp, "mov %r1, 0\n loop:\n add %r1, 1\n jlt %r1, 10, loop\n mov %r0, 2\n exit\n")));
    // 32-bit counter with != exit (clang's form of a counted loop)
    expect_clean(verify(make_object(
        ProgType::Xdp, "mov32 %r1, 0\n loop:\n add32 %r1, 1\n jne %r1, 16, loop\n mov %r0, 2\n exit\n")));
    // counter against a bounded register bound
    expect_clean(verify(make_object(
        ProgType::Xdp, "ldxw %r2, [%r1+12]\n and %r2, 63\n mov %r3, 0\n loop:\n jge %r3, %r2, done\n"
                       " add %r3, 1\n ja loop\n done:\n mov %r0, 2\n exit\n")));
    expect_only(verify(make_object(ProgType::Xdp, "mov %r0, 2\n loop:\n jeq %r0, 2, loop\n exit\n")),
                "unbounded-loop", 1);
    expect_only(verify(make_object(
                    ProgType::Xdp,
                    "mov %r6, 0\n loop:\n add %r6, 1\n call 7\n jne %r0, 0, loop\n mov %r0, 2\n exit\n")),
                "unbounded-loop", 3);
    // a loop that accumulates into a stack slot stays precise enough to pass
    expect_clean(verify(make_object(
        ProgType::Xdp,
        "mov %r1, 0\n stxdw [%r10-8], %r1\n mov %r2, 0\n loop:\n ldxdw %r1, [%r10-8]\n"
        " add %r1, 3\n stxdw [%r10-8], %r1\n add %r2, 1\n jlt %r2, 5, loop\n mov %r0, 2\n exit\n")));
}

TEST_CASE("loops: a counter kept only in a stack slot (zeroed on entry) bounds the loop and its index") {
    const std::string head = "mov %r6, 0\n stxw [%r10-12], %r6\n mov %r2, %r10\n add %r2, -12\n"
                             " lddw %r1, 0x4d41502100000000\n call 1\n jeq %r0, 0, out\n mov %r6, %r0\n"
                             " stdw [%r10-8], 0\n loop:\n call 7\n ldxdw %r1, [%r10-8]\n mov %r2, %r6\n"
                             " add %r2, %r1\n stxdw [%r2+0], %r0\n";
    MapDef m;
    m.name = "vals";
    m.type = MapType::Array;
    m.key_size = 4;
    m.value_size = 128;
    m.max_entries = 1;
    // the index steps by 8 and is tested on a reloaded copy after the store back: 16 iterations
    expect_clean(verify(make_object(ProgType::Xdp,
                                    head + " add %r1, 8\n stxdw [%r10-8], %r1\n jne %r1, 128, loop\n"
                                           " out:\n mov %r0, 2\n exit\n",
                                    {m})));
    // one more iteration writes past the value's end
    expect_only(verify(make_object(ProgType::Xdp,
                                   head + " add %r1, 8\n stxdw [%r10-8], %r1\n jne %r1, 136, loop\n"
                                          " out:\n mov %r0, 2\n exit\n",
                                   {m})),
                "memory-bounds", 14);
    // the slot is stored back unchanged: nothing moves, the loop is not proved to end
    expect_only(verify(make_object(ProgType::Xdp,
                                   head + " stxdw [%r10-8], %r1\n jne %r1, 128, loop\n"
                                          " out:\n mov %r0, 2\n exit\n",
                                   {m})),
                "unbounded-loop", 16);
}

TEST_CASE("tail calls: ctx, map and index checks, state after fall-through") {
    std::vector<MapDef> maps = {map_def("jt", MapType::ProgArray, 4, 4, 4),
                                map_def("h", MapType::Hash, 4, 8, 4)};
    maps[0].prog_slots = {{0, "t0"}, {1, "t1"}, {3, "t3"}};
    const std::string tail = "lddw %r2, 0x4d41502100000000\n";
    // index from skb->mark: any u32
    ProgramReport any = verify(make_object(
        ProgType::SchedCls, "ldxw %r3, [%r1+8]\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps));
    expect_only(any, "tail-call-index", 3);
    CHECK(any.diagnostics[0].severity == Severity::Warning);
    CHECK(any.diagnostics[0].message ==
          "r3 ∈ [0, 4294967295] may exceed max_entries 4 of map 'jt'; the tail call then falls through");
    CHECK(any.verdict == Verdict::Accepted);
    REQUIRE(any.tail_calls.size() == 1);
    CHECK(any.tail_calls[0].index_max == 4294967295ULL);
    CHECK(any.tail_calls[0].targets == std::vector<std::string>{"t0", "t1", "t3"});
    VerifyOptions strict;
    strict.strict = true;
    CHECK(verify(make_object(ProgType::SchedCls,
                             "ldxw %r3, [%r1+8]\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps),
                 strict)
              .verdict == Verdict::Rejected);

    ProgramReport masked = verify(
        make_object(ProgType::SchedCls,
                    "ldxw %r3, [%r1+8]\n and %r3, 1\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps));
    expect_clean(masked);
    REQUIRE(masked.tail_calls.size() == 1);
    CHECK(masked.tail_calls[0].index_min == 0);
    CHECK(masked.tail_calls[0].index_max == 1);
    CHECK(map_label(masked.tail_calls[0]) == "jt");
    CHECK(masked.tail_calls[0].targets == std::vector<std::string>{"t0", "t1"});

    ProgramReport out = verify(
        make_object(ProgType::SchedCls, "mov %r3, 256\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps));
    expect_only(out, "tail-call-index", 3);
    CHECK(out.tail_calls[0].index_min == 256);
    CHECK(out.tail_calls[0].targets.empty());
    // 64-bit -1 is the u32 index 0xffffffff; 0x100000000 is index 0
    CHECK(verify(make_object(ProgType::SchedCls, "mov %r3, -1\n" + tail + " call 12\n mov %r0, 1\n exit\n",
                             maps))
              .tail_calls[0]
              .index_min == 4294967295ULL);
    ProgramReport wrap = verify(make_object(
        ProgType::SchedCls, "lddw %r3, 0x100000000\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps));
    expect_clean(wrap);
    CHECK(wrap.tail_calls[0].index_max == 0);

    expect_only(
        verify(make_object(ProgType::SchedCls,
                           "add %r1, 8\n mov %r3, 0\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps)),
        "tail-call-ctx", 4);
    expect_only(
        verify(make_object(ProgType::SchedCls,
                           "mov %r1, %r10\n mov %r3, 0\n" + tail + " call 12\n mov %r0, 1\n exit\n", maps)),
        "tail-call-ctx", 4);
    expect_only(verify(make_object(
                    ProgType::SchedCls,
                    "mov %r3, 0\n lddw %r2, 0x4d41502100000001\n call 12\n mov %r0, 1\n exit\n", maps)),
                "tail-call-map", 3);
    expect_only(verify(make_object(ProgType::SchedCls,
                                   "mov %r2, 0\n mov %r3, 0\n call 12\n mov %r0, 1\n exit\n", maps)),
                "tail-call-map", 2);

    // after a fall-through: r1..r5 clobbered, r0 unset (the helper returns void: kernel RET_VOID leaves it
    // NOT_INIT, "R0 !read_ok"), r6..r9 and the stack survive
    CHECK(codes(verify(make_object(ProgType::SchedCls,
                                   "mov %r3, 0\n" + tail + " call 12\n mov %r0, %r1\n exit\n", maps))) ==
          std::vector<std::string>{"uninitialized-register"});
    expect_only(verify(make_object(ProgType::SchedCls, "mov %r3, 0\n" + tail + " call 12\n exit\n", maps)),
                "uninitialized-register", 4);
    // a subprogram may end with the fall-through (its caller gets an unset r0: only a read of it is an error)
    const std::string sub = "#fn f\n f:\n mov %r3, 0\n" + tail + " call 12\n exit\n";
    expect_clean(verify(make_object(ProgType::SchedCls, "call local f\n mov %r0, 1\n exit\n" + sub, maps)));
    expect_only(verify(make_object(ProgType::SchedCls, "call local f\n exit\n" + sub, maps)),
                "uninitialized-register", 1);
    expect_clean(
        verify(make_object(ProgType::SchedCls,
                           "mov %r6, %r1\n stdw [%r10-8], 3\n mov %r3, 0\n" + tail +
                               " call 12\n ldxw %r0, [%r6+8]\n ldxdw %r1, [%r10-8]\n add %r0, %r1\n exit\n",
                           maps)));
    // packet pointers do not survive the call
    std::string pkt =
        "ldxw %r6, [%r1+76]\n ldxw %r7, [%r1+80]\n mov %r4, %r6\n add %r4, 1\n jgt %r4, %r7, out\n"
        " mov %r3, 0\n" +
        tail + " call 12\n ldxb %r0, [%r6+0]\n exit\n out:\n mov %r0, 0\n exit\n";
    expect_only(verify(make_object(ProgType::SchedCls, pkt, maps)), "memory-bounds", 9);
}

TEST_CASE("tail calls: target types from static slots and --prog-array") {
    Object obj = make_object(ProgType::Xdp,
                             "mov %r3, 0\n lddw %r2, 0x4d41502100000000\n call 12\n mov %r0, 2\n exit\n",
                             {map_def("jt", MapType::ProgArray, 4, 4, 4)});
    Program t = obj.programs[0];
    t.name = "tc_prog";
    t.type = ProgType::SchedCls;
    obj.programs.push_back(t);
    Program x = obj.programs[0];
    x.name = "xdp_prog";
    obj.programs.push_back(x);
    obj.maps[0].prog_slots = {{0, "xdp_prog"}, {1, "tc_prog"}};
    expect_clean(verify(obj));
    VerifyOptions o;
    o.prog_array.push_back({"jt", 0, "tc_prog"});
    ProgramReport r = verify(obj, o);
    expect_only(r, "tail-call-target-type", 3);
    CHECK(r.tail_calls[0].targets == std::vector<std::string>{"tc_prog"});
}

TEST_CASE("bpf2bpf: calls in context, stack limits, call depth, tail-call stack") {
    // the callee reads the caller's stack through a pointer argument
    std::string ctxcall = "stdw [%r10-8], 5\n mov %r1, %r10\n add %r1, -8\n call local f\n exit\n"
                          "#fn f\n f:\n ldxdw %r0, [%r1+0]\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, ctxcall)));
    // 320 + 320 bytes of stack
    std::string big = "stdw [%r10-320], 1\n call local f\n mov %r0, 2\n exit\n#fn f\n f:\n stdw [%r10-320], "
                      "1\n mov %r0, 1\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, big)), "stack-limit", 1);
    std::string fits = "stdw [%r10-160], 1\n call local f\n mov %r0, 2\n exit\n#fn f\n f:\n stdw [%r10-320], "
                       "1\n mov %r0, 1\n exit\n";
    ProgramReport ok = verify(make_object(ProgType::Xdp, fits));
    expect_clean(ok);
    REQUIRE(ok.functions.size() == 2);
    CHECK(ok.functions[1].stack_depth == 320);
    CHECK(ok.functions[1].max_caller_stack == 160);
    // 9 frames
    std::string deep = "call local f1\n exit\n";
    for (int i = 1; i <= 8; ++i) {
        deep += "#fn f" + std::to_string(i) + "\n f" + std::to_string(i) + ":\n";
        deep += i < 8 ? "call local f" + std::to_string(i + 1) + "\n exit\n" : "mov %r0, 1\n exit\n";
    }
    expect_only(verify(make_object(ProgType::Xdp, deep)), "call-depth", 14);
    // tail call in a subprogram under 256 bytes of caller stack
    std::vector<MapDef> maps = {map_def("jt", MapType::ProgArray, 4, 4, 2)};
    std::string ts = "stdw [%r10-256], 1\n call local f\n mov %r0, 2\n exit\n"
                     "#fn f\n f:\n mov %r3, 0\n lddw %r2, 0x4d41502100000000\n call 12\n mov %r0, 1\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, ts, maps)), "tail-call-stack", 1);
    std::string ts_ok = ts;
    ts_ok.replace(ts_ok.find("-256"), 4, "-128");
    expect_clean(verify(make_object(ProgType::Xdp, ts_ok, maps)));
}

TEST_CASE("LD_ABS / LD_IND") {
    expect_clean(verify(make_object(ProgType::SocketFilter, "mov %r6, %r1\n ldabsh 12\n exit\n")));
    expect_only(verify(make_object(ProgType::SocketFilter, "ldabsh 12\n exit\n")), "ctx-access", 0);
    expect_only(verify(make_object(ProgType::Xdp, "mov %r6, %r1\n ldabsh 12\n exit\n")),
                "invalid-instruction", 1);
    expect_only(
        verify(make_object(ProgType::SocketFilter, "mov %r6, %r1\n ldabsb 12\n mov %r0, %r2\n exit\n")),
        "uninitialized-register", 2);
}

TEST_CASE("ringbuf memory: null check, bounds, no use after submit") {
    std::vector<MapDef> maps = {map_def("rb", MapType::Ringbuf, 0, 0, 4096)};
    const std::string reserve = "lddw %r1, 0x4d41502100000000\n mov %r2, 16\n mov %r3, 0\n call 131\n";
    std::string ok = reserve + " jeq %r0, 0, out\n stdw [%r0+8], 1\n mov %r1, %r0\n mov %r2, 0\n call 132\n "
                               "out:\n mov %r0, 0\n exit\n";
    expect_clean(verify(make_object(ProgType::Kprobe, ok, maps)));
    ProgramReport nd =
        verify(make_object(ProgType::Kprobe, reserve + " stdw [%r0+0], 1\n mov %r0, 0\n exit\n", maps));
    CHECK(codes(nd) == std::vector<std::string>{"null-dereference", "reference-leak"});
    std::string oob = reserve + " jeq %r0, 0, out\n stdw [%r0+16], 1\n mov %r1, %r0\n mov %r2, 0\n call "
                                "132\n out:\n mov %r0, 0\n exit\n";
    expect_only(verify(make_object(ProgType::Kprobe, oob, maps)), "memory-bounds", 6);
    std::string uaf =
        reserve + " jeq %r0, 0, out\n mov %r6, %r0\n mov %r1, %r0\n mov %r2, 0\n call 132\n stdw [%r6+0], 1\n"
                  " out:\n mov %r0, 0\n exit\n";
    expect_only(verify(make_object(ProgType::Kprobe, uaf, maps)), "memory-bounds", 10);
}

TEST_CASE("references: a reservation must be submitted or discarded on every path, before a tail call too") {
    std::vector<MapDef> maps = {map_def("rb", MapType::Ringbuf, 0, 0, 4096),
                                map_def("jt", MapType::ProgArray, 4, 4, 2)};
    const std::string reserve = "lddw %r1, 0x4d41502100000000\n mov %r2, 16\n mov %r3, 0\n call 131\n";
    // kept on the non-NULL path: the exit (insn 8) leaks it; the NULL path acquired nothing
    expect_only(verify(make_object(
                    ProgType::Kprobe,
                    reserve + " jeq %r0, 0, out\n stdw [%r0+8], 1\n out:\n mov %r0, 0\n exit\n", maps)),
                "reference-leak", 8);
    // discarded on one branch only
    std::string one_branch = "mov %r9, %r1\n" + reserve +
                             " jeq %r0, 0, out\n mov %r6, %r0\n ldxw %r7, [%r9+0]\n"
                             " jeq %r7, 0, out\n mov %r1, %r6\n mov %r2, 0\n call 133\n"
                             " out:\n mov %r0, 0\n exit\n";
    ProgramReport ob = verify(make_object(ProgType::Kprobe, one_branch, maps));
    CHECK(codes(ob) == std::vector<std::string>{"reference-leak"});
    // a tail call while holding it (kernel: "tail_call would lead to reference leak")
    std::string tail = reserve + " jeq %r0, 0, out\n mov %r6, %r0\n mov %r1, %r9\n"
                                 " lddw %r2, 0x4d41502100000001\n mov %r3, 0\n call 12\n"
                                 " mov %r1, %r6\n mov %r2, 0\n call 132\n out:\n mov %r0, 0\n exit\n";
    tail = "mov %r9, %r1\n" + tail;
    ProgramReport tc = verify(make_object(ProgType::Kprobe, tail, maps));
    CHECK(codes(tc) == std::vector<std::string>{"reference-leak"});
    // released on every path: clean
    std::string both = "mov %r9, %r1\n" + reserve +
                       " jeq %r0, 0, out\n mov %r6, %r0\n ldxw %r7, [%r9+0]\n"
                       " mov %r1, %r6\n mov %r2, 0\n jeq %r7, 0, discard\n call 132\n ja out\n"
                       " discard:\n call 133\n out:\n mov %r0, 0\n exit\n";
    expect_clean(verify(make_object(ProgType::Kprobe, both, maps)));
}

TEST_CASE("JMP32 null tests refine only the non-NULL edge") {
    std::vector<MapDef> maps = {map_def("values", MapType::Array, 4, 8, 4)};
    // `if w0 == 0` does not prove r0 NULL: r0 is still a maybe-NULL pointer on that edge, not the scalar 0
    // (returning it there leaks a pointer); the != 0 edge proves non-NULL
    std::string src = kLookup + " jeq32 %r0, 0, z\n ldxdw %r0, [%r0+0]\n and %r0, 1\n exit\n z:\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, src, maps)), "pointer-leak", 11);
    std::string src64 = kLookup + " jeq %r0, 0, z\n ldxdw %r0, [%r0+0]\n and %r0, 1\n exit\n z:\n exit\n";
    expect_clean(verify(make_object(ProgType::Xdp, src64, maps)));
}

TEST_CASE("pointer differences and leaks through helpers") {
    // data_end - data is a length (allowed with allow_ptr_leaks, as the kernel for a privileged loader)
    expect_clean(verify(make_object(
        ProgType::Xdp,
        "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n sub %r3, %r2\n mov %r0, %r3\n and %r0, 1\n exit\n")));
    // a spilled ctx pointer copied into a map value by map_update_elem
    std::vector<MapDef> maps = {map_def("h", MapType::Hash, 4, 8, 4)};
    std::string leak = "stxdw [%r10-8], %r1\n stw [%r10-12], 0\n lddw %r1, 0x4d41502100000000\n mov %r2, "
                       "%r10\n add %r2, -12\n"
                       " mov %r3, %r10\n add %r3, -8\n mov %r4, 0\n call 2\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, leak, maps)), "pointer-leak", 9);
    // the same at a variable offset: fp-16 + (rx_queue_index & 8) may be the spilled slot fp-8
    std::string var_leak =
        "stxdw [%r10-8], %r1\n stdw [%r10-16], 0\n stw [%r10-20], 0\n ldxw %r4, [%r1+16]\n"
        " and %r4, 8\n lddw %r1, 0x4d41502100000000\n mov %r2, %r10\n add %r2, -20\n"
        " mov %r3, %r10\n add %r3, -16\n add %r3, %r4\n mov %r4, 0\n call 2\n mov %r0, 2\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, var_leak, maps)), "pointer-leak", 13);
}

TEST_CASE(
    "pointers: offsets stay within 2^29; only pointers into one object compare and subtract as offsets") {
    // kernel check_reg_sane_offset(): r10 + 0x7ffffffffffff000 is refused (it would also make `r1 s> r10`
    // false on the machine while the offsets say true)
    expect_only(verify(make_object(ProgType::Xdp,
                                   "mov %r1, %r10\n lddw %r2, 0x7ffffffffffff000\n add %r1, %r2\n"
                                   " jsgt %r1, %r10, ok\n mov %r0, 1\n exit\n ok:\n mov %r0, 2\n exit\n")),
                "pointer-arithmetic", 3);
    // r6 = &arr[0], r7 = &arr[1]: both are map_value+0 of one map, yet different elements
    auto two_lookups = [](const std::string& map, const std::string& then) {
        return "mov %r1, 0\n stxw [%r10-4], %r1\n mov %r1, 1\n stxw [%r10-8], %r1\n lddw %r1, " + map +
               "\n mov %r2, %r10\n add %r2, -4\n call 1\n jeq %r0, 0, out\n mov %r6, %r0\n lddw %r1, " + map +
               "\n mov %r2, %r10\n add %r2, -8\n call 1\n jeq %r0, 0, out\n mov %r7, %r0\n " + then +
               "\n out:\n mov %r0, 2\n exit\n";
    };
    std::vector<MapDef> maps = {map_def("arr", MapType::Array, 4, 8, 2),
                                map_def("one", MapType::Array, 4, 8, 1)};
    // neither order of the two addresses is infeasible: the store through NULL after them is reached
    const std::string compare =
        "jgt %r7, %r6, bad\n jgt %r6, %r7, bad\n ja out\n bad:\n mov %r1, 0\n stxdw [%r1+0], %r1";
    CHECK(codes(verify(make_object(ProgType::Xdp, two_lookups("0x4d41502100000000", compare), maps))) ==
          std::vector<std::string>{"null-dereference"});
    // their difference is no offset: r10 + (r7 - r6) is refused
    const std::string diff = "sub %r7, %r6\n mov %r1, %r10\n add %r1, %r7\n stdw [%r1-16], 1";
    CHECK(codes(verify(make_object(ProgType::Xdp, two_lookups("0x4d41502100000000", diff), maps))) ==
          std::vector<std::string>{"pointer-arithmetic", "memory-bounds"});
    // a map with one element (global data): every lookup gives the same value, so the offsets order the
    // pointers and the store is never reached; the difference is 0
    expect_clean(verify(make_object(ProgType::Xdp, two_lookups("0x4d41502100000001", compare), maps)));
    expect_clean(verify(make_object(ProgType::Xdp, two_lookups("0x4d41502100000001", diff), maps)));
    // an inner map template of one element stands for every inner map: two values of it are two objects
    Object obj = make_object(ProgType::Xdp, "mov %r0, 2\n exit\n", maps);
    obj.maps[1].origin = MapOrigin::InnerTemplate;
    AnalysisEnv env;
    env.obj = &obj;
    RegValue v = RegValue::pointer(Kind::MapValue, 0);
    v.map = 0;
    CHECK_FALSE(same_object(v, v, env)); // arr: two elements
    v.map = 1;
    CHECK_FALSE(same_object(v, v, env)); // the template
    obj.maps[1].origin = MapOrigin::Btf;
    CHECK(same_object(v, v, env)); // one element of one map
}

TEST_CASE("ctx: one instruction may not access the ctx on one path and other memory on another") {
    // kernel save_aux_ptr_type(): "same insn cannot be used with different pointers" (the runtime rewrites
    // the ctx access, whatever the pointer on the other path)
    const std::string src = "ldxw %r2, [%r1+16]\n mov %r3, %r1\n jeq %r2, 0, use\n stdw [%r10-8], 0\n"
                            " mov %r3, %r10\n add %r3, -16\n use:\n ldxw %r0, [%r3+12]\n and %r0, 1\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, src)), "ctx-access", 6);
}

TEST_CASE("stack: a pointer spilled on one path only is neither a number nor a pointer after a join") {
    auto frame_state = [] {
        State s;
        Frame f;
        f.zone = Zone(Frame::zone_size(0));
        s.frames.push_back(std::move(f));
        return s;
    };
    State a = frame_state(), b = frame_state();
    RegValue fp = RegValue::pointer(Kind::Stack, 0);
    a.top().set_spill(63, fp); // r10-8
    for (int i = 504; i < 512; ++i) {
        a.top().bytes[size_t(i)] = StackByte::Spill;
        b.top().bytes[size_t(i)] = StackByte::Zero;
    }
    const State j = join(a, b);
    const RegValue* sp = j.top().spill_at(63);
    REQUIRE(sp);
    CHECK(sp->kind == Kind::Mixed);
    CHECK(read_stack(j.top(), -8, 8, false).kind == Kind::Mixed);
    CHECK(leq(a, j));
    CHECK(leq(b, j));
    // kernel check_func_arg() ARG_ANYTHING: "R2 leaks addr into helper function" (bpf_set_hash's hash)
    expect_only(verify(make_object(ProgType::SchedCls, "mov %r2, %r10\n call 48\n mov %r0, 0\n exit\n")),
                "pointer-leak", 1);
}

TEST_CASE("global data: a direct value address is an offset inside a one-element array's value") {
    // kernel resolve_pseudo_ldimm64() (u32 offset < 2^29) and array_map_direct_value_addr()
    auto load_at = [](uint32_t off, uint32_t max_entries) {
        Object obj = make_object(ProgType::Xdp, "lddw %r1, 0x4d41502100000000\n ldxb %r0, [%r1+0]\n exit\n",
                                 {map_def("g", MapType::Array, 4, 16, max_entries)});
        auto& l = std::get<LoadImm64>(obj.programs[0].insns[0]);
        l.pseudo = 2; // BPF_PSEUDO_MAP_VALUE
        l.imm_hi = int32_t(off);
        return verify(obj);
    };
    auto first_code = [](const ProgramReport& r) {
        return r.diagnostics.empty() ? "" : r.diagnostics[0].code;
    };
    expect_clean(load_at(8, 1));
    expect_clean(load_at(15, 1));
    CHECK(first_code(load_at(16, 1)) == "invalid-instruction");         // past the value
    CHECK(first_code(load_at(0xfffffff8, 1)) == "invalid-instruction"); // not -8: 4 GiB on
    CHECK(first_code(load_at(0, 2)) == "invalid-instruction");          // two elements
}

TEST_CASE("references: a release kills every copy, and the copies whose reservation a join lost") {
    State s;
    Frame f;
    f.zone = Zone(Frame::zone_size(0));
    s.frames.push_back(std::move(f));
    RegValue a = RegValue::pointer(Kind::Mem, 0), b = RegValue::pointer(Kind::MemOrNull, 0);
    a.id = 5;
    b.id = 9;
    const RegValue lost = join(a, RegValue::scalar_const(0)); // reservation 5 or NULL: which one is gone
    REQUIRE(lost.kind == Kind::MemOrNull);
    CHECK(lost.id == 0);
    acquire_ref(s, 5);
    acquire_ref(s, 9);
    set_reg(s.top(), kR6, a);
    set_reg(s.top(), kR7, b);
    set_reg(s.top(), kR8, lost);
    release_ref(s, 5);
    CHECK(s.top().regs[kR6].kind == Kind::Scalar);
    CHECK(s.top().regs[kR7].kind == Kind::MemOrNull); // another reservation lives on
    CHECK(s.top().regs[kR8].kind == Kind::Scalar);    // it may have been reservation 5
    CHECK(holds_ref(s, 9));
    CHECK_FALSE(holds_ref(s, 5));
}

TEST_CASE("loops: an irreducible loop entered past its head proves nothing from the head's counter") {
    // r8 starts at 1000 when the second loop is entered at b (skipping the head a, which resets r8 to 0):
    // bounding r8 by "0 + iterations" would let value + r8 pass for a 32-byte value
    std::vector<MapDef> maps = {map_def("arr", MapType::Array, 4, 32, 1)};
    const std::string src =
        "mov %r6, %r1\n mov %r7, 0\n mov %r8, 1000\n l1:\n jge %r7, 5, x\n add %r7, 1\n ja l1\n"
        " x:\n ldxw %r0, [%r6+16]\n jeq %r0, 0, b\n mov %r8, 0\n mov %r7, 0\n"
        " a:\n jge %r7, 20, out\n b:\n add %r7, 1\n add %r8, 1\n ja a\n out:\n" +
        kLookup + " jeq %r0, 0, done\n add %r0, %r8\n ldxb %r0, [%r0+0]\n exit\n done:\n mov %r0, 2\n exit\n";
    ProgramReport r = verify(make_object(ProgType::Xdp, src, maps));
    INFO(dump(r));
    CHECK(r.verdict == Verdict::Rejected);
    const std::vector<std::string> found = codes(r);
    CHECK(std::find(found.begin(), found.end(), "memory-bounds") != found.end());
}

TEST_CASE("loops: strides, count-down, zero-extension idioms") {
    // stride 4 with a != exit (the known low bits let `!= 64` cut the end point)
    expect_clean(verify(make_object(
        ProgType::Xdp, "mov %r1, 0\n loop:\n add %r1, 4\n mov %r2, %r1\n lsh %r2, 32\n rsh %r2, 32\n"
                       " jne %r2, 64, loop\n mov %r0, 2\n exit\n")));
    // count-down by 3 through `x <<= 32; y = x; y >>= 32`
    expect_clean(verify(make_object(
        ProgType::Xdp, "mov %r7, 50\n loop:\n mov %r1, %r7\n add %r1, -3\n lsh %r7, 32\n mov %r2, %r7\n"
                       " rsh %r2, 32\n mov %r7, %r1\n jgt %r2, 3, loop\n mov %r0, 2\n exit\n")));
    // a packet pointer walking by 4 bytes, bounded by data_end and by the counter's `!= 400` exit
    expect_clean(verify(make_object(
        ProgType::Xdp, "ldxw %r3, [%r1+4]\n ldxw %r1, [%r1+0]\n mov %r2, 0\n mov %r0, 0\n loop:\n"
                       " mov %r4, %r1\n add %r4, %r2\n mov %r5, %r4\n add %r5, 4\n jgt %r5, %r3, out\n"
                       " ldxb %r4, [%r4+0]\n add %r0, %r4\n add %r2, 4\n mov %r4, %r2\n lsh %r4, 32\n"
                       " rsh %r4, 32\n jne %r4, 400, loop\n out:\n and %r0, 3\n exit\n")));
    // the same walk without a counter: data_end bounds it (packets are at most 0xffff bytes, MAX_PACKET_OFF)
    expect_clean(verify(make_object(
        ProgType::Xdp, "ldxw %r3, [%r1+4]\n ldxw %r1, [%r1+0]\n mov %r0, 0\n loop:\n mov %r5, %r1\n"
                       " add %r5, 4\n jgt %r5, %r3, out\n ldxb %r4, [%r1+0]\n add %r0, %r4\n add %r1, 4\n"
                       " ja loop\n out:\n and %r0, 3\n exit\n")));
    // walking a scalar without any bound is not proved to terminate
    CHECK(codes(verify(make_object(
              ProgType::Xdp,
              "mov %r6, 0\n loop:\n add %r6, 4\n call 7\n jne %r0, 7, loop\n mov %r0, 2\n exit\n"))) ==
          std::vector<std::string>{"unbounded-loop"});
}

TEST_CASE("bpf2bpf: pointers into a returned frame are unusable") {
    // the callee returns a pointer to its own stack; the caller dereferences it
    std::string src = "call local f\n ldxdw %r0, [%r0+0]\n exit\n#fn f\n f:\n stdw [%r10-8], 1\n mov %r0, "
                      "%r10\n add %r0, -8\n exit\n";
    expect_only(verify(make_object(ProgType::Xdp, src)), "memory-bounds", 1);
}

TEST_CASE("sockets: each pointer keeps the struct it exposes; reads only; references released") {
    // r0 = mark ? bpf_sk_fullsock(skb->sk) : bpf_tcp_sock(skb->sk); if (r0) r0 = *(u64 *)(r0 + OFF)
    auto two_views = [](const std::string& second_call, const std::string& load) {
        return "mov %r6, %r1\n ldxdw %r7, [%r6+168]\n jeq %r7, 0, out\n ldxw %r2, [%r6+8]\n mov %r1, %r7\n"
               " jeq %r2, 0, tcp\n call 95\n ja merge\ntcp:\n call " +
               second_call + "\nmerge:\n jeq %r0, 0, out\n " + load + "\n exit\nout:\n mov %r0, 0\n exit\n";
    };
    // bytes_received (tcp_sock +80, 8 bytes) is past the 80-byte bpf_sock: unsafe on the fullsock path
    ProgramReport r = verify(make_object(ProgType::SchedCls, two_views("96", "ldxdw %r0, [%r0+80]")));
    INFO(dump(r));
    CHECK(r.verdict == Verdict::Rejected);
    CHECK(codes(r) == std::vector<std::string>{"memory-bounds"});
    expect_clean(verify(make_object(ProgType::SchedCls, two_views("95", "ldxw %r0, [%r0+72]"))));
    // skb->sk is a sock_common: its protocol (offset 12) only after bpf_sk_fullsock()
    expect_only(verify(make_object(ProgType::SchedCls,
                                   "ldxdw %r1, [%r1+168]\n jeq %r1, 0, out\n ldxw %r0, [%r1+12]\n exit\n"
                                   "out:\n mov %r0, 0\n exit\n")),
                "memory-bounds", 2);
    // no arithmetic on socket pointers, no stores through them
    r = verify(make_object(ProgType::SchedCls, "ldxdw %r1, [%r1+168]\n jeq %r1, 0, out\n add %r1, 4\n"
                                               " ldxw %r0, [%r1+0]\n exit\nout:\n mov %r0, 0\n exit\n"));
    INFO(dump(r));
    CHECK(r.verdict == Verdict::Rejected);
    CHECK(codes(r).front() == "pointer-arithmetic");
    expect_only(verify(make_object(ProgType::SchedCls,
                                   "ldxdw %r1, [%r1+168]\n jeq %r1, 0, out\n mov %r1, %r1\n call 95\n"
                                   " jeq %r0, 0, out\n stw [%r0+16], 1\nout:\n mov %r0, 0\n exit\n")),
                "memory-bounds", 5);
    // bpf_sk_lookup_tcp() acquires; bpf_sk_release() drops; the socket is unusable after that
    auto lookup = [](const std::string& body) {
        return "mov %r6, %r1\n mov %r2, 0\n stxdw [%r10-16], %r2\n stxdw [%r10-8], %r2\n mov %r1, %r6\n"
               " mov %r2, %r10\n add %r2, -16\n mov %r3, 12\n mov %r4, -1\n mov %r5, 0\n call 84\n"
               " jeq %r0, 0, out\n mov %r7, %r0\n" +
               body + "\n exit\nout:\n exit\n";
    };
    expect_clean(verify(make_object(ProgType::SchedCls,
                                    lookup("ldxw %r8, [%r7+72]\n mov %r1, %r7\n call 86\n mov %r0, %r8"))));
    expect_only(
        verify(make_object(ProgType::SchedCls, lookup("mov %r1, %r7\n call 86\n ldxw %r0, [%r7+72]"))),
        "memory-bounds", 15);
    r = verify(make_object(ProgType::SchedCls, lookup("ldxw %r0, [%r7+72]")));
    INFO(dump(r));
    CHECK(codes(r) == std::vector<std::string>{"reference-leak"});
    // bpf_sk_fullsock() of the looked-up socket shares its reference: releasing either releases both
    const std::string fullsock = "mov %r1, %r7\n call 95\n jeq %r0, 0, rel\n mov %r1, %r0\n call 86\n"
                                 " mov %r0, 1\n exit\nrel:\n mov %r1, %r7\n call 86\n mov %r0, 0";
    expect_clean(verify(make_object(ProgType::SchedCls, lookup(fullsock))));
    // the looked-up pointer is dead once its full socket is released
    expect_only(
        verify(make_object(ProgType::SchedCls,
                           lookup("mov %r1, %r7\n call 95\n jeq %r0, 0, rel\n mov %r1, %r0\n call 86\n"
                                  " ldxw %r0, [%r7+4]\n exit\nrel:\n mov %r1, %r7\n call 86\n"
                                  " mov %r0, 0"))),
        "memory-bounds", 18);
}
