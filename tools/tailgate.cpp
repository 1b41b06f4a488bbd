// tailgate: the command-line entry point. Each subcommand lives in tools/cmd_<name>.cpp and is listed once
// in TG_COMMANDS below: adding a command is one line here plus its file in tools/meson.build.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <bpf/libbpf.h>

#include "tools/cli.hpp"

// X(name, function, summary): function has the signature tailgate::cli::CommandFn. One line per command, each
// ending in a backslash; `tailgate --help` lists them in this order.
// clang-format off
#define TG_COMMANDS(X) \
    X("disasm", cmd_disasm, "print the maps and disassembled programs of an eBPF object file") \
    X("cfg", cmd_cfg, "print the control-flow graph (blocks, loops, calls) of programs as dot or JSON") \
    X("asm", cmd_asm, "assemble eBPF assembly (bpf_conformance syntax) into instructions") \
    X("run", cmd_run, "run a program of an object on the interpreter or JIT and print its return value") \
    X("verify", cmd_verify, "verify the programs of eBPF objects (memory safety, tail calls); text, JSON or SARIF") \
    X("graph", cmd_graph, "print the whole-object tail-call graph (targets, cycles, chain length and stack)") \
    /* end of the command list */
// clang-format on

#define TG_DECLARE_COMMAND(name, fn, summary) int fn(const std::vector<std::string>& args);
namespace tailgate::cli {
TG_COMMANDS(TG_DECLARE_COMMAND)
} // namespace tailgate::cli

namespace {

struct CommandEntry {
    const char* name;
    tailgate::cli::CommandFn run;
    const char* summary;
};

#define TG_COMMAND_ENTRY(name, fn, summary) CommandEntry{name, &tailgate::cli::fn, summary},
constexpr CommandEntry kCommands[] = {TG_COMMANDS(TG_COMMAND_ENTRY)};

void print_help() {
    std::cout << "usage: tailgate COMMAND [ARGS...]\n"
                 "       tailgate COMMAND --help\n\n"
                 "tailgate: static verifier, abstract interpreter and runtime for eBPF programs that use "
                 "tail calls.\n\n"
                 "commands:\n";
    for (const CommandEntry& c : kCommands) {
        std::string name = c.name;
        name.resize(std::max<size_t>(name.size() + 2, 16), ' ');
        std::cout << "  " << name << c.summary << "\n";
    }
    std::cout << "\noptions:\n  --help     show this help\n  --version  show the version\n\n"
                 "exit status: 0 success, 1 the command found a problem (e.g. a rejected program),\n"
                 "             2 bad input or usage (one line on stderr: `tailgate: FILE: what is wrong`).\n";
}

// libbpf prints parse warnings on stderr by default; tailgate reports problems itself, one line each.
int quiet_libbpf(enum libbpf_print_level, const char*, va_list) {
    return 0;
}

int run(int argc, char** argv) {
    libbpf_set_print(quiet_libbpf);
    if (argc < 2) {
        std::cerr << "tailgate: missing command (try `tailgate --help`)" << std::endl;
        return tailgate::cli::kExitBadInput;
    }
    const std::string first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        print_help();
        return tailgate::cli::kExitOk;
    }
    if (first == "--version") {
        std::cout << "tailgate " << TAILGATE_VERSION << std::endl;
        return tailgate::cli::kExitOk;
    }
    for (const CommandEntry& c : kCommands) {
        if (first == c.name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
    }
    std::cerr << "tailgate: unknown command '" << first << "' (try `tailgate --help`)" << std::endl;
    return tailgate::cli::kExitBadInput;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "tailgate: internal error: " << e.what() << std::endl;
        return 3;
    }
}
