#pragma once
// UTF-8 helpers shared by the modules that handle user text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kino {

// Appends code point cp as UTF-8; surrogates and values above U+10FFFF become U+FFFD.
void utf8_append(std::string& out, uint32_t cp);

// One code point read from UTF-8 text.
struct Utf8Step {
  char32_t cp;    // U+FFFD when !valid
  size_t length;  // bytes consumed, at least 1
  bool valid;
};

// Decodes the code point that starts at text[pos] (pos < text.size()) strictly (RFC 3629:
// no overlong forms, no surrogates, nothing past U+10FFFF). An invalid sequence consumes its
// maximal invalid subpart, the unit the Unicode standard replaces with one U+FFFD, so every
// decoder in kino splits bad text the same way.
Utf8Step utf8_next(std::string_view text, size_t pos);

}  // namespace kino
