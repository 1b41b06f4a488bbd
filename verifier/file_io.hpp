// Reading the files the command line names (objects, assembler sources, packets, manifests) and writing the
// JSON documents it prints: one place for the failures every reader must turn into a clear error.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "verifier/result.hpp"

namespace tailgate {

// The whole content of the file at `path`. Fails with "unreadable" ("cannot open file", "is a directory",
// "read error"); never throws.
Result<std::string> read_whole_file(const std::string& path);

// `j` as text, `indent` as nlohmann::json::dump takes it. Bytes that are not UTF-8 (a symbol or file name
// from a hostile object) are replaced by U+FFFD instead of throwing.
std::string json_text(const nlohmann::json& j, int indent = 2);

} // namespace tailgate
