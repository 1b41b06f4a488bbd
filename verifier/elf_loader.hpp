// Loading a clang-built eBPF ELF object the way libbpf opens and relocates it (libbpf.c bpf_object__open,
// bpf_object__relocate): programs, maps, global data, bpf2bpf subprograms, source lines.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate {

// Reads: the ELF file at `path`. Writes: the loaded Object (see object.hpp for what each field holds).
// Fails with one of these codes (the message names the section/symbol/offset involved):
//   unreadable        the file cannot be read;
//   not-elf           no ELF magic, or too short for an ELF header;
//   wrong-machine     not a 64-bit little-endian eBPF object (e_machine other than EM_BPF or EM_NONE);
//   truncated         a header, section, symbol or relocation lies outside the file;
//   malformed-elf     ELF structure that is inside the file but inconsistent (bad string offsets, ...);
//   unknown-section   a program lives in a section whose name libbpf's SEC() table does not know;
//   bad-symbol        a function symbol outside its section or not 8-byte aligned;
//   bad-relocation    a relocation against a missing/undefined symbol, of an unexpected type, on the wrong
//                     instruction, or a call whose target is not a .text function;
//   unknown-map-type  a map whose type is 0 or above kMaxKnownMapType;
//   bad-map-def       a legacy map record of unsupported size, or a static prog-array slot out of range;
//   bad-btf           .BTF that libbpf cannot parse, or a .maps variable it cannot describe;
//   invalid-instruction  the relocated program does not decode (the decoder's message follows).
Result<Object> load_object(const std::string& path);

// Same, from bytes already in memory; `name` is used as Object::path and in messages.
Result<Object> load_object_from_bytes(std::span<const uint8_t> bytes, const std::string& name);

// One executable section exactly as stored in the file (before any relocation), for display and for
// comparing with llvm-objdump. Relocation notes use section slot indexes.
struct CodeSection {
    std::string name;
    uint32_t index = 0; // ELF section index
    std::vector<RawInsn> code;
    std::vector<RelocNote> relocs;
    std::vector<Subprogram> symbols; // FUNC symbols of the section, by start slot
};

// Reads: the ELF file at `path`. Writes: every SHF_EXECINSTR section's raw code and relocations.
// Fails with the same codes as load_object() for the ELF structure (no program or map checks).
Result<std::vector<CodeSection>> load_code_sections(const std::string& path);

} // namespace tailgate
