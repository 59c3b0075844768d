#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kino {
namespace {

// Splits text into (code point, length) pairs the way every kino decoder does.
std::vector<std::pair<char32_t, size_t>> split(std::string_view text) {
  std::vector<std::pair<char32_t, size_t>> out;
  for (size_t i = 0; i < text.size();) {
    const Utf8Step step = utf8_next(text, i);
    out.emplace_back(step.cp, step.length);
    i += step.length;
  }
  return out;
}

using Steps = std::vector<std::pair<char32_t, size_t>>;

TEST(Utf8, DecodesEveryLength) {
  EXPECT_EQ(split("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"),
            (Steps{{U'a', 1}, {U'é', 2}, {U'中', 3}, {U'\U0001F600', 4}}));
}

TEST(Utf8, RejectsOverlongsSurrogatesAndBeyondUnicode) {
  EXPECT_FALSE(utf8_next("\xC0\xAF", 0).valid);          // overlong '/'
  EXPECT_FALSE(utf8_next("\xE0\x80\xAF", 0).valid);      // overlong
  EXPECT_FALSE(utf8_next("\xED\xA0\x80", 0).valid);      // U+D800
  EXPECT_FALSE(utf8_next("\xF4\x90\x80\x80", 0).valid);  // U+110000
  EXPECT_FALSE(utf8_next("\xFF", 0).valid);
  EXPECT_TRUE(utf8_next("\xF4\x8F\xBF\xBF", 0).valid);  // U+10FFFF
}

TEST(Utf8, InvalidSequencesConsumeTheirMaximalSubpart) {
  // A truncated 3-byte sequence followed by ASCII: one U+FFFD for both bytes, then 'x'.
  EXPECT_EQ(split("\xE4\xB8x"), (Steps{{0xFFFD, 2}, {U'x', 1}}));
  // A lone continuation byte is one bad unit on its own.
  EXPECT_EQ(split("\x80\x80"), (Steps{{0xFFFD, 1}, {0xFFFD, 1}}));
  // Truncated at the end of the text.
  EXPECT_EQ(split("a\xF0\x9F\x98"), (Steps{{U'a', 1}, {0xFFFD, 3}}));
}

TEST(Utf8, AppendRoundTrips) {
  std::string s;
  for (char32_t cp : {U'a', U'é', U'中', U'\U0001F600'}) utf8_append(s, cp);
  EXPECT_EQ(split(s), (Steps{{U'a', 1}, {U'é', 2}, {U'中', 3}, {U'\U0001F600', 4}}));
}

}  // namespace
}  // namespace kino
