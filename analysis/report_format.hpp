// Rendering verification results: gcc-style text (editor problem matchers), JSON (issue 3 item 6) and
// SARIF 2.1.0 (CI code scanning). Pure functions of the reports: no I/O, no global state.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/diagnostics.hpp"
#include "analysis/verify.hpp"

namespace tailgate {

// The verification of one object file.
struct ObjectReport {
    std::string file;                    // the object's path as given on the command line
    std::vector<ProgramReport> programs; // in the object's program order (filtered by --program)
    std::vector<Diagnostic> diagnostics; // object-level findings (not tied to one program)
};

struct VerifyRun {
    std::vector<ObjectReport> objects;
    bool strict = false; // --strict: warnings count as rejecting in the summary wording
};

struct RunSummary {
    size_t programs = 0, accepted = 0, rejected = 0, errors = 0, warnings = 0, notes = 0;
};
// Counts verdicts (as the reports state them) and diagnostics by severity, object-level ones included.
RunSummary summarize(const VerifyRun& run);

// Text: per program, one line per diagnostic
//   `x.c:30:2: warning: MESSAGE (program dispatch, insn 23) [tail-call-index]`
// (`x.o: …` when the instruction has no line info), then a verdict line
//   `x.o: dispatch (xdp): accepted — 26 instructions, stack 0 bytes, 1 tail call, 0 errors, 1 warning`
// with one indented line per tail call site, and after all objects a summary line
//   `3 programs: 3 accepted, 0 rejected; 0 errors, 1 warning`.
std::string format_text(const VerifyRun& run);

// JSON with the fields of issue 3 item 6 (tool, objects[].file/programs/diagnostics, summary); a
// diagnostic without line info has null file/line/column, one without an instruction a null insn.
nlohmann::ordered_json to_json(const VerifyRun& run);

// SARIF 2.1.0: one run, tool.driver.rules = every code of diagnostic_codes() (plus any other code used),
// one result per diagnostic with ruleId/ruleIndex/level/message and a physicalLocation (the source file
// and region when line info exists, else the object file), a logicalLocation naming the program, and
// properties {object, program, insn}.
nlohmann::ordered_json to_sarif(const VerifyRun& run);

} // namespace tailgate
