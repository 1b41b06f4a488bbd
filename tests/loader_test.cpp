// ELF loader: each map flavour, several programs per section, "?" sections, subprogram appending and call
// relocation, global data, static prog arrays, EM_NONE objects, line info, SEC() table.
// Fixtures: tests/fixtures/*.c, built into TAILGATE_FIXTURE_DIR.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "verifier/elf_loader.hpp"

using namespace tailgate;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

std::string fixture(const std::string& name) {
    return env_or("TAILGATE_FIXTURE_DIR", "build/tests/fixtures") + "/" + name + ".o";
}

std::string fixture_source(const std::string& name) {
    return env_or("TAILGATE_SOURCE_DIR", ".") + "/tests/fixtures/" + name + ".c";
}

// 1-based line of the first line of `file` containing `text`; 0 when absent.
uint32_t line_of(const std::string& file, const std::string& text) {
    std::ifstream in(file);
    std::string l;
    for (uint32_t n = 1; std::getline(in, l); ++n) {
        if (l.find(text) != std::string::npos) return n;
    }
    return 0;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Object load_ok(const std::string& name) {
    auto r = load_object(fixture(name));
    if (!r.ok()) FAIL(name << ": " << r.error().code << ": " << r.error().message);
    return std::move(r).value();
}

const Program& prog(const Object& o, const std::string& name) {
    const Program* p = o.find_program(name);
    REQUIRE_MESSAGE(p != nullptr, "no program " << name);
    return *p;
}

size_t map_index(const Object& o, const std::string& name) {
    for (size_t i = 0; i < o.maps.size(); ++i) {
        if (o.maps[i].name == name) return i;
    }
    FAIL("no map " << name);
    return 0;
}

// The lddw instructions of a program, in order.
std::vector<LoadImm64> lddws(const Program& p) {
    std::vector<LoadImm64> out;
    for (const Insn& i : p.insns) {
        if (auto* l = std::get_if<LoadImm64>(&i)) out.push_back(*l);
    }
    return out;
}

std::vector<std::string> function_names(const Program& p) {
    std::vector<std::string> out;
    for (const Subprogram& f : p.functions) out.push_back(f.name);
    return out;
}

} // namespace

TEST_CASE("SEC() names map to libbpf's program and attach types") {
    auto m = prog_type_from_section("xdp");
    REQUIRE(m);
    CHECK(m->type == ProgType::Xdp);
    CHECK(m->attach == AttachType::Xdp);
    CHECK_FALSE(m->xdp_frags);
    m = prog_type_from_section("xdp.frags");
    REQUIRE(m);
    CHECK(m->xdp_frags);
    CHECK(prog_type_from_section("kprobe/do_sys_open")->type == ProgType::Kprobe);
    CHECK(prog_type_from_section("kretprobe/x")->type == ProgType::Kprobe);
    CHECK(prog_type_from_section("kprobe")->type == ProgType::Kprobe);
    CHECK(prog_type_from_section("tracepoint/syscalls/sys_enter_open")->type == ProgType::Tracepoint);
    CHECK(prog_type_from_section("tp/a/b")->type == ProgType::Tracepoint);
    CHECK(prog_type_from_section("raw_tracepoint/sys_enter")->type == ProgType::RawTracepoint);
    CHECK(prog_type_from_section("raw_tp.w/x")->type == ProgType::RawTracepointWritable);
    CHECK(prog_type_from_section("tc")->type == ProgType::SchedCls);
    CHECK(prog_type_from_section("classifier")->type == ProgType::SchedCls);
    CHECK(prog_type_from_section("socket")->type == ProgType::SocketFilter);
    CHECK(prog_type_from_section("cgroup_skb/ingress")->attach == AttachType::CgroupInetIngress);
    CHECK(prog_type_from_section("cgroup/connect4")->type == ProgType::CgroupSockAddr);
    CHECK(prog_type_from_section("fentry/tcp_v4_connect")->attach == AttachType::TraceFentry);
    // Not guessed: libbpf 1.x has no sloppy prefixes.
    CHECK_FALSE(prog_type_from_section("kprobex"));
    CHECK_FALSE(prog_type_from_section("socket1"));
    CHECK_FALSE(prog_type_from_section("xdp_prog"));
    CHECK_FALSE(prog_type_from_section("classifier/extra"));
    CHECK_FALSE(prog_type_from_section(""));
    CHECK(std::string(prog_type_name(ProgType::SchedCls)) == "sched_cls");
    CHECK(std::string(map_type_name(MapType::ProgArray)) == "prog_array");
    CHECK(std::string(map_type_name(MapType::Arena)) == "arena");
    CHECK(std::string(map_type_name(static_cast<MapType>(99))) == "unknown");
}

TEST_CASE("legacy maps: 20-byte bpf_map_def records") {
    Object o = load_ok("legacy20");
    REQUIRE(o.maps.size() == 2);
    const MapDef& c = o.maps[map_index(o, "counters")];
    CHECK(c.type == MapType::Array);
    CHECK(c.key_size == 4);
    CHECK(c.value_size == 8);
    CHECK(c.max_entries == 16);
    CHECK(c.origin == MapOrigin::Legacy);
    const MapDef& p = o.maps[map_index(o, "progs")];
    CHECK(p.type == MapType::ProgArray);
    CHECK(p.max_entries == 8);
    CHECK(o.license == "GPL");
    const Program& count = prog(o, "count");
    CHECK(count.type == ProgType::SocketFilter);
    // Both map references are relocated to pseudo 1 with the map's index.
    auto l = lddws(count);
    REQUIRE(l.size() == 2);
    CHECK(l[0].pseudo == 1);
    CHECK(l[0].imm_lo == int32_t(map_index(o, "counters")));
    CHECK(l[1].pseudo == 1);
    CHECK(l[1].imm_lo == int32_t(map_index(o, "progs")));
    // The relocation notes name the maps.
    REQUIRE(count.relocs.size() == 2);
    CHECK(count.relocs[0].symbol == "counters");
    CHECK(count.relocs[0].kind == "R_BPF_64_64");
    CHECK(count.relocs[1].symbol == "progs");
}

TEST_CASE("legacy maps: 28-byte bpf_elf_map and 36-byte Cilium records") {
    Object o28 = load_ok("legacy28");
    REQUIRE(o28.maps.size() == 2);
    const MapDef& flows = o28.maps[map_index(o28, "flows")];
    CHECK(flows.type == MapType::Hash);
    CHECK(flows.value_size == 16);
    CHECK(flows.max_entries == 1024);
    CHECK(flows.flags == 1);
    CHECK(o28.maps[map_index(o28, "jumps")].type == MapType::ProgArray);
    CHECK(prog(o28, "cls").type == ProgType::SchedCls);

    Object o36 = load_ok("legacy36");
    REQUIRE(o36.maps.size() == 2);
    const MapDef& calls = o36.maps[map_index(o36, "cilium_calls")];
    CHECK(calls.type == MapType::ProgArray);
    CHECK(calls.max_entries == 33);
    const MapDef& metrics = o36.maps[map_index(o36, "cilium_metrics")];
    CHECK(metrics.type == MapType::PercpuHash);
    CHECK(metrics.key_size == 8);
    CHECK(metrics.max_entries == 65536);
    CHECK(prog(o36, "from_container").section == "tc");
}

TEST_CASE("legacy maps: record size from section size when symbols have size 0") {
    Object o = load_ok("legacy_nosize");
    REQUIRE(o.maps.size() == 3);
    CHECK(o.maps[0].name == "map_a");
    CHECK(o.maps[0].type == MapType::Hash);
    CHECK(o.maps[0].max_entries == 100);
    CHECK(o.maps[1].name == "map_b");
    CHECK(o.maps[1].type == MapType::ProgArray);
    CHECK(o.maps[1].max_entries == 10);
    CHECK(o.maps[2].name == "map_c");
    CHECK(o.maps[2].value_size == 32);
    auto l = lddws(prog(o, "prog"));
    REQUIRE(l.size() == 1);
    CHECK(l[0].pseudo == 1);
    CHECK(l[0].imm_lo == 1);
}

TEST_CASE("BTF maps: key/value types and sizes, flags, static prog-array slots") {
    Object o = load_ok("btf_maps");
    REQUIRE(o.maps.size() == 3);
    const MapDef& stats = o.maps[map_index(o, "stats")];
    CHECK(stats.origin == MapOrigin::Btf);
    CHECK(stats.type == MapType::Hash);
    CHECK(stats.key_size == 4);
    CHECK(stats.value_size == 24); // struct value { u64, u64, u32 } padded
    CHECK(stats.max_entries == 256);
    CHECK(stats.flags == 1); // BPF_F_NO_PREALLOC
    const MapDef& scratch = o.maps[map_index(o, "scratch")];
    CHECK(scratch.type == MapType::PercpuArray);
    CHECK(scratch.value_size == 64);
    const MapDef& sys = o.maps[map_index(o, "syscalls")];
    CHECK(sys.type == MapType::ProgArray);
    CHECK(sys.key_size == 4);
    CHECK(sys.value_size == 4);
    CHECK(sys.max_entries == 8);
    REQUIRE(sys.prog_slots.size() == 2);
    CHECK(sys.prog_slots.at(0) == "sys_read");
    CHECK(sys.prog_slots.at(1) == "sys_write");
    // Three programs in one section, each a program of its own.
    REQUIRE(o.programs.size() == 3);
    for (const Program& p : o.programs) {
        CHECK(p.section == "raw_tracepoint/sys_enter");
        CHECK(p.type == ProgType::RawTracepoint);
        CHECK(p.autoload);
    }
    auto l = lddws(prog(o, "dispatch"));
    REQUIRE(l.size() == 1);
    CHECK(l[0].pseudo == 1);
    CHECK(l[0].imm_lo == int32_t(map_index(o, "syscalls")));
}

TEST_CASE("global data: .data, .rodata, .bss, .data.custom as single-entry arrays") {
    Object o = load_ok("globals");
    CHECK(o.license == "Dual BSD/GPL");
    const MapDef& bss = o.maps[map_index(o, ".bss")];
    CHECK(bss.origin == MapOrigin::GlobalData);
    CHECK(bss.type == MapType::Array);
    CHECK(bss.key_size == 4);
    CHECK(bss.max_entries == 1);
    CHECK(bss.value_size == 4);
    CHECK(bss.initial_value == std::vector<uint8_t>(4, 0));
    CHECK_FALSE(bss.readonly);
    const MapDef& data = o.maps[map_index(o, ".data")];
    REQUIRE(data.initial_value.size() == 4);
    CHECK(data.initial_value[0] == 42); // int limit = 42
    const MapDef& custom = o.maps[map_index(o, ".data.custom")];
    CHECK(custom.value_size == 16);
    CHECK(custom.initial_value[8] == 3); // custom[2]
    const MapDef& ro = o.maps[map_index(o, ".rodata")];
    CHECK(ro.readonly);

    // first: hits++ (.bss offset 0) then custom[2] read through .data.custom.
    auto l = lddws(prog(o, "first"));
    REQUIRE(l.size() >= 2);
    CHECK(l[0].pseudo == 2);
    CHECK(l[0].imm_lo == int32_t(map_index(o, ".bss")));
    CHECK(l[0].imm_hi == 0);
    CHECK(l[1].pseudo == 2);
    CHECK(l[1].imm_lo == int32_t(map_index(o, ".data.custom")));

    // third: the format string (section symbol + addend in imm) and `greeting` (named symbol) in .rodata.
    auto t = lddws(prog(o, "third"));
    REQUIRE(t.size() == 3);
    const std::string rodata(ro.initial_value.begin(), ro.initial_value.end());
    CHECK(t[1].pseudo == 2);
    CHECK(t[1].imm_lo == int32_t(map_index(o, ".rodata")));
    REQUIRE(size_t(t[1].imm_hi) < rodata.size());
    CHECK(std::string(rodata.c_str() + t[1].imm_hi) == "%s %d");
    CHECK(t[2].pseudo == 2);
    REQUIRE(size_t(t[2].imm_hi) < rodata.size());
    CHECK(std::string(rodata.c_str() + t[2].imm_hi) == "hello");
}

TEST_CASE("several programs per section, '?' sections, other sections") {
    Object o = load_ok("globals");
    std::vector<std::string> names;
    for (const Program& p : o.programs) names.push_back(p.name);
    CHECK(names == std::vector<std::string>{"first", "second", "third", "optional", "probe"});
    CHECK(prog(o, "first").section == "xdp");
    CHECK(prog(o, "third").section == "xdp");
    const Program& opt = prog(o, "optional");
    CHECK(opt.section == "?xdp");
    CHECK(opt.type == ProgType::Xdp);
    CHECK_FALSE(opt.autoload);
    CHECK(prog(o, "first").autoload);
    CHECK(prog(o, "probe").type == ProgType::Kprobe);
    // .text functions are subprograms, never programs.
    CHECK(o.find_program("clamp") == nullptr);
    CHECK(o.find_program("add_scale") == nullptr);
}

TEST_CASE("subprograms are appended depth-first and calls point at the appended copies") {
    Object o = load_ok("globals");
    const Program& first = prog(o, "first");
    CHECK(function_names(first) == std::vector<std::string>{"first", "clamp", "add_scale"});
    CHECK(first.insns.size() == first.raw.size());
    CHECK(first.lines.size() == first.raw.size());
    CHECK(first.original.size() == first.raw.size());
    REQUIRE(first.functions.size() == 3);
    CHECK(first.functions[0].start == 0);
    CHECK(first.functions[0].end == first.functions[1].start);
    CHECK(first.functions[2].end == first.insns.size());
    // Every local call lands on the start of an appended function.
    std::vector<uint32_t> targets;
    for (const Insn& i : first.insns) {
        if (auto* c = std::get_if<CallLocal>(&i)) targets.push_back(c->target);
    }
    CHECK(targets == std::vector<uint32_t>{first.functions[1].start, first.functions[2].start});

    // second: bpf_loop callback (lddw of a .text address -> pseudo 4) and a call via the .text section
    // symbol.
    const Program& second = prog(o, "second");
    CHECK(function_names(second) == std::vector<std::string>{"second", "loop_cb", "add_scale"});
    bool saw_func = false;
    for (uint32_t pc = 0; pc < second.insns.size(); ++pc) {
        if (auto* l = std::get_if<LoadImm64>(&second.insns[pc]); l && l->pseudo == 4) {
            saw_func = true;
            CHECK(int64_t(pc) + l->imm_lo + 1 == int64_t(second.functions[1].start));
        }
        if (auto* c = std::get_if<CallLocal>(&second.insns[pc]))
            CHECK(c->target == second.functions[2].start);
    }
    CHECK(saw_func);

    // The same subprogram appended to two programs is relocated in each (hits/limit/scale point at maps).
    for (const char* name : {"first", "optional"}) {
        for (const LoadImm64& l : lddws(prog(o, name))) {
            CHECK(l.pseudo == 2);
            CHECK(size_t(l.imm_lo) < o.maps.size());
        }
    }
}

TEST_CASE("line info: instruction -> file:line:column, appended subprograms keep their own lines") {
    Object o = load_ok("globals");
    const std::string src = fixture_source("globals");
    const Program& first = prog(o, "first");
    REQUIRE(first.lines.size() > 0);
    REQUIRE(first.lines[0].has_value());
    CHECK(first.lines[0]->file.size() >= 9);
    CHECK(first.lines[0]->file.substr(first.lines[0]->file.size() - 9) == "globals.c");
    CHECK(first.lines[0]->line == line_of(src, "    hits++;"));
    CHECK(first.lines[0]->column > 0);
    const Subprogram& clamp = first.functions[1];
    REQUIRE(first.lines[clamp.start].has_value());
    CHECK(first.lines[clamp.start]->line == line_of(src, "x = add_scale(x);"));
    const Subprogram& add = first.functions[2];
    REQUIRE(first.lines[add.start].has_value());
    CHECK(first.lines[add.start]->line == line_of(src, "return x + scale;"));
}

TEST_CASE("EM_NONE objects with eBPF content load; other machines do not") {
    std::vector<uint8_t> bytes = read_bytes(fixture("globals"));
    REQUIRE(bytes.size() > 64);
    auto normal = load_object_from_bytes(bytes, "globals.o");
    REQUIRE(normal.ok());
    bytes[18] = 0;
    bytes[19] = 0;
    auto none = load_object_from_bytes(bytes, "globals-em-none.o");
    REQUIRE_MESSAGE(none.ok(), none.error().message);
    REQUIRE(none->programs.size() == normal->programs.size());
    for (size_t i = 0; i < none->programs.size(); ++i) {
        CHECK(none->programs[i].name == normal->programs[i].name);
        CHECK(none->programs[i].insns.size() == normal->programs[i].insns.size());
        CHECK(none->programs[i].lines[0].has_value() == normal->programs[i].lines[0].has_value());
    }
    bytes[18] = 62; // EM_X86_64
    auto x86 = load_object_from_bytes(bytes, "globals-x86.o");
    REQUIRE_FALSE(x86.ok());
    CHECK(x86.error().code == "wrong-machine");
}

TEST_CASE("unknown sections and undefined symbols are errors") {
    auto u = load_object(fixture("unknown_section"));
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().code == "unknown-section");
    CHECK(u.error().message.find("not_a_program_type") != std::string::npos);
    auto m = load_object(fixture("missing_symbol"));
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == "bad-relocation");
    CHECK(m.error().message.find("defined_elsewhere") != std::string::npos);
    auto missing = load_object(fixture("no_such_file"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "unreadable");
}

// libbpf.c parse_btf_map_def() inner_def; kernel map_in_map.c bpf_map_meta_alloc() / bpf_map_meta_equal()
TEST_CASE("maps of maps: the BTF inner map template, static slots checked against it") {
    Object o = load_ok("mim_template");
    const MapDef& outer = o.maps[map_index(o, "outer")];
    CHECK(outer.type == MapType::ArrayOfMaps);
    CHECK(outer.key_size == 4);
    CHECK(outer.value_size == 4);
    REQUIRE(outer.inner_map >= 0);
    const MapDef& t = o.maps[size_t(outer.inner_map)];
    CHECK(t.name == "outer.inner");
    CHECK(t.origin == MapOrigin::InnerTemplate);
    CHECK(t.type == MapType::Array);
    CHECK(t.value_size == 8);
    CHECK(t.max_entries == 2);
    CHECK(outer.inner_map_slots.size() == 2);
    CHECK(outer.inner_map_slots.at(1) == "in_a");
    CHECK(outer.inner_map_slots.at(3) == "in_b");
    CHECK(o.maps[map_index(o, "bare")].inner_map == -1); // no template: the loader must supply one
    CHECK(o.maps[map_index(o, "in_a")].inner_map == -1);

    auto mismatch = load_object(fixture("mim_mismatch"));
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().code == "bad-map-def");
    CHECK(mismatch.error().message ==
          "map 'outer' slot 0 holds map 'small' whose value_size differs from its inner map template");
    auto pa = load_object(fixture("mim_prog_array"));
    REQUIRE_FALSE(pa.ok());
    CHECK(pa.error().code == "bad-map-def");
    CHECK(pa.error().message.find("prog_array cannot be the inner map") != std::string::npos);
}

// kernel: btf.c btf_parse_fields(): one struct bpf_spin_lock, a top-level member of the value
TEST_CASE("BTF map values: the bpf_spin_lock offset") {
    Object o = load_ok("spin_locks");
    CHECK(o.maps[map_index(o, "with_lock")].spin_lock_off == 4);
    CHECK(o.maps[map_index(o, "without_lock")].spin_lock_off == -1);
    auto twice = load_object(fixture("two_spin_locks"));
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error().code == "bad-map-def");
    CHECK(twice.error().message == "map 'locks' has more than one bpf_spin_lock in its value");
    auto lru = load_object(fixture("lru_spin_lock")); // kernel: syscall.c map_check_btf()
    REQUIRE_FALSE(lru.ok());
    CHECK(lru.error().code == "bad-map-def");
    CHECK(lru.error().message.find("lru_hash cannot hold a bpf_spin_lock") != std::string::npos);
    auto shrunk = load_object(fixture("conflicting_sizes")); // libbpf.c parse_btf_map_def()
    REQUIRE_FALSE(shrunk.ok());
    CHECK(shrunk.error().code == "bad-map-def");
    CHECK(shrunk.error().message == "map 'shrunk': conflicting value size 16 != 4");
}

// kernel: devmap.c dev_map_init_map(): u32 keys, 4 or 8-byte values
TEST_CASE("device maps: key and value sizes") {
    auto dm = load_object(fixture("devmap_key"));
    REQUIRE_FALSE(dm.ok());
    CHECK(dm.error().code == "bad-map-def");
    CHECK(dm.error().message.find("key_size must be 4") != std::string::npos);
}

TEST_CASE("code sections as stored in the file") {
    auto secs = load_code_sections(fixture("globals"));
    REQUIRE(secs.ok());
    std::vector<std::string> names;
    for (const CodeSection& s : *secs) names.push_back(s.name);
    CHECK(names == std::vector<std::string>{".text", "xdp", "?xdp", "kprobe/do_sys_open"});
    const CodeSection& xdp = (*secs)[1];
    REQUIRE(xdp.symbols.size() == 3);
    CHECK(xdp.symbols[0].name == "first");
    CHECK(xdp.symbols[1].start == xdp.symbols[0].end);
    REQUIRE_FALSE(xdp.relocs.empty());
    CHECK(xdp.relocs[0].symbol == "hits");
    CHECK(xdp.relocs[0].insn == 0);
}

TEST_CASE("raw encodings of every class decode after loading (LD_ABS/LD_IND, atomics, JMP32, byte swaps)") {
    Object o = load_ok("encodings");
    const Program& p = prog(o, "encodings");
    size_t packet = 0, atomics = 0, jmp32 = 0, endian = 0;
    for (const Insn& i : p.insns) {
        if (std::holds_alternative<LoadPacket>(i)) ++packet;
        if (std::holds_alternative<Atomic>(i)) ++atomics;
        if (auto* j = std::get_if<Jump>(&i); j && j->is32) ++jmp32;
        if (std::holds_alternative<Endian>(i)) ++endian;
    }
    CHECK(packet == 9);
    CHECK(atomics == 11);
    CHECK(jmp32 == 30);
    CHECK(endian == 6);
    CHECK(p.functions.size() == 1);
}
