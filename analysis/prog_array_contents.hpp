// What each prog array of a set of loaded objects holds, as far as tailgate can know before load (issue 5):
// static initialisation (`.values = { [i] = &prog }`), then a manifest (`--manifest FILE.json`), then
// `--prog-array MAP:IDX=PROG` flags, each overriding the one before for the slots it names.
//
// A prog array is "described" when static initialisation, the manifest or a flag says anything about it:
// its slots not named are then empty. A prog array nothing describes has unknown slots. A slot marked
// "dynamic" in the manifest is unknown too. An unknown slot can hold "any program of a compatible type".
//
// Manifest format (JSON):
//   {"prog_arrays": {"jmp_table": {"6": "parse_tcp", "17": "other.o:parse_udp", "3": "dynamic"}}}
// A map is named "MAP" (every loaded object's prog array of that name, as libbpf map pinning shares them)
// or "FILE:MAP" (FILE is the object's file name); a program "PROG" (must be unique among the loaded
// objects) or "FILE:PROG".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/verify.hpp"
#include "verifier/object.hpp"
#include "verifier/result.hpp"

namespace tailgate {

struct ProgramId {
    size_t object = 0;
    size_t program = 0;
    auto operator<=>(const ProgramId&) const = default;
};

struct MapId {
    size_t object = 0;
    int32_t map = -1;
    auto operator<=>(const MapId&) const = default;
};

// One slot: a program, or "dynamic" (filled at run time: unknown).
struct SlotContent {
    std::optional<ProgramId> program; // nullopt: dynamic
};

struct ProgArrayContents {
    // Described prog arrays: slot -> content. Slots absent from a described map are empty.
    std::map<MapId, std::map<uint32_t, SlotContent>> described;
    // Where each described map's contents came from, for messages: "static", "manifest", "flag".
    std::map<MapId, std::string> source;
};

// Parsed manifest entries, still by name (resolved against the objects by build_prog_array_contents).
struct ManifestEntry {
    std::string map;     // "MAP" or "FILE:MAP"
    uint32_t slot = 0;
    std::string program; // "PROG", "FILE:PROG" or "dynamic"
};

// Reads and parses a manifest file. Fails with "bad-manifest" (unreadable, not JSON, wrong shape, a slot
// that is not a decimal u32, a program that is not a string).
Result<std::vector<ManifestEntry>> read_manifest(const std::string& path);

// Builds the contents from static initialisation, then the manifest, then the flags. Fails with
// "bad-prog-array" when a name does not resolve (no such prog-array map, no such program, an ambiguous
// program name) or a slot is >= max_entries.
Result<ProgArrayContents> build_prog_array_contents(const std::vector<const Object*>& objects,
                                                    const std::vector<ManifestEntry>& manifest,
                                                    const std::vector<ProgArrayAssignment>& flags);

// "FILE:NAME" -> (FILE, NAME); "NAME" -> ("", NAME). FILE compares with an object's path by file name.
std::pair<std::string, std::string> split_qualified(const std::string& name);
bool object_matches(const Object& obj, const std::string& file);

} // namespace tailgate
