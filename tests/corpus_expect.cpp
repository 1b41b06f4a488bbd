// Parser of the corpus expectation comments (format: corpus/README.md).
#include "tests/corpus_expect.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace tailgate::corpus {

namespace {

constexpr std::string_view kMarker = "tailgate:";

struct Directive {
    std::string kind;
    std::map<std::string, std::string> keys; // ordered: error messages are stable
};

bool parse_u64(std::string_view s, uint64_t& out) {
    if (s.empty()) return false;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && ptr == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (true) {
        size_t pos = s.find(sep, start);
        parts.push_back(
            s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return parts;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
        size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

// The directives of one source line: the text after the first "//" that is followed (anywhere later on the
// line) by the marker, split at each marker. Reads: one line. Fails (error string) on a token without '='
// or a repeated key.
std::vector<Directive> directives_of_line(std::string_view line, std::string& error) {
    std::vector<Directive> out;
    size_t comment = line.find("//");
    if (comment == std::string_view::npos) return out;
    std::string_view text = line.substr(comment + 2);
    size_t pos = text.find(kMarker);
    if (pos == std::string_view::npos) return out;
    while (pos != std::string_view::npos) {
        size_t next = text.find(kMarker, pos + kMarker.size());
        std::string_view body =
            text.substr(pos + kMarker.size(), next == std::string_view::npos ? std::string_view::npos
                                                                             : next - pos - kMarker.size());
        std::vector<std::string_view> toks = words(body);
        Directive d;
        if (toks.empty()) {
            error = "empty directive";
            return {};
        }
        d.kind = std::string(toks[0]);
        for (size_t i = 1; i < toks.size(); ++i) {
            size_t eq = toks[i].find('=');
            if (eq == std::string_view::npos || eq == 0) {
                error = "'" + std::string(toks[i]) + "' is not key=value";
                return {};
            }
            std::string key(toks[i].substr(0, eq));
            if (!d.keys.emplace(key, std::string(toks[i].substr(eq + 1))).second) {
                error = "key '" + key + "' repeated";
                return {};
            }
        }
        out.push_back(std::move(d));
        pos = next;
    }
    return out;
}

// Checks the directive's keys against the kind's allowed and required sets.
bool check_keys(const Directive& d, std::initializer_list<std::string_view> required,
                std::initializer_list<std::string_view> optional, std::string& error) {
    for (std::string_view r : required) {
        if (!d.keys.count(std::string(r))) {
            error = d.kind + ": missing " + std::string(r) + "=";
            return false;
        }
    }
    for (const auto& [k, v] : d.keys) {
        bool known = std::find(required.begin(), required.end(), k) != required.end() ||
                     std::find(optional.begin(), optional.end(), k) != optional.end();
        if (!known) {
            error = d.kind + ": unknown key '" + k + "'";
            return false;
        }
    }
    return true;
}

bool valid_when(std::string_view w) {
    if (w.empty()) return false;
    return std::all_of(w.begin(), w.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '=';
    });
}

bool valid_code(std::string_view c) {
    if (c.empty() || c.front() == '-' || c.back() == '-') return false;
    return std::all_of(c.begin(), c.end(), [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '-'; });
}

bool valid_severity(std::string_view s) {
    return s == "error" || s == "warning" || s == "note";
}

std::optional<std::string> get(const Directive& d, const char* key) {
    auto it = d.keys.find(key);
    if (it == d.keys.end()) return std::nullopt;
    return it->second;
}

// Per-file parse state: the last `program` name seen, for directives that default program=.
struct Parser {
    CorpusFile file;
    std::string last_program;

    void fail(uint32_t line, const std::string& what) {
        file.errors.push_back(file.source + ":" + std::to_string(line) + ": " + what);
    }

    bool program_or_default(const Directive& d, uint32_t line, std::string& out) {
        if (auto p = get(d, "program")) {
            if (p->empty()) {
                fail(line, d.kind + ": empty program=");
                return false;
            }
            out = *p;
            return true;
        }
        if (last_program.empty()) {
            fail(line, d.kind + ": no program= and no program directive above");
            return false;
        }
        out = last_program;
        return true;
    }

    bool when_of(const Directive& d, uint32_t line, std::string& out, const char* key = "when") {
        auto w = get(d, key);
        if (!w) return true;
        if (!valid_when(*w)) {
            fail(line, d.kind + ": bad " + key + "='" + *w + "'");
            return false;
        }
        out = *w;
        return true;
    }

    void on_program(const Directive& d, uint32_t line) {
        std::string err;
        if (!check_keys(d, {"name", "verdict"}, {"when", "type"}, err)) return fail(line, err);
        VerdictExpectation v;
        v.program = *get(d, "name");
        v.line = line;
        std::string verdict = *get(d, "verdict");
        if (verdict == "accepted")
            v.verdict = Verdict::Accepted;
        else if (verdict == "rejected")
            v.verdict = Verdict::Rejected;
        else
            return fail(line, "program: verdict must be accepted or rejected, not '" + verdict + "'");
        if (v.program.empty()) return fail(line, "program: empty name=");
        if (!when_of(d, line, v.when)) return;
        v.type = get(d, "type").value_or("");
        for (const VerdictExpectation& other : file.programs) {
            if (other.program == v.program && other.when == v.when)
                return fail(line, "program: second verdict for '" + v.program + "'" +
                                      (v.when.empty() ? "" : " when=" + v.when));
        }
        last_program = v.program;
        file.programs.push_back(std::move(v));
    }

    void on_expect(const Directive& d, uint32_t line) {
        std::string err;
        if (!check_keys(d, {"code", "severity"}, {"program", "when", "unless"}, err)) return fail(line, err);
        DiagnosticExpectation e;
        e.line = line;
        e.code = *get(d, "code");
        e.severity = *get(d, "severity");
        if (!valid_code(e.code)) return fail(line, "expect: bad code '" + e.code + "'");
        if (!valid_severity(e.severity)) return fail(line, "expect: bad severity '" + e.severity + "'");
        if (!program_or_default(d, line, e.program) || !when_of(d, line, e.when) ||
            !when_of(d, line, e.unless, "unless"))
            return;
        if (!e.when.empty() && !e.unless.empty()) return fail(line, "expect: both when= and unless=");
        file.diagnostics.push_back(std::move(e));
    }

    void on_tailcall(const Directive& d, uint32_t line) {
        std::string err;
        if (!check_keys(d, {"map", "index_min", "index_max"}, {"program"}, err)) return fail(line, err);
        TailCallExpectation t;
        t.line = line;
        t.map = *get(d, "map");
        if (t.map.empty()) return fail(line, "tailcall: empty map=");
        if (!parse_u64(*get(d, "index_min"), t.index_min) || !parse_u64(*get(d, "index_max"), t.index_max) ||
            t.index_min > t.index_max || t.index_max > 0xffffffffull)
            return fail(line, "tailcall: index_min/index_max must be u32 numbers with min <= max");
        if (!program_or_default(d, line, t.program)) return;
        file.tail_calls.push_back(std::move(t));
    }

    void on_run(const Directive& d, uint32_t line) {
        std::string err;
        if (!check_keys(d, {"program", "return"}, {"packet", "args", "engine", "prog_array"}, err))
            return fail(line, err);
        RunExpectation r;
        r.line = line;
        r.program = *get(d, "program");
        if (!parse_u64(*get(d, "return"), r.ret)) return fail(line, "run: bad return=");
        if (auto p = get(d, "packet")) {
            if (p->empty()) return fail(line, "run: empty packet=");
            r.packet = *p;
        }
        if (auto a = get(d, "args")) {
            std::vector<uint64_t> args;
            for (std::string_view part : split(*a, ',')) {
                uint64_t v = 0;
                if (!parse_u64(part, v)) return fail(line, "run: bad args='" + *a + "'");
                args.push_back(v);
            }
            r.args = std::move(args);
        }
        if (r.packet && r.args) return fail(line, "run: give packet= or args=, not both");
        if (!r.packet && !r.args) return fail(line, "run: needs packet= or args=");
        std::string engine = get(d, "engine").value_or("both");
        if (engine == "both")
            r.engines = {"interp", "jit"};
        else if (engine == "interp" || engine == "jit")
            r.engines = {engine};
        else
            return fail(line, "run: engine must be interp, jit or both");
        if (auto pa = get(d, "prog_array")) {
            for (std::string_view part : split(*pa, ',')) {
                size_t colon = part.find(':'), eq = part.find('=');
                if (colon == std::string_view::npos || eq == std::string_view::npos || eq < colon)
                    return fail(line, "run: prog_array entries are MAP:IDX=PROG");
                r.prog_array.emplace_back(part);
            }
        }
        file.runs.push_back(std::move(r));
    }

    void on_graph(const Directive& d, uint32_t line) {
        std::string err;
        if (!check_keys(d, {"program", "targets"},
                        {"max_chain_length", "chain_stack_bytes", "cycle", "cross_type"}, err))
            return fail(line, err);
        GraphExpectation g;
        g.line = line;
        g.program = *get(d, "program");
        std::string targets = *get(d, "targets");
        if (targets == "*") {
            g.targets_unknown = true;
        } else if (!targets.empty()) {
            for (std::string_view t : split(targets, ',')) {
                if (t.empty()) return fail(line, "graph: empty name in targets=");
                g.targets.emplace_back(t);
            }
            std::sort(g.targets.begin(), g.targets.end());
        }
        if (auto m = get(d, "max_chain_length")) {
            uint64_t v = 0;
            if (!parse_u64(*m, v) || v > 33) return fail(line, "graph: max_chain_length must be 0..33");
            g.max_chain_length = uint32_t(v);
        }
        if (auto s = get(d, "chain_stack_bytes")) {
            uint64_t v = 0;
            if (!parse_u64(*s, v)) return fail(line, "graph: bad chain_stack_bytes=");
            g.chain_stack_bytes = v;
        }
        if (auto c = get(d, "cycle")) {
            if (*c != "yes" && *c != "no") return fail(line, "graph: cycle must be yes or no");
            g.cycle = (*c == "yes");
        }
        g.cross_type = get(d, "cross_type").value_or("");
        for (const GraphExpectation& other : file.graphs)
            if (other.program == g.program)
                return fail(line, "graph: second graph line for '" + g.program + "'");
        file.graphs.push_back(std::move(g));
    }
};

} // namespace

std::vector<std::string> CorpusFile::program_names() const {
    std::vector<std::string> names;
    for (const VerdictExpectation& v : programs)
        if (std::find(names.begin(), names.end(), v.program) == names.end()) names.push_back(v.program);
    return names;
}

const VerdictExpectation* CorpusFile::verdict_for(std::string_view program, std::string_view when) const {
    const VerdictExpectation* fallback = nullptr;
    for (const VerdictExpectation& v : programs) {
        if (v.program != program) continue;
        if (!when.empty() && v.when == when) return &v;
        if (v.when.empty()) fallback = &v;
    }
    return fallback;
}

std::vector<DiagnosticExpectation> CorpusFile::diagnostics_for(std::string_view program,
                                                               std::string_view when) const {
    std::vector<DiagnosticExpectation> out;
    for (const DiagnosticExpectation& d : diagnostics)
        if (d.program == program && (d.when.empty() || (!when.empty() && d.when == when)) &&
            (d.unless.empty() || d.unless != when))
            out.push_back(d);
    return out;
}

const GraphExpectation* CorpusFile::graph_for(std::string_view program) const {
    for (const GraphExpectation& g : graphs)
        if (g.program == program) return &g;
    return nullptr;
}

CorpusFile parse_corpus_source(std::string_view text, const std::string& source_name) {
    Parser p;
    p.file.source = source_name;
    p.file.object = source_name.substr(0, source_name.rfind('.')) + ".o";
    uint32_t line_no = 0;
    for (std::string_view line : split(text, '\n')) {
        ++line_no;
        std::string err;
        std::vector<Directive> ds = directives_of_line(line, err);
        if (!err.empty()) {
            p.fail(line_no, err);
            continue;
        }
        for (const Directive& d : ds) {
            if (d.kind == "program")
                p.on_program(d, line_no);
            else if (d.kind == "expect")
                p.on_expect(d, line_no);
            else if (d.kind == "tailcall")
                p.on_tailcall(d, line_no);
            else if (d.kind == "run")
                p.on_run(d, line_no);
            else if (d.kind == "graph")
                p.on_graph(d, line_no);
            else
                p.fail(line_no, "unknown directive '" + d.kind + "'");
        }
    }
    // Every program named by another directive must have a verdict in the same file.
    std::set<std::string> named;
    for (const VerdictExpectation& v : p.file.programs) named.insert(v.program);
    auto need = [&](const std::string& prog, uint32_t line, const char* kind) {
        if (!named.count(prog))
            p.fail(line, std::string(kind) + ": program '" + prog + "' has no program directive");
    };
    for (const auto& d : p.file.diagnostics) need(d.program, d.line, "expect");
    for (const auto& t : p.file.tail_calls) need(t.program, t.line, "tailcall");
    for (const auto& r : p.file.runs) need(r.program, r.line, "run");
    for (const auto& g : p.file.graphs) {
        need(g.program, g.line, "graph");
        for (const std::string& t : g.targets) need(t, g.line, "graph target");
    }
    return std::move(p.file);
}

std::vector<CorpusFile> load_corpus_expectations(const std::string& source_dir) {
    namespace fs = std::filesystem;
    std::vector<fs::path> sources;
    std::error_code ec;
    for (fs::directory_iterator it(source_dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".c") sources.push_back(it->path());
    std::sort(sources.begin(), sources.end());
    std::vector<CorpusFile> files;
    for (const fs::path& path : sources) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        CorpusFile f;
        if (!in) {
            f.source = path.filename().string();
            f.object = path.stem().string() + ".o";
            f.errors.push_back(f.source + ": cannot read");
        } else {
            f = parse_corpus_source(text.str(), path.filename().string());
        }
        f.source_path = path.string();
        files.push_back(std::move(f));
    }
    return files;
}

std::optional<std::vector<uint8_t>> load_packet(const std::string& source_dir, const std::string& name) {
    std::ifstream in(std::filesystem::path(source_dir) / "packets" / (name + ".hex"));
    if (!in) return std::nullopt;
    std::vector<uint8_t> bytes;
    std::string line;
    while (std::getline(in, line)) {
        std::string_view body(line);
        if (size_t hash = body.find('#'); hash != std::string_view::npos) body = body.substr(0, hash);
        for (std::string_view w : words(body)) {
            if (w.size() != 2) return std::nullopt;
            uint8_t b = 0;
            auto [ptr, ec] = std::from_chars(w.data(), w.data() + 2, b, 16);
            if (ec != std::errc() || ptr != w.data() + 2) return std::nullopt;
            bytes.push_back(b);
        }
    }
    if (bytes.empty()) return std::nullopt;
    return bytes;
}

std::vector<std::string> when_to_cli_args(std::string_view when) {
    if (when.empty()) return {};
    size_t eq = when.find('=');
    if (eq == std::string_view::npos) return {"--" + std::string(when)};
    return {"--" + std::string(when.substr(0, eq)), std::string(when.substr(eq + 1))};
}

} // namespace tailgate::corpus
