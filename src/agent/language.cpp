#include "agent/language.h"

#include <cstdint>

#include "core/utf8.h"

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
  for (size_t i = 0; i < text.size();) {
    const Utf8Step step = utf8_next(text, i);
    const char32_t cp = step.cp;
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF))
      return true;
    i += step.length;
  }
  return false;
}

Language detect_language(std::string_view message, std::string_view session_language) {
  if (auto l = language_parse(session_language)) return *l;
  return has_cjk_ideograph(message) ? Language::zh : Language::en;
}

}  // namespace kino::agent
