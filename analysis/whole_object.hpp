// Verifying a set of objects as a whole: every program through verify_program(), then the tail-call graph
// over all of them (tail_call_graph.hpp), whose findings are merged back into the program reports.
//
// analyze_objects() reads: the objects, the verify options (--strict, --prog-array), the manifest entries
// and the graph options (--max-chain-stack). Writes: one report per program, with each tail-call site's
// targets taken from the graph (it knows the manifest and the other objects), the graph's diagnostics added
// (no duplicate of what verify_program already said at the same instruction) and the verdict recomputed.
// Fails when a prog-array name does not resolve ("bad-prog-array") or verify_program fails.
#pragma once

#include <vector>

#include "analysis/prog_array_contents.hpp"
#include "analysis/tail_call_graph.hpp"
#include "analysis/verify.hpp"

namespace tailgate {

struct ObjectSetAnalysis {
    std::vector<std::vector<ProgramReport>> reports; // [object][program]
    ProgArrayContents contents;
    TailCallGraph graph;
};

Result<ObjectSetAnalysis> analyze_objects(const std::vector<const Object*>& objects, const VerifyOptions& verify,
                                          const std::vector<ManifestEntry>& manifest, const GraphOptions& graph);

} // namespace tailgate
