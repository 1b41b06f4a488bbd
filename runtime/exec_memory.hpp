// W^X code buffers for the JIT: a mapping is writable (while code is emitted) or executable (after
// seal()), never both at once.
//
// Contract:
//   ExecMemory::allocate(n)  maps >= n bytes read+write (never executable). Fails with "mmap-failed".
//   data()/size()            the writable bytes; valid until seal().
//   seal(used)               unmaps whole pages past `used`, then mprotects the rest read+execute.
//                            Fails with "mprotect-failed"; after success the buffer is never writable.
//   ~ExecMemory              unmaps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "verifier/result.hpp"

namespace tailgate::rt {

class ExecMemory {
  public:
    static Result<ExecMemory> allocate(size_t bytes);

    ExecMemory() = default;
    ExecMemory(ExecMemory&& other) noexcept;
    ExecMemory& operator=(ExecMemory&& other) noexcept;
    ExecMemory(const ExecMemory&) = delete;
    ExecMemory& operator=(const ExecMemory&) = delete;
    ~ExecMemory();

    uint8_t* data() const { return base_; }
    size_t size() const { return size_; }
    bool writable() const { return !sealed_; }
    bool executable() const { return sealed_; }

    Status seal(size_t used);

  private:
    ExecMemory(uint8_t* base, size_t size) : base_(base), size_(size) {}
    void release();

    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    bool sealed_ = false;
};

} // namespace tailgate::rt
