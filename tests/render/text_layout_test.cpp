#include "render/text_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "render/text_unicode.h"

namespace kino::render {
namespace {

// Glyph ids of a one-line layout, left to right.
std::vector<uint32_t> ids_left_to_right(const TextLine& line) {
  std::vector<TextGlyph> g = line.glyphs;
  std::stable_sort(g.begin(), g.end(),
                   [](const TextGlyph& a, const TextGlyph& b) { return a.x < b.x; });
  std::vector<uint32_t> ids;
  for (const auto& x : g) ids.push_back(x.id);
  return ids;
}

class TextLayoutTest : public ::testing::Test {
 protected:
  TextLayout lay(const std::u32string& text, double max_width = 0) {
    TextLayoutParams p;
    p.size = 48;
    p.max_width = max_width;
    return text_layout(fonts, text, p);
  }
  std::vector<uint32_t> ids(const std::u32string& text) {
    const TextLayout l = lay(text);
    EXPECT_EQ(l.lines.size(), 1u);
    return ids_left_to_right(l.lines.at(0));
  }
  TextFonts fonts;
};

TEST_F(TextLayoutTest, LineMetricsFollowTheSize) {
  const TextLayout l = lay(U"One\nTwo\n\nFour");
  ASSERT_EQ(l.lines.size(), 4u);
  EXPECT_TRUE(l.lines[2].glyphs.empty());
  EXPECT_DOUBLE_EQ(l.line_height, 1.2 * 48);
  EXPECT_GT(l.baseline, 0.6 * 48);
  EXPECT_LT(l.baseline, l.line_height);
  EXPECT_DOUBLE_EQ(l.height(), 4 * 1.2 * 48);
}

TEST_F(TextLayoutTest, WrappedLinesFitAndTrailingSpacesDoNotCount) {
  const std::u32string text = U"alpha beta gamma delta epsilon zeta eta theta iota kappa";
  const TextLayout l = lay(text, 300);
  EXPECT_GE(l.lines.size(), 3u);
  for (const TextLine& line : l.lines) EXPECT_LE(line.width, 300.0);
  // Nothing is lost: all letters are laid out (spaces at the breaks are dropped).
  size_t glyphs = 0;
  for (const TextLine& line : l.lines) glyphs += line.glyphs.size();
  const size_t letters =
      size_t(std::count_if(text.begin(), text.end(), [](char32_t c) { return c != U' '; }));
  EXPECT_EQ(glyphs, letters + 9 - (l.lines.size() - 1));
}

TEST_F(TextLayoutTest, ClustersAreNeverSplit) {
  // Thumbs up + skin tone, repeated: a narrow width forces breaks between emoji only.
  std::u32string text;
  for (int i = 0; i < 6; ++i) text += U"\U0001F44D\U0001F3FD";
  const TextLayout l = lay(text, 60);
  EXPECT_GE(l.lines.size(), 2u);
  const size_t one = lay(U"\U0001F44D\U0001F3FD").lines.at(0).glyphs.size();
  for (const TextLine& line : l.lines) EXPECT_EQ(line.glyphs.size() % one, 0u);
}

TEST_F(TextLayoutTest, LatinKeepsItsOrderInsideRightToLeftText) {
  const auto abc = ids(U"abc");
  const auto shin = ids(U"\u05E9");
  const auto digits = ids(U"123");
  // Hebrew first: a right-to-left paragraph; "abc" ends up on the left, in order.
  const auto rtl = ids(U"\u05E9\u05DC\u05D5\u05DD abc");
  ASSERT_GE(rtl.size(), 3u);
  EXPECT_EQ(std::vector<uint32_t>(rtl.begin(), rtl.begin() + 3), abc);
  EXPECT_EQ(rtl.back(), shin[0]);  // the first Hebrew letter is the rightmost glyph
  // Latin first: left-to-right paragraph; the Hebrew word still reads right to left.
  const auto ltr = ids(U"abc \u05E9\u05DC\u05D5\u05DD");
  EXPECT_EQ(std::vector<uint32_t>(ltr.begin(), ltr.begin() + 3), abc);
  EXPECT_EQ(ltr.back(), shin[0]);
  // Numbers inside right-to-left text keep their digit order.
  const auto num = ids(U"\u05E9\u05DC\u05D5\u05DD 123");
  EXPECT_EQ(std::vector<uint32_t>(num.begin(), num.begin() + 3), digits);
}

TEST_F(TextLayoutTest, ChineseUsesACjkFaceAndEmojiAColourFace) {
  const TextLayout l = lay(U"A\u57ce\U0001F600");
  ASSERT_EQ(l.lines.at(0).glyphs.size(), 3u);
  const auto& g = l.lines[0].glyphs;
  EXPECT_NE(g[0].font.face, g[1].font.face);
  EXPECT_NE(g[1].font.face->charset, nullptr);
  EXPECT_TRUE(FcCharSetHasChar(g[1].font.face->charset, 0x57CE));
  EXPECT_NE(g[1].id, 0u);  // not .notdef
  if (g[2].font.face->color) {
    EXPECT_TRUE(FcCharSetHasChar(g[2].font.face->charset, 0x1F600));
  } else {
    GTEST_SKIP() << "no colour emoji font installed";
  }
}

}  // namespace
}  // namespace kino::render
