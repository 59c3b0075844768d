#include "render/text_renderer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "render/text_unicode.h"
#include "support/test_dir.h"

namespace kino::render {
namespace {

using timeline::Color;
using timeline::TextAlign;
using timeline::TextPosition;
using timeline::TextStyle;

constexpr int kInk = 32;  // alpha above which a pixel counts as drawn

struct Box {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // canvas coordinates, half-open
  bool empty() const { return x1 <= x0; }
  double cx() const { return (x0 + x1) / 2.0; }
  double cy() const { return (y0 + y1) / 2.0; }
};

const uint8_t* px(const TextImage& t, int x, int y) {
  return t.image.row(0, y) + 4 * x;
}

// Bounding box of the drawn pixels of rows [r0, r1), on the canvas.
Box ink_box(const TextImage& t, int r0 = 0, int r1 = -1) {
  if (r1 < 0) r1 = t.image.height();
  Box b{1 << 30, 1 << 30, -(1 << 30), -(1 << 30)};
  bool any = false;
  for (int y = r0; y < r1; ++y)
    for (int x = 0; x < t.image.width(); ++x)
      if (px(t, x, y)[3] > kInk) {
        any = true;
        b.x0 = std::min(b.x0, t.x + x), b.x1 = std::max(b.x1, t.x + x + 1);
        b.y0 = std::min(b.y0, t.y + y), b.y1 = std::max(b.y1, t.y + y + 1);
      }
  return any ? b : Box{};
}

// Row bands holding ink, separated by empty rows: the text's lines, in image rows.
std::vector<std::pair<int, int>> line_bands(const TextImage& t) {
  std::vector<std::pair<int, int>> bands;
  bool in = false;
  for (int y = 0; y < t.image.height(); ++y) {
    bool ink = false;
    for (int x = 0; x < t.image.width() && !ink; ++x) ink = px(t, x, y)[3] > kInk;
    if (ink && !in) bands.push_back({y, y + 1});
    if (ink) bands.back().second = y + 1;
    in = ink;
  }
  return bands;
}

int colored_pixels(const TextImage& t) {
  int n = 0;
  for (int y = 0; y < t.image.height(); ++y)
    for (int x = 0; x < t.image.width(); ++x) {
      const uint8_t* p = px(t, x, y);
      if (p[3] > 200 && (p[0] != p[1] || p[1] != p[2])) ++n;
    }
  return n;
}

long coverage(const TextImage& t) {
  long sum = 0;
  for (int y = 0; y < t.image.height(); ++y)
    for (int x = 0; x < t.image.width(); ++x) sum += px(t, x, y)[3];
  return sum;
}

bool same_pixels(const TextImage& a, const TextImage& b) {
  if (a.image.width() != b.image.width() || a.image.height() != b.image.height()) return false;
  for (int y = 0; y < a.image.height(); ++y)
    if (!std::equal(a.image.row(0, y), a.image.row(0, y) + 4 * a.image.width(), b.image.row(0, y)))
      return false;
  return true;
}

void expect_inside_canvas(const TextImage& t, int w, int h) {
  EXPECT_GE(t.x, 0);
  EXPECT_GE(t.y, 0);
  EXPECT_LE(t.x + t.image.width(), w);
  EXPECT_LE(t.y + t.image.height(), h);
}

// Debug aid: with KINO_KEEP_TEST_FILES set, saves the picture (PAM, and PNG through the
// ffmpeg CLI when present) in a kept test folder.
void keep_picture(const TextImage& t, const std::string& name) {
  if (!std::getenv("KINO_KEEP_TEST_FILES") || t.image.empty()) return;
  static testing::TestDir dir("text");
  const auto pam = dir / (name + ".pam");
  std::ofstream f(pam, std::ios::binary);
  f << "P7\nWIDTH " << t.image.width() << "\nHEIGHT " << t.image.height()
    << "\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n";
  for (int y = 0; y < t.image.height(); ++y)
    f.write(reinterpret_cast<const char*>(t.image.row(0, y)), 4 * t.image.width());
  f.close();
  testing::run_command("ffmpeg -v error -y -i '" + pam.string() + "' '" +
                       (dir / (name + ".png")).string() + "'");
}

class TextRendererTest : public ::testing::Test {
 protected:
  TextRenderer renderer;
};

TEST(TextUnicode, DecodesInvalidUtf8AsReplacementCharacters) {
  EXPECT_EQ(text_decode_utf8("a\xff"
                             "b"),
            U"a\uFFFDb");
  EXPECT_EQ(text_decode_utf8("\xc0\xaf"), U"\uFFFD\uFFFD");                      // overlong
  EXPECT_EQ(text_decode_utf8("x\xe2\x82"), U"x\uFFFD");                          // truncated
  EXPECT_EQ(text_decode_utf8("\xed\xa0\x80"), U"\uFFFD\uFFFD\uFFFD");            // surrogate
  EXPECT_EQ(text_decode_utf8("\xf4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");  // > U+10FFFF
  EXPECT_EQ(text_decode_utf8("\xe5\x9f\x8e\xf0\x9f\x98\x80"), U"\u57ce\U0001F600");
}

TEST(TextUnicode, DropsControlsButKeepsNewlines) {
  EXPECT_EQ(text_decode_utf8("a\x01"
                             "b\r\nc\td\x7f"
                             "e\xc2\x85"),
            U"ab\nc de");
}

TEST(TextUnicode, BreakRules) {
  EXPECT_TRUE(text_can_break(U' ', U'w'));
  EXPECT_FALSE(text_can_break(U'w', U' '));
  EXPECT_FALSE(text_can_break(U'a', U'b'));
  EXPECT_TRUE(text_can_break(U'\u57ce', U'\u5e02'));           // between ideographs
  EXPECT_FALSE(text_can_break(U'\u57ce', U'\u3002'));          // not before 。
  EXPECT_FALSE(text_can_split(U'\U0001F44D', U'\U0001F3FD'));  // emoji + skin tone
}

TEST_F(TextRendererTest, EmptyTextGivesEmptyImage) {
  EXPECT_TRUE(renderer.render("", TextStyle{}, 1920, 1080).image.empty());
  EXPECT_TRUE(renderer.render("  \n \t", TextStyle{}, 1920, 1080).image.empty());
  TextStyle boxed;
  boxed.box = Color{0, 0, 0, 255};
  EXPECT_TRUE(renderer.render("\n", boxed, 1920, 1080).image.empty());
}

struct PositionCase {
  int width, height;
  TextPosition position;
};

class TextPositionTest : public ::testing::TestWithParam<PositionCase> {};

TEST_P(TextPositionTest, TitleSitsWhereThePositionSays) {
  const auto [W, H, position] = GetParam();
  TextRenderer renderer;
  TextStyle st;
  st.size = 72;
  st.position = position;
  st.x = 0.3;
  st.y = 0.7;
  const TextImage t = renderer.render("Urban Dreams", st, W, H);
  ASSERT_FALSE(t.image.empty());
  EXPECT_EQ(t.image.format(), media::PixelFormat::rgba);
  expect_inside_canvas(t, W, H);
  const Box ink = ink_box(t);
  ASSERT_FALSE(ink.empty());
  // Ink lies inside the line box: cap tops a little under the block top, descenders above
  // the block bottom (line box 1.2 * size).
  const double block_h = 1.2 * st.size;
  switch (position) {
    case TextPosition::top:
      EXPECT_GE(ink.y0, 0.05 * H);
      EXPECT_LE(ink.y0, 0.05 * H + 0.4 * st.size);
      break;
    case TextPosition::bottom:
      EXPECT_LE(ink.y1, 0.85 * H);
      EXPECT_GE(ink.y1, 0.85 * H - 0.4 * st.size);
      break;
    case TextPosition::center: EXPECT_NEAR(ink.cy(), H / 2.0, 0.25 * block_h); break;
    case TextPosition::custom:
      EXPECT_NEAR(ink.cy(), 0.7 * H, 0.25 * block_h);
      EXPECT_NEAR(ink.cx(), 0.3 * W, 0.1 * st.size);
      break;
  }
  if (position != TextPosition::custom) {
    EXPECT_NEAR(ink.cx(), W / 2.0, 0.1 * st.size);
  }
  keep_picture(t, "position-" + std::to_string(W) + "x" + std::to_string(H) + "-" +
                      std::string(timeline::text_position_name(position)));
}

INSTANTIATE_TEST_SUITE_P(Canvases, TextPositionTest,
                         ::testing::Values(PositionCase{1080, 1920, TextPosition::top},
                                           PositionCase{1080, 1920, TextPosition::center},
                                           PositionCase{1080, 1920, TextPosition::bottom},
                                           PositionCase{1080, 1920, TextPosition::custom},
                                           PositionCase{1920, 1080, TextPosition::top},
                                           PositionCase{1920, 1080, TextPosition::center},
                                           PositionCase{1920, 1080, TextPosition::bottom},
                                           PositionCase{1920, 1080, TextPosition::custom}));

TEST_F(TextRendererTest, LeftAndRightPresetsUseTheSafeMargins) {
  TextStyle st;
  st.position = TextPosition::bottom;
  st.align = TextAlign::left;
  const Box left = ink_box(renderer.render("Lower third", st, 1920, 1080));
  EXPECT_NEAR(left.x0, 0.05 * 1920, 0.15 * st.size);
  st.align = TextAlign::right;
  const Box right = ink_box(renderer.render("Lower third", st, 1920, 1080));
  EXPECT_NEAR(right.x1, 0.95 * 1920, 0.15 * st.size);
}

TEST_F(TextRendererTest, BlocksAreClampedInsideTheCanvas) {
  TextStyle st;
  st.position = TextPosition::custom;
  st.x = 1.5;
  st.y = -0.5;
  const TextImage t = renderer.render("Off the edge", st, 1280, 720);
  ASSERT_FALSE(t.image.empty());
  expect_inside_canvas(t, 1280, 720);
  const Box ink = ink_box(t);
  EXPECT_GT(ink.x1, 1280 - st.size * 0.5);  // pushed against the right edge
  EXPECT_LT(ink.y0, st.size * 0.5);         // and the top edge
}

TEST_F(TextRendererTest, ChineseRendersRealGlyphsNotTofu) {
  TextStyle st;
  const TextImage city = renderer.render("城市之梦", st, 1080, 1920);
  ASSERT_FALSE(city.image.empty());
  EXPECT_GT(coverage(city), 255L * 500);
  keep_picture(city, "chinese");
  // Each character is its own glyph, and none is the .notdef box that U+FFFF gets.
  const TextImage c1 = renderer.render("城", st, 1080, 1920);
  const TextImage c2 = renderer.render("市", st, 1080, 1920);
  const TextImage notdef = renderer.render("\uFFFF", st, 1080, 1920);
  const TextImage notdef2 = renderer.render("\uFFFE", st, 1080, 1920);
  ASSERT_FALSE(notdef.image.empty());
  EXPECT_TRUE(same_pixels(notdef, notdef2));  // the check below can tell tofu apart
  EXPECT_FALSE(same_pixels(c1, c2));
  EXPECT_FALSE(same_pixels(c1, notdef));
  EXPECT_FALSE(same_pixels(c2, notdef));
}

TEST_F(TextRendererTest, MixedLatinAndChineseOnOneLine) {
  const TextImage t = renderer.render("Hello 城市 World", TextStyle{}, 1920, 1080);
  EXPECT_EQ(line_bands(t).size(), 1u);
  EXPECT_GT(t.image.width(), 64 * 6);
}

TEST_F(TextRendererTest, EmojiRendersInColour) {
  if (testing::run_command("fc-list :color=true family | grep -q .") != 0)
    GTEST_SKIP() << "no colour emoji font installed";
  TextStyle st;
  st.size = 96;
  const TextImage t = renderer.render("Hi \xf0\x9f\x98\x80\xf0\x9f\x8e\xac", st, 1920, 1080);
  ASSERT_FALSE(t.image.empty());
  keep_picture(t, "emoji");
  const int colored = colored_pixels(t);
  EXPECT_GT(colored, 500);
  // Default emoji presentation picks the colour face even where a text face maps the
  // character (U+1F600 is in DejaVu Sans too); U+FE0F asks for it on a text-default one.
  EXPECT_GT(colored_pixels(renderer.render("\xf0\x9f\x98\x80", st, 1920, 1080)), 500);
  EXPECT_GT(colored_pixels(renderer.render("\xe2\x9d\xa4\xef\xb8\x8f", st, 1920, 1080)), 500);
  // A space after an emoji is a text space, not as wide as an emoji.
  const int joined = ink_box(renderer.render("\xf0\x9f\x98\x80x", st, 1920, 1080)).x1 -
                     ink_box(renderer.render("\xf0\x9f\x98\x80x", st, 1920, 1080)).x0;
  const Box spaced = ink_box(renderer.render("\xf0\x9f\x98\x80 x", st, 1920, 1080));
  EXPECT_LT(spaced.x1 - spaced.x0 - joined, 0.5 * st.size);
  // An emoji is about as tall as the text size after scaling the bitmap strike.
  const Box ink = ink_box(renderer.render("\xf0\x9f\x98\x80", st, 1920, 1080));
  EXPECT_NEAR(ink.y1 - ink.y0, st.size, 0.35 * st.size);
}

TEST_F(TextRendererTest, LongSentenceWrapsWithinMaxWidth) {
  const std::string sentence =
      "The quick brown fox jumps over the lazy dog while the city lights come on one by one";
  TextStyle st;
  st.size = 60;
  st.max_width = 0.9;
  const TextImage wide = renderer.render(sentence, st, 1920, 1080);
  st.max_width = 0.5;
  const TextImage narrow = renderer.render(sentence, st, 1920, 1080);
  keep_picture(narrow, "wrapped");
  const auto wide_lines = line_bands(wide), narrow_lines = line_bands(narrow);
  EXPECT_GT(narrow_lines.size(), wide_lines.size());
  EXPECT_GE(narrow_lines.size(), 3u);
  EXPECT_GT(narrow.image.height(), wide.image.height());
  for (auto [r0, r1] : narrow_lines) {
    const Box line = ink_box(narrow, r0, r1);
    EXPECT_LE(line.x1 - line.x0, 0.5 * 1920 + 2);
  }
}

TEST_F(TextRendererTest, ChineseWrapsBetweenCharactersAndLongWordsBreak) {
  TextStyle st;
  st.size = 64;
  st.max_width = 0.3;
  const TextImage cjk =
      renderer.render("城市之梦在夜色中慢慢亮起来了，我们一起出发吧", st, 1080, 1920);
  const auto bands = line_bands(cjk);
  EXPECT_GE(bands.size(), 3u);
  for (auto [r0, r1] : bands) {
    const Box line = ink_box(cjk, r0, r1);
    EXPECT_LE(line.x1 - line.x0, 0.3 * 1080 + 2);
  }
  const TextImage word =
      renderer.render("Pneumonoultramicroscopicsilicovolcanoconiosis", st, 1080, 1920);
  EXPECT_GE(line_bands(word).size(), 3u);
  EXPECT_LE(word.image.width(), 0.3 * 1080 + 4);
}

TEST_F(TextRendererTest, ExplicitNewlinesMakeLines) {
  const TextImage t = renderer.render("One\nTwo\nThree", TextStyle{}, 1920, 1080);
  const auto bands = line_bands(t);
  ASSERT_EQ(bands.size(), 3u);
  // Baselines 1.2 * size apart: band tops of same-height words are that far apart.
  EXPECT_NEAR(bands[2].first - bands[1].first, 1.2 * 64, 2);
}

TEST_F(TextRendererTest, AlignmentMovesLinesWithinTheBlock) {
  TextStyle st;
  st.position = TextPosition::custom;
  auto lines = [&](TextAlign a) {
    st.align = a;
    const TextImage t = renderer.render("Hi\nA much longer line", st, 1920, 1080);
    const auto bands = line_bands(t);
    EXPECT_EQ(bands.size(), 2u);
    return std::make_pair(ink_box(t, bands[0].first, bands[0].second),
                          ink_box(t, bands[1].first, bands[1].second));
  };
  const auto [l1, l2] = lines(TextAlign::left);
  const auto [c1, c2] = lines(TextAlign::center);
  const auto [r1, r2] = lines(TextAlign::right);
  EXPECT_NEAR(l1.x0, l2.x0, 8);
  EXPECT_NEAR(c1.cx(), c2.cx(), 8);
  EXPECT_NEAR(r1.x1, r2.x1, 8);
  EXPECT_LT(l1.x0 + 100, c1.x0);
  EXPECT_LT(c1.x0 + 100, r1.x0);
  EXPECT_NEAR(l2.x0, r2.x0, 2);  // the longest line does not move
}

TEST_F(TextRendererTest, OutlineWidensTheImageAndHasItsColour) {
  TextStyle st;
  const TextImage plain = renderer.render("Outline", st, 1920, 1080);
  st.outline = 6;
  st.outline_color = Color{255, 0, 0, 255};
  const TextImage outlined = renderer.render("Outline", st, 1920, 1080);
  keep_picture(outlined, "outline");
  EXPECT_GE(outlined.image.width(), plain.image.width() + 10);
  EXPECT_GE(outlined.image.height(), plain.image.height() + 10);
  EXPECT_GT(coverage(outlined), coverage(plain));
  int red = 0, white = 0;
  for (int y = 0; y < outlined.image.height(); ++y)
    for (int x = 0; x < outlined.image.width(); ++x) {
      const uint8_t* p = px(outlined, x, y);
      if (p[3] == 255 && p[0] == 255 && p[1] == 0 && p[2] == 0) ++red;
      if (p[3] == 255 && p[0] == 255 && p[1] == 255 && p[2] == 255) ++white;
    }
  EXPECT_GT(red, 500);
  EXPECT_GT(white, 500);  // the fill is drawn over the outline
}

TEST_F(TextRendererTest, BoxHasTheBoxColourAndPadding) {
  TextStyle st;
  st.box = Color{20, 40, 200, 255};
  st.box_padding = 24;
  const TextImage plain = renderer.render("Boxed title", TextStyle{}, 1920, 1080);
  const TextImage boxed = renderer.render("Boxed title", st, 1920, 1080);
  keep_picture(boxed, "box");
  EXPECT_GE(boxed.image.width(), plain.image.width() + 2 * 24 - 2);
  // The middle of the top padding strip and the centre-left padding are pure box colour.
  for (auto [x, y] :
       {std::pair{boxed.image.width() / 2, 4}, std::pair{8, boxed.image.height() / 2}}) {
    const uint8_t* p = px(boxed, x, y);
    EXPECT_EQ(p[0], 20);
    EXPECT_EQ(p[1], 40);
    EXPECT_EQ(p[2], 200);
    EXPECT_EQ(p[3], 255);
  }
  // Rounded corners: the very corner is (nearly) transparent.
  EXPECT_LT(px(boxed, 0, 0)[3], 64);
  // Text over the box stays white.
  int white = 0;
  for (int y = 0; y < boxed.image.height(); ++y)
    for (int x = 0; x < boxed.image.width(); ++x)
      if (px(boxed, x, y)[0] == 255 && px(boxed, x, y)[2] == 255) ++white;
  EXPECT_GT(white, 500);
}

TEST_F(TextRendererTest, ShadowFallsDownRight) {
  TextStyle st;
  st.shadow = true;
  st.shadow_color = Color{0, 0, 0, 200};
  const TextImage plain = renderer.render("Shadow", TextStyle{}, 1920, 1080);
  const TextImage shadowed = renderer.render("Shadow", st, 1920, 1080);
  keep_picture(shadowed, "shadow");
  const Box a = ink_box(plain), b = ink_box(shadowed);
  EXPECT_EQ(a.x0, b.x0);
  EXPECT_EQ(a.y0, b.y0);
  EXPECT_GT(b.x1, a.x1);
  EXPECT_GT(b.y1, a.y1);
  // Below the text's ink, the shadow is dark and translucent.
  int dark = 0;
  for (int y = a.y1 - shadowed.y; y < shadowed.image.height(); ++y)
    for (int x = 0; x < shadowed.image.width(); ++x) {
      const uint8_t* p = px(shadowed, x, y);
      if (p[3] > 0 && p[3] <= 200 && p[0] < 10) ++dark;
    }
  EXPECT_GT(dark, 20);
}

TEST_F(TextRendererTest, BoldIsHeavierThanRegular) {
  TextStyle st;
  const long regular = coverage(renderer.render("Heavy", st, 1920, 1080));
  st.bold = true;
  const long bold = coverage(renderer.render("Heavy", st, 1920, 1080));
  EXPECT_GT(bold, regular * 11 / 10);
}

TEST_F(TextRendererTest, InvalidUtf8AndControlsDoNotCrash) {
  const TextImage bad =
      renderer.render("ok \xff\xfe \xc3\x28 \xe2\x82 \xf0\x9f\x98", TextStyle{}, 1920, 1080);
  EXPECT_FALSE(bad.image.empty());
  const TextImage with_controls = renderer.render(
      "A\x01\x02"
      "B\x1b",
      TextStyle{}, 1920, 1080);
  const TextImage clean = renderer.render("AB", TextStyle{}, 1920, 1080);
  EXPECT_TRUE(same_pixels(with_controls, clean));
  EXPECT_EQ(with_controls.x, clean.x);
}

TEST_F(TextRendererTest, RenderingIsDeterministicWithWarmCaches) {
  TextStyle st;
  st.outline = 3;
  st.shadow = true;
  const TextImage a = renderer.render("Same 城市 again", st, 1920, 1080);
  const TextImage b = renderer.render("Same 城市 again", st, 1920, 1080);
  TextRenderer fresh;
  const TextImage c = fresh.render("Same 城市 again", st, 1920, 1080);
  EXPECT_TRUE(same_pixels(a, b));
  EXPECT_TRUE(same_pixels(a, c));
}

TEST_F(TextRendererTest, BadStylesAreRejectedNamingTheField) {
  auto expect_bad = [&](TextStyle st, int w, int h, const std::string& field) {
    try {
      renderer.render("x", st, w, h);
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_request);
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  TextStyle st;
  expect_bad(st, 0, 1080, "canvas width");
  expect_bad(st, 1920, -5, "canvas height");
  st.size = 0;
  expect_bad(st, 1920, 1080, "style.size");
  st.size = std::nan("");
  expect_bad(st, 1920, 1080, "style.size");
  st.size = 1e9;
  expect_bad(st, 1920, 1080, "style.size");
  st = TextStyle{};
  st.outline = -1;
  expect_bad(st, 1920, 1080, "style.outline");
  st = TextStyle{};
  st.max_width = 0;
  expect_bad(st, 1920, 1080, "style.max_width");
  EXPECT_THROW(
      renderer.render(std::string(TextLimits::kMaxBytes + 1, 'a'), TextStyle{}, 1920, 1080), Error);
}

TEST_F(TextRendererTest, UnknownFontFamilyFallsBack) {
  TextStyle st;
  st.font = "No Such Font Family, sans-serif";
  EXPECT_FALSE(renderer.render("Fallback 城市", st, 1920, 1080).image.empty());
}

TEST_F(TextRendererTest, RandomBytesAndStylesNeverCrash) {
  std::mt19937 rng(20240611);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::pair<int, int> canvases[] = {{1920, 1080}, {1080, 1920}, {64, 48}, {16, 16}};
  const char* pieces[] = {"a",
                          " ",
                          "\n",
                          "城",
                          "\xf0\x9f\x98\x80",
                          "\xe2\x80\x8d",
                          "\xef\xb8\x8f",
                          "\xcc\x81",
                          "\xd8\xb3",
                          "\xff",
                          "\xe2\x82",
                          "\t",
                          "-",
                          "\xe3\x80\x82"};
  for (int i = 0; i < 150; ++i) {
    std::string text;
    const int n = pick(0, 24);
    for (int k = 0; k < n; ++k) {
      if (pick(0, 3) == 0) {
        text += char(pick(0, 255));
      } else {
        text += pieces[pick(0, int(std::size(pieces)) - 1)];
      }
    }
    TextStyle st;
    st.size = pick(4, 160);
    st.bold = pick(0, 1);
    st.outline = pick(0, 3) == 0 ? pick(1, 12) : 0;
    st.shadow = pick(0, 1);
    if (pick(0, 1)) st.box = Color{10, 20, 30, uint8_t(pick(0, 255))};
    st.align = TextAlign(pick(0, 2));
    st.position = TextPosition(pick(0, 3));
    st.x = pick(-50, 150) / 100.0;
    st.y = pick(-50, 150) / 100.0;
    st.max_width = pick(1, 100) / 100.0;
    const auto [w, h] = canvases[pick(0, 3)];
    const TextImage t = renderer.render(text, st, w, h);
    if (!t.image.empty()) expect_inside_canvas(t, w, h);
  }
}

TEST(TextRendererThreads, OneRendererPerThreadGivesTheSamePictures) {
  const std::string texts[] = {"Thread title", "城市之梦 \xf0\x9f\x98\x80", "Bold\nlines"};
  TextStyle st;
  st.outline = 2;
  st.shadow = true;
  std::vector<TextImage> expected;
  {
    TextRenderer r;
    for (const auto& t : texts) expected.push_back(r.render(t, st, 1280, 720));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      TextRenderer r;
      for (int round = 0; round < 3; ++round)
        for (size_t k = 0; k < std::size(texts); ++k)
          if (!same_pixels(r.render(texts[k], st, 1280, 720), expected[k])) ++mismatches[i];
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST_F(TextRendererTest, ManyFontFamiliesStayConsistent) {
  TextStyle st;
  st.font = "Missing Family 0";
  const TextImage first = renderer.render("Same 城", st, 1280, 720);
  for (int i = 1; i < 80; ++i) {
    st.font = "Missing Family " + std::to_string(i);
    renderer.render("Same 城", st, 1280, 720);
  }
  st.font = "Missing Family 0";
  EXPECT_TRUE(same_pixels(first, renderer.render("Same 城", st, 1280, 720)));
}

}  // namespace
}  // namespace kino::render
