// The kernel's printf subset for BPF (kernel/bpf/helpers.c bpf_bprintf_prepare() + lib/vsprintf.c
// bstr_printf()), shared by the verifier (bpf_snprintf's constant format is checked at load, as
// verifier.c check_bpf_snprintf_call() does) and the runtime (trace_printk, trace_vprintk, snprintf).
#include "verifier/bprintf.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace tailgate {

std::optional<std::string> format_bprintf(const char* fmt, uint32_t fmt_size, std::span<const uint64_t> args,
                                          const BprintfReader& read) {
    // kernel: helpers.c bpf_bprintf_prepare(): the format must hold a NUL within fmt_size; printable ASCII.
    if (fmt_size == 0 || std::memchr(fmt, 0, fmt_size) == nullptr) return std::nullopt;
    size_t n = std::strlen(fmt);
    std::string out;
    size_t spec = 0;
    for (size_t i = 0; i < n; ++i) {
        unsigned char ch = static_cast<unsigned char>(fmt[i]);
        if ((!std::isprint(ch) && !std::isspace(ch)) || ch > 127) return std::nullopt;
        if (ch != '%') {
            out += char(ch);
            continue;
        }
        if (fmt[i + 1] == '%') {
            out += '%';
            ++i;
            continue;
        }
        if (spec >= args.size()) return std::nullopt; // num_spec >= num_args -> -EINVAL
        uint64_t arg = args[spec++];
        std::string flags = "%";
        ++i;
        while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ') flags += fmt[i++];
        if (fmt[i] >= '1' && fmt[i] <= '9') {
            while (fmt[i] >= '0' && fmt[i] <= '9') flags += fmt[i++];
        }
        char buf[512];
        if (fmt[i] == 'p') {
            // %p, %pK, %px: the pointer value (the kernel hashes plain %p; we print it); %pi4/%pI4: IPv4.
            if ((fmt[i + 1] == 'i' || fmt[i + 1] == 'I') && fmt[i + 2] == '4') {
                uint8_t ip[4];
                if (!read(ip, arg, 4)) std::memset(ip, 0, 4);
                std::snprintf(buf, sizeof buf, fmt[i + 1] == 'i' ? "%03u%03u%03u%03u" : "%u.%u.%u.%u", ip[0],
                              ip[1], ip[2], ip[3]);
                out += buf;
                i += 2;
                continue;
            }
            if (fmt[i + 1] == 'K' || fmt[i + 1] == 'x')
                ++i;
            else if (fmt[i + 1] != 0 && !std::isspace(static_cast<unsigned char>(fmt[i + 1])) &&
                     !std::ispunct(static_cast<unsigned char>(fmt[i + 1])))
                return std::nullopt;
            std::snprintf(buf, sizeof buf, (flags + "llx").c_str(), (unsigned long long)arg);
            out += "0x";
            out += buf;
            continue;
        }
        if (fmt[i] == 's') {
            // kernel: strncpy_from_kernel_nofault(); a fault prints an empty string.
            std::string s;
            for (uint64_t a = arg; s.size() < 1024; ++a) {
                char c;
                if (!read(&c, a, 1)) {
                    s.clear();
                    break;
                }
                if (c == 0) break;
                s += c;
            }
            std::snprintf(buf, sizeof buf, (flags + "s").c_str(), s.c_str());
            out += buf;
            continue;
        }
        if (fmt[i] == 'c') {
            std::snprintf(buf, sizeof buf, (flags + "c").c_str(), int(uint8_t(arg)));
            out += buf;
            continue;
        }
        int size = 4;
        if (fmt[i] == 'l') size = 8, ++i;
        if (fmt[i] == 'l') ++i;
        char conv = fmt[i];
        if (conv != 'i' && conv != 'd' && conv != 'u' && conv != 'x' && conv != 'X') return std::nullopt;
        std::string f = flags + "ll" + (conv == 'i' ? 'd' : conv);
        if (conv == 'd' || conv == 'i') {
            long long v = size == 4 ? (long long)int32_t(uint32_t(arg)) : (long long)int64_t(arg);
            std::snprintf(buf, sizeof buf, f.c_str(), v);
        } else {
            unsigned long long v = size == 4 ? (unsigned long long)uint32_t(arg) : (unsigned long long)arg;
            std::snprintf(buf, sizeof buf, f.c_str(), v);
        }
        out += buf;
    }
    if (out.size() > 1023) out.resize(1023); // MAX_BPRINTF_BUF
    return out;
}

} // namespace tailgate
