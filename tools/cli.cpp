// Shared CLI plumbing; see cli.hpp for the exit-code conventions.
#include "tools/cli.hpp"

#include <charconv>

#include <cstdio>
#include <iostream>

#include "verifier/elf_loader.hpp"

namespace tailgate::cli {

namespace {

std::string one_line(std::string s) {
    for (char& c : s) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return s;
}

const Option* find_option(const CommandSpec& spec, const std::string& name) {
    for (const Option& o : spec.options) {
        if (o.name == name) return &o;
    }
    return nullptr;
}

} // namespace

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
}

Result<ParsedArgs> parse_args(const CommandSpec& spec, const std::vector<std::string>& args) {
    ParsedArgs out;
    bool options_done = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (options_done || a.size() < 2 || a[0] != '-') {
            out.positional.push_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        if (a == "--help" || a == "-h") {
            out.help = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) return make_error("usage", "unknown option '" + a + "'");
        std::string name = a.substr(2);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const Option* opt = find_option(spec, name);
        if (!opt) return make_error("usage", "unknown option '--" + name + "'");
        if (opt->value_name.empty()) {
            if (value) return make_error("usage", "option '--" + name + "' takes no value");
            out.flags[name] = true;
            continue;
        }
        if (!value) {
            if (i + 1 >= args.size()) return make_error("usage", "option '--" + name + "' needs a value");
            value = args[++i];
        }
        if (!opt->choices.empty()) {
            bool allowed = false;
            for (const std::string& c : opt->choices) allowed = allowed || c == *value;
            if (!allowed)
                return make_error("usage", "option '--" + name + "' does not accept '" + *value + "'");
        }
        out.values[name] = *value;
        out.all_values[name].push_back(*value);
    }
    if (!out.help) {
        if (out.positional.size() < spec.min_positional)
            return make_error("usage",
                              "missing argument (usage: tailgate " + spec.name + " " + spec.usage + ")");
        if (out.positional.size() > spec.max_positional)
            return make_error("usage", "unexpected argument '" + out.positional[spec.max_positional] + "'");
    }
    return out;
}

std::string help_text(const CommandSpec& spec) {
    std::string s = "usage: tailgate " + spec.name + " " + spec.usage + "\n\n" + spec.summary + "\n";
    if (!spec.options.empty()) s += "\noptions:\n";
    for (const Option& o : spec.options) {
        std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
        if (left.size() < 28)
            left.resize(28, ' ');
        else
            left += "  ";
        s += left + o.help + "\n";
    }
    s += "  --help                    show this help\n";
    return s;
}

int usage_error(const CommandSpec& spec, const std::string& message) {
    std::cerr << "tailgate " << spec.name << ": " << one_line(message) << std::endl;
    return kExitBadInput;
}

int bad_input(const std::string& file, const std::string& message) {
    std::cerr << "tailgate: " << one_line(file) << ": " << one_line(message) << std::endl;
    return kExitBadInput;
}

int bad_input(const std::string& file, const Error& error) {
    return bad_input(file, error.code + ": " + error.message);
}

std::optional<ParsedArgs> parse_or_exit(const CommandSpec& spec, const std::vector<std::string>& args,
                                        int& exit_code) {
    auto parsed = parse_args(spec, args);
    if (!parsed.ok()) {
        exit_code = usage_error(spec, parsed.error().message);
        return std::nullopt;
    }
    if (parsed->help) {
        std::cout << help_text(spec);
        exit_code = kExitOk;
        return std::nullopt;
    }
    return std::move(parsed).value();
}

std::optional<Object> load_or_report(const std::string& path) {
    auto obj = load_object(path);
    if (!obj.ok()) {
        bad_input(path, obj.error());
        return std::nullopt;
    }
    return std::move(obj).value();
}

std::optional<std::vector<const Program*>> select_programs(const ParsedArgs& args, const Object& obj,
                                                           const std::string& path) {
    std::vector<const Program*> progs;
    if (args.has("program")) {
        const Program* p = obj.find_program(args.get("program"));
        if (!p) {
            bad_input(path, "no program named '" + args.get("program") + "'");
            return std::nullopt;
        }
        progs.push_back(p);
    } else {
        for (const Program& p : obj.programs) progs.push_back(&p);
    }
    return progs;
}

std::string json_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += char(c);
            }
        }
    }
    return out;
}

std::vector<std::string> ParsedArgs::get_all(const std::string& name) const {
    auto it = all_values.find(name);
    return it == all_values.end() ? std::vector<std::string>{} : it->second;
}

Result<ProgArrayAssignment> parse_prog_array_flag(const std::string& text) {
    // MAP:IDX=PROG; MAP and PROG may be qualified as FILE:NAME, so IDX is the text between the last ':'
    // before '=' and the '='.
    const auto eq = text.find('=');
    const auto colon = eq == std::string::npos ? std::string::npos : text.rfind(':', eq);
    if (eq == std::string::npos || colon == std::string::npos || colon == 0 || eq + 1 >= text.size())
        return make_error("usage", "--prog-array '" + text + "' is not MAP:IDX=PROG");
    const std::string idx = text.substr(colon + 1, eq - colon - 1);
    uint32_t index = 0;
    auto [end, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
    if (idx.empty() || ec != std::errc() || end != idx.data() + idx.size())
        return make_error("usage", "--prog-array '" + text + "': slot '" + idx + "' is not a u32");
    return ProgArrayAssignment{text.substr(0, colon), index, text.substr(eq + 1)};
}

Result<std::vector<ProgArrayAssignment>> parse_prog_array_flags(const ParsedArgs& args) {
    std::vector<ProgArrayAssignment> out;
    for (const auto& text : args.get_all("prog-array")) {
        TG_TRY_ASSIGN(auto a, parse_prog_array_flag(text));
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace tailgate::cli
