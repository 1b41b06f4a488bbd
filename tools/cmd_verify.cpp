// `tailgate verify [--format text|json|sarif] [--strict] [--program NAME] [--prog-array MAP:IDX=PROG]...
// FILE.o...`: verify every program of each object and print the diagnostics, a verdict per program and a
// summary. Exit 0 when every program is accepted, 1 when any is rejected, 2 on bad input or usage.
#include <charconv>
#include <iostream>

#include "analysis/report_format.hpp"
#include "analysis/verify.hpp"
#include "tools/cli.hpp"

namespace tailgate::cli {

namespace {

const CommandSpec kSpec{
    "verify",
    "[--format text|json|sarif] [--strict] [--program NAME] [--prog-array MAP:IDX=PROG]... FILE.o...",
    "Verify the programs of eBPF object files: memory safety, helper use and every tail call (ctx, map,\n"
    "index range, caller stack, target program type). Diagnostics are printed gcc-style\n"
    "(file.c:LINE:COL: error: MESSAGE [code]), as JSON, or as SARIF 2.1.0.\n"
    "Exit status: 0 every program accepted, 1 some program rejected, 2 bad input or usage.",
    {
        {"format", "text|json|sarif", "output format (default text)", {"text", "json", "sarif"}},
        {"strict", "", "warnings reject a program too", {}},
        {"program", "NAME", "verify only the program NAME", {}},
        {"prog-array",
         "MAP:IDX=PROG",
         "slot IDX of prog-array MAP holds program PROG (repeatable; adds to the static initialisation)",
         {}},
    },
    1,
    size_t(-1),
};

// "MAP:IDX=PROG"
std::optional<ProgArrayAssignment> parse_assignment(const std::string& s) {
    size_t colon = s.rfind(':', s.find('='));
    size_t eq = s.find('=');
    if (colon == std::string::npos || eq == std::string::npos || colon == 0 || eq <= colon + 1 ||
        eq + 1 >= s.size())
        return std::nullopt;
    ProgArrayAssignment a;
    a.map = s.substr(0, colon);
    a.program = s.substr(eq + 1);
    const char* first = s.data() + colon + 1;
    const char* last = s.data() + eq;
    auto [ptr, ec] = std::from_chars(first, last, a.index);
    if (ec != std::errc() || ptr != last) return std::nullopt;
    return a;
}

} // namespace

int cmd_verify(const std::vector<std::string>& args) {
    // --prog-array may repeat; parse_args keeps one value per option, so collect them here first.
    std::vector<std::string> rest;
    std::vector<std::string> assignments;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            rest.insert(rest.end(), args.begin() + long(i), args.end());
            break;
        }
        if (a == "--prog-array") {
            if (i + 1 >= args.size()) return usage_error(kSpec, "option '--prog-array' needs a value");
            assignments.push_back(args[++i]);
        } else if (a.rfind("--prog-array=", 0) == 0) {
            assignments.push_back(a.substr(13));
        } else {
            rest.push_back(a);
        }
    }
    int exit_code = kExitOk;
    auto parsed = parse_or_exit(kSpec, rest, exit_code);
    if (!parsed) return exit_code;

    VerifyOptions options;
    options.strict = parsed->flags.count("strict") > 0;
    for (const std::string& s : assignments) {
        auto a = parse_assignment(s);
        if (!a) return usage_error(kSpec, "--prog-array expects MAP:IDX=PROG, got '" + s + "'");
        options.prog_array.push_back(*a);
    }
    const std::string only = parsed->get("program");
    const std::string format = parsed->get("format", "text");

    // Load everything first: a bad file is reported alone (one line, exit 2) before any output.
    std::vector<Object> objects;
    for (const std::string& path : parsed->positional) {
        auto obj = load_or_report(path);
        if (!obj) return kExitBadInput;
        objects.push_back(std::move(*obj));
    }
    // Every --prog-array must name a prog-array map and a program of some object.
    for (const ProgArrayAssignment& a : options.prog_array) {
        bool found = false;
        for (const Object& o : objects) {
            const MapDef* m = o.find_map(a.map);
            if (!m) continue;
            if (m->type != MapType::ProgArray)
                return bad_input(o.path, "--prog-array: map '" + a.map + "' is a " + map_type_name(m->type) +
                                             " map, not a prog_array");
            if (a.index >= m->max_entries)
                return bad_input(o.path, "--prog-array: index " + std::to_string(a.index) + " of map '" +
                                             a.map + "' is beyond max_entries " +
                                             std::to_string(m->max_entries));
            if (!o.find_program(a.program))
                return bad_input(o.path, "--prog-array: no program '" + a.program + "'");
            found = true;
        }
        if (!found) return usage_error(kSpec, "--prog-array: no object has a map '" + a.map + "'");
    }

    VerifyRun run;
    run.strict = options.strict;
    bool matched = only.empty();
    for (const Object& o : objects) {
        ObjectReport report;
        report.file = o.path;
        for (size_t i = 0; i < o.programs.size(); ++i) {
            if (!only.empty() && o.programs[i].name != only) continue;
            matched = true;
            auto r = verify_program(o, i, options);
            if (!r.ok()) return bad_input(o.path, r.error());
            report.programs.push_back(std::move(r).value());
        }
        run.objects.push_back(std::move(report));
    }
    if (!matched) return usage_error(kSpec, "no program named '" + only + "' in the given objects");

    if (format == "json")
        std::cout << to_json(run).dump(2) << "\n";
    else if (format == "sarif")
        std::cout << to_sarif(run).dump(2) << "\n";
    else
        std::cout << format_text(run);
    std::cout.flush();
    return summarize(run).rejected > 0 ? kExitFound : kExitOk;
}

} // namespace tailgate::cli
