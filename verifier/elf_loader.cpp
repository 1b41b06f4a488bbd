// load_object(): programs, bpf2bpf subprogram appending and instruction relocation, as libbpf does between
// bpf_object__open() and bpf_object__load() (libbpf.c bpf_object__collect_relos(),
// bpf_program__record_reloc(), bpf_object__reloc_code(), bpf_object__relocate_data()).
#include "verifier/elf_loader.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "verifier/elf_image.hpp"
#include "verifier/file_io.hpp"

namespace tailgate {

namespace {

using elf::Image;
using elf::MapIndex;
using elf::Reloc;
using elf::Section;
using elf::Symbol;

constexpr uint8_t kOpLddw = 0x18;      // BPF_LD | BPF_IMM | BPF_DW
constexpr uint8_t kOpCall = 0x85;      // BPF_JMP | BPF_CALL
constexpr uint8_t kPseudoCall = 1;     // src_reg of a bpf2bpf call
constexpr uint8_t kPseudoMapFd = 1;    // BPF_PSEUDO_MAP_FD
constexpr uint8_t kPseudoMapValue = 2; // BPF_PSEUDO_MAP_VALUE
constexpr uint8_t kPseudoFunc = 4;     // BPF_PSEUDO_FUNC

std::vector<RawInsn> section_code(const Section& s) {
    std::vector<RawInsn> code(s.data.size() / sizeof(RawInsn));
    if (!code.empty()) std::memcpy(code.data(), s.data.data(), code.size() * sizeof(RawInsn));
    return code;
}

// FUNC symbols of an executable section with size > 0, checked to lie inside it on slot boundaries.
Result<std::vector<const Symbol*>> functions_of(const Image& image, const Section& sec) {
    std::vector<const Symbol*> out;
    for (const Symbol& s : image.symbols) {
        if (s.shndx != sec.index || s.type != elf::kSttFunc || s.size == 0 || !s.defined()) continue;
        if (s.value % 8 != 0 || s.size % 8 != 0 || s.value > sec.size || s.size > sec.size - s.value)
            return make_error("bad-symbol", "function '" + s.name + "' (offset " + std::to_string(s.value) +
                                                ", size " + std::to_string(s.size) +
                                                ") does not fit section " + sec.name +
                                                " on 8-byte instruction boundaries");
        out.push_back(&s);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Symbol* a, const Symbol* b) { return a->value < b->value; });
    return out;
}

// The program being built: a main function copied from its section, then each .text subprogram it needs,
// appended in depth-first order of first call (libbpf.c bpf_object__reloc_code()).
class ProgramBuilder {
  public:
    ProgramBuilder(const Image& image, const MapIndex& maps, const elf::LineTable& lines,
                   const std::vector<const Symbol*>& text_funcs)
        : image_(image), maps_(maps), lines_(lines), text_funcs_(text_funcs) {}

    Status build(Program& prog, const Section& sec, const Symbol& main) {
        prog_ = &prog;
        append(sec, main);
        // Depth-first: scan a copy; a call to a subprogram not yet appended appends it and scans it first.
        std::vector<std::pair<size_t, uint32_t>> stack{{0, 0}}; // (copy index, next slot inside the copy)
        while (!stack.empty()) {
            auto& [ci, j] = stack.back();
            if (j >= copies_[ci].len) {
                stack.pop_back();
                continue;
            }
            const size_t copies_before = copies_.size();
            const uint32_t slot = j;
            TG_TRY_ASSIGN(uint32_t used, relocate(ci, slot));
            j += used;
            if (copies_.size() > copies_before) stack.emplace_back(copies_.size() - 1, 0);
        }
        return Ok{};
    }

    // The program's slots as they were in the file (the copies before relocation).
    std::vector<RawInsn> original() const { return original_; }

  private:
    struct Copy {
        const Section* sec;
        uint64_t src_slot; // first slot in the section
        uint32_t dst;      // first slot in the program
        uint32_t len;
    };

    void append(const Section& sec, const Symbol& fn) {
        const uint32_t dst = uint32_t(prog_->raw.size());
        const uint32_t len = uint32_t(fn.size / 8);
        const std::vector<RawInsn> code = section_code(sec);
        prog_->raw.insert(prog_->raw.end(), code.begin() + fn.value / 8, code.begin() + fn.value / 8 + len);
        original_.insert(original_.end(), code.begin() + fn.value / 8, code.begin() + fn.value / 8 + len);
        prog_->functions.push_back(Subprogram{fn.name, dst, dst + len});
        for (uint32_t i = 0; i < len; ++i) prog_->lines.push_back(lines_.lookup(sec.index, fn.value + 8 * i));
        copies_.push_back(Copy{&sec, fn.value / 8, dst, len});
        if (&sec == text_section()) appended_[fn.value / 8] = dst;
    }

    const Section* text_section() const { return image_.text ? &image_.sections[*image_.text] : nullptr; }

    const Reloc* reloc_at(const Section& sec, uint64_t offset) const {
        const std::vector<Reloc>& rs = image_.relocs_of(sec.index);
        auto it = std::lower_bound(rs.begin(), rs.end(), offset,
                                   [](const Reloc& r, uint64_t off) { return r.offset < off; });
        if (it == rs.end() || it->offset != offset || it->type == elf::kRBpfNone) return nullptr;
        return &*it;
    }

    Error bad(const Copy& c, uint32_t j, const std::string& what) const {
        return make_error("bad-relocation", "section " + c.sec->name + " offset " +
                                                std::to_string((c.src_slot + j) * 8) + ": " + what);
    }

    // A .text function starting at `slot` of .text: its index in the program, appending it if needed.
    Result<uint32_t> subprogram_at(const Copy& c, uint32_t j, int64_t slot) {
        auto done = appended_.find(slot);
        if (done != appended_.end()) return done->second;
        for (const Symbol* f : text_funcs_) {
            if (int64_t(f->value / 8) == slot) {
                append(*text_section(), *f);
                return appended_.at(slot);
            }
        }
        return bad(c, j, "target slot " + std::to_string(slot) + " of .text is not the start of a function");
    }

    // Relocates the instruction at slot j of copy ci; returns the number of slots it takes.
    Result<uint32_t> relocate(size_t ci, uint32_t j) {
        const Copy c = copies_[ci];
        const uint32_t pc = c.dst + j;
        RawInsn& insn = prog_->raw[pc];
        const Reloc* rel = reloc_at(*c.sec, (c.src_slot + j) * 8);
        const Symbol* sym = rel ? &image_.symbols[rel->sym] : nullptr;
        if (sym && !sym->defined())
            return bad(c, j, "relocation against undefined symbol '" + sym->name + "'");
        if (rel) prog_->relocs.push_back(RelocNote{pc, sym->name, elf::reloc_type_name(rel->type)});

        if (insn.opcode == kOpLddw) {
            if (j + 1 >= c.len) return 1u; // the decoder reports the split lddw
            if (!rel) {
                if (insn.src != 0)
                    return bad(c, j, "lddw with src_reg " + std::to_string(insn.src) + " has no relocation");
                return 2u;
            }
            if (rel->type != elf::kRBpf64_64)
                return bad(c, j, std::string(elf::reloc_type_name(rel->type)) + " on an lddw");
            RawInsn& hi = prog_->raw[pc + 1];
            const int64_t addend = rel->addend + insn.imm;
            if (auto m = maps_.by_symbol.find(
                    {sym->shndx, sym->value + (sym->type == elf::kSttSection ? addend : 0)});
                m != maps_.by_symbol.end()) {
                insn.src = kPseudoMapFd;
                insn.imm = int32_t(m->second);
                return 2u;
            }
            if (auto d = maps_.by_section.find(sym->shndx); d != maps_.by_section.end()) {
                // libbpf.c bpf_object__relocate_data(): RELO_DATA, insn[1].imm = insn[0].imm + sym_off.
                insn.src = kPseudoMapValue;
                hi.imm = int32_t(uint32_t(addend + int64_t(sym->value)));
                insn.imm = int32_t(d->second);
                return 2u;
            }
            if (text_section() && sym->shndx == text_section()->index) {
                // Address of a subprogram (callback): libbpf RELO_SUBPROG_ADDR, becomes BPF_PSEUDO_FUNC.
                const int64_t byte = int64_t(sym->value) + addend;
                if (byte % 8 != 0) return bad(c, j, "function address not on an instruction boundary");
                TG_TRY_ASSIGN(uint32_t target, subprogram_at(c, j, byte / 8));
                RawInsn& again = prog_->raw[pc];
                again.src = kPseudoFunc;
                again.imm = int32_t(int64_t(target) - int64_t(pc) - 1);
                return 2u;
            }
            return bad(c, j,
                       "lddw relocation against '" + sym->name + "' which is neither a map nor global data");
        }

        if (insn.opcode == kOpCall && insn.src == kPseudoCall) {
            int64_t target_slot;
            if (rel) {
                if (rel->type != elf::kRBpf64_32)
                    return bad(c, j, std::string(elf::reloc_type_name(rel->type)) + " on a call");
                if (!text_section() || sym->shndx != text_section()->index)
                    return bad(c, j, "call to '" + sym->name + "' outside .text");
                if (sym->value % 8 != 0) return bad(c, j, "call target not on an instruction boundary");
                target_slot = int64_t(sym->value / 8) + insn.imm + 1; // libbpf: sym_off / 8 + imm + 1
            } else {
                // A call to a static function of the same section has no relocation; libbpf only allows this
                // inside .text.
                if (c.sec != text_section())
                    return bad(c, j, "bpf2bpf call without relocation outside .text");
                target_slot = int64_t(c.src_slot + j) + insn.imm + 1;
            }
            TG_TRY_ASSIGN(uint32_t target, subprogram_at(c, j, target_slot));
            prog_->raw[pc].imm = int32_t(int64_t(target) - int64_t(pc) - 1);
            return 1u;
        }
        if (rel)
            return bad(c, j,
                       std::string(elf::reloc_type_name(rel->type)) +
                           " on an instruction that is neither an lddw nor a bpf2bpf call");
        return 1u;
    }

    const Image& image_;
    const MapIndex& maps_;
    const elf::LineTable& lines_;
    const std::vector<const Symbol*>& text_funcs_;
    Program* prog_ = nullptr;
    std::vector<Copy> copies_;
    std::vector<RawInsn> original_;
    std::map<int64_t, uint32_t> appended_; // .text slot -> start in the program
};

Result<std::vector<uint8_t>> read_file(const std::string& path) {
    TG_TRY_ASSIGN(std::string text, read_whole_file(path));
    return std::vector<uint8_t>(text.begin(), text.end());
}

std::string license_of(const Image& image) {
    const Section* s = image.find_section("license");
    if (!s) return "";
    std::string out(reinterpret_cast<const char*>(s->data.data()), s->data.size());
    return out.substr(0, out.find('\0'));
}

Result<Object> load(std::vector<uint8_t> bytes, const std::string& name) {
    // Some real objects carry e_machine EM_NONE; LLVM's DWARF relocation resolver needs EM_BPF, so the copy
    // handed to LLVM says EM_BPF. The instructions are then checked by the decoder like any other.
    TG_TRY_ASSIGN(Image probe, elf::read_image(bytes));
    if (probe.machine == elf::kEmNone) {
        bytes[18] = uint8_t(elf::kEmBpf & 0xff);
        bytes[19] = uint8_t(elf::kEmBpf >> 8);
    }
    TG_TRY_ASSIGN(Image image, elf::read_image(bytes));

    Object obj;
    obj.path = name;
    obj.license = license_of(image);
    MapIndex index;
    TG_TRY_ASSIGN(Ok maps_ok, elf::collect_maps(image, obj, index));
    (void)maps_ok;

    std::vector<const Symbol*> text_funcs;
    if (image.text) {
        TG_TRY_ASSIGN(text_funcs, functions_of(image, image.sections[*image.text]));
    }
    const elf::LineTable lines = elf::read_line_table(bytes);

    for (const Section& sec : image.sections) {
        if (!sec.executable() || (image.text && sec.index == *image.text)) continue;
        TG_TRY_ASSIGN(std::vector<const Symbol*> funcs, functions_of(image, sec));
        if (funcs.empty()) continue;
        const bool optional = !sec.name.empty() && sec.name[0] == '?';
        const std::string_view sec_name = std::string_view(sec.name).substr(optional ? 1 : 0);
        const std::optional<SectionMatch> match = prog_type_from_section(sec_name);
        if (!match)
            return make_error("unknown-section", "section '" + sec.name + "' (program '" + funcs[0]->name +
                                                     "') is not a program type libbpf knows");
        for (const Symbol* fn : funcs) {
            Program prog;
            prog.name = fn->name;
            prog.section = sec.name;
            prog.type = match->type;
            prog.expected_attach = match->attach;
            prog.autoload = !optional;
            prog.xdp_frags = match->xdp_frags;
            ProgramBuilder builder(image, index, lines, text_funcs);
            TG_TRY_ASSIGN(Ok built, builder.build(prog, sec, *fn));
            (void)built;
            prog.original = builder.original();
            auto decoded = decode(prog.raw);
            if (!decoded.ok())
                return make_error("invalid-instruction", "program '" + prog.name + "' (" +
                                                             decoded.error().code +
                                                             "): " + decoded.error().message);
            prog.insns = std::move(decoded).value();
            obj.programs.push_back(std::move(prog));
        }
    }
    return obj;
}

} // namespace

Result<Object> load_object_from_bytes(std::span<const uint8_t> bytes, const std::string& name) {
    return load(std::vector<uint8_t>(bytes.begin(), bytes.end()), name);
}

Result<Object> load_object(const std::string& path) {
    TG_TRY_ASSIGN(std::vector<uint8_t> bytes, read_file(path));
    return load(std::move(bytes), path);
}

Result<std::vector<CodeSection>> load_code_sections(const std::string& path) {
    TG_TRY_ASSIGN(std::vector<uint8_t> bytes, read_file(path));
    TG_TRY_ASSIGN(Image image, elf::read_image(bytes));
    std::vector<CodeSection> out;
    for (const Section& sec : image.sections) {
        if (!sec.executable()) continue;
        CodeSection cs;
        cs.name = sec.name;
        cs.index = sec.index;
        cs.code = section_code(sec);
        for (const Reloc& r : image.relocs_of(sec.index)) {
            cs.relocs.push_back(
                RelocNote{uint32_t(r.offset / 8), image.symbols[r.sym].name, elf::reloc_type_name(r.type)});
        }
        TG_TRY_ASSIGN(std::vector<const Symbol*> funcs, functions_of(image, sec));
        for (const Symbol* f : funcs) {
            cs.symbols.push_back(
                Subprogram{f->name, uint32_t(f->value / 8), uint32_t((f->value + f->size) / 8)});
        }
        out.push_back(std::move(cs));
    }
    return out;
}

} // namespace tailgate
