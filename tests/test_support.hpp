// Shared by the test executables: where the build put things (environment set in tests/meson.build), the
// objects every file-driven suite walks, and running a command with its exit status and output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tailgate::testing {

inline std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

inline std::string fixture_object(const std::string& name) {
    return env_or("TAILGATE_FIXTURE_DIR", "build/tests/fixtures") + "/" + name + ".o";
}

inline std::string corpus_object(const std::string& name) {
    return env_or("TAILGATE_CORPUS_DIR", "build/corpus") + "/" + name + ".o";
}

// Every `.o` of the built corpus, sorted by name (empty when TAILGATE_CORPUS_DIR is not a directory).
inline std::vector<std::string> corpus_objects() {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    const std::string corpus = env_or("TAILGATE_CORPUS_DIR", "");
    if (corpus.empty() || !fs::is_directory(corpus)) return out;
    for (const auto& e : fs::directory_iterator(corpus))
        if (e.path().extension() == ".o") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

struct CommandResult {
    int status = -1; // exit status; 128 + signal when killed
    std::string out; // stdout
    std::string err; // stderr
};

// Runs `command` through the shell; stdout and stderr are captured separately.
inline CommandResult run_command(const std::string& command) {
    namespace fs = std::filesystem;
    const fs::path err_file =
        fs::temp_directory_path() / ("tailgate-test-stderr-" + std::to_string(getpid()) + ".txt");
    CommandResult r;
    FILE* p = popen((command + " 2>'" + err_file.string() + "'").c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    std::ifstream in(err_file);
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::error_code ec;
    fs::remove(err_file, ec);
    return r;
}

// Runs the tailgate CLI (TAILGATE_BIN) with `args` (already shell-quoted where needed).
inline CommandResult run_tailgate(const std::string& args) {
    return run_command(env_or("TAILGATE_BIN", "build/tools/tailgate") + " " + args);
}

} // namespace tailgate::testing
