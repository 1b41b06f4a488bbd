// Bad input: truncated, bit-flipped (deterministic seeds), wrong-machine, non-ELF and broken-relocation
// objects. In process, load_object() must return an error with a known code (never crash or hang); through
// the CLI (TAILGATE_BIN), `tailgate disasm` must exit 2 with exactly one line starting `tailgate: `.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <elf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>

#include "tests/test_support.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
namespace fs = std::filesystem;

namespace {

const std::set<std::string> kLoaderCodes = {
    "unreadable", "not-elf",        "wrong-machine",    "truncated",   "malformed-elf", "unknown-section",
    "bad-symbol", "bad-relocation", "unknown-map-type", "bad-map-def", "bad-btf",       "invalid-instruction",
};

std::string fixture(const std::string& name) {
    return testing::fixture_object(name);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Inputs: the loader fixtures plus every corpus object that exists.
std::vector<std::string> inputs() {
    std::vector<std::string> out;
    for (const char* n : {"legacy20", "legacy28", "legacy36", "legacy_nosize", "globals", "btf_maps"})
        out.push_back(fixture(n));
    const std::vector<std::string> corpus = testing::corpus_objects();
    out.insert(out.end(), corpus.begin(), corpus.end());
    return out;
}

Error load_error(const std::vector<uint8_t>& bytes, const std::string& what) {
    auto r = load_object_from_bytes(bytes, what);
    if (r.ok()) {
        FAIL_CHECK(what << ": loaded although it is broken");
        return {};
    }
    CHECK_MESSAGE(kLoaderCodes.count(r.error().code) == 1, what << ": unknown code " << r.error().code);
    CHECK_MESSAGE(!r.error().message.empty(), what);
    CHECK_MESSAGE(r.error().message.find('\n') == std::string::npos, what);
    return r.error();
}

// Section headers of a (well-formed) fixture, for targeted corruption.
struct Shdrs {
    Elf64_Ehdr eh;
    std::vector<Elf64_Shdr> sh;
    std::vector<std::string> names;
    size_t find(const std::string& name) const {
        for (size_t i = 0; i < names.size(); ++i) {
            if (names[i] == name) return i;
        }
        FAIL("no section " << name);
        return 0;
    }
};

Shdrs parse(const std::vector<uint8_t>& b) {
    Shdrs s;
    REQUIRE(b.size() >= sizeof(Elf64_Ehdr));
    std::memcpy(&s.eh, b.data(), sizeof s.eh);
    REQUIRE(s.eh.e_shoff + s.eh.e_shnum * sizeof(Elf64_Shdr) <= b.size());
    s.sh.resize(s.eh.e_shnum);
    std::memcpy(s.sh.data(), b.data() + s.eh.e_shoff, s.eh.e_shnum * sizeof(Elf64_Shdr));
    const Elf64_Shdr& str = s.sh.at(s.eh.e_shstrndx);
    for (const Elf64_Shdr& h : s.sh)
        s.names.emplace_back(reinterpret_cast<const char*>(b.data() + str.sh_offset + h.sh_name));
    return s;
}

void put_shdr(std::vector<uint8_t>& b, const Shdrs& s, size_t i) {
    std::memcpy(b.data() + s.eh.e_shoff + i * sizeof(Elf64_Shdr), &s.sh[i], sizeof(Elf64_Shdr));
}

struct CliResult {
    int status = -1;
    std::string output; // stdout + stderr
};

CliResult run_cli(const std::string& args) {
    const testing::CommandResult r = testing::run_tailgate(args);
    return {r.status, r.out + r.err};
}

class TempDir {
  public:
    TempDir() : path_(fs::temp_directory_path() / ("tailgate-bad-input-" + std::to_string(getpid()))) {
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
        const std::string p = (path_ / name).string();
        std::ofstream out(p, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        return p;
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// The CLI contract for bad input: exit 2, one line, `tailgate: FILE: ...`.
void check_cli_bad(const std::string& file) {
    CliResult r = run_cli("disasm '" + file + "'");
    CHECK_MESSAGE(r.status == 2, file << ": exit " << r.status << " output: " << r.output);
    CHECK_MESSAGE(r.output.rfind("tailgate: " + file + ": ", 0) == 0, file << ": " << r.output);
    CHECK_MESSAGE(std::count(r.output.begin(), r.output.end(), '\n') == 1, file << ": " << r.output);
}

} // namespace

TEST_CASE("fixtures load, so every failure below comes from the corruption") {
    for (const std::string& path : inputs()) {
        auto r = load_object(path);
        CHECK_MESSAGE(r.ok(), path << ": " << (r.ok() ? "" : r.error().code + ": " + r.error().message));
    }
}

TEST_CASE("non-ELF, empty, short and unreadable files") {
    CHECK(load_error({}, "empty").code == "not-elf");
    const std::string text = "this is not an object file\n";
    CHECK(load_error(std::vector<uint8_t>(text.begin(), text.end()), "text").code == "not-elf");
    CHECK(load_error({0x7f, 'E', 'L', 'F'}, "magic only").code == "not-elf");
    auto r = load_object("/nonexistent/tailgate/file.o");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unreadable");
}

TEST_CASE("wrong machine, class and byte order") {
    std::vector<uint8_t> b = read_bytes(fixture("globals"));
    std::vector<uint8_t> x86 = b;
    x86[18] = EM_X86_64;
    x86[19] = 0;
    CHECK(load_error(x86, "x86-64 machine").code == "wrong-machine");
    std::vector<uint8_t> elf32 = b;
    elf32[EI_CLASS] = ELFCLASS32;
    CHECK(load_error(elf32, "ELF32").code == "wrong-machine");
    std::vector<uint8_t> be = b;
    be[EI_DATA] = ELFDATA2MSB;
    CHECK(load_error(be, "big-endian").code == "wrong-machine");
}

TEST_CASE("every truncation of every input is an error") {
    for (const std::string& path : inputs()) {
        const std::vector<uint8_t> b = read_bytes(path);
        // clang writes the section header table last, so any cut loses part of the file's structure.
        std::set<size_t> cuts = {0, 1, 16, 63, 64, 65, b.size() / 2, b.size() - 1};
        for (size_t k = 1; k < 24; ++k) cuts.insert(b.size() * k / 24);
        for (size_t cut : cuts) {
            if (cut >= b.size()) continue;
            std::vector<uint8_t> t(b.begin(), b.begin() + long(cut));
            load_error(t, path + " cut at " + std::to_string(cut));
        }
    }
}

TEST_CASE("targeted corruption: section past the end, bad relocation symbol, unknown map type") {
    const std::vector<uint8_t> g = read_bytes(fixture("globals"));
    const Shdrs s = parse(g);
    {
        std::vector<uint8_t> b = g;
        Shdrs m = s;
        const size_t xdp = m.find("xdp");
        m.sh[xdp].sh_offset = b.size() - 8;
        put_shdr(b, m, xdp);
        CHECK(load_error(b, "xdp past the end").code == "truncated");
    }
    {
        std::vector<uint8_t> b = g;
        const size_t rel = s.find(".relxdp");
        Elf64_Rel r;
        std::memcpy(&r, b.data() + s.sh[rel].sh_offset, sizeof r);
        r.r_info = ELF64_R_INFO(0xfffff, ELF64_R_TYPE(r.r_info));
        std::memcpy(b.data() + s.sh[rel].sh_offset, &r, sizeof r);
        const Error e = load_error(b, "relocation symbol out of range");
        CHECK(e.code == "bad-relocation");
    }
    {
        std::vector<uint8_t> b = g;
        const size_t rel = s.find(".relxdp");
        Elf64_Rel r;
        std::memcpy(&r, b.data() + s.sh[rel].sh_offset, sizeof r);
        r.r_info = ELF64_R_INFO(0, ELF64_R_TYPE(r.r_info)); // the null symbol: undefined
        std::memcpy(b.data() + s.sh[rel].sh_offset, &r, sizeof r);
        CHECK(load_error(b, "relocation against the null symbol").code == "bad-relocation");
    }
    {
        std::vector<uint8_t> b = read_bytes(fixture("legacy20"));
        const Shdrs l = parse(b);
        const size_t maps = l.find("maps");
        const uint32_t type = 200;
        std::memcpy(b.data() + l.sh[maps].sh_offset, &type, 4);
        CHECK(load_error(b, "map type 200").code == "unknown-map-type");
    }
    {
        std::vector<uint8_t> b = read_bytes(fixture("legacy20"));
        const Shdrs l = parse(b);
        const size_t maps = l.find("maps");
        std::memset(b.data() + l.sh[maps].sh_offset, 0, 4);
        CHECK(load_error(b, "map type 0").code == "unknown-map-type");
    }
    {
        std::vector<uint8_t> b = g;
        const size_t xdp = s.find("xdp");
        b[s.sh[xdp].sh_offset + 8 * 2] = 0xff; // opcode of the 3rd instruction of `first`
        const Error e = load_error(b, "bad opcode");
        CHECK(e.code == "invalid-instruction");
        CHECK(e.message.find("first") != std::string::npos);
    }
    CHECK(load_object(fixture("missing_symbol")).error().code == "bad-relocation");
}

TEST_CASE("bit flips never crash and give a known code") {
    size_t loaded = 0, rejected = 0;
    for (const std::string& path : inputs()) {
        const std::vector<uint8_t> b = read_bytes(path);
        for (uint32_t seed = 1; seed <= 64; ++seed) {
            std::mt19937 rng(seed);
            std::vector<uint8_t> f = b;
            const int flips = 1 + int(rng() % 8);
            for (int i = 0; i < flips; ++i) {
                const size_t at = rng() % f.size();
                f[at] ^= uint8_t(1u << (rng() % 8));
            }
            auto r = load_object_from_bytes(f, path + " seed " + std::to_string(seed));
            if (r.ok()) {
                ++loaded;
                for (const Program& p : r->programs) {
                    CHECK(p.insns.size() == p.raw.size());
                    CHECK(p.lines.size() == p.raw.size());
                }
            } else {
                ++rejected;
                CHECK_MESSAGE(kLoaderCodes.count(r.error().code) == 1,
                              "seed " << seed << ": " << r.error().code);
            }
        }
    }
    MESSAGE("bit-flipped inputs: " << loaded << " loaded, " << rejected << " rejected");
    CHECK(rejected > 0);
}

TEST_CASE("CLI: bad input exits 2 with one line `tailgate: FILE: ...`") {
    TempDir dir;
    const std::vector<uint8_t> g = read_bytes(fixture("globals"));
    std::vector<std::string> files;
    const std::string text = "not an object\n";
    files.push_back(dir.write("text.o", std::vector<uint8_t>(text.begin(), text.end())));
    files.push_back(dir.write("empty.o", {}));
    files.push_back(
        dir.write("truncated.o", std::vector<uint8_t>(g.begin(), g.begin() + long(g.size() / 2))));
    std::vector<uint8_t> x86 = g;
    x86[18] = EM_X86_64;
    files.push_back(dir.write("x86.o", x86));
    files.push_back((dir.path() / "does-not-exist.o").string());
    files.push_back(fixture("unknown_section"));
    files.push_back(fixture("missing_symbol"));
    std::vector<uint8_t> maptype = read_bytes(fixture("legacy20"));
    const Shdrs l = parse(maptype);
    const uint32_t bad_type = 1000;
    std::memcpy(maptype.data() + l.sh[l.find("maps")].sh_offset, &bad_type, 4);
    files.push_back(dir.write("maptype.o", maptype));
    files.push_back(dir.path().string()); // a directory
    for (const std::string& f : files) check_cli_bad(f);

    // a symbol name that is not UTF-8 still gives valid JSON (the byte is replaced), not an internal error
    std::vector<uint8_t> latin1 = g;
    const std::string name("\0first\0", 7);
    auto at = std::search(latin1.begin(), latin1.end(), name.begin(), name.end());
    REQUIRE(at != latin1.end());
    at[1] = 0xe9;
    const std::string odd = dir.write("latin1.o", latin1);
    for (const std::string cmd : {"disasm --format json", "verify --format json", "cfg --format json"}) {
        CliResult r = run_cli(cmd + " '" + odd + "'");
        CHECK_MESSAGE((r.status == 0 || r.status == 1), cmd << ": exit " << r.status << ": " << r.output);
        CHECK_MESSAGE(r.output.find("internal error") == std::string::npos, cmd << ": " << r.output);
    }

    // Bit-flipped files: either a normal run (exit 0) or the one-line bad-input report (exit 2); never a
    // crash.
    for (uint32_t seed = 1; seed <= 24; ++seed) {
        std::mt19937 rng(seed * 7919);
        std::vector<uint8_t> f = g;
        for (int i = 0; i < 4; ++i) f[rng() % f.size()] ^= uint8_t(1u << (rng() % 8));
        const std::string p = dir.write("flip" + std::to_string(seed) + ".o", f);
        CliResult r = run_cli("disasm '" + p + "'");
        CHECK_MESSAGE((r.status == 0 || r.status == 2), p << ": exit " << r.status);
        if (r.status == 2) {
            CHECK_MESSAGE(r.output.rfind("tailgate: " + p + ": ", 0) == 0, r.output);
            CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
        }
    }
}

TEST_CASE("CLI: usage errors exit 2, --help and --version exit 0") {
    CliResult r = run_cli("disasm");
    CHECK(r.status == 2);
    CHECK(r.output.rfind("tailgate disasm: ", 0) == 0);
    r = run_cli("disasm " + fixture("globals") + " --format xml");
    CHECK(r.status == 2);
    r = run_cli("disasm " + fixture("globals") + " --no-such-option");
    CHECK(r.status == 2);
    r = run_cli("no-such-command");
    CHECK(r.status == 2);
    r = run_cli("disasm " + fixture("globals") + " --program nope");
    CHECK(r.status == 2);
    CHECK(r.output.rfind("tailgate: " + fixture("globals") + ": ", 0) == 0);
    r = run_cli("--help");
    CHECK(r.status == 0);
    CHECK(r.output.find("disasm") != std::string::npos);
    r = run_cli("--version");
    CHECK(r.status == 0);
    CHECK(r.output.rfind("tailgate ", 0) == 0);
    r = run_cli("disasm --help");
    CHECK(r.status == 0);
    CHECK(r.output.find("--format") != std::string::npos);
}
