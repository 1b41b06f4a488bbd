// `tailgate asm FILE [-o OUT] [--format hex|bin] [--no-decode-check]`: assemble eBPF assembly in the
// bpf_conformance syntax (verifier/assembler.hpp). FILE is either plain assembly or a bpf_conformance .data
// file (its `-- raw` section when present, else its `-- asm` section, as the suite's runner does).
// Output: `hex` (default) prints one instruction per line as 8 hex bytes separated by spaces, the format the
// conformance plugin reads on stdin; `bin` writes the raw 8-byte little-endian instructions (an ELF
// section's contents). The result is decoded again to check it is valid eBPF unless --no-decode-check
// (for building negative tests). Exit 0 on success, 2 on bad input (`tailgate: FILE: line N: ...`).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "tools/cli.hpp"
#include "verifier/assembler.hpp"
#include "verifier/file_io.hpp"
#include "verifier/isa.hpp"

namespace tailgate::cli {

namespace {

const CommandSpec kSpec{
    "asm",
    "FILE [-o OUT] [--format hex|bin] [--no-decode-check]",
    "Assemble eBPF assembly in the bpf_conformance syntax (`mov %r0, 1`, `jne %r1, 5, label`,\n"
    "`call local f`, `lddw %r0, 0x...`, `lock fetch add [%r10-8], %r1`). FILE may also be a\n"
    "bpf_conformance .data file. Output goes to stdout unless -o/--output is given.",
    {
        {"output", "OUT", "write the output to this file (also -o OUT)", {}},
        {"format", "hex|bin", "hex: 8 hex bytes per line (default); bin: raw instructions", {"hex", "bin"}},
        {"no-decode-check", "", "do not check that the output decodes as valid eBPF", {}},
    },
    1,
    1,
};

std::string hex_lines(const std::vector<RawInsn>& code) {
    std::string out;
    char buf[4];
    for (const RawInsn& r : code) {
        uint8_t bytes[8];
        std::memcpy(bytes, &r, 8);
        for (int i = 0; i < 8; ++i) {
            std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
            out += buf;
            out += i == 7 ? '\n' : ' ';
        }
    }
    return out;
}

} // namespace

int cmd_asm(const std::vector<std::string>& raw_args) {
    std::vector<std::string> args;
    for (const std::string& a : raw_args) args.push_back(a == "-o" ? "--output" : a);
    int exit_code = kExitOk;
    auto parsed = parse_or_exit(kSpec, args, exit_code);
    if (!parsed) return exit_code;
    const std::string path = parsed->positional[0];
    auto read = read_whole_file(path);
    if (!read) return bad_input(path, read.error());
    const std::string& text = *read;

    Result<std::vector<RawInsn>> code = std::vector<RawInsn>{};
    const bool is_data = text.rfind("-- asm", 0) == 0 || text.find("\n-- asm") != std::string::npos ||
                         text.find("\n-- raw") != std::string::npos;
    if (is_data) {
        auto c = parse_conformance(text);
        if (!c) return bad_input(path, c.error());
        code = conformance_program(*c);
    } else {
        code = assemble(text);
    }
    if (!code) return bad_input(path, code.error());
    if (!parsed->has("no-decode-check")) {
        auto d = decode(*code);
        if (!d) return bad_input(path, d.error());
    }

    std::string bytes;
    if (parsed->get("format", "hex") == "bin")
        bytes.assign(reinterpret_cast<const char*>(code->data()), code->size() * sizeof(RawInsn));
    else
        bytes = hex_lines(*code);
    if (parsed->has("output")) {
        const std::string out_path = parsed->get("output");
        std::ofstream out(out_path, std::ios::binary);
        if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())))
            return bad_input(out_path, "cannot write the output file");
    } else {
        std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        std::cout.flush();
    }
    return kExitOk;
}

} // namespace tailgate::cli
