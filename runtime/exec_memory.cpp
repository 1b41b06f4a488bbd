#include "runtime/exec_memory.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

namespace tailgate::rt {

namespace {
size_t page_size() {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<size_t>(p) : 4096;
}
size_t round_up(size_t n, size_t to) {
    return (n + to - 1) / to * to;
}
} // namespace

Result<ExecMemory> ExecMemory::allocate(size_t bytes) {
    size_t len = round_up(bytes == 0 ? 1 : bytes, page_size());
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return make_error("mmap-failed",
                          "mmap of " + std::to_string(len) + " bytes: " + std::strerror(errno));
    return ExecMemory(static_cast<uint8_t*>(p), len);
}

ExecMemory::ExecMemory(ExecMemory&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)),
      sealed_(std::exchange(other.sealed_, false)) {}

ExecMemory& ExecMemory::operator=(ExecMemory&& other) noexcept {
    if (this != &other) {
        release();
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
        sealed_ = std::exchange(other.sealed_, false);
    }
    return *this;
}

ExecMemory::~ExecMemory() {
    release();
}

void ExecMemory::release() {
    if (base_ != nullptr) munmap(base_, size_);
    base_ = nullptr;
    size_ = 0;
}

Status ExecMemory::seal(size_t used) {
    if (base_ == nullptr || sealed_)
        return make_error("mprotect-failed", "seal of an empty or sealed buffer");
    size_t keep = round_up(used == 0 ? 1 : used, page_size());
    if (keep < size_) {
        munmap(base_ + keep, size_ - keep);
        size_ = keep;
    }
    if (mprotect(base_, size_, PROT_READ | PROT_EXEC) != 0)
        return make_error("mprotect-failed", std::string("mprotect RX: ") + std::strerror(errno));
    sealed_ = true;
    return Ok{};
}

} // namespace tailgate::rt
