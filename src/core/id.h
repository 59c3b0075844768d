#pragma once
// Random identifiers for media, renders, sessions and jobs: a prefix plus hex from
// the OS random source ("med_3f9a0c..."). Not for secrets: tokens use the service's
// own 256-bit generator.
#include <string>
#include <string_view>

namespace kino {

// `bytes` random bytes rendered as 2*bytes lowercase hex characters after the prefix.
std::string make_id(std::string_view prefix, int bytes = 12);

// True when s is 1..128 characters of [A-Za-z0-9_-]: safe as a file name and in a URL.
bool id_is_safe(std::string_view s);

}  // namespace kino
