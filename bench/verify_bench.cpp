// Verification speed: how long `verify_program` takes on the corpus and on large synthetic programs.
// Prints figures; never run by the tests.
//
//   build/bench/verify_bench [CORPUS_DIR]     (default build/corpus)
//
// Synthetic programs (XDP, assembled with tailgate's assembler):
//   straight  N blocks of "check data + k <= data_end, load, accumulate": one long path;
//   diamonds  N if/else diamonds whose arms leave a packet pointer or a stack pointer in a register that
//             is null-checked and dereferenced after the merge: the disjunctive states at every merge;
//   loops     N sequential bounded loops of 16 iterations each (widening, narrowing, termination).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/verify.hpp"
#include "verifier/assembler.hpp"
#include "verifier/elf_loader.hpp"

using namespace tailgate;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// An object holding one XDP program assembled from `src` (no maps, no subprograms).
bool make_program(const std::string& src, Object& obj) {
    auto raw = assemble(src);
    if (!raw.ok()) {
        std::fprintf(stderr, "assemble: %s\n", raw.error().message.c_str());
        return false;
    }
    Program p;
    p.name = "synthetic";
    p.section = "xdp";
    p.type = ProgType::Xdp;
    p.raw = *raw;
    auto insns = decode(p.raw);
    if (!insns.ok()) {
        std::fprintf(stderr, "decode: %s\n", insns.error().message.c_str());
        return false;
    }
    p.insns = *insns;
    p.functions.push_back(Subprogram{"synthetic", 0, uint32_t(p.insns.size())});
    obj = Object{};
    obj.path = "synthetic.o";
    obj.programs.push_back(std::move(p));
    return true;
}

std::string straight(int n) {
    std::string s = "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n mov %r0, 0\n";
    for (int i = 0; i < n; ++i) {
        const int k = i % 1000;
        s += "mov %r4, %r2\n add %r4, " + std::to_string(k + 1) + "\n jgt %r4, %r3, +2\n ldxb %r5, [%r2+" +
             std::to_string(k) + "]\n add %r0, %r5\n";
    }
    return s + "and %r0, 1\n exit\n";
}

std::string diamonds(int n) {
    std::string s = "ldxw %r2, [%r1+0]\n ldxw %r3, [%r1+4]\n mov %r0, 0\n mov %r6, 0\n stxdw [%r10-8], %r6\n";
    for (int i = 0; i < n; ++i) {
        // r7 = (data + 8 <= data_end) ? data : (r0 & 1 ? fp - 8 : NULL); if (r7) r0 += *(u8 *)r7
        s += "mov %r4, %r2\n add %r4, 8\n mov %r7, %r2\n jle %r4, %r3, +6\n mov %r7, 0\n mov %r5, %r0\n and "
             "%r5, 1\n"
             " jeq %r5, 0, +2\n mov %r7, %r10\n add %r7, -8\n jeq %r7, 0, +2\n ldxb %r5, [%r7+0]\n add %r0, "
             "%r5\n";
    }
    return s + "and %r0, 1\n exit\n";
}

std::string loops(int n) {
    std::string s = "mov %r0, 0\n";
    for (int i = 0; i < n; ++i) s += "mov %r6, 0\n add %r0, %r6\n add %r6, 1\n jlt %r6, 16, -3\n";
    return s + "and %r0, 1\n exit\n";
}

void bench_synthetic(const char* name, const std::string& src) {
    Object obj;
    if (!make_program(src, obj)) return;
    const size_t insns = obj.programs[0].insns.size();
    const auto t0 = Clock::now();
    auto r = verify_program(obj, 0, VerifyOptions{});
    const double s = seconds_since(t0);
    const char* verdict = !r.ok() ? "error" : verdict_name(r->verdict);
    std::printf("%-10s %8zu insns  %8.3f s  %10.0f insns/s  %s\n", name, insns, s, double(insns) / s,
                verdict);
    if (r.ok() && !r->diagnostics.empty())
        std::printf("           first diagnostic: insn %u %s: %s\n", r->diagnostics[0].insn.value_or(0),
                    r->diagnostics[0].code.c_str(), r->diagnostics[0].message.c_str());
}

} // namespace

int main(int argc, char** argv) {
    const std::string dir = argc > 1 ? argv[1] : "build/corpus";
    std::vector<std::string> files;
    if (fs::is_directory(dir))
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".o") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());

    size_t programs = 0, insns = 0;
    double total = 0, worst = 0;
    std::string worst_name;
    constexpr int kRepeat = 20;
    for (const std::string& f : files) {
        auto obj = load_object(f);
        if (!obj.ok()) continue;
        for (size_t i = 0; i < obj->programs.size(); ++i) {
            const auto t0 = Clock::now();
            for (int k = 0; k < kRepeat; ++k) (void)verify_program(*obj, i, VerifyOptions{});
            const double s = seconds_since(t0) / kRepeat;
            ++programs;
            insns += obj->programs[i].insns.size();
            total += s;
            if (s > worst)
                worst = s, worst_name = fs::path(f).filename().string() + ":" + obj->programs[i].name;
        }
    }
    std::printf(
        "corpus: %zu objects, %zu programs, %zu insns: %.3f ms per pass over all (mean of %d); slowest "
        "%s %.3f ms\n",
        files.size(), programs, insns, total * 1e3, kRepeat, worst_name.c_str(), worst * 1e3);
    bench_synthetic("straight", straight(20000));
    bench_synthetic("diamonds", diamonds(5000));
    bench_synthetic("loops", loops(2000));
    return 0;
}
