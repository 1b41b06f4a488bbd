// Internal to the ELF loader: a checked, flat view of an eBPF ELF file (sections, symbols, relocations) read
// through LLVM's ELFFile, plus the map and line-table steps that build on it. Not part of the public API;
// include verifier/elf_loader.hpp instead.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate::elf {

// ELF constants used by the loader (elf.h values).
inline constexpr uint16_t kEmNone = 0;
inline constexpr uint16_t kEmBpf = 247;
inline constexpr uint32_t kShtProgbits = 1, kShtSymtab = 2, kShtRela = 4, kShtNobits = 8, kShtRel = 9;
inline constexpr uint64_t kShfExecinstr = 0x4;
inline constexpr uint8_t kSttNotype = 0, kSttObject = 1, kSttFunc = 2, kSttSection = 3, kSttFile = 4;
inline constexpr uint16_t kShnUndef = 0, kShnLoreserve = 0xff00;

// BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def).
inline constexpr uint32_t kRBpfNone = 0, kRBpf64_64 = 1, kRBpf64Abs64 = 2, kRBpf64Abs32 = 3,
                          kRBpf64Nodyld32 = 4, kRBpf64_32 = 10;
const char* reloc_type_name(uint32_t type);

struct Section {
    uint32_t index = 0;
    std::string name;
    uint32_t type = 0;
    uint64_t flags = 0;
    uint64_t size = 0;
    uint32_t info = 0;
    std::span<const uint8_t> data; // empty for SHT_NOBITS
    bool executable() const { return (flags & kShfExecinstr) != 0 && type == kShtProgbits; }
};

struct Symbol {
    std::string name; // for STT_SECTION symbols: the section's name
    uint8_t type = 0;
    uint8_t bind = 0;
    uint16_t shndx = 0;
    uint64_t value = 0;
    uint64_t size = 0;
    bool defined() const { return shndx != kShnUndef && shndx < kShnLoreserve; }
};

struct Reloc {
    uint64_t offset = 0;
    uint32_t sym = 0; // index into Image::symbols
    uint32_t type = 0;
    int64_t addend = 0; // SHT_RELA only; BPF uses SHT_REL with the addend in the instruction
};

// The whole file, checked: every section's data lies inside the file, every relocation names an existing
// symbol index. Spans point into the caller's buffer, which must outlive the Image.
struct Image {
    uint16_t machine = 0;
    std::vector<Section> sections;                 // by ELF index
    std::vector<Symbol> symbols;                   // by symtab index (0 is the null symbol)
    std::map<uint32_t, std::vector<Reloc>> relocs; // target section index -> its relocations, by offset
    std::optional<uint32_t> text;                  // index of ".text" if present

    const Section* find_section(const std::string& name) const;
    const std::vector<Reloc>& relocs_of(uint32_t section) const;
};

// Reads: the bytes of an ELF file. Fails when: see load_object() codes not-elf, wrong-machine, truncated,
// malformed-elf, bad-relocation (relocation symbol index past the symbol table).
Result<Image> read_image(std::span<const uint8_t> bytes);

// Where maps live, for relocations: (section, offset of the map's symbol) -> index into Object::maps, and
// global-data section -> index.
struct MapIndex {
    std::map<std::pair<uint32_t, uint64_t>, size_t> by_symbol;
    std::map<uint32_t, size_t> by_section;
};

// Reads: the `maps`, `.maps` (+ .BTF, .rel.maps) and global-data sections. Writes: obj.maps in libbpf order
// (legacy, BTF, global data) and the index. Static prog-array slots name programs by symbol.
// Fails when: unknown-map-type, bad-map-def, bad-btf, bad-relocation (a .rel.maps entry that is not a
// program or map pointer at a `values` slot).
Status collect_maps(const Image& image, Object& obj, MapIndex& index);

// Instruction -> source location, keyed by (ELF section index, byte offset in that section).
class LineTable {
  public:
    void add(uint32_t section, uint64_t begin, uint64_t end, SourceLoc loc);
    std::optional<SourceLoc> lookup(uint32_t section, uint64_t offset) const;
    bool empty() const { return ranges_.empty(); }

  private:
    struct Range {
        uint64_t end;
        SourceLoc loc;
    };
    std::map<uint32_t, std::map<uint64_t, Range>> ranges_;
};

// Reads: .debug_line through LLVM's DWARFContext (relocations applied). Never fails: DWARF it cannot read
// gives no line info. `bytes` must be the (possibly machine-patched) whole file.
LineTable read_line_table(std::span<const uint8_t> bytes);

} // namespace tailgate::elf
