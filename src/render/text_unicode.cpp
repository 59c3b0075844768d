#include "render/text_unicode.h"

#include "core/utf8.h"

namespace kino::render {
namespace {

bool in(char32_t c, char32_t lo, char32_t hi) {
  return c >= lo && c <= hi;
}

// Appends a decoded code point after the control-character rules.
void push(std::u32string& out, char32_t c) {
  if (c == '\n' || c == 0x2028 || c == 0x2029) {
    out.push_back('\n');
  } else if (c == '\t') {
    out.push_back(' ');
  } else if (c < 0x20 || in(c, 0x7F, 0x9F)) {
    // dropped ("\r" of "\r\n" included)
  } else {
    out.push_back(c);
  }
}

bool is_letter_like(char32_t c) {
  return in(c, 'a', 'z') || in(c, 'A', 'Z') || in(c, '0', '9') || c >= 0xC0;
}

// Closing punctuation a CJK line must not start with.
constexpr std::u32string_view kNoBreakBefore =
    U",.!?:;)]}%\u2019\u201D\u2026\u3001\u3002\u3009\u300B\u300D\u300F\u3011\u3015\u3017"
    U"\u301C\u30FC\uFF01\uFF09\uFF0C\uFF0E\uFF1A\uFF1B\uFF1F\uFF3D\uFF5D";
// Opening punctuation a CJK line must not end with.
constexpr std::u32string_view kNoBreakAfter =
    U"([{\u2018\u201C\u3008\u300A\u300C\u300E\u3010\u3014\u3016\uFF08\uFF3B\uFF5B";

bool no_break_before(char32_t c) {
  return kNoBreakBefore.find(c) != std::u32string_view::npos;
}
bool no_break_after(char32_t c) {
  return kNoBreakAfter.find(c) != std::u32string_view::npos;
}

}  // namespace

std::u32string text_decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const Utf8Step step = utf8_next(s, i);
    push(out, step.cp);
    i += step.length;
  }
  return out;
}

bool text_is_cjk(char32_t c) {
  return in(c, 0x1100, 0x11FF) ||  // Hangul Jamo
         in(c, 0x2E80, 0x2FDF) ||  // CJK radicals, Kangxi
         in(c, 0x3000, 0x303F) ||  // CJK symbols and punctuation
         in(c, 0x3040, 0x30FF) ||  // Hiragana, Katakana
         in(c, 0x3100, 0x31FF) ||  // Bopomofo, Hangul compat, Kanbun, Katakana ext
         in(c, 0x3200, 0x4DBF) ||  // enclosed CJK, compatibility, ext A
         in(c, 0x4E00, 0x9FFF) ||  // unified ideographs
         in(c, 0xA960, 0xA97F) ||  // Hangul Jamo ext A
         in(c, 0xAC00, 0xD7FF) ||  // Hangul syllables, Jamo ext B
         in(c, 0xF900, 0xFAFF) ||  // compatibility ideographs
         in(c, 0xFE30, 0xFE4F) ||  // CJK compatibility forms
         in(c, 0xFF00, 0xFF60) ||  // fullwidth forms
         in(c, 0xFFE0, 0xFFE6) ||  // fullwidth signs
         in(c, 0x20000, 0x3FFFD);  // ideographs ext B and beyond
}

bool text_is_emoji_presentation(char32_t c) {
  if (c < 0x231A) return false;
  if (c >= 0x1F000) {
    return c == 0x1F004 || c == 0x1F0CF || c == 0x1F18E || in(c, 0x1F191, 0x1F19A) ||
           in(c, 0x1F1E6, 0x1F1FF) || c == 0x1F201 || c == 0x1F21A || c == 0x1F22F ||
           in(c, 0x1F232, 0x1F23A) || in(c, 0x1F250, 0x1F251) || in(c, 0x1F300, 0x1F64F) ||
           in(c, 0x1F680, 0x1F6FF) || in(c, 0x1F7E0, 0x1F7F0) || in(c, 0x1F90C, 0x1F9FF) ||
           in(c, 0x1FA70, 0x1FAFF);
  }
  static constexpr std::u32string_view kBmp =
      U"\u231A\u231B\u23E9\u23EA\u23EB\u23EC\u23F0\u23F3\u25FD\u25FE\u2614\u2615\u2648"
      U"\u2649\u264A\u264B\u264C\u264D\u264E\u264F\u2650\u2651\u2652\u2653\u267F\u2693"
      U"\u26A1\u26AA\u26AB\u26BD\u26BE\u26C4\u26C5\u26CE\u26D4\u26EA\u26F2\u26F3\u26F5"
      U"\u26FA\u26FD\u2705\u270A\u270B\u2728\u274C\u274E\u2753\u2754\u2755\u2757\u2795"
      U"\u2796\u2797\u27B0\u27BF\u2B1B\u2B1C\u2B50\u2B55";
  return kBmp.find(c) != std::u32string_view::npos;
}

TextDirection text_direction(char32_t c) {
  if (in(c, 'a', 'z') || in(c, 'A', 'Z') || in(c, '0', '9')) return TextDirection::ltr;
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return TextDirection::neutral;
  if (in(c, 0x0590, 0x08FF) || in(c, 0xFB1D, 0xFDFF) || in(c, 0xFE70, 0xFEFF) ||
      in(c, 0x10800, 0x10FFF) || in(c, 0x1E800, 0x1EFFF))
    return TextDirection::rtl;
  if (text_is_extend(c) || in(c, 0x2000, 0x2BFF) || in(c, 0x3000, 0x303F) ||
      in(c, 0xFE00, 0xFE0F) || in(c, 0xFE30, 0xFE6F) || in(c, 0xFF00, 0xFF0F) ||
      in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) ||
      in(c, 0xFFF0, 0xFFFF) || c >= 0x1F000)
    return TextDirection::neutral;
  return TextDirection::ltr;
}

bool text_is_extend(char32_t c) {
  return in(c, 0x0300, 0x036F) || in(c, 0x0483, 0x0489) || in(c, 0x0591, 0x05BD) ||
         in(c, 0x0610, 0x061A) || in(c, 0x064B, 0x065F) || c == 0x0670 || in(c, 0x06D6, 0x06DC) ||
         in(c, 0x06DF, 0x06E4) || in(c, 0x0900, 0x0903) || in(c, 0x093A, 0x093C) ||
         in(c, 0x093E, 0x094F) || in(c, 0x0E31, 0x0E3A) || in(c, 0x0E47, 0x0E4E) ||
         in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) || in(c, 0x200C, 0x200D) ||
         in(c, 0x20D0, 0x20FF) || in(c, 0x302A, 0x302F) || in(c, 0x3099, 0x309A) ||
         in(c, 0xFE00, 0xFE0F) || in(c, 0xFE20, 0xFE2F) || in(c, 0x1F3FB, 0x1F3FF) ||
         in(c, 0xE0020, 0xE007F) || in(c, 0xE0100, 0xE01EF);
}

bool text_is_space(char32_t c) {
  return c == ' ' || c == 0x3000;
}

bool text_can_break(char32_t before, char32_t after) {
  if (text_is_space(after) || text_is_extend(after)) return false;
  if (text_is_space(before) || before == 0x200B) return true;
  if (before == '-' && is_letter_like(after)) return true;
  if (text_is_cjk(before) || text_is_cjk(after)) {
    return !no_break_before(after) && !no_break_after(before);
  }
  return false;
}

bool text_can_split(char32_t before, char32_t after) {
  return !text_is_extend(after) && before != 0x200D;
}

}  // namespace kino::render
