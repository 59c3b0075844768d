#pragma once
// Which language the agent replies in: English or Chinese.
#include <optional>
#include <string_view>

namespace kino::agent {

enum class Language { en, zh };
std::string_view language_name(Language language);  // "en", "zh"
// "en", "zh" and regional forms ("en-US", "zh-CN", "zh_TW"); anything else -> nullopt.
std::optional<Language> language_parse(std::string_view s);

// True when the UTF-8 text holds a CJK ideograph (invalid bytes are skipped, never fatal).
bool has_cjk_ideograph(std::string_view text);

// The session's language when it names one; otherwise zh when the message holds any CJK
// ideograph, else en.
Language detect_language(std::string_view message, std::string_view session_language = {});

}  // namespace kino::agent
