// Expectations of the corpus, read from the `// tailgate:` comments of corpus/*.c (format: corpus/README.md).
// Used by the verifier, runtime and graph test suites to check tailgate against what each corpus program
// should get. Plain C++20, standard library only; no exceptions: parse problems land in CorpusFile::errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tailgate::corpus {

enum class Verdict : uint8_t { Accepted, Rejected };

// `// tailgate: program name=N verdict=accepted|rejected [when=W] [type=T]`
struct VerdictExpectation {
    std::string program;
    Verdict verdict = Verdict::Accepted;
    std::string when; // "" = default options; "strict"; "max-chain-stack=4096"
    std::string type; // "" or a non-kernel type such as "generic_probe"
    uint32_t line = 0;
};

// `// tailgate: expect code=C severity=S [program=N] [when=W | unless=W]` - a diagnostic on this source
// line (under options W only, or under every option set but W: an option that lifts a restriction).
struct DiagnosticExpectation {
    std::string program;
    std::string code;     // kebab-case diagnostic code
    std::string severity; // "error", "warning" or "note"
    std::string when;
    std::string unless;
    uint32_t line = 0;
};

// `// tailgate: tailcall map=M index_min=A index_max=B [program=N]` - a tail-call site on this line.
struct TailCallExpectation {
    std::string program;
    std::string map;
    uint64_t index_min = 0;
    uint64_t index_max = 0;
    uint32_t line = 0;
};

// `// tailgate: run program=N return=R [packet=P | args=A,B] [engine=interp|jit|both] [prog_array=M:I=P]`
struct RunExpectation {
    std::string program;
    std::optional<std::string> packet; // name of corpus/packets/NAME.hex
    std::optional<std::vector<uint64_t>> args;
    std::vector<std::string> engines;    // "interp", "jit" ("both" expands to both)
    uint64_t ret = 0;                    // r0 as an unsigned 64-bit number
    std::vector<std::string> prog_array; // "MAP:IDX=PROG", as the CLI's --prog-array
    uint32_t line = 0;
};

// `// tailgate: graph program=N targets=A,B|*|(empty) [max_chain_length=K] [chain_stack_bytes=B]
//                     [cycle=yes|no] [cross_type=T]`
struct GraphExpectation {
    std::string program;
    bool targets_unknown = false;     // targets=*
    std::vector<std::string> targets; // sorted
    std::optional<uint32_t> max_chain_length;
    std::optional<uint64_t> chain_stack_bytes;
    std::optional<bool> cycle;
    std::string cross_type;
    uint32_t line = 0;
};

struct CorpusFile {
    std::string source;      // "proto_dispatch.c"
    std::string source_path; // full path of the C file
    std::string object;      // "proto_dispatch.o" (in TAILGATE_CORPUS_DIR)
    std::vector<VerdictExpectation> programs;
    std::vector<DiagnosticExpectation> diagnostics;
    std::vector<TailCallExpectation> tail_calls;
    std::vector<RunExpectation> runs;
    std::vector<GraphExpectation> graphs;
    std::vector<std::string> errors; // "file.c:LINE: what is wrong"; empty when the file parsed cleanly

    // Distinct program names with a `program` directive, in order of appearance.
    std::vector<std::string> program_names() const;
    // Expected verdict of `program` under options `when` (see corpus/README.md); nullptr when none.
    const VerdictExpectation* verdict_for(std::string_view program, std::string_view when = {}) const;
    // Expected diagnostics of `program` under options `when`: those without `when` plus those with it.
    std::vector<DiagnosticExpectation> diagnostics_for(std::string_view program,
                                                       std::string_view when = {}) const;
    const GraphExpectation* graph_for(std::string_view program) const;
};

// Parse one C source's text. `source_name` is the file's base name ("x.c"); errors name it.
CorpusFile parse_corpus_source(std::string_view text, const std::string& source_name);

// Every corpus/*.c file of `source_dir` (the corpus source directory), sorted by name. A file that cannot
// be read gives a CorpusFile with an error.
std::vector<CorpusFile> load_corpus_expectations(const std::string& source_dir);

// corpus/packets/NAME.hex: hex byte pairs separated by white space; '#' starts a comment. nullopt when the
// file is missing or malformed.
std::optional<std::vector<uint8_t>> load_packet(const std::string& source_dir, const std::string& name);

// `when` value -> command-line arguments: "strict" -> {"--strict"}, "max-chain-stack=4096" ->
// {"--max-chain-stack", "4096"}, "" -> {}.
std::vector<std::string> when_to_cli_args(std::string_view when);

} // namespace tailgate::corpus
