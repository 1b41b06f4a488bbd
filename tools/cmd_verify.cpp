// `tailgate verify [--format text|json|sarif] [--strict] [--allow-uninit-stack] [--program NAME]
// [--prog-array MAP:IDX=PROG]...
// [--manifest FILE.json] [--max-chain-stack BYTES] FILE.o...`: verify every program of each object and print
// the diagnostics, a verdict per program and a summary. Exit 0 when every program is accepted, 1 when any is
// rejected, 2 on bad input or usage.
#include <charconv>
#include <iostream>
#include <memory>

#include "analysis/report_format.hpp"
#include "analysis/verify.hpp"
#include "analysis/whole_object.hpp"
#include "tools/cli.hpp"
#include "verifier/file_io.hpp"

namespace tailgate::cli {

namespace {

const CommandSpec kSpec{
    "verify",
    "[--format text|json|sarif] [--strict] [--allow-uninit-stack] [--allow-ptr-leaks] [--program NAME] "
    "[--prog-array "
    "MAP:IDX=PROG]... [--manifest FILE.json] "
    "[--max-chain-stack BYTES] FILE.o...",
    "Verify the programs of eBPF object files: memory safety, helper use and every tail call (ctx, map,\n"
    "index range, caller stack, target program type), then the objects' whole tail-call graph (prog-array\n"
    "compatibility, cycles, chain length and worst-case chain stack). Diagnostics are printed gcc-style\n"
    "(file.c:LINE:COL: error: MESSAGE [code]), as JSON, or as SARIF 2.1.0.\n"
    "Exit status: 0 every program accepted, 1 some program rejected, 2 bad input or usage.",
    {
        {"format", "text|json|sarif", "output format (default text)", {"text", "json", "sarif"}},
        {"strict", "", "warnings reject a program too", {}},
        {"allow-uninit-stack",
         "",
         "reads of uninitialised stack give unknown values, as for privileged (CAP_PERFMON) kernel loads",
         {}},
        {"allow-ptr-leaks",
         "",
         "pointers may be stored into maps, packets and helper arguments, as for privileged (CAP_PERFMON) "
         "kernel loads",
         {}},
        {"program", "NAME", "report only the program NAME", {}},
        {"prog-array",
         "MAP:IDX=PROG",
         "slot IDX of prog-array MAP holds program PROG (repeatable; FILE:NAME qualifies; adds to the static "
         "initialisation)",
         {}},
        {"manifest",
         "FILE.json",
         "prog-array contents: {\"prog_arrays\": {MAP: {IDX: PROG|\"dynamic\"}}}",
         {}},
        {"max-chain-stack",
         "BYTES",
         "worst-case stack over a chain of tail calls above BYTES is an error",
         {}},
    },
    1,
    size_t(-1),
};

} // namespace

int cmd_verify(const std::vector<std::string>& args) {
    int exit_code = kExitOk;
    auto parsed = parse_or_exit(kSpec, args, exit_code);
    if (!parsed) return exit_code;

    VerifyOptions options;
    options.strict = parsed->flags.count("strict") > 0;
    options.allow_uninit_stack = parsed->has("allow-uninit-stack");
    options.allow_ptr_leaks = parsed->has("allow-ptr-leaks");
    auto flags = parse_prog_array_flags(*parsed);
    if (!flags) return usage_error(kSpec, flags.error().message);
    options.prog_array = std::move(flags).value();
    GraphOptions graph;
    if (parsed->has("max-chain-stack")) {
        const std::string v = parsed->get("max-chain-stack");
        int64_t bytes = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bytes);
        if (v.empty() || ec != std::errc() || end != v.data() + v.size() || bytes < 0)
            return usage_error(kSpec, "--max-chain-stack expects a number of bytes, got '" + v + "'");
        graph.max_chain_stack = bytes;
    }
    std::vector<ManifestEntry> manifest;
    if (parsed->has("manifest")) {
        auto m = read_manifest(parsed->get("manifest"));
        if (!m) return bad_input(parsed->get("manifest"), m.error().message);
        manifest = std::move(m).value();
    }
    const std::string only = parsed->get("program");
    const std::string format = parsed->get("format", "text");

    // Load everything first: a bad file is reported alone (one line, exit 2) before any output.
    std::vector<std::unique_ptr<Object>> owned;
    std::vector<const Object*> objects;
    for (const std::string& path : parsed->positional) {
        auto obj = load_or_report(path);
        if (!obj) return kExitBadInput;
        owned.push_back(std::make_unique<Object>(std::move(*obj)));
        objects.push_back(owned.back().get());
    }
    auto analysis = analyze_objects(objects, options, manifest, graph);
    if (!analysis) return bad_input(parsed->positional[0], analysis.error().message);

    VerifyRun run;
    run.strict = options.strict;
    bool matched = only.empty();
    for (size_t o = 0; o < objects.size(); ++o) {
        ObjectReport report;
        report.file = objects[o]->path;
        for (size_t i = 0; i < objects[o]->programs.size(); ++i) {
            if (!only.empty() && objects[o]->programs[i].name != only) continue;
            matched = true;
            report.programs.push_back(std::move(analysis->reports[o][i]));
        }
        run.objects.push_back(std::move(report));
    }
    if (!matched) return usage_error(kSpec, "no program named '" + only + "' in the given objects");

    if (format == "json")
        std::cout << json_text(to_json(run)) << "\n";
    else if (format == "sarif")
        std::cout << json_text(to_sarif(run)) << "\n";
    else
        std::cout << format_text(run);
    std::cout.flush();
    return summarize(run).rejected > 0 ? kExitFound : kExitOk;
}

} // namespace tailgate::cli
