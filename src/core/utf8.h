#pragma once
// UTF-8 helpers shared by the modules that handle user text.
#include <cstdint>
#include <string>

namespace kino {

// Appends code point cp as UTF-8; surrogates and values above U+10FFFF become U+FFFD.
void utf8_append(std::string& out, uint32_t cp);

}  // namespace kino
