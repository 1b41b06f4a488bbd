// Runtime tests: maps (kernel errno results, flags, LRU, global data, prog arrays under concurrent
// updates), contexts (BPF_PROG_TEST_RUN layouts, xdp_adjust_*), the ctx-access rewrite and its inference,
// helpers (formatting, checksums, redirects, packet access), and the Runtime end to end on both engines:
// the kernel's tail-call expectations and the embedding API for host helpers.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <linux/bpf.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>

#include "runtime/context.hpp"
#include "runtime/helpers_impl.hpp"
#include "runtime/maps.hpp"
#include "runtime/runtime.hpp"
#include "verifier/ctx_conversion.hpp"
#include "verifier/ctx_layout.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

MapDef def(const std::string& name, MapType t, uint32_t k, uint32_t v, uint32_t n) {
    MapDef d;
    d.name = name;
    d.type = t;
    d.key_size = k;
    d.value_size = v;
    d.max_entries = n;
    return d;
}

std::unique_ptr<Map> make(const MapDef& d) {
    auto m = Map::create(d);
    REQUIRE(m.ok());
    return std::move(m).value();
}

// A 54-byte Ethernet + IPv4 + TCP frame (dst MAC all zero: PACKET_HOST on loopback).
std::vector<uint8_t> tcp4() {
    std::vector<uint8_t> p(54, 0);
    p[12] = 0x08, p[13] = 0x00;          // EtherType IPv4
    p[14] = 0x45, p[16] = 0, p[17] = 40; // version/IHL, total length 40
    p[22] = 64, p[23] = 6;               // TTL, protocol TCP
    uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    std::memcpy(&p[26], src, 4);
    std::memcpy(&p[30], dst, 4);
    p[34] = 0x30, p[35] = 0x39, p[36] = 0, p[37] = 80; // ports 12345 -> 80
    return p;
}

uint16_t ipv4_checksum(const uint8_t* ip) {
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

} // namespace

// ---- maps -------------------------------------------------------------------------------------------------

TEST_CASE("array map: kernel errno results, flags, get_next_key") {
    auto m = make(def("a", MapType::Array, 4, 8, 4));
    uint32_t k = 2;
    uint64_t v = 77, out = 0;
    CHECK(m->lookup(&k) != nullptr);
    CHECK(m->update(&k, &v, kBpfAny) == 0);
    CHECK(m->lookup_copy(&k, &out) == 0);
    CHECK(out == 77);
    CHECK(m->update(&k, &v, kBpfNoExist) == -kEEXIST); // array elements always exist
    CHECK(m->update(&k, &v, kBpfExist) == 0);
    CHECK(m->update(&k, &v, 3) == -kEINVAL);
    k = 4;
    CHECK(m->lookup(&k) == nullptr);
    CHECK(m->update(&k, &v, kBpfAny) == -kE2BIG);
    CHECK(m->remove(&k) == -kEINVAL);
    uint32_t next = 99;
    CHECK(m->get_next_key(nullptr, &next) == 0);
    CHECK(next == 0);
    k = 2;
    CHECK(m->get_next_key(&k, &next) == 0);
    CHECK(next == 3);
    k = 3;
    CHECK(m->get_next_key(&k, &next) == -kENOENT);
    // Values are 8-byte aligned and contiguous (elem_size = round_up(value_size, 8)).
    CHECK(m->entry().value_base != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(m->entry().value_base) % 8 == 0);
}

TEST_CASE("map definitions are checked like the kernel's map_alloc_check") {
    CHECK(!Map::create(def("a", MapType::Array, 8, 8, 4)).ok());
    CHECK(!Map::create(def("a", MapType::Array, 4, 0, 4)).ok());
    CHECK(!Map::create(def("h", MapType::Hash, 4, 8, 0)).ok());
    CHECK(!Map::create(def("h", MapType::Hash, 0, 8, 4)).ok());
    CHECK(!Map::create(def("p", MapType::ProgArray, 4, 8, 4)).ok());
    CHECK(!Map::create(def("q", MapType::Queue, 4, 8, 4)).ok());
    auto bad = Map::create(def("s", MapType::Sockmap, 4, 4, 4));
    REQUIRE(!bad.ok());
    CHECK(bad.error().code == "unsupported-map-type");
}

TEST_CASE("hash map: NOEXIST/EXIST, full, delete, stable value pointers") {
    auto m = make(def("h", MapType::Hash, 4, 4, 2));
    uint32_t k1 = 1, k2 = 2, k3 = 3, v = 10;
    CHECK(m->update(&k1, &v, kBpfExist) == -kENOENT);
    CHECK(m->update(&k1, &v, kBpfNoExist) == 0);
    CHECK(m->update(&k1, &v, kBpfNoExist) == -kEEXIST);
    void* p1 = m->lookup(&k1);
    REQUIRE(p1 != nullptr);
    v = 11;
    CHECK(m->update(&k1, &v, kBpfExist) == 0);
    CHECK(m->lookup(&k1) == p1); // replaced in place
    CHECK(*static_cast<uint32_t*>(p1) == 11);
    CHECK(m->update(&k2, &v, kBpfAny) == 0);
    CHECK(m->update(&k3, &v, kBpfAny) == -kE2BIG);
    CHECK(m->update(&k3, &v, 4 | 8) == -kEINVAL);
    CHECK(m->remove(&k3) == -kENOENT);
    CHECK(m->remove(&k1) == 0);
    CHECK(m->lookup(&k1) == nullptr);
    CHECK(m->update(&k3, &v, kBpfAny) == 0);
    CHECK(m->size() == 2);
    std::set<uint32_t> keys;
    uint32_t cur, next;
    int r = m->get_next_key(nullptr, &next);
    while (r == 0) {
        keys.insert(next);
        cur = next;
        r = m->get_next_key(&cur, &next);
    }
    CHECK(keys == std::set<uint32_t>{2, 3});
}

TEST_CASE("a value's bpf_spin_lock word is never copied; BPF_F_LOCK needs one (copy_map_value)") {
    struct Val {
        uint32_t a, lock, b;
    };
    for (MapType t : {MapType::Array, MapType::Hash}) {
        MapDef d = def("locked", t, 4, sizeof(Val), 2);
        d.spin_lock_off = 4;
        auto m = make(d);
        uint32_t k = 1;
        Val v{7, 0xdead, 9};
        CHECK(m->update(&k, &v, kBpfAny) == 0);
        auto* stored = static_cast<Val*>(m->lookup(&k));
        REQUIRE(stored != nullptr);
        CHECK(stored->a == 7);
        CHECK(stored->lock == 0); // a new element's lock is free, whatever the source holds there
        CHECK(stored->b == 9);
        stored->lock = 1; // held by a program
        v = {8, 0, 10};
        CHECK(m->update(&k, &v, kBpfExist) == 0);
        CHECK(stored->lock == 1); // an update does not release it
        CHECK(stored->a == 8);
        Val out{};
        CHECK(m->lookup_copy(&k, &out) == 0);
        CHECK(out.lock == 0); // masked (check_and_init_map_value())
        CHECK(out.b == 10);
        stored->lock = 0;
        v.a = 11;
        CHECK(m->update(&k, &v, kBpfExist | kBpfFLock) == 0); // takes and releases the element's lock
        CHECK(stored->a == 11);
        CHECK(stored->lock == 0);
    }
    auto plain = make(def("plain", MapType::Array, 4, 4, 2));
    uint32_t k = 0, v = 1;
    CHECK(plain->update(&k, &v, kBpfFLock) == -kEINVAL); // no lock in the value
    auto lru = make(def("lru", MapType::LruHash, 4, 4, 2));
    CHECK(lru->update(&k, &v, kBpfFLock) == -kEINVAL); // htab_lru_map_update_elem(): flags > BPF_EXIST
}

TEST_CASE("LRU hash evicts the least recently used element; lookups refresh") {
    auto m = make(def("l", MapType::LruHash, 4, 4, 2));
    uint32_t k1 = 1, k2 = 2, k3 = 3, v = 5;
    CHECK(m->update(&k1, &v, kBpfAny) == 0);
    CHECK(m->update(&k2, &v, kBpfAny) == 0);
    CHECK(m->lookup(&k1) != nullptr); // k2 is now the LRU
    CHECK(m->update(&k3, &v, kBpfNoExist) == 0);
    CHECK(m->lookup(&k2) == nullptr);
    CHECK(m->lookup(&k1) != nullptr);
    CHECK(m->lookup(&k3) != nullptr);
    CHECK(m->update(&k3, &v, kBpfNoExist) == -kEEXIST);
}

TEST_CASE("percpu maps behave as one CPU") {
    auto a = make(def("pa", MapType::PercpuArray, 4, 8, 1));
    uint32_t k = 0;
    uint64_t v = 9;
    CHECK(a->update(&k, &v, kBpfAny) == 0);
    CHECK(*static_cast<uint64_t*>(a->lookup(&k)) == 9);
    auto h = make(def("ph", MapType::PercpuHash, 8, 8, 4));
    uint64_t hk = 42;
    CHECK(h->update(&hk, &v, kBpfNoExist) == 0);
    CHECK(*static_cast<uint64_t*>(h->lookup(&hk)) == 9);
}

TEST_CASE("global data maps: initial image, .rodata read-only") {
    MapDef d = def(".data", MapType::Array, 4, 8, 1);
    d.origin = MapOrigin::GlobalData;
    d.initial_value = {1, 2, 3, 4, 5, 6, 7, 8};
    auto m = make(d);
    CHECK(std::memcmp(m->entry().value_base, d.initial_value.data(), 8) == 0);
    MapDef ro = d;
    ro.name = ".rodata";
    ro.readonly = true;
    auto r = make(ro);
    uint32_t k = 0;
    uint64_t v = 0;
    CHECK(r->update(&k, &v, kBpfAny) == -kEPERM);
    CHECK(r->entry().value_base[0] == 1);
}

TEST_CASE("queue, stack, bloom filter, ring buffer") {
    auto q = make(def("q", MapType::Queue, 0, 4, 2));
    uint32_t a = 1, b = 2, c = 3, out = 0;
    CHECK(q->push(&a, kBpfAny) == 0);
    CHECK(q->push(&b, kBpfAny) == 0);
    CHECK(q->push(&c, kBpfAny) == -kE2BIG);
    CHECK(q->push(&c, kBpfExist) == 0); // overwrite the oldest
    CHECK(q->pop(&out) == 0);
    CHECK(out == 2);
    CHECK(q->pop(&out) == 0);
    CHECK(out == 3);
    CHECK(q->pop(&out) == -kENOENT);
    auto s = make(def("s", MapType::Stack, 0, 4, 2));
    CHECK(s->push(&a, kBpfAny) == 0);
    CHECK(s->push(&b, kBpfAny) == 0);
    CHECK(s->peek(&out) == 0);
    CHECK(out == 2);
    auto bl = make(def("b", MapType::BloomFilter, 0, 4, 8));
    CHECK(bl->push(&a, kBpfAny) == 0);
    CHECK(bl->peek(&a) == 0);
    CHECK(bl->peek(&b) == -kENOENT);
    auto rb = make(def("rb", MapType::Ringbuf, 0, 0, 4096));
    uint8_t* p = rb->ringbuf_reserve(16);
    REQUIRE(p != nullptr);
    std::memset(p, 0xab, 16);
    uint8_t* d = rb->ringbuf_reserve(8);
    rb->ringbuf_commit(p, false);
    rb->ringbuf_commit(d, true);
    CHECK(rb->ringbuf_reserve(5000) == nullptr);
    auto recs = rb->ringbuf_drain();
    REQUIRE(recs.size() == 1);
    CHECK(recs[0] == std::vector<uint8_t>(16, 0xab));
    CHECK(rb->ringbuf_pending_bytes() == 0);
}

TEST_CASE("prog array: kernel update rules and atomic slot updates from another thread") {
    auto m = make(def("pa", MapType::ProgArray, 4, 4, 4));
    LoadedProgram p1, p2;
    CHECK(m->set_prog_slot(1, &p1, kBpfNoExist) == -kEINVAL);
    CHECK(m->set_prog_slot(4, &p1) == -kE2BIG);
    CHECK(m->clear_prog_slot(1) == -kENOENT);
    CHECK(m->set_prog_slot(1, &p1) == 0);
    CHECK(m->prog_slot(1) == &p1);
    CHECK(m->entry().progs == m->prog_array());
    CHECK(m->entry().map == nullptr);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; i < 20000; ++i) m->set_prog_slot(1, (i & 1) ? &p1 : &p2);
        stop = true;
    });
    bool torn = false;
    while (!stop) {
        const LoadedProgram* p = m->prog_array()->get(1);
        torn = torn || (p != &p1 && p != &p2);
    }
    writer.join();
    CHECK(!torn);
    CHECK(m->clear_prog_slot(1) == 0);
    CHECK(m->prog_slot(1) == nullptr);
}

// ---- contexts ---------------------------------------------------------------------------------------------

TEST_CASE("xdp context: test_run layout and adjust_head/meta/tail") {
    auto c = Context::build(ProgType::Xdp, {tcp4(), {}});
    REQUIRE(c.ok());
    Context& x = **c;
    CHECK(x.packet().size() == 54);
    CHECK(std::memcmp(x.data(), tcp4().data(), 54) == 0);
    CHECK(x.data_meta() == x.data());
    uint8_t* data = x.data();
    CHECK(x.xdp_adjust_head(-14) == 0);
    CHECK(x.data() == data - 14);
    CHECK(x.xdp_adjust_head(14) == 0);
    CHECK(x.xdp_adjust_head(54 - 14 + 1) == -kEINVAL); // data > data_end - ETH_HLEN
    CHECK(x.xdp_adjust_head(-300) == -kEINVAL);        // below data_hard_start + sizeof(xdp_frame)
    CHECK(x.xdp_adjust_meta(-8) == 0);
    CHECK(x.data() - x.data_meta() == 8);
    CHECK(x.xdp_adjust_meta(-2) == -kEACCES);  // metalen 10: not a multiple of 4
    CHECK(x.xdp_adjust_meta(-28) == -kEACCES); // metalen 36 > 32
    CHECK(x.xdp_adjust_tail(100) == 0);
    CHECK(x.packet().size() == 154);
    CHECK(x.packet()[153] == 0);
    CHECK(x.xdp_adjust_tail(-141) == -kEINVAL); // below ETH_HLEN
    CHECK(x.xdp_adjust_tail(4096) == -kEINVAL);
    x.reset();
    CHECK(x.packet().size() == 54);
    CHECK(x.data_meta() == x.data());
    // The runtime ctx: u32 uapi fields then real pointers.
    uint8_t* p;
    std::memcpy(&p, static_cast<uint8_t*>(x.ctx()) + kXdpDataPtr, 8);
    CHECK(p == x.data());
    uint32_t ifindex;
    std::memcpy(&ifindex, static_cast<uint8_t*>(x.ctx()) + offsetof(struct xdp_md, ingress_ifindex), 4);
    CHECK(ifindex == 1);
}

TEST_CASE("skb contexts: tc at the Ethernet header, socket filters at the network header") {
    auto tc = Context::build(ProgType::SchedCls, {tcp4(), {}});
    REQUIRE(tc.ok());
    Context& t = **tc;
    CHECK(t.skb_field(offsetof(struct __sk_buff, len)) == 54);
    CHECK(t.skb_field(offsetof(struct __sk_buff, protocol)) == 0x0008); // htons(ETH_P_IP) as stored
    CHECK(t.skb_field(offsetof(struct __sk_buff, pkt_type)) == 0);
    CHECK(t.data()[12] == 0x08);
    for (int i = 0; i < 5; ++i) CHECK(t.skb_field(offsetof(struct __sk_buff, cb) + 4 * i) == 0);
    auto so = Context::build(ProgType::SocketFilter, {tcp4(), {}});
    REQUIRE(so.ok());
    CHECK((*so)->skb_field(offsetof(struct __sk_buff, len)) == 40);
    CHECK((*so)->data()[0] == 0x45);
    CHECK((*so)->ld_abs_len() == 40);
    auto shortp = Context::build(ProgType::SchedCls, {std::vector<uint8_t>(10, 0), {}});
    REQUIRE(!shortp.ok());
    CHECK(shortp.error().code == "bad-input");
    CHECK(t.skb_change_tail(60) == 0);
    CHECK(t.skb_field(offsetof(struct __sk_buff, len)) == 60);
    CHECK(t.skb_change_head(4) == 0);
    CHECK(t.skb_field(offsetof(struct __sk_buff, len)) == 64);
}

TEST_CASE("argument contexts: pt_regs and raw tracepoint args") {
    auto k = Context::build(ProgType::Kprobe, {{}, {5, 7}});
    REQUIRE(k.ok());
    uint64_t di, si;
    std::memcpy(&di, static_cast<uint8_t*>((*k)->ctx()) + 112, 8);
    std::memcpy(&si, static_cast<uint8_t*>((*k)->ctx()) + 104, 8);
    CHECK(di == 5);
    CHECK(si == 7);
    auto r = Context::build(ProgType::RawTracepoint, {{}, {1, 2, 3}});
    REQUIRE(r.ok());
    CHECK(static_cast<uint64_t*>((*r)->ctx())[2] == 3);
    CHECK(!Context::build(ProgType::Kprobe, {{}, {1, 2, 3, 4, 5, 6, 7}}).ok());
}

// ---- ctx-access rewrite
// ------------------------------------------------------------------------------------

TEST_CASE("ctx rewrite turns u32 pointer-field loads into u64 loads of the runtime pointers") {
    std::vector<Insn> insns = {
        Load{kR2, kR1, 0, 4, false},  // xdp_md->data
        Load{kR3, kR1, 4, 4, false},  // xdp_md->data_end
        Load{kR4, kR1, 12, 4, false}, // ingress_ifindex: unchanged
        Exit{},
    };
    std::vector<CtxAccessSite> sites = {{0, 0, 4, false}, {1, 4, 4, false}, {2, 12, 4, false}};
    REQUIRE(rewrite_ctx_accesses(ProgType::Xdp, insns, sites).ok());
    CHECK(std::get<Load>(insns[0]).off == int16_t(kXdpDataPtr));
    CHECK(std::get<Load>(insns[0]).width == 8);
    CHECK(std::get<Load>(insns[1]).off == int16_t(kXdpDataEndPtr));
    CHECK(std::get<Load>(insns[2]).off == 12);
    CHECK(std::get<Load>(insns[2]).width == 4);
    std::vector<Insn> bad = {Store{kR1, 76, 4, Operand::of_imm(0)}, Exit{}};
    std::vector<CtxAccessSite> bad_sites = {{0, 76, 4, true}};
    CHECK(!rewrite_ctx_accesses(ProgType::SchedCls, bad, bad_sites).ok());
}

TEST_CASE("ctx access inference follows copies and spills of r1") {
    Program p;
    p.name = "t";
    p.type = ProgType::Xdp;
    p.insns = {
        Alu{AluOp::Mov, true, kR6, Operand::of_reg(kR1)}, // r6 = ctx
        Store{kR10, -8, 8, Operand::of_reg(kR6)},         // spill
        Alu{AluOp::Mov, true, kR1, Operand::of_imm(0)},   // r1 no longer ctx
        Load{kR2, kR6, 0, 4, false},                      // ctx access via r6
        Load{kR7, kR10, -8, 8, false},                    // fill: r7 = ctx
        Load{kR3, kR7, 4, 4, false},                      // ctx access via r7
        Load{kR4, kR1, 0, 4, false},                      // not ctx
        Exit{},
    };
    auto sites = infer_ctx_accesses(p);
    REQUIRE(sites.size() == 2);
    CHECK(sites[0].insn == 3);
    CHECK(sites[1].insn == 5);
    CHECK(sites[1].ctx_offset == 4);
}

// ---- helpers ----------------------------------------------------------------------------------------------

TEST_CASE("trace_printk formats like the kernel's bpf_bprintf_prepare subset") {
    const char s[] = "hi";
    auto f = [](const char* fmt, std::vector<uint64_t> a) {
        return format_trace(fmt, uint32_t(std::strlen(fmt) + 1), a);
    };
    CHECK(f("%d %u %x", {uint64_t(-1), uint64_t(-1), 255}) == std::string("-1 4294967295 ff"));
    CHECK(f("%llu %lld %llx", {uint64_t(-1), uint64_t(-2), 0x1234}) ==
          std::string("18446744073709551615 -2 1234"));
    CHECK(f("[%s] %5d %%", {reinterpret_cast<uint64_t>(s), 42, 0}) == std::string("[hi]    42 %"));
    CHECK(!f("%q", {1, 2, 3}).has_value());
    CHECK(!f("%d %d %d %d", {1, 2, 3}).has_value());
    CHECK(!format_trace("abc", 3, {}).has_value()); // no NUL inside fmt_size
    HostState h;
    h.trace_out = nullptr;
    ExecEnv env;
    env.host = &h;
    HelperFn printk = builtin_helper_fn(6);
    REQUIRE(bool(printk != nullptr));
    const char fmt[] = "x=%d\n";
    CHECK(printk(reinterpret_cast<uint64_t>(fmt), sizeof fmt, 7, 0, 0, &env) == 4);
    CHECK(h.trace_log == "x=7\n");
}

// kernel: helpers.c bpf_strtol() / bpf_strtoul() on the cases tools/testing/selftests' test_sysctl exercises
TEST_CASE("strtol / strtoul parse like the kernel's __bpf_strtoull") {
    HelperFn strtol_fn = builtin_helper_fn(105), strtoul_fn = builtin_helper_fn(106);
    REQUIRE(bool(strtol_fn != nullptr));
    REQUIRE(bool(strtoul_fn != nullptr));
    auto run = [](HelperFn fn, std::string_view str, uint64_t flags, int64_t& out) {
        out = 0x5a5a;
        return int64_t(fn(reinterpret_cast<uint64_t>(str.data()), str.size(), flags,
                          reinterpret_cast<uint64_t>(&out), 0, nullptr));
    };
    int64_t v = 0;
    CHECK(run(strtol_fn, "600", 0, v) == 3);
    CHECK(v == 600);
    CHECK(run(strtol_fn, "  -42 rest", 0, v) == 5);
    CHECK(v == -42);
    CHECK(run(strtol_fn, "0x1f", 0, v) == 4);
    CHECK(v == 31);
    CHECK(run(strtol_fn, "0x1f", 16, v) == 4);
    CHECK(v == 31);
    CHECK(run(strtol_fn, "017", 0, v) == 3);
    CHECK(v == 15);
    CHECK(run(strtol_fn, "019", 8, v) == 2); // '9' is not octal: stops after "01"
    CHECK(v == 1);
    CHECK(run(strtol_fn, "abc", 10, v) == -22); // no digits: -EINVAL, result zeroed
    CHECK(v == 0);
    CHECK(run(strtol_fn, "10", 7, v) == -22);         // base must be 0, 8, 10 or 16
    CHECK(run(strtol_fn, "10", 0x20 | 10, v) == -22); // unknown flag bits
    CHECK(run(strtol_fn, "   ", 0, v) == -22);
    CHECK(run(strtol_fn, "9223372036854775807", 0, v) == 19);
    CHECK(v == INT64_MAX);
    CHECK(run(strtol_fn, "9223372036854775808", 0, v) == -34); // -ERANGE
    CHECK(run(strtol_fn, "-9223372036854775808", 0, v) == 20);
    CHECK(v == INT64_MIN);
    CHECK(run(strtol_fn, "99999999999999999999", 0, v) == -34);
    CHECK(run(strtoul_fn, "18446744073709551615", 0, v) == 20);
    CHECK(uint64_t(v) == UINT64_MAX);
    CHECK(run(strtoul_fn, "-1", 0, v) == -22); // strtoul refuses a sign
    CHECK(v == 0);
    CHECK(run(strtoul_fn, "4096\n", 10, v) == 4);
    CHECK(v == 4096);
}

// A helper only program types without a run-time context may call (sock_ops' setsockopt, ...) needs none:
// such programs never run here (Context::build refuses them), and an engine meeting a helper it lacks
// faults cleanly (RunFault::UnknownHelper).
TEST_CASE("every helper of the verifier's table that a runnable program may call has an implementation") {
    std::vector<ProgType> runnable;
    for (uint32_t t = 0; t < 64; ++t)
        if (builds_context(ProgType(t))) runnable.push_back(ProgType(t));
    if (builds_context(ProgType::GenericProbe)) runnable.push_back(ProgType::GenericProbe);
    CHECK(runnable.size() > 10);
    CHECK_FALSE(builds_context(ProgType::SockOps));
    size_t checked = 0;
    for (const HelperProto& p : builtin_helpers()) {
        if (p.id == kHelperTailCall) continue;
        bool callable = false;
        for (ProgType t : runnable) callable = callable || p.prog_types.contains(t);
        if (!callable) continue;
        ++checked;
        CAPTURE(p.name);
        CHECK(bool(builtin_helper_fn(p.id) != nullptr));
    }
    CHECK(checked > 90);
}

TEST_CASE("checksum helpers keep an IPv4 header checksum valid") {
    auto c = Context::build(ProgType::SchedCls, {tcp4(), {}});
    REQUIRE(c.ok());
    Context& x = **c;
    uint8_t* ip = x.data() + 14;
    uint16_t ck = ipv4_checksum(ip);
    ip[10] = uint8_t(ck >> 8), ip[11] = uint8_t(ck);
    CHECK(ipv4_checksum(ip) == 0);
    HostState h;
    h.begin_run(&x, ProgType::SchedCls);
    ExecEnv env;
    env.host = &h;
    // Change the TTL/protocol word from 0x4006 to 0x3f06 and fix the checksum with l3_csum_replace.
    uint16_t old_be, new_be;
    std::memcpy(&old_be, ip + 8, 2);
    ip[8] = 63;
    std::memcpy(&new_be, ip + 8, 2);
    CHECK(builtin_helper_fn(10)(0, 14 + 10, old_be, new_be, 2, &env) == 0);
    CHECK(ipv4_checksum(ip) == 0);
    // csum_diff of a 4-byte change, folded, matches the same update.
    uint32_t from = 0x01020304, to = 0x05060708;
    uint64_t d = builtin_helper_fn(28)(reinterpret_cast<uint64_t>(&from), 4, reinterpret_cast<uint64_t>(&to),
                                       4, 0, &env);
    CHECK(d == csum_partial(std::vector<uint32_t>{~from, to}.data(), 8, 0));
    CHECK(int64_t(builtin_helper_fn(28)(reinterpret_cast<uint64_t>(&from), 3, 0, 0, 0, &env)) == -kEINVAL);
    CHECK(int64_t(builtin_helper_fn(10)(0, 14 + 10, 0, 0, 8, &env)) == -kEINVAL);
}

TEST_CASE("packet load/store helpers check bounds; redirects are recorded") {
    auto c = Context::build(ProgType::SchedCls, {tcp4(), {}});
    REQUIRE(c.ok());
    HostState h;
    h.begin_run(c->get(), ProgType::SchedCls);
    ExecEnv env;
    env.host = &h;
    uint8_t buf[8];
    CHECK(builtin_helper_fn(26)(0, 12, reinterpret_cast<uint64_t>(buf), 2, 0, &env) == 0);
    CHECK(buf[0] == 0x08);
    CHECK(int64_t(builtin_helper_fn(26)(0, 50, reinterpret_cast<uint64_t>(buf), 8, 0, &env)) == -kEFAULT);
    CHECK(buf[0] == 0); // cleared on failure
    uint8_t mac[2] = {0xaa, 0xbb};
    CHECK(builtin_helper_fn(9)(0, 0, reinterpret_cast<uint64_t>(mac), 2, 0, &env) == 0);
    CHECK((*c)->data()[0] == 0xaa);
    CHECK(int64_t(builtin_helper_fn(9)(0, 53, reinterpret_cast<uint64_t>(mac), 2, 0, &env)) == -kEFAULT);
    CHECK(builtin_helper_fn(23)(3, 0, 0, 0, 0, &env) == 7); // TC_ACT_REDIRECT
    REQUIRE(h.redirect.has_value());
    CHECK(h.redirect->target == 3);
    CHECK(builtin_helper_fn(23)(3, 8, 0, 0, 0, &env) == 2); // bad flags: TC_ACT_SHOT

    auto xc = Context::build(ProgType::Xdp, {tcp4(), {}});
    REQUIRE(xc.ok());
    h.begin_run(xc->get(), ProgType::Xdp);
    CHECK(builtin_helper_fn(23)(5, 0, 0, 0, 0, &env) == 4); // XDP_REDIRECT
    CHECK(builtin_helper_fn(23)(5, 1, 0, 0, 0, &env) == 0); // flags: XDP_ABORTED
    auto dm = make(def("devs", MapType::Devmap, 4, 4, 8));
    uint32_t key = 2, ifx = 3;
    REQUIRE(dm->update(&key, &ifx, kBpfAny) == 0);
    MapEntry e = dm->entry();
    uint64_t mp = reinterpret_cast<uint64_t>(&e);
    CHECK(builtin_helper_fn(51)(mp, 2, 0, 0, 0, &env) == 4);
    CHECK(h.redirect->map == "devs");
    CHECK(builtin_helper_fn(51)(mp, 5, 2, 0, 0, &env) == 2); // absent: the action in the low flag bits
    CHECK(builtin_helper_fn(189)(0, 12, reinterpret_cast<uint64_t>(buf), 2, 0, &env) == 0);
    CHECK(int64_t(builtin_helper_fn(189)(0, 60, reinterpret_cast<uint64_t>(buf), 2, 0, &env)) == -kEINVAL);
}

TEST_CASE("probe_write_user has no user memory to write: -EFAULT, nothing written") {
    // the runtime's memory plays the kernel's; copy_to_user_nofault() refuses kernel addresses
    HostState h;
    ExecEnv env;
    env.host = &h;
    uint64_t target = 7, value = 0x4141414141414141ULL;
    CHECK(int64_t(builtin_helper_fn(36)(reinterpret_cast<uint64_t>(&target),
                                        reinterpret_cast<uint64_t>(&value), 8, 0, 0, &env)) == -kEFAULT);
    CHECK(target == 7);
}

TEST_CASE("get_prandom_u32 is seeded per runtime state") {
    HostState a, b;
    a.prng = b.prng = 1234;
    ExecEnv ea, eb;
    ea.host = &a;
    eb.host = &b;
    HelperFn r = builtin_helper_fn(7);
    uint64_t x1 = r(0, 0, 0, 0, 0, &ea), x2 = r(0, 0, 0, 0, 0, &ea);
    CHECK(x1 != x2);
    CHECK(r(0, 0, 0, 0, 0, &eb) == x1);
    CHECK(x1 <= 0xffffffffu);
}

// ---- the Runtime end to end
// --------------------------------------------------------------------------------

namespace {

Insn mov(Reg d, int64_t imm) {
    return Alu{AluOp::Mov, true, d, Operand::of_imm(imm)};
}
Insn movr(Reg d, Reg s) {
    return Alu{AluOp::Mov, true, d, Operand::of_reg(s)};
}
void lddw(std::vector<Insn>& p, Reg d, uint8_t pseudo, int32_t lo, int32_t hi = 0) {
    p.push_back(LoadImm64{d, pseudo, lo, hi});
    p.push_back(LddwHigh{});
}

Program program(const std::string& name, ProgType type, std::vector<Insn> insns,
                std::vector<Subprogram> extra_functions = {}) {
    Program p;
    p.name = name;
    p.section = "test";
    p.type = type;
    p.insns = std::move(insns);
    for (uint32_t i = 0; i < p.insns.size(); ++i) {
        auto enc = encode(p.insns[i], i);
        p.raw.push_back(enc.empty() ? RawInsn{} : enc[0]);
    }
    p.functions.push_back(Subprogram{name, 0, uint32_t(p.insns.size())});
    for (auto& f : extra_functions) p.functions.push_back(f);
    p.lines.resize(p.insns.size());
    return p;
}

// Map 0: prog array "jt" (4 slots); map 1: ".bss" (one u32 counter).
Object tail_object() {
    Object o;
    o.path = "tail_object";
    o.license = "GPL";
    MapDef jt = def("jt", MapType::ProgArray, 4, 4, 4);
    MapDef bss = def(".bss", MapType::Array, 4, 4, 1);
    bss.origin = MapOrigin::GlobalData;
    bss.initial_value.assign(4, 0);
    o.maps = {jt, bss};
    // chain: runs++; tail_call(ctx, jt, 0); return runs
    std::vector<Insn> chain = {movr(kR6, kR1)};
    lddw(chain, kR7, 2, 1, 0); // r7 = &.bss
    chain.push_back(Load{kR2, kR7, 0, 4, false});
    chain.push_back(Alu{AluOp::Add, true, kR2, Operand::of_imm(1)});
    chain.push_back(Store{kR7, 0, 4, Operand::of_reg(kR2)});
    chain.push_back(movr(kR1, kR6));
    lddw(chain, kR2, 1, 0);
    chain.push_back(mov(kR3, 0));
    chain.push_back(Call{kHelperTailCall});
    chain.push_back(Load{kR0, kR7, 0, 4, false});
    chain.push_back(Exit{});
    o.programs.push_back(program("chain", ProgType::SchedCls, chain));
    // target42: return 42
    o.programs.push_back(program("target42", ProgType::SchedCls, {mov(kR0, 42), Exit{}}));
    // idx(r3 = IMM): tail_call(ctx, jt, IMM); return 1
    auto idx_prog = [&](const std::string& name, uint64_t index) {
        std::vector<Insn> p;
        lddw(p, kR2, 1, 0);
        lddw(p, kR3, 0, int32_t(uint32_t(index)), int32_t(uint32_t(index >> 32)));
        p.push_back(Call{kHelperTailCall});
        p.push_back(mov(kR0, 1));
        p.push_back(Exit{});
        return program(name, ProgType::SchedCls, p);
    };
    o.programs.push_back(idx_prog("idx_256", 256));
    o.programs.push_back(idx_prog("idx_minus_one", uint64_t(-1)));
    o.programs.push_back(idx_prog("idx_u32_wrap", 0x100000000ull));
    o.programs.push_back(idx_prog("idx_empty", 3));
    // from_sub: main calls sub; sub tail-calls slot 1 (target42); main returns sub's r0 + 1.
    std::vector<Insn> fs = {CallLocal{3}, Alu{AluOp::Add, true, kR0, Operand::of_imm(1)}, Exit{}};
    // sub at 3
    lddw(fs, kR2, 1, 0);
    fs.push_back(mov(kR3, 1));
    fs.push_back(Call{kHelperTailCall});
    fs.push_back(mov(kR0, 9));
    fs.push_back(Exit{});
    o.programs.push_back(
        program("from_sub", ProgType::SchedCls, fs, {Subprogram{"sub", 3, uint32_t(fs.size())}}));
    o.programs.back().functions[0].end = 3;
    o.maps[0].prog_slots = {{1, "target42"}};
    return o;
}

// tail_call(ctx, map 0, slot 0); return 1
std::vector<Insn> tail_call_slot0() {
    std::vector<Insn> p;
    lddw(p, kR2, 1, 0);
    p.push_back(mov(kR3, 0));
    p.push_back(Call{kHelperTailCall});
    p.push_back(mov(kR0, 1));
    p.push_back(Exit{});
    return p;
}

// Runtime options for tests: trace_printk output kept in memory only.
RuntimeOptions quiet(bool verify) {
    RuntimeOptions ro;
    ro.verify = verify;
    ro.trace_out = nullptr;
    return ro;
}

uint64_t run_one(Runtime& rt, const std::string& name, Engine e) {
    auto r = rt.run(RunRequest{name, e, ContextInput{tcp4(), {}}, 1});
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().code + ": " + r.error().message));
    return r->ret;
}

} // namespace

TEST_CASE("Runtime: the kernel's tail-call expectations on both engines (--no-verify)") {
    for (Engine e : {Engine::Interp, Engine::Jit}) {
        std::string engine = engine_name(e);
        CAPTURE(engine);
        RuntimeOptions ro = quiet(false);
        Runtime rt(ro);
        REQUIRE(rt.load(tail_object(), {{"jt", 0, "chain"}}).ok());
        // A self-tail-calling program counts exactly 33 tail calls: 34 programs run.
        CHECK(run_one(rt, "chain", e) == 34);
        // Index 256 and -1 into a 4-slot map fall through; 0x100000000 is u32 0 -> slot 0 (chain).
        CHECK(run_one(rt, "idx_256", e) == 1);
        CHECK(run_one(rt, "idx_minus_one", e) == 1);
        // chain's .bss counter continues from the first run (34). The entry's tail call into slot 0 is the
        // first of the chain's 33, so chain runs 33 more times: 34 + 33.
        CHECK(run_one(rt, "idx_u32_wrap", e) == 67);
        // An empty slot falls through.
        CHECK(run_one(rt, "idx_empty", e) == 1);
        // A tail call from a subprogram returns the target's value to the subprogram's caller.
        CHECK(run_one(rt, "from_sub", e) == 43);
        // Clearing the static slot makes the subprogram fall through (9 + 1).
        REQUIRE(rt.set_prog_slot("jt", 1, "").ok());
        CHECK(run_one(rt, "from_sub", e) == 10);
    }
}

TEST_CASE("Runtime: a fault of unverified code is the same error on both engines (--no-verify)") {
    // bad: tail-calls slot 0 (faulty) when it is filled; faulty calls a helper nobody registered.
    Object o;
    o.path = "faults";
    o.license = "GPL";
    o.maps = {def("jt", MapType::ProgArray, 4, 4, 1)};
    o.programs.push_back(program("entry", ProgType::SchedCls, tail_call_slot0()));
    o.programs.push_back(program("faulty", ProgType::SchedCls, {mov(kR1, 0), Call{999}, Exit{}}));
    o.maps[0].prog_slots = {{0, "faulty"}};
    for (Engine e : {Engine::Interp, Engine::Jit}) {
        std::string engine = engine_name(e);
        CAPTURE(engine);
        RuntimeOptions ro = quiet(false);
        Runtime rt(ro);
        REQUIRE(rt.load(o).ok());
        auto r = rt.run(RunRequest{"entry", e, ContextInput{tcp4(), {}}, 1});
        REQUIRE(!r.ok());
        CHECK(r.error().code == "unknown-helper");
        CHECK(r.error().message == "program 'faulty' insn 1: no helper with id 999");
    }
}

TEST_CASE("Runtime: prog-array owner type is enforced; bad assignments are refused") {
    RuntimeOptions ro = quiet(false);
    Object o = tail_object();
    o.programs.push_back(program("xdp42", ProgType::Xdp, {mov(kR0, 42), Exit{}}));
    Runtime rt(ro);
    REQUIRE(rt.load(o).ok());
    auto s = rt.set_prog_slot("jt", 2, "xdp42");
    REQUIRE(!s.ok());
    CHECK(s.error().code == "bad-prog-array");
    CHECK(!rt.set_prog_slot("jt", 9, "target42").ok());
    CHECK(!rt.set_prog_slot("nosuch", 0, "target42").ok());
    Runtime rt2(ro);
    CHECK(!rt2.load(o, {{"jt", 0, "nosuch"}}).ok());
}

namespace {
uint64_t host_add(uint64_t a, uint64_t b, uint64_t, uint64_t, uint64_t, ExecEnv* env) {
    return a + b + (host_of(env)->user ? *static_cast<uint64_t*>(host_of(env)->user) : 0);
}
} // namespace

TEST_CASE("HelperTable holds kernel ids and the host range [kFirstHostHelperId, kHelperIdEnd)") {
    HelperTable t;
    CHECK(t.set(kHelperMapLookupElem, host_add));
    CHECK(t.set(kFirstHostHelperId, host_add));
    CHECK(t.set(kHelperIdEnd - 1, host_add));
    CHECK(!t.set(kHelperIdEnd, host_add));
    CHECK(!t.set(-1, host_add));
    CHECK(!t.set(kFirstHostHelperId + 1, nullptr));
    CHECK(bool(t.get(kHelperMapLookupElem) == &host_add));
    CHECK(bool(t.get(kFirstHostHelperId) == &host_add));
    CHECK(bool(t.get(kHelperIdEnd - 1) == &host_add));
    CHECK(bool(t.get(kFirstHostHelperId + 1) == nullptr));
    CHECK(bool(t.get(kHelperMapUpdateElem) == nullptr));
    CHECK(bool(t.get(kHelperIdEnd) == nullptr));
    CHECK(bool(t.get(-5) == nullptr));
}

TEST_CASE("Runtime: a host-registered helper is checked by the verifier and called by both engines") {
    // The first host id (verifier/helper_protos.hpp) is a valid HelperTable id.
    constexpr int32_t kId = kFirstHostHelperId;
    Object o;
    o.path = "host_helper";
    o.license = "GPL";
    o.programs.push_back(
        program("uses_host", ProgType::SchedCls, {mov(kR1, 40), mov(kR2, 2), Call{kId}, Exit{}}));
    for (Engine e : {Engine::Interp, Engine::Jit}) {
        RuntimeOptions ro = quiet(true);
        Runtime rt(ro);
        HelperProto p;
        p.id = kId;
        p.name = "host_add";
        p.ret = RetKind::Integer;
        p.args = {ArgKind::Anything, ArgKind::Anything, ArgKind::DontCare, ArgKind::DontCare,
                  ArgKind::DontCare};
        p.prog_types = ProgTypeSet::all();
        REQUIRE(rt.register_helper(p, host_add).ok());
        CHECK(!rt.register_helper(p, host_add).ok()); // id taken
        uint64_t bias = 0;
        rt.host().user = &bias;
        REQUIRE(rt.load(o).ok());
        const ProgramState* st = rt.program_state("uses_host");
        REQUIRE(st != nullptr);
        REQUIRE_MESSAGE(st->loaded, st->refusal);
        CHECK(st->verified);
        CHECK(run_one(rt, "uses_host", e) == 42);
        CHECK(!rt.register_helper(p, host_add).ok()); // after load
    }
    // Without the registration the verifier does not know the helper: the program is refused.
    RuntimeOptions ro = quiet(true);
    Runtime rt(ro);
    REQUIRE(rt.load(o).ok());
    const ProgramState* st = rt.program_state("uses_host");
    REQUIRE(st != nullptr);
    CHECK(!st->loaded);
    auto r = rt.run(RunRequest{"uses_host", Engine::Interp, ContextInput{tcp4(), {}}, 1});
    REQUIRE(!r.ok());
    CHECK(r.error().code == "not-loaded");
}

TEST_CASE("Runtime: an xdp program reads real packet pointers through the rewritten ctx") {
    // r2 = ctx->data; r3 = ctx->data_end; r0 = data_end - data; return r0 (the packet length).
    Object o;
    o.path = "xdp_len";
    o.license = "GPL";
    o.programs.push_back(program("xdp_len", ProgType::Xdp,
                                 {Load{kR2, kR1, 0, 4, false}, Load{kR3, kR1, 4, 4, false}, movr(kR0, kR3),
                                  Alu{AluOp::Sub, true, kR0, Operand::of_reg(kR2)}, Exit{}}));
    for (bool verify : {true, false}) {
        for (Engine e : {Engine::Interp, Engine::Jit}) {
            RuntimeOptions ro = quiet(verify);
            Runtime rt(ro);
            REQUIRE(rt.load(o).ok());
            const ProgramState* st = rt.program_state("xdp_len");
            REQUIRE_MESSAGE(st->loaded, st->refusal);
            CHECK(run_one(rt, "xdp_len", e) == 54);
        }
    }
}

TEST_CASE("cross-type tail call kprobe -> generic_probe: the converted ctx, on both engines") {
    // generic(ctx): return ctx->args[0] + ctx->args[1] + ctx->probe_id * 100 + finalize_context(ctx) * 1000
    std::vector<Insn> g = {
        movr(kR6, kR1),
        Load{kR7, kR6, 0, 8, false},
        Load{kR2, kR6, 8, 8, false},
        Alu{AluOp::Add, true, kR7, Operand::of_reg(kR2)},
        Load{kR2, kR6, int16_t(kGenericProbeIdOffset), 8, false},
        Alu{AluOp::Mul, true, kR2, Operand::of_imm(100)},
        Alu{AluOp::Add, true, kR7, Operand::of_reg(kR2)},
        movr(kR1, kR6),
        Call{kHelperFinalizeContext},
        Alu{AluOp::Mul, true, kR0, Operand::of_imm(1000)},
        Alu{AluOp::Add, true, kR0, Operand::of_reg(kR7)},
        Exit{},
    };
    Object o;
    o.path = "cross";
    o.license = "GPL";
    o.maps = {def("pt", MapType::ProgArray, 4, 4, 1)};
    o.maps[0].prog_slots = {{0, "generic"}};
    o.programs.push_back(program("entry", ProgType::Kprobe, tail_call_slot0()));
    o.programs.push_back(program("generic", ProgType::GenericProbe, g));
    for (Engine e : {Engine::Interp, Engine::Jit}) {
        RuntimeOptions ro = quiet(false);
        Runtime rt(ro);
        REQUIRE(rt.load(o).ok());
        auto via = rt.run(RunRequest{"entry", e, ContextInput{{}, {5, 7}}, 1});
        REQUIRE(via.ok());
        CHECK(via->ret == 2000 + 200 + 12); // converted from a kprobe (type 2): probe_id 2
        auto native = rt.run(RunRequest{"generic", e, ContextInput{{}, {5, 7}}, 1});
        REQUIRE(native.ok());
        CHECK(native->ret == 12);
    }
}
