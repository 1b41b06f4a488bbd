// Source lines from DWARF .debug_line through LLVM's DWARFContext. In a relocatable object every line-table
// sequence carries the ELF index of the section its addresses belong to (resolved from the R_BPF_64_ABS64
// relocations on DW_LNE_set_address), so lookups are keyed by (section, section-relative byte offset).
#pragma GCC diagnostic push // LLVM 14 headers are not -Wextra clean
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wredundant-move"
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Support/Error.h>
#pragma GCC diagnostic pop

#include "verifier/elf_image.hpp"

#include <filesystem>
#include <map>

namespace tailgate::elf {

void LineTable::add(uint32_t section, uint64_t begin, uint64_t end, SourceLoc loc) {
    if (end <= begin) return;
    ranges_[section][begin] = Range{end, std::move(loc)};
}

std::optional<SourceLoc> LineTable::lookup(uint32_t section, uint64_t offset) const {
    auto sec = ranges_.find(section);
    if (sec == ranges_.end()) return std::nullopt;
    auto it = sec->second.upper_bound(offset);
    if (it == sec->second.begin()) return std::nullopt;
    --it;
    if (offset >= it->second.end) return std::nullopt;
    return it->second.loc;
}

namespace {

// LLVM 14's line-table parser crashes (llvm-dwarfdump-14 too) on some malformed headers, e.g. an unknown
// DW_FORM in a DWARF 5 entry format. Every table header is therefore checked here first; a section that does
// not pass is ignored (no line info) rather than handed to LLVM.
class HeaderCheck {
  public:
    explicit HeaderCheck(std::span<const uint8_t> d) : d_(d) {}

    bool all_tables_ok() {
        while (pos_ < d_.size()) {
            uint64_t len = 0;
            if (!u(4, len) || len >= 0xfffffff0u) return false; // 64-bit DWARF is not produced for BPF
            const size_t end = pos_ + len;
            if (len < 2 || end > d_.size()) return false;
            if (!table_ok(end)) return false;
            pos_ = end;
        }
        return true;
    }

  private:
    bool u(size_t n, uint64_t& v) {
        if (n > d_.size() - std::min(pos_, d_.size())) return false;
        v = 0;
        for (size_t i = 0; i < n; ++i) v |= uint64_t(d_[pos_ + i]) << (8 * i);
        pos_ += n;
        return true;
    }
    bool uleb(uint64_t& v) {
        v = 0;
        for (int shift = 0; pos_ < d_.size() && shift < 64; shift += 7) {
            const uint8_t b = d_[pos_++];
            v |= uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    }
    bool skip(size_t n, size_t end) {
        if (n > end - std::min(pos_, end)) return false;
        pos_ += n;
        return true;
    }
    // Skips one value of a form DWARF 5 allows in line-table entry formats; false for any other form.
    bool skip_form(uint64_t form, size_t end) {
        uint64_t v;
        switch (form) {
        case 0x08: // DW_FORM_string
            while (pos_ < end && d_[pos_] != 0) ++pos_;
            return skip(1, end);
        case 0x0e:
        case 0x1f:
        case 0x06:
        case 0x28: return skip(4, end); // strp, line_strp, data4, strx4
        case 0x0b:
        case 0x25: return skip(1, end); // data1, strx1
        case 0x05:
        case 0x26: return skip(2, end);  // data2, strx2
        case 0x27: return skip(3, end);  // strx3
        case 0x07: return skip(8, end);  // data8
        case 0x1e: return skip(16, end); // data16
        case 0x0f:
        case 0x1a: return uleb(v) && pos_ <= end;  // udata, strx
        case 0x09: return uleb(v) && skip(v, end); // block
        default: return false;
        }
    }
    bool entries_ok(size_t end) {
        uint64_t nformats = 0;
        if (!u(1, nformats)) return false;
        std::vector<uint64_t> forms;
        for (uint64_t i = 0; i < nformats; ++i) {
            uint64_t type, form;
            if (!uleb(type) || !uleb(form) || pos_ > end) return false;
            forms.push_back(form);
        }
        uint64_t count = 0;
        if (!uleb(count) || pos_ > end) return false;
        for (uint64_t i = 0; i < count; ++i) {
            for (uint64_t f : forms) {
                if (!skip_form(f, end)) return false;
            }
        }
        return true;
    }
    bool table_ok(size_t end) {
        uint64_t version = 0, v = 0;
        if (!u(2, version) || version < 2 || version > 5) return false;
        if (version == 5 && (!u(1, v) || v != 8 || !u(1, v))) return false; // address size 8, seg selector
        uint64_t header_len = 0;
        if (!u(4, header_len) || header_len > end - pos_) return false;
        const size_t header_end = pos_ + header_len;
        uint64_t min_inst, max_ops = 1, is_stmt, line_base, line_range, opcode_base;
        if (!u(1, min_inst) || (version >= 4 && !u(1, max_ops)) || !u(1, is_stmt) || !u(1, line_base) ||
            !u(1, line_range) || !u(1, opcode_base))
            return false;
        if (line_range == 0 || opcode_base == 0 || max_ops == 0) return false;
        if (!skip(opcode_base - 1, header_end)) return false;
        if (version == 5) return entries_ok(header_end) && entries_ok(header_end);
        return true;
    }

    std::span<const uint8_t> d_;
    size_t pos_ = 0;
};

} // namespace

LineTable read_line_table(std::span<const uint8_t> bytes) {
    LineTable table;
    llvm::MemoryBufferRef ref(llvm::StringRef(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                              "obj");
    auto obj = llvm::object::ELF64LEObjectFile::create(ref);
    if (!obj) {
        llvm::consumeError(obj.takeError());
        return table;
    }
    bool has_lines = false;
    for (const auto& sec : obj->sections()) {
        auto name = sec.getName();
        if (!name) {
            llvm::consumeError(name.takeError());
            continue;
        }
        if (*name != ".debug_line") continue;
        auto contents = sec.getContents();
        if (!contents) {
            llvm::consumeError(contents.takeError());
            return table;
        }
        HeaderCheck check(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(contents->data()), contents->size()));
        if (!check.all_tables_ok()) return table;
        has_lines = true;
    }
    if (!has_lines) return table;

    // Errors and warnings inside DWARF are swallowed: a bad line table only costs line info.
    auto quiet = [](llvm::Error e) { llvm::consumeError(std::move(e)); };
    std::unique_ptr<llvm::DWARFContext> ctx = llvm::DWARFContext::create(
        *obj, llvm::DWARFContext::ProcessDebugRelocations::Process, nullptr, "", quiet, quiet);
    if (!ctx) return table;

    // The line tables are read straight from .debug_line, without parsing .debug_info/.debug_abbrev (units
    // are not needed: DWARF 5 line tables name the compilation directory as directory 0).
    const llvm::DWARFObject& dobj = ctx->getDWARFObj();
    llvm::DWARFDataExtractor data(dobj, dobj.getLineSection(), dobj.isLittleEndian(), 8);
    llvm::DWARFDebugLine::SectionParser parser(
        data, *ctx,
        llvm::DWARFUnitVector::iterator_range(llvm::DWARFUnitVector::iterator(),
                                              llvm::DWARFUnitVector::iterator()));
    while (!parser.done()) {
        const uint64_t before = parser.getOffset();
        llvm::DWARFDebugLine::LineTable lt = parser.parseNext(quiet, quiet);
        if (parser.getOffset() <= before) break;
        std::map<uint64_t, std::string> names;
        auto file_name = [&](uint64_t index) -> const std::string& {
            auto it = names.find(index);
            if (it != names.end()) return it->second;
            std::string name;
            if (!lt.getFileNameByIndex(index, "",
                                       llvm::DILineInfoSpecifier::FileLineInfoKind::AbsoluteFilePath, name))
                name.clear();
            // clang names files relative to the compilation directory ("<build>/../corpus/x.c"); print the
            // path the way a user would type it, so editors' problem matchers find the file.
            if (!name.empty()) name = std::filesystem::path(name).lexically_normal().string();
            return names.emplace(index, std::move(name)).first->second;
        };
        for (const auto& seq : lt.Sequences) {
            if (!seq.isValid() || seq.SectionIndex == llvm::object::SectionedAddress::UndefSection) continue;
            if (seq.SectionIndex > UINT32_MAX) continue;
            const size_t last = std::min<size_t>(seq.LastRowIndex, lt.Rows.size());
            for (size_t i = seq.FirstRowIndex; i + 1 < last; ++i) {
                const auto& row = lt.Rows[i];
                if (row.EndSequence || row.Line == 0) continue;
                const std::string& file = file_name(row.File);
                if (file.empty()) continue;
                table.add(uint32_t(seq.SectionIndex), row.Address.Address, lt.Rows[i + 1].Address.Address,
                          SourceLoc{file, row.Line, row.Column});
            }
        }
    }
    return table;
}

} // namespace tailgate::elf
