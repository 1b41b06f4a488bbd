// Tests of the CFG builder (verifier/cfg.hpp) on small programs written with the conformance assembler
// (or hand-encoded where the assembler has no syntax), decoded with tailgate::decode().
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "verifier/assembler.hpp"
#include "verifier/cfg.hpp"

using namespace tailgate;

namespace {

Program make(std::string_view src, std::vector<Subprogram> functions = {}) {
    auto raw = assemble(src);
    REQUIRE_MESSAGE(raw.ok(), (raw.ok() ? "" : raw.error().message));
    Program p;
    p.name = "prog";
    p.raw = *raw;
    auto insns = decode(p.raw);
    REQUIRE_MESSAGE(insns.ok(), (insns.ok() ? "" : insns.error().message));
    p.insns = *insns;
    p.functions = std::move(functions);
    return p;
}

Cfg build(const Program& p) {
    auto cfg = build_cfg(p);
    REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
    return std::move(cfg).value();
}

std::string build_error(const Program& p) {
    auto cfg = build_cfg(p);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error().code == "invalid-instruction");
    return cfg.error().message;
}

bool has_edge(const Cfg& cfg, uint32_t from, uint32_t to, EdgeKind kind) {
    for (auto [b, k] : cfg.successors(from))
        if (b == to && k == kind) return true;
    return false;
}

} // namespace

TEST_CASE("straight line: one block, one exit") {
    Program p = make("mov %r0, 0\nexit\n");
    Cfg cfg = build(p);
    REQUIRE(cfg.num_blocks() == 1);
    REQUIRE(cfg.functions.size() == 1);
    const auto& f = cfg.functions[0];
    CHECK(f.name == "prog");
    CHECK(f.entry == 0);
    CHECK(f.exits == std::vector<uint32_t>{0});
    CHECK(f.unreachable.empty());
    CHECK(f.loops.empty());
    CHECK(f.reachable);
    CHECK(cfg.block(0).first == 0);
    CHECK(cfg.block(0).last == 1);
    CHECK(cfg.block(0).end == 2);
    CHECK(cfg.successors(0).empty());
    CHECK(cfg.idom[0] == kNoBlock);
}

TEST_CASE("diamond: edge kinds and dominators") {
    Program p = make(R"(
        jeq %r1, 0, other
        mov %r0, 1
        ja done
    other:
        mov %r0, 2
    done:
        exit
    )");
    Cfg cfg = build(p);
    REQUIRE(cfg.num_blocks() == 4);
    // b0 = [0], b1 = [1,2], b2 = [3], b3 = [4]
    CHECK(cfg.block_of == std::vector<uint32_t>{0, 1, 1, 2, 3});
    CHECK(has_edge(cfg, 0, 2, EdgeKind::Taken));
    CHECK(has_edge(cfg, 0, 1, EdgeKind::NotTaken));
    CHECK(has_edge(cfg, 1, 3, EdgeKind::Goto));
    CHECK(has_edge(cfg, 2, 3, EdgeKind::Fallthrough));
    CHECK(cfg.predecessors(3).size() == 2);
    CHECK(cfg.idom[1] == 0);
    CHECK(cfg.idom[2] == 0);
    CHECK(cfg.idom[3] == 0);
    CHECK(cfg.dominates(0, 3));
    CHECK_FALSE(cfg.dominates(1, 3));
    CHECK(cfg.dominates(3, 3));
    CHECK(cfg.functions[0].loops.empty());
    CHECK_FALSE(cfg.functions[0].irreducible);
    CHECK(cfg.functions[0].rpo.front() == 0);
    CHECK(cfg.functions[0].rpo.back() == 3);
}

TEST_CASE("nested loops: back edges, natural loops, innermost loop") {
    Program p = make(R"(
        mov %r1, 0
    outer:
        mov %r2, 0
    inner:
        add %r2, 1
        jlt %r2, 4, inner
        add %r1, 1
        jlt %r1, 8, outer
        mov %r0, 0
        exit
    )");
    Cfg cfg = build(p);
    // b0 = [0], b1 = [1] (outer header), b2 = [2,3] (inner), b3 = [4,5], b4 = [6,7]
    REQUIRE(cfg.num_blocks() == 5);
    const auto& f = cfg.functions[0];
    REQUIRE(f.loops.size() == 2);
    CHECK(f.loops[0].header == 1);
    CHECK(f.loops[0].blocks == std::vector<uint32_t>{1, 2, 3});
    CHECK(f.loops[0].latches == std::vector<uint32_t>{3});
    CHECK(f.loops[1].header == 2);
    CHECK(f.loops[1].blocks == std::vector<uint32_t>{2});
    CHECK(cfg.innermost_loop(2) == 1);
    CHECK(cfg.innermost_loop(3) == 0);
    CHECK(cfg.innermost_loop(0) == -1);
    CHECK(cfg.innermost_loop(4) == -1);
    int back = 0;
    for (auto [it, end] = boost::edges(cfg.graph); it != end; ++it) back += cfg.graph[*it].back;
    CHECK(back == 2);
    CHECK_FALSE(f.irreducible);
}

TEST_CASE("irreducible cycle is flagged, not a natural loop") {
    Program p = make(R"(
        jeq %r1, 0, b
    a:
        add %r2, 1
        jeq %r2, 5, out
    b:
        add %r2, 2
        jlt %r2, 10, a
    out:
        exit
    )");
    Cfg cfg = build(p);
    CHECK(cfg.functions[0].irreducible);
    CHECK(cfg.functions[0].loops.empty());
}

TEST_CASE("unreachable code") {
    Program p = make(R"(
        mov %r0, 0
        ja done
        mov %r0, 1
        mov %r0, 2
    done:
        exit
    )");
    Cfg cfg = build(p);
    const auto& f = cfg.functions[0];
    REQUIRE(f.unreachable.size() == 1);
    uint32_t dead = f.unreachable[0];
    CHECK(cfg.block(dead).first == 2);
    CHECK(cfg.block(dead).end == 4);
    CHECK_FALSE(cfg.block(dead).reachable);
    CHECK(cfg.idom[dead] == kNoBlock);
    CHECK(f.rpo.size() == 2);
    CHECK(f.exits.size() == 1);
}

TEST_CASE("bpf2bpf calls: functions, call graph, tail calls") {
    Program p = make(R"(
        mov %r6, %r1
        call local sub
        exit
    sub:
        mov %r2, 0
        mov %r3, 0
        call 12
        mov %r0, 0
        exit
    )");
    Cfg cfg = build(p);
    REQUIRE(cfg.functions.size() == 2);
    CHECK(cfg.functions[1].start == 3);
    CHECK(cfg.functions[1].end == 8);
    CHECK(cfg.functions[1].name == "func_3");
    CHECK(cfg.functions[1].reachable);
    CHECK(cfg.functions[1].has_tail_call);
    CHECK_FALSE(cfg.functions[0].has_tail_call);
    // the call stays inside its block; no edge crosses functions
    CHECK(cfg.num_blocks() == 2);
    CHECK(cfg.block(0).local_calls == std::vector<uint32_t>{1});
    CHECK(cfg.block(1).tail_calls == std::vector<uint32_t>{5});
    CHECK(cfg.successors(0).empty());
    REQUIRE(cfg.call_sites.size() == 1);
    CHECK(cfg.call_sites[0].insn == 1);
    CHECK(cfg.call_sites[0].caller == 0);
    CHECK(cfg.call_sites[0].callee == 1);
    CHECK(boost::num_edges(cfg.calls) == 1);
    CHECK_FALSE(cfg.recursive);
}

TEST_CASE("functions from the loader are used as given; unreachable functions and recursion") {
    Program p = make(R"(
        call local a
        exit
    a:
        call local a
        exit
    b:
        mov %r0, 0
        exit
    )",
                     {{"main", 0, 2}, {"a", 2, 4}, {"b", 4, 6}});
    Cfg cfg = build(p);
    REQUIRE(cfg.functions.size() == 3);
    CHECK(cfg.functions[1].name == "a");
    CHECK(cfg.functions[1].reachable);
    CHECK_FALSE(cfg.functions[2].reachable);
    CHECK(cfg.recursive);
}

TEST_CASE("callbacks: lddw pseudo-func is a call-graph edge") {
    // r2 = callback (pseudo 4, imm relative to the next slot); call bpf_loop (181); exit; callback: r0 = 0;
    // exit
    std::vector<RawInsn> raw(8);
    raw[0] = RawInsn{0xb7, 1, 0, 0, 4}; // r1 = 4
    raw[1] = RawInsn{0x18, 2, 4, 0, 4}; // lddw r2, func at 2 + 1 + 4 = 7 ... (second slot follows)
    raw[2] = RawInsn{0x00, 0, 0, 0, 0};
    raw[3] = RawInsn{0xb7, 3, 0, 0, 0};   // r3 = 0
    raw[4] = RawInsn{0xb7, 4, 0, 0, 0};   // r4 = 0
    raw[5] = RawInsn{0x85, 0, 0, 0, 181}; // call bpf_loop
    raw[6] = RawInsn{0x95, 0, 0, 0, 0};   // exit
    raw[7] = RawInsn{0xb7, 0, 0, 0, 0};   // callback: r0 = 0
    raw.push_back(RawInsn{0x95, 0, 0, 0, 0});
    raw[1].imm = 7 - 1 - 1; // relative to slot 1 + 1
    Program p;
    p.name = "cb";
    p.raw = raw;
    auto insns = decode(raw);
    REQUIRE(insns.ok());
    p.insns = *insns;
    Cfg cfg = build(p);
    REQUIRE(cfg.functions.size() == 2);
    CHECK(cfg.functions[1].start == 7);
    REQUIRE(cfg.call_sites.size() == 1);
    CHECK(cfg.call_sites[0].kind == CallKind::Callback);
    CHECK(cfg.call_sites[0].insn == 1);
    CHECK(cfg.functions[1].reachable);
    CHECK(cfg.block_of[2] == cfg.block_of[1]); // the lddw's second slot is in its block
}

TEST_CASE("structural errors follow check_subprogs()") {
    SUBCASE("jump out of the function") {
        Program p = make(R"(
            jeq %r1, 0, sub
            call local sub
            exit
        sub:
            mov %r0, 0
            exit
        )");
        CHECK(build_error(p).find("jump out of range from insn 0 to 3") != std::string::npos);
    }
    SUBCASE("last insn not exit or jmp") {
        Program p = make("mov %r0, 0\nexit\nmov %r0, 1\n");
        CHECK(build_error(p).find("last insn is not an exit or jmp") != std::string::npos);
    }
    SUBCASE("fallthrough into the next function") {
        Program p = make("mov %r0, 0\nmov %r0, 1\nexit\n", {{"main", 0, 1}, {"f", 1, 3}});
        CHECK(build_error(p).find("insn 0: last insn") == 0);
    }
    SUBCASE("call to the middle of a function") {
        Program p =
            make("call local mid\nexit\nmov %r0, 0\nmid:\nmov %r0, 1\nexit\n", {{"main", 0, 2}, {"f", 2, 5}});
        CHECK(build_error(p).find("not the start of a function") != std::string::npos);
    }
    SUBCASE("empty program") {
        Program p;
        CHECK(build_error(p).find("no instructions") != std::string::npos);
    }
}

TEST_CASE("dot and json output") {
    Program p = make(R"(
        mov %r1, 0
    loop:
        add %r1, 1
        jlt %r1, 4, loop
        call local sub
        exit
    sub:
        mov %r0, 0
        exit
    )");
    Cfg cfg = build(p);
    std::string dot = cfg_to_dot(cfg, p);
    CHECK(dot.rfind("digraph \"prog\"", 0) == 0);
    CHECK(dot.find("subgraph cluster_f1") != std::string::npos);
    CHECK(dot.find("style=dashed") != std::string::npos); // the back edge
    CHECK(dot.find("call @3") != std::string::npos);
    CHECK(dot.find("r1 += 1") != std::string::npos);
    auto j = nlohmann::json::parse(cfg_to_json(cfg, p));
    CHECK(j["program"] == "prog");
    REQUIRE(j["functions"].size() == 2);
    CHECK(j["functions"][0]["loops"].size() == 1);
    CHECK(j["functions"][0]["loops"][0]["header"] == 1);
    CHECK(j["calls"][0]["callee"] == "func_5");
    CHECK(j["calls"][0]["insn"] == 3);
    CHECK(j["recursive"] == false);
    bool saw_back = false;
    for (const auto& b : j["functions"][0]["blocks"])
        for (const auto& s : b["succs"]) saw_back = saw_back || s["back"].get<bool>();
    CHECK(saw_back);
    CHECK(j["functions"][0]["blocks"][0]["idom"].is_null());
}
