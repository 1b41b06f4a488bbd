// Prog-array contents from static initialisation, a manifest and --prog-array flags.
#include "analysis/prog_array_contents.hpp"

#include <charconv>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "verifier/file_io.hpp"

namespace tailgate {

std::pair<std::string, std::string> split_qualified(const std::string& name) {
    // A file name may itself contain ':' only in exotic paths; the last ':' separates the name.
    const auto colon = name.rfind(':');
    if (colon == std::string::npos) return {"", name};
    return {name.substr(0, colon), name.substr(colon + 1)};
}

bool object_matches(const Object& obj, const std::string& file) {
    if (file.empty()) return true;
    return obj.path == file || std::filesystem::path(obj.path).filename() == std::filesystem::path(file).filename();
}

Result<std::vector<ManifestEntry>> read_manifest(const std::string& path) {
    auto text = read_whole_file(path);
    if (!text) return make_error("bad-manifest", path + ": cannot read the manifest: " + text.error().message);
    nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return make_error("bad-manifest", path + ": not valid JSON");
    if (!doc.is_object() || !doc.contains("prog_arrays") || !doc["prog_arrays"].is_object())
        return make_error("bad-manifest", path + ": expected an object with a \"prog_arrays\" object");
    std::vector<ManifestEntry> out;
    for (const auto& [map, slots] : doc["prog_arrays"].items()) {
        if (!slots.is_object())
            return make_error("bad-manifest", path + ": prog array '" + map + "' must map slots to programs");
        for (const auto& [slot_text, prog] : slots.items()) {
            uint32_t slot = 0;
            auto [end, ec] = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
            if (ec != std::errc() || end != slot_text.data() + slot_text.size())
                return make_error("bad-manifest", path + ": slot '" + slot_text + "' of prog array '" + map +
                                                      "' is not a decimal u32");
            if (!prog.is_string())
                return make_error("bad-manifest", path + ": slot " + slot_text + " of prog array '" + map +
                                                      "' must name a program or \"dynamic\"");
            out.push_back({map, slot, prog.get<std::string>()});
        }
    }
    return out;
}

namespace {

// Every prog-array map matching a possibly qualified name.
std::vector<MapId> find_prog_arrays(const std::vector<const Object*>& objects, const std::string& qualified) {
    auto [file, name] = split_qualified(qualified);
    std::vector<MapId> found;
    for (size_t o = 0; o < objects.size(); ++o) {
        if (!object_matches(*objects[o], file)) continue;
        const auto& maps = objects[o]->maps;
        for (size_t m = 0; m < maps.size(); ++m)
            if (maps[m].name == name && maps[m].type == MapType::ProgArray) found.push_back({o, int32_t(m)});
    }
    return found;
}

Result<ProgramId> find_program(const std::vector<const Object*>& objects, const std::string& qualified,
                               size_t prefer_object) {
    auto [file, name] = split_qualified(qualified);
    std::vector<ProgramId> found;
    for (size_t o = 0; o < objects.size(); ++o) {
        if (!object_matches(*objects[o], file)) continue;
        const auto& progs = objects[o]->programs;
        for (size_t p = 0; p < progs.size(); ++p)
            if (progs[p].name == name) found.push_back({o, p});
    }
    if (found.empty()) return make_error("bad-prog-array", "no program '" + qualified + "' in the loaded objects");
    if (found.size() > 1) {
        // An unqualified name is resolved in the map's own object first, as a static initialiser would be.
        for (const auto& id : found)
            if (file.empty() && id.object == prefer_object) return id;
        return make_error("bad-prog-array", "program name '" + qualified +
                                                "' is ambiguous among the loaded objects; write FILE:PROG");
    }
    return found.front();
}

Status assign(const std::vector<const Object*>& objects, ProgArrayContents& contents, const std::string& map,
              uint32_t slot, const std::string& program, const char* source) {
    auto ids = find_prog_arrays(objects, map);
    if (ids.empty()) return make_error("bad-prog-array", "no prog-array map '" + map + "' in the loaded objects");
    for (const auto& id : ids) {
        const MapDef& def = objects[id.object]->maps[size_t(id.map)];
        if (slot >= def.max_entries)
            return make_error("bad-prog-array", "slot " + std::to_string(slot) + " of prog array '" + def.name +
                                                    "' is out of range (max_entries " +
                                                    std::to_string(def.max_entries) + ")");
        SlotContent content;
        if (program != "dynamic") {
            TG_TRY_ASSIGN(ProgramId prog, find_program(objects, program, id.object));
            content.program = prog;
        }
        contents.described[id][slot] = content;
        contents.source[id] = source;
    }
    return Ok{};
}

} // namespace

Result<ProgArrayContents> build_prog_array_contents(const std::vector<const Object*>& objects,
                                                    const std::vector<ManifestEntry>& manifest,
                                                    const std::vector<ProgArrayAssignment>& flags) {
    ProgArrayContents contents;
    for (size_t o = 0; o < objects.size(); ++o) {
        const auto& maps = objects[o]->maps;
        for (size_t m = 0; m < maps.size(); ++m) {
            if (maps[m].type != MapType::ProgArray || maps[m].prog_slots.empty()) continue;
            const MapId id{o, int32_t(m)};
            auto& slots = contents.described[id];
            contents.source[id] = "static";
            for (const auto& [slot, name] : maps[m].prog_slots) {
                TG_TRY_ASSIGN(ProgramId prog, find_program({objects[o]}, name, 0));
                slots[slot] = SlotContent{ProgramId{o, prog.program}};
            }
        }
    }
    for (const auto& e : manifest) {
        TG_TRY_ASSIGN(auto ok, assign(objects, contents, e.map, e.slot, e.program, "manifest"));
        (void)ok;
    }
    for (const auto& f : flags) {
        TG_TRY_ASSIGN(auto ok, assign(objects, contents, f.map, f.index, f.program, "flag"));
        (void)ok;
    }
    return contents;
}

} // namespace tailgate
