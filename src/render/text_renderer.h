#pragma once
// Text overlays: a string and a timeline::TextStyle become an RGBA picture placed on the
// canvas. Fonts come from fontconfig (style.font, bold; per-character fallback so Chinese
// and emoji render), shaping from HarfBuzz, rasterization from FreeType.
//
// Placement: the block is the text's line boxes (line height 1.2 * size, lines aligned
// left/center/right within the widest line), grown by box_padding when a box is drawn.
// The title-safe area has 5% margins on every side. top: block top at the safe top;
// bottom: block bottom at 85% of the canvas height (clear of short-form apps' captions);
// center: centred vertically. For these, the block sits at the safe left edge, centred,
// or at the safe right edge, following style.align. custom: block centred at
// (x * width, y * height). The block is then clamped inside the canvas (centred when it
// is larger). Lines wrap at style.max_width * canvas width.
#include <memory>
#include <string>

#include "media/frame.h"
#include "timeline/draft.h"

namespace kino::render {

// An overlay picture: rgba, straight alpha, (x, y) its top-left corner on the canvas.
// It lies wholly inside the canvas. An empty image means there is nothing to draw.
struct TextImage {
  media::Frame image;
  int x = 0;
  int y = 0;
};

// Limits on what render() accepts; beyond them it throws Error(bad_request).
struct TextLimits {
  static constexpr size_t kMaxBytes = 64 * 1024;  // UTF-8 text length
  static constexpr double kMaxSize = 1000;        // style.size, pixels
  static constexpr double kMaxOutline = 100;      // style.outline, pixels
  static constexpr int kMaxCanvas = 8192;         // canvas width and height, pixels
  static constexpr size_t kMaxFontName = 256;     // style.font length
};

// One per render thread: not thread-safe. Caches fonts and rasterized glyphs, so reusing
// one renderer for a whole subtitle track is fast.
class TextRenderer {
 public:
  TextRenderer();
  ~TextRenderer();
  TextRenderer(const TextRenderer&) = delete;
  TextRenderer& operator=(const TextRenderer&) = delete;

  // Invalid UTF-8 is drawn as U+FFFD; control characters other than "\n" are dropped.
  // Text with nothing visible gives an empty image. Invalid styles or canvas sizes throw
  // Error(bad_request) naming the field, the rule and the value.
  TextImage render(const std::string& utf8, const timeline::TextStyle& style, int canvas_width,
                   int canvas_height);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kino::render
