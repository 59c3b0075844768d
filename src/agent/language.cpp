#include "agent/language.h"

#include <cstdint>

namespace kino::agent {

std::string_view language_name(Language language) {
  return language == Language::zh ? "zh" : "en";
}

std::optional<Language> language_parse(std::string_view s) {
  auto is = [&](std::string_view base) {
    if (s.size() < base.size()) return false;
    for (size_t i = 0; i < base.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      if (c != base[i]) return false;
    }
    return s.size() == base.size() || s[base.size()] == '-' || s[base.size()] == '_';
  };
  if (is("en")) return Language::en;
  if (is("zh")) return Language::zh;
  return std::nullopt;
}

bool has_cjk_ideograph(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + size_t(len) > text.size()) {
      ++i;
      continue;
    }
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    bool valid = true;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + size_t(k)]);
      if ((cc & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!valid) {
      ++i;
      continue;
    }
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF))
      return true;
    i += size_t(len);
  }
  return false;
}

Language detect_language(std::string_view message, std::string_view session_language) {
  if (auto l = language_parse(session_language)) return *l;
  return has_cjk_ideograph(message) ? Language::zh : Language::en;
}

}  // namespace kino::agent
