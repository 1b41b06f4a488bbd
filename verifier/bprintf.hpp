// The kernel's printf subset for BPF: bpf_bprintf_prepare()'s grammar and bstr_printf()'s output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace tailgate {

// Reads n bytes at addr into dst; false when the memory cannot be read (a fault). %s and %pI4 read
// through it; a failed read prints an empty string / 0.0.0.0, as the kernel's nofault copies do.
using BprintfReader = std::function<bool(void* dst, uint64_t addr, size_t n)>;

// Formats fmt with args: %d %i %u %x %X with optional l/ll, %c, %s, %p / %pK / %px, %pi4 / %pI4, %%, flags
// (0 + - space) and a width. Fails (nullopt) where bpf_bprintf_prepare() returns -EINVAL: no NUL inside
// fmt_size, a character neither printable nor space, an unknown conversion, more conversions than args.
// The result is cut at 1023 bytes (MAX_BPRINTF_BUF - 1).
std::optional<std::string> format_bprintf(const char* fmt, uint32_t fmt_size, std::span<const uint64_t> args,
                                          const BprintfReader& read);

} // namespace tailgate
