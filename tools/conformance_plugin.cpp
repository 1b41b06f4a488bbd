// tailgate-conformance-plugin: the bpf_conformance runner's plugin protocol (see
// ../shared/conformance/README.md and the suite's src/bpf_conformance.cc):
//
//   PLUGIN ["<memory as hex bytes>"] [options...]      program on stdin: hex bytes, 8 per instruction
//
// argv[1] is the test memory (possibly empty; the runner always passes it); the remaining arguments are
// options, which the runner passes as ONE string ("--engine jit"), so every argument is split on spaces.
// Options: --engine jit|interp (default interp), --help.
// Prints r0 in hex and exits 0; on failure prints one line (the error) and exits 1. Usage errors exit 2.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/conformance_run.hpp"
#include "verifier/isa.hpp"

using namespace tailgate;
using namespace tailgate::rt;

namespace {

constexpr const char* kUsage =
    "usage: tailgate-conformance-plugin [\"MEMORY HEX BYTES\"] [--engine jit|interp]\n"
    "  reads the program from stdin as hex bytes (8 per instruction, little-endian), runs it with r1 =\n"
    "  a copy of MEMORY and r2 = its length, prints r0 in hex. Helper 5 is \"unwind\".\n";

// Hex bytes separated by whitespace ("b7 00 ..."); false on a malformed byte.
bool parse_hex_bytes(const std::string& text, std::vector<uint8_t>& out) {
    std::istringstream ss(text);
    std::string w;
    while (ss >> w) {
        if (w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) w = w.substr(2);
        if (w.empty() || w.size() > 2) return false;
        unsigned v = 0;
        for (char c : w) {
            int d = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (d < 0) return false;
            v = v * 16 + static_cast<unsigned>(d);
        }
        out.push_back(static_cast<uint8_t>(v));
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> options;
    std::string memory_hex;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i == 1 && a.rfind("--", 0) != 0) {
            memory_hex = a;
            continue;
        }
        std::istringstream ss(a);
        std::string w;
        while (ss >> w) options.push_back(w);
    }
    Engine engine = Engine::Interp;
    for (size_t i = 0; i < options.size(); ++i) {
        const std::string& o = options[i];
        if (o == "--help" || o == "-h") {
            std::cout << kUsage;
            return 0;
        }
        std::string value;
        if (o == "--engine" && i + 1 < options.size()) {
            value = options[++i];
        } else if (o.rfind("--engine=", 0) == 0) {
            value = o.substr(9);
        } else {
            std::cerr << "tailgate-conformance-plugin: unknown option '" << o << "'\n" << kUsage;
            return 2;
        }
        auto e = engine_from_name(value);
        if (!e) {
            std::cerr << "tailgate-conformance-plugin: --engine must be jit or interp, got '" << value
                      << "'\n";
            return 2;
        }
        engine = *e;
    }

    std::vector<uint8_t> mem;
    if (!parse_hex_bytes(memory_hex, mem)) {
        std::cout << "bad memory argument: expected hex bytes" << std::endl;
        return 1;
    }
    const std::string program_text((std::istreambuf_iterator<char>(std::cin)),
                                   std::istreambuf_iterator<char>());
    std::vector<uint8_t> bytes;
    if (!parse_hex_bytes(program_text, bytes)) {
        std::cout << "bad program on stdin: expected hex bytes" << std::endl;
        return 1;
    }
    if (bytes.empty() || bytes.size() % sizeof(RawInsn) != 0) {
        std::cout << "bad program on stdin: " << bytes.size()
                  << " bytes is not a whole number of instructions" << std::endl;
        return 1;
    }
    std::vector<RawInsn> code(bytes.size() / sizeof(RawInsn));
    std::memcpy(code.data(), bytes.data(), bytes.size());

    auto r = run_conformance_program(code, mem, engine);
    if (!r) {
        std::cout << r.error().code << ": " << r.error().message << std::endl;
        return 1;
    }
    std::printf("%" PRIx64 "\n", *r);
    return 0;
}
