#pragma once
// Unicode helpers for text layout: lenient UTF-8 decoding and the few character classes
// line breaking and font fallback need (no ICU; the rules are documented per function).
#include <string>
#include <string_view>
#include <vector>

namespace kino::render {

// Decodes UTF-8 for display. Each maximal invalid subsequence (bad lead byte, truncated
// sequence, overlong form, surrogate, value above U+10FFFF) becomes one U+FFFD.
// "\n", "\r\n", U+2028 and U+2029 become '\n'; a tab becomes a space; every other
// control character (C0, DEL, C1) is dropped.
std::u32string text_decode_utf8(std::string_view utf8);

// Ideographs, kana, Hangul, CJK symbols and fullwidth forms: characters that may be
// broken between (UAX #14 class ID, simplified) and that prefer a CJK face.
bool text_is_cjk(char32_t c);

// Characters shown as colour emoji unless U+FE0E follows (Unicode Emoji_Presentation,
// approximated by its blocks plus the listed BMP symbols).
bool text_is_emoji_presentation(char32_t c);

// Strong direction of a character, a simplification of the Unicode bidi classes:
// Hebrew, Arabic and other right-to-left scripts are rtl; letters and digits of other
// scripts are ltr (digits, so numbers inside right-to-left text keep their order);
// spaces, punctuation, symbols, emoji and marks are neutral.
enum class TextDirection { neutral, ltr, rtl };
TextDirection text_direction(char32_t c);

// Characters that belong to the cluster before them: combining marks, variation
// selectors, zero-width joiners, emoji modifiers and tags. Never split from their base.
bool text_is_extend(char32_t c);

// Spaces a line may break after (and that are dropped at a line's end).
bool text_is_space(char32_t c);

// True when a line may end between `before` and `after` (both non-newline).
// Breaks after a space (not before one), after U+200B, after a hyphen followed by a
// letter, and on either side of a CJK character, except before closing punctuation and
// after opening punctuation (kinsoku).
bool text_can_break(char32_t before, char32_t after);

// True when a forced break (a word longer than the line) may fall between the two:
// anywhere except inside a cluster (see text_is_extend) or after a zero-width joiner.
bool text_can_split(char32_t before, char32_t after);

}  // namespace kino::render
