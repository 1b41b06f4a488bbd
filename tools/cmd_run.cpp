// `tailgate run FILE.o --program NAME [--packet FILE] [--args N,N,...] [--engine jit|interp]
//  [--prog-array MAP:IDX=PROG]... [--repeat N] [--format text|json] [--no-verify] [--strict]
//  [--allow-uninit-stack]`:
// loads every map and program of the object (each program through the verifier), fills prog arrays from
// static initialisation and then from --prog-array, runs NAME on a context built from the input and prints
// r0. Exit 0 when it ran, 1 when the verifier rejected NAME, 2 on bad input.
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/runtime.hpp"
#include "tools/cli.hpp"
#include "verifier/file_io.hpp"

namespace tailgate::cli {

namespace {

const CommandSpec kSpec{
    "run",
    "FILE.o --program NAME [--packet FILE] [--args N,N,...] [--engine jit|interp] [--prog-array "
    "MAP:IDX=PROG]... "
    "[--repeat N] [--format text|json] [--no-verify] [--strict] [--allow-uninit-stack] [--allow-ptr-leaks]",
    "Run one program of an eBPF object on the bundled interpreter or x86-64 JIT and print its return value\n"
    "(r0, unsigned 64-bit). Every program is verified first; a rejected program does not run (exit 1).\n"
    "Packet programs (xdp, tc, socket, cgroup_skb) get a context built from --packet as the kernel's\n"
    "BPF_PROG_TEST_RUN builds it; kprobe/raw_tracepoint/... programs get --args as their arguments.\n"
    "A packet file is raw bytes, or hex byte pairs (white space allowed, '#' starts a comment).",
    {
        {"program", "NAME", "the program to run (required)", {}},
        {"packet", "FILE", "packet for xdp/tc/socket/cgroup_skb programs", {}},
        {"args",
         "N,N,...",
         "arguments for kprobe/raw_tracepoint/tracepoint programs (decimal or 0x hex)",
         {}},
        {"engine", "jit|interp", "execution engine (default jit)", {"jit", "interp"}},
        {"prog-array", "MAP:IDX=PROG", "put PROG into slot IDX of prog array MAP (repeatable)", {}},
        {"repeat", "N", "run N times on the same context (default 1)", {}},
        {"format", "text|json", "output format (default text)", {"text", "json"}},
        {"no-verify", "", "skip the verifier (for tests only: unverified code may crash tailgate)", {}},
        {"strict", "", "verifier warnings reject too", {}},
        {"allow-uninit-stack",
         "",
         "the verifier lets programs read uninitialised stack (privileged kernel rule)",
         {}},
        {"allow-ptr-leaks",
         "",
         "the verifier lets pointers reach memory as numbers (privileged kernel rule)",
         {}},
    },
    1,
    1,
};

bool parse_u64(const std::string& s, uint64_t& out) {
    if (s.empty()) return false;
    errno = 0;
    char* end = nullptr;
    if (s[0] == '-') {
        long long v = std::strtoll(s.c_str(), &end, 0);
        if (errno || *end) return false;
        out = uint64_t(v);
        return true;
    }
    unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (errno || *end) return false;
    out = v;
    return true;
}

// Raw bytes, or hex pairs with white space and '#' comments when the whole file reads that way.
std::optional<std::vector<uint8_t>> read_packet(const std::string& path, std::string& why) {
    auto read = read_whole_file(path);
    if (!read) {
        why = "cannot read the packet file: " + read.error().message;
        return std::nullopt;
    }
    const std::string& bytes = *read;
    std::vector<uint8_t> hex;
    bool is_hex = !bytes.empty();
    std::string digits;
    bool comment = false;
    for (char c : bytes) {
        if (comment) {
            comment = c != '\n';
            continue;
        }
        if (c == '#')
            comment = true;
        else if (std::isxdigit(static_cast<unsigned char>(c)))
            digits += c;
        else if (!std::isspace(static_cast<unsigned char>(c))) {
            is_hex = false;
            break;
        } else if (digits.size() % 2 != 0) {
            is_hex = false;
            break;
        }
    }
    if (is_hex && digits.size() % 2 == 0 && !digits.empty()) {
        for (size_t i = 0; i < digits.size(); i += 2)
            hex.push_back(uint8_t(std::stoul(digits.substr(i, 2), nullptr, 16)));
        return hex;
    }
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

} // namespace

int cmd_run(const std::vector<std::string>& args) {
    int code = 0;
    auto parsed = parse_or_exit(kSpec, args, code);
    if (!parsed) return code;
    const std::string file = parsed->positional[0];
    if (!parsed->has("program")) return usage_error(kSpec, "--program NAME is required");
    const std::string name = parsed->get("program");
    auto engine = rt::engine_from_name(parsed->get("engine", "jit"));
    if (!engine) return usage_error(kSpec, "--engine must be jit or interp");
    uint64_t repeat = 1;
    if (parsed->has("repeat") && (!parse_u64(parsed->get("repeat"), repeat) || repeat == 0))
        return usage_error(kSpec, "--repeat needs a positive number");
    auto assignments = parse_prog_array_flags(*parsed); // the parser verify and graph use
    if (!assignments) return usage_error(kSpec, assignments.error().message);
    rt::ContextInput input;
    if (parsed->has("packet")) {
        std::string why;
        auto pkt = read_packet(parsed->get("packet"), why);
        if (!pkt) return bad_input(parsed->get("packet"), why);
        input.packet = std::move(*pkt);
    }
    if (parsed->has("args")) {
        std::stringstream ss(parsed->get("args"));
        std::string item;
        while (std::getline(ss, item, ',')) {
            uint64_t v;
            if (!parse_u64(item, v)) return usage_error(kSpec, "--args: '" + item + "' is not a number");
            input.args.push_back(v);
        }
    }

    auto obj = load_or_report(file);
    if (!obj) return kExitBadInput;
    if (!obj->find_program(name)) return bad_input(file, "no program named '" + name + "'");

    rt::RuntimeOptions ro;
    ro.verify = !parsed->has("no-verify");
    ro.strict = parsed->has("strict");
    ro.allow_uninit_stack = parsed->has("allow-uninit-stack");
    ro.allow_ptr_leaks = parsed->has("allow-ptr-leaks");
    rt::Runtime runtime(ro);
    if (auto s = runtime.load(*obj, *assignments); !s) return bad_input(file, s.error());
    const rt::ProgramState* st = runtime.program_state(name);
    if (st && !st->loaded) {
        std::cerr << "tailgate: " << file << ": program " << name << " not run: " << st->refusal << std::endl;
        return ro.verify ? kExitFound : kExitBadInput;
    }
    rt::RunRequest req{name, *engine, std::move(input), repeat};
    auto res = runtime.run(req);
    if (!res) return bad_input(file, res.error());

    if (parsed->get("format", "text") == "json") {
        nlohmann::ordered_json j;
        j["program"] = name;
        j["engine"] = rt::engine_name(*engine);
        j["return"] = res->ret;
        j["runs"] = res->runs;
        j["ns_per_run"] = res->ns_per_run;
        j["verified"] = ro.verify;
        j["tail_calls"] = res->tail_calls;
        if (!res->packet.empty()) j["packet_len"] = res->packet.size();
        if (res->redirect) {
            nlohmann::ordered_json r;
            r["helper"] = res->redirect->helper;
            r["target"] = res->redirect->target;
            r["flags"] = res->redirect->flags;
            if (!res->redirect->map.empty()) r["map"] = res->redirect->map;
            j["redirect"] = r;
        }
        if (!res->perf.empty()) j["perf_records"] = res->perf.size();
        std::cout << json_text(j, -1) << std::endl;
    } else {
        std::ostringstream os;
        os << name << ": return " << res->ret << " (0x" << std::hex << res->ret << std::dec << ")  [engine "
           << rt::engine_name(*engine) << ", " << res->runs << (res->runs == 1 ? " run" : " runs") << ", "
           << res->ns_per_run << " ns/run, " << res->tail_calls << " tail calls"
           << (ro.verify ? "" : ", UNVERIFIED") << "]";
        if (res->redirect)
            os << "\n  redirect: target " << res->redirect->target
               << (res->redirect->map.empty() ? "" : " via map " + res->redirect->map);
        std::cout << os.str() << std::endl;
    }
    return kExitOk;
}

} // namespace tailgate::cli
