#pragma once
// Text layout (internal to the render module): font runs, HarfBuzz shaping and greedy
// line breaking. Lines are laid out left to right run after run; within a run HarfBuzz
// orders glyphs for the run's direction (no bidi reordering across runs).
#include <cstdint>
#include <string>
#include <vector>

#include "render/text_fonts.h"

namespace kino::render {

struct TextGlyph {
  TextFont font;
  uint32_t id = 0;  // glyph index in font.face
  double x = 0;     // pen position from the line's start, pixels
  double y = 0;     // offset from the baseline, pixels, down positive
};

struct TextLine {
  std::vector<TextGlyph> glyphs;
  double width = 0;  // advance width, trailing spaces excluded
};

struct TextLayout {
  std::vector<TextLine> lines;  // one per paragraph line, empty lines kept
  double line_height = 0;       // distance between baselines
  double baseline = 0;          // from a line box's top to its baseline
  double width = 0;             // widest line
  double height() const { return line_height * double(lines.size()); }
};

struct TextLayoutParams {
  std::string family = "sans-serif";
  bool bold = false;
  double size = 64;           // em size, pixels
  double max_width = 0;       // wrap width in pixels; <= 0: no wrapping
  double line_spacing = 1.2;  // line height as a multiple of size
};

// Lays out decoded text ("\n" separates paragraphs). Sets fonts' size to params.size.
TextLayout text_layout(TextFonts& fonts, const std::u32string& text,
                       const TextLayoutParams& params);

}  // namespace kino::render
