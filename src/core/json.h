#pragma once
// JSON for the wire forms (drafts, API bodies, configs): nlohmann::json plus
// readers whose errors name the field path, the rule and the value received.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kino {

using Json = nlohmann::json;

// Nesting beyond this many levels is refused by json_parse.
inline constexpr int kJsonMaxDepth = 64;

// Parses text; malformed or too deeply nested input throws Error(bad_request) naming
// `what` (and the byte offset for syntax errors).
Json json_parse(std::string_view text, std::string_view what);

// A JSON file parsed as json_parse does (named by its path); a file that cannot be read:
// Error(unsupported) "<path>: cannot read".
Json json_read_file(const std::filesystem::path& path);

// A short rendering of a value for error messages (strings quoted, long values cut).
std::string json_brief(const Json& value);

// Typed optional readers: absent or null -> fallback; present with the wrong type ->
// Error(bad_request) "`path` must be <type>, got <value>". `path` is the field's full
// dotted path used in the message ("t[0].sg[2].d").
int64_t json_int(const Json& obj, std::string_view key, std::string_view path, int64_t fallback);
double json_number(const Json& obj, std::string_view key, std::string_view path, double fallback);
bool json_bool(const Json& obj, std::string_view key, std::string_view path, bool fallback);
std::string json_string(const Json& obj, std::string_view key, std::string_view path,
                        std::string_view fallback);
// Required variants: absent -> Error(bad_request) "`path` is required".
int64_t json_require_int(const Json& obj, std::string_view key, std::string_view path);
std::string json_require_string(const Json& obj, std::string_view key, std::string_view path);

// Joins a path and a key: ("t[0]", "d") -> "t[0].d"; ("", "d") -> "d".
std::string json_path(std::string_view parent, std::string_view key);
std::string json_path(std::string_view parent, size_t index);

}  // namespace kino
