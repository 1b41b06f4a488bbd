#include "verifier/file_io.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace tailgate {

Result<std::string> read_whole_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return make_error("unreadable", "is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("unreadable", "cannot open file");
    std::string bytes;
    try { // reading some special files throws from inside the stream buffer
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
        return make_error("unreadable", "read error");
    }
    if (in.bad()) return make_error("unreadable", "read error");
    return bytes;
}

std::string json_text(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace tailgate
