// Reading the ELF structure through LLVM's ELFFile<ELF64LE>: every accessor returns Expected<>, and every
// error is consumed and turned into a tailgate Error. Nothing here trusts an offset or size from the file.
#include "verifier/elf_image.hpp"

#include <algorithm>

#pragma GCC diagnostic push // LLVM 14 headers are not -Wextra clean
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wredundant-move"
#include <llvm/Object/ELF.h>
#include <llvm/Support/Error.h>
#pragma GCC diagnostic pop

namespace tailgate::elf {

namespace {

using ElfFile = llvm::object::ELFFile<llvm::object::ELF64LE>;

// LLVM's messages for out-of-file data all say where the data would end; everything else is malformed.
Error from_llvm(llvm::Error err, const std::string& what) {
    std::string msg = llvm::toString(std::move(err));
    const bool past_end = msg.find("past the end") != std::string::npos ||
                          msg.find("greater than the file size") != std::string::npos ||
                          msg.find("out of bounds") != std::string::npos ||
                          msg.find("truncated") != std::string::npos ||
                          msg.find("is smaller than") != std::string::npos;
    return make_error(past_end ? "truncated" : "malformed-elf", what + ": " + msg);
}

template <class T> Result<T> take(llvm::Expected<T> v, const std::string& what) {
    if (!v) return from_llvm(v.takeError(), what);
    return std::move(*v);
}

} // namespace

const char* reloc_type_name(uint32_t type) {
    switch (type) {
    case kRBpfNone: return "R_BPF_NONE";
    case kRBpf64_64: return "R_BPF_64_64";
    case kRBpf64Abs64: return "R_BPF_64_ABS64";
    case kRBpf64Abs32: return "R_BPF_64_ABS32";
    case kRBpf64Nodyld32: return "R_BPF_64_NODYLD32";
    case kRBpf64_32: return "R_BPF_64_32";
    default: return "R_BPF_unknown";
    }
}

const Section* Image::find_section(const std::string& name) const {
    for (const Section& s : sections) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

const std::vector<Reloc>& Image::relocs_of(uint32_t section) const {
    static const std::vector<Reloc> kNone;
    auto it = relocs.find(section);
    return it == relocs.end() ? kNone : it->second;
}

Result<Image> read_image(std::span<const uint8_t> bytes) {
    // e_ident: magic, class, data encoding (ELF spec); checked here so that LLVM only sees ELF64 LE.
    if (bytes.size() < 4 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F')
        return make_error("not-elf", "no ELF magic");
    if (bytes.size() < 64) return make_error("not-elf", "file is shorter than an ELF header");
    if (bytes[4] != 2) return make_error("wrong-machine", "not a 64-bit ELF file (eBPF objects are ELF64)");
    if (bytes[5] != 1) return make_error("wrong-machine", "not a little-endian ELF file");

    llvm::StringRef buf(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    TG_TRY_ASSIGN(ElfFile file, take(ElfFile::create(buf), "ELF header"));
    Image image;
    image.machine = file.getHeader().e_machine;
    if (image.machine != kEmBpf && image.machine != kEmNone)
        return make_error("wrong-machine",
                          "ELF machine " + std::to_string(image.machine) + " is not eBPF (247) or none (0)");

    TG_TRY_ASSIGN(auto shdrs, take(file.sections(), "section header table"));
    TG_TRY_ASSIGN(llvm::StringRef shstrtab, take(file.getSectionStringTable(shdrs), "section name table"));
    const ElfFile::Elf_Shdr* symtab = nullptr;
    image.sections.reserve(shdrs.size());
    for (size_t i = 0; i < shdrs.size(); ++i) {
        const auto& sh = shdrs[i];
        Section s;
        s.index = uint32_t(i);
        TG_TRY_ASSIGN(llvm::StringRef name,
                      take(file.getSectionName(sh, shstrtab), "section " + std::to_string(i) + " name"));
        s.name = name.str();
        s.type = sh.sh_type;
        s.flags = sh.sh_flags;
        s.size = sh.sh_size;
        s.info = sh.sh_info;
        if (s.type != kShtNobits && i != 0) {
            TG_TRY_ASSIGN(auto data, take(file.getSectionContents(sh), "section " + s.name));
            s.data = std::span<const uint8_t>(data.data(), data.size());
        }
        if (s.type == kShtSymtab) {
            if (symtab) return make_error("malformed-elf", "more than one symbol table");
            symtab = &sh;
        }
        if (s.name == ".text") image.text = s.index;
        image.sections.push_back(std::move(s));
    }

    if (symtab) {
        TG_TRY_ASSIGN(auto syms, take(file.symbols(symtab), "symbol table"));
        TG_TRY_ASSIGN(llvm::StringRef strtab,
                      take(file.getStringTableForSymtab(*symtab, shdrs), "symbol names"));
        image.symbols.reserve(syms.size());
        for (size_t i = 0; i < syms.size(); ++i) {
            const auto& es = syms[i];
            Symbol sym;
            TG_TRY_ASSIGN(llvm::StringRef name,
                          take(es.getName(strtab), "symbol " + std::to_string(i) + " name"));
            sym.name = name.str();
            sym.type = es.getType();
            sym.bind = es.getBinding();
            sym.shndx = es.st_shndx;
            sym.value = es.st_value;
            sym.size = es.st_size;
            if (sym.defined() && sym.shndx >= image.sections.size())
                return make_error("malformed-elf", "symbol '" + sym.name + "' names section " +
                                                       std::to_string(sym.shndx) + " which does not exist");
            if (sym.type == kSttSection && sym.defined()) sym.name = image.sections[sym.shndx].name;
            image.symbols.push_back(std::move(sym));
        }
    }

    for (size_t i = 0; i < shdrs.size(); ++i) {
        const auto& sh = shdrs[i];
        if (sh.sh_type != kShtRel && sh.sh_type != kShtRela) continue;
        const std::string& rname = image.sections[i].name;
        if (sh.sh_info >= image.sections.size())
            return make_error("malformed-elf", "relocation section " + rname + " applies to section " +
                                                   std::to_string(sh.sh_info) + " which does not exist");
        // LLVM's ELFObjectFile (used for DWARF) aborts on a relocation section whose sh_link is not a valid
        // symbol table, so this is checked for every relocation section, used or not.
        if (!symtab || sh.sh_link >= shdrs.size() || &shdrs[sh.sh_link] != symtab)
            return make_error("malformed-elf",
                              "relocation section " + rname + " does not link to the symbol table");
        std::vector<Reloc>& out = image.relocs[sh.sh_info];
        auto add = [&](uint64_t off, uint32_t sym, uint32_t type, int64_t addend) -> Status {
            if (sym >= image.symbols.size())
                return make_error("bad-relocation", "relocation in " + rname + " at offset " +
                                                        std::to_string(off) + " names symbol " +
                                                        std::to_string(sym) + " which does not exist");
            out.push_back(Reloc{off, sym, type, addend});
            return Ok{};
        };
        if (sh.sh_type == kShtRel) {
            TG_TRY_ASSIGN(auto rels, take(file.rels(sh), "relocation section " + rname));
            for (const auto& r : rels) {
                TG_TRY_ASSIGN(Ok ok, add(r.r_offset, r.getSymbol(false), r.getType(false), 0));
                (void)ok;
            }
        } else {
            TG_TRY_ASSIGN(auto relas, take(file.relas(sh), "relocation section " + rname));
            for (const auto& r : relas) {
                TG_TRY_ASSIGN(Ok ok, add(r.r_offset, r.getSymbol(false), r.getType(false), r.r_addend));
                (void)ok;
            }
        }
    }
    for (auto& [sec, list] : image.relocs) {
        std::stable_sort(list.begin(), list.end(),
                         [](const Reloc& a, const Reloc& b) { return a.offset < b.offset; });
    }
    return image;
}

} // namespace tailgate::elf
