// Shared plumbing of the `tailgate` subcommands: option parsing, --help text, and the exit-code conventions.
//   exit 0  success;
//   exit 1  the command ran and found something (e.g. a program rejected) — subcommands decide;
//   exit 2  bad input (`tailgate: FILE: what is wrong`) or a usage error (`tailgate CMD: what is wrong`),
//           always exactly one line on stderr.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/verify.hpp"
#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitBadInput = 2;

// A subcommand: `tailgate NAME ARGS...` calls run(args) with ARGS (the name removed).
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Option {
    std::string name;       // long name without dashes: "format" for --format
    std::string value_name; // empty: a flag; else the option takes a value ("NAME", "text|json")
    std::string help;
    std::vector<std::string> choices; // when not empty, the value must be one of these
};

struct CommandSpec {
    std::string name;    // "disasm"
    std::string usage;   // "FILE.o [--program NAME] [--format text|json]"
    std::string summary; // one line
    std::vector<Option> options;
    size_t min_positional = 0;
    size_t max_positional = 0;
};

struct ParsedArgs {
    std::vector<std::string> positional;
    std::map<std::string, std::string> values; // options given with a value (the last one when repeated)
    std::map<std::string, std::vector<std::string>> all_values; // every value, in order (repeatable options)
    std::map<std::string, bool> flags;                          // flags given
    bool help = false;                                          // --help or -h was given

    bool has(const std::string& name) const { return values.count(name) || flags.count(name); }
    std::string get(const std::string& name, const std::string& fallback = "") const;
    std::vector<std::string> get_all(const std::string& name) const;
};

// Reads: args after the subcommand name; accepts `--name value`, `--name=value`, flags, `--` ending options.
// Fails (code "usage") on an unknown option, a missing or disallowed value, or a wrong positional count
// (not checked when --help is given).
Result<ParsedArgs> parse_args(const CommandSpec& spec, const std::vector<std::string>& args);

// The --help text of a subcommand.
std::string help_text(const CommandSpec& spec);

// Prints `tailgate CMD: message` on stderr; returns 2.
int usage_error(const CommandSpec& spec, const std::string& message);

// Prints `tailgate: FILE: message` on stderr (one line: newlines in the message become spaces); returns 2.
int bad_input(const std::string& file, const std::string& message);
int bad_input(const std::string& file, const Error& error); // "code: message"

// Parses args; on --help prints help and sets `exit_code` to 0; on a usage error prints it and sets 2.
// Returns the parsed args only when the command should run.
std::optional<ParsedArgs> parse_or_exit(const CommandSpec& spec, const std::vector<std::string>& args,
                                        int& exit_code);

// load_object() for a command: on failure prints the bad-input line and returns nullopt (exit with 2).
std::optional<Object> load_or_report(const std::string& path);

// The programs a command works on: the one --program NAME names, or every program of `obj` (file order).
// A NAME that `obj` does not have prints the bad-input line for `path` and gives nullopt (exit with 2).
std::optional<std::vector<const Program*>> select_programs(const ParsedArgs& args, const Object& obj,
                                                           const std::string& path);

// `--prog-array MAP:IDX=PROG` (MAP and PROG may be FILE:NAME). Fails with code "usage".
Result<ProgArrayAssignment> parse_prog_array_flag(const std::string& text);
// Every --prog-array value of a command, in order.
Result<std::vector<ProgArrayAssignment>> parse_prog_array_flags(const ParsedArgs& args);

// JSON string escaping for hand-written output (commands may also use nlohmann::json).
std::string json_escape(const std::string& s);

} // namespace tailgate::cli
