#include "render/text_renderer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "render/text_fonts.h"
#include "render/text_layout.h"
#include "render/text_unicode.h"

namespace kino::render {
namespace {

constexpr double kLineSpacing = 1.2;  // line height / size
constexpr double kSafeMargin = 0.05;  // title-safe margin, fraction of each side
constexpr double kBottomEdge = 0.85;  // bottom preset: block bottom, fraction of height

struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // half-open
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
  void unite(const Rect& r) {
    if (r.empty()) return;
    if (empty()) {
      *this = r;
      return;
    }
    x0 = std::min(x0, r.x0), y0 = std::min(y0, r.y0);
    x1 = std::max(x1, r.x1), y1 = std::max(y1, r.y1);
  }
  Rect intersect(const Rect& r) const {
    Rect o{std::max(x0, r.x0), std::max(y0, r.y0), std::min(x1, r.x1), std::min(y1, r.y1)};
    return o.empty() ? Rect{} : o;
  }
  Rect grown(int by) const { return empty() ? *this : Rect{x0 - by, y0 - by, x1 + by, y1 + by}; }
  Rect shifted(int dx, int dy) const {
    return empty() ? *this : Rect{x0 + dx, y0 + dy, x1 + dx, y1 + dy};
  }
};

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void check(bool ok, const std::string& field, const std::string& rule, const std::string& got) {
  if (!ok) fail_bad_request("text " + field + " must be " + rule + ", got " + got);
}

void validate(const std::string& utf8, const timeline::TextStyle& st, int w, int h) {
  const std::string canvas_rule = "1.." + std::to_string(TextLimits::kMaxCanvas) + " px";
  check(w >= 1 && w <= TextLimits::kMaxCanvas, "canvas width", canvas_rule, std::to_string(w));
  check(h >= 1 && h <= TextLimits::kMaxCanvas, "canvas height", canvas_rule, std::to_string(h));
  check(utf8.size() <= TextLimits::kMaxBytes, "content",
        "at most " + std::to_string(TextLimits::kMaxBytes) + " bytes",
        std::to_string(utf8.size()) + " bytes");
  check(st.font.size() <= TextLimits::kMaxFontName, "style.font",
        "at most " + std::to_string(TextLimits::kMaxFontName) + " bytes",
        std::to_string(st.font.size()) + " bytes");
  check(st.size > 0 && st.size <= TextLimits::kMaxSize, "style.size",
        "in (0, " + num(TextLimits::kMaxSize) + "] px", num(st.size));
  check(st.outline >= 0 && st.outline <= TextLimits::kMaxOutline, "style.outline",
        "in [0, " + num(TextLimits::kMaxOutline) + "] px", num(st.outline));
  check(st.box_padding >= 0 && st.box_padding <= TextLimits::kMaxSize, "style.box_padding",
        "in [0, " + num(TextLimits::kMaxSize) + "] px", num(st.box_padding));
  check(st.max_width > 0 && std::isfinite(st.max_width), "style.max_width",
        "a fraction of the canvas width > 0", num(st.max_width));
  check(std::isfinite(st.x), "style.x", "a finite fraction of the canvas width", num(st.x));
  check(std::isfinite(st.y), "style.y", "a finite fraction of the canvas height", num(st.y));
}

// A colour premultiplied by its alpha, components in 0..1.
struct Premul {
  float r = 0, g = 0, b = 0, a = 0;
  static Premul of(const timeline::Color& c) {
    const float a = c.a / 255.0f;
    return {c.r / 255.0f * a, c.g / 255.0f * a, c.b / 255.0f * a, a};
  }
  // this = (src * coverage) over this
  void over(const Premul& src, float coverage) {
    if (coverage <= 0) return;
    const float k = 1 - src.a * coverage;
    r = src.r * coverage + k * r, g = src.g * coverage + k * g;
    b = src.b * coverage + k * b, a = src.a * coverage + k * a;
  }
};

// Box blur of a w x h float plane with radius r, zero outside; rows then columns.
// The column pass keeps running sums per column so it walks memory row by row.
void box_blur(std::vector<float>& p, int w, int h, int r) {
  const float norm = 1.0f / float(2 * r + 1);
  std::vector<float> line(static_cast<size_t>(w));
  for (int y = 0; y < h; ++y) {
    float* row = p.data() + size_t(y) * size_t(w);
    std::copy(row, row + w, line.begin());
    float sum = 0;
    for (int i = 0; i <= std::min(r, w - 1); ++i) sum += line[size_t(i)];
    for (int x = 0; x < w; ++x) {
      row[x] = sum * norm;
      if (x + r + 1 < w) sum += line[size_t(x + r + 1)];
      if (x - r >= 0) sum -= line[size_t(x - r)];
    }
  }
  const std::vector<float> src = p;
  std::vector<float> sums(static_cast<size_t>(w), 0.0f);
  auto src_row = [&](int y) { return src.data() + size_t(y) * size_t(w); };
  for (int y = 0; y <= std::min(r, h - 1); ++y)
    for (int x = 0; x < w; ++x) sums[size_t(x)] += src_row(y)[x];
  for (int y = 0; y < h; ++y) {
    float* out = p.data() + size_t(y) * size_t(w);
    for (int x = 0; x < w; ++x) out[x] = sums[size_t(x)] * norm;
    if (y + r + 1 < h)
      for (int x = 0; x < w; ++x) sums[size_t(x)] += src_row(y + r + 1)[x];
    if (y - r >= 0)
      for (int x = 0; x < w; ++x) sums[size_t(x)] -= src_row(y - r)[x];
  }
}

// Coverage of a pixel centre by a rounded rectangle (anti-aliased by distance).
struct RoundedRect {
  double cx, cy, hx, hy, radius;
  float coverage(double px, double py) const {
    const double qx = std::abs(px - cx) - (hx - radius), qy = std::abs(py - cy) - (hy - radius);
    const double d = (qx <= 0 || qy <= 0) ? std::max(qx, qy) - radius : std::hypot(qx, qy) - radius;
    return float(std::clamp(0.5 - d, 0.0, 1.0));
  }
};

struct PlacedGlyph {
  std::shared_ptr<const TextGlyphBitmap> fill, stroke;
  int x = 0, y = 0;  // pen position (whole pixels) and baseline on the canvas
};

Rect bitmap_rect(const TextGlyphBitmap* b, int x, int y) {
  if (!b || b->width == 0) return {};
  return {x + b->left, y - b->top, x + b->left + b->width, y - b->top + b->height};
}

// Adds a coverage bitmap into a coverage plane (saturating), clipped to the plane.
void add_coverage(std::vector<uint8_t>& plane, const Rect& area, const TextGlyphBitmap& b, int x,
                  int y) {
  const Rect r = bitmap_rect(&b, x, y).intersect(area);
  const int w = area.width();
  for (int cy = r.y0; cy < r.y1; ++cy) {
    const uint8_t* s = b.pixels.data() + size_t(cy - (y - b.top)) * size_t(b.width);
    uint8_t* d = plane.data() + size_t(cy - area.y0) * size_t(w);
    for (int cx = r.x0; cx < r.x1; ++cx) {
      const int v = d[cx - area.x0] + s[cx - (x + b.left)];
      d[cx - area.x0] = uint8_t(std::min(v, 255));
    }
  }
}

// Composites a premultiplied RGBA bitmap over a premultiplied float plane.
void add_color(std::vector<float>& plane, const Rect& area, const TextGlyphBitmap& b, int x,
               int y) {
  const Rect r = bitmap_rect(&b, x, y).intersect(area);
  const int w = area.width();
  for (int cy = r.y0; cy < r.y1; ++cy) {
    const uint8_t* s = b.pixels.data() + size_t(cy - (y - b.top)) * size_t(b.width) * 4;
    float* d = plane.data() + size_t(cy - area.y0) * size_t(w) * 4;
    for (int cx = r.x0; cx < r.x1; ++cx) {
      const uint8_t* sp = s + size_t(cx - (x + b.left)) * 4;
      float* dp = d + size_t(cx - area.x0) * 4;
      const float k = 1 - sp[3] / 255.0f;
      for (int c = 0; c < 4; ++c) dp[c] = sp[c] / 255.0f + k * dp[c];
    }
  }
}

}  // namespace

struct TextRenderer::Impl {
  TextFonts fonts;
};

TextRenderer::TextRenderer() : impl_(std::make_unique<Impl>()) {}
TextRenderer::~TextRenderer() = default;

TextImage TextRenderer::render(const std::string& utf8, const timeline::TextStyle& style,
                               int canvas_width, int canvas_height) {
  validate(utf8, style, canvas_width, canvas_height);
  const std::u32string text = text_decode_utf8(utf8);
  if (std::all_of(text.begin(), text.end(),
                  [](char32_t c) { return c == '\n' || text_is_space(c); }))
    return {};

  const double W = canvas_width, H = canvas_height, size = style.size;
  TextLayoutParams lp;
  lp.family = style.font.empty() ? "sans-serif" : style.font;
  lp.bold = style.bold;
  lp.size = size;
  lp.max_width = style.max_width * W;
  lp.line_spacing = kLineSpacing;
  TextFonts& fonts = impl_->fonts;
  const TextLayout layout = text_layout(fonts, text, lp);

  // The block: line boxes plus the box padding; placed, then clamped into the canvas.
  const double pad = style.box ? style.box_padding : 0;
  const double bw = layout.width + 2 * pad, bh = layout.height() + 2 * pad;
  double bx = 0, by = 0;
  if (style.position == timeline::TextPosition::custom) {
    bx = style.x * W - bw / 2;
    by = style.y * H - bh / 2;
  } else {
    switch (style.align) {
      case timeline::TextAlign::left: bx = kSafeMargin * W; break;
      case timeline::TextAlign::center: bx = (W - bw) / 2; break;
      case timeline::TextAlign::right: bx = (1 - kSafeMargin) * W - bw; break;
    }
    switch (style.position) {
      case timeline::TextPosition::top: by = kSafeMargin * H; break;
      case timeline::TextPosition::bottom: by = kBottomEdge * H - bh; break;
      default: by = (H - bh) / 2; break;
    }
  }
  bx = bw <= W ? std::clamp(bx, 0.0, W - bw) : (W - bw) / 2;
  by = bh <= H ? std::clamp(by, 0.0, H - bh) : (H - bh) / 2;
  bx = std::floor(bx + 0.5);
  by = std::floor(by + 0.5);

  // Glyphs at their canvas positions; lines far outside the canvas are skipped.
  const int shadow_offset = style.shadow ? std::max(1, int(std::lround(size / 16))) : 0;
  const int blur_radius = style.shadow ? std::max(1, int(std::lround(size / 48))) : 0;
  const double reach = 2 * size + style.outline + shadow_offset + 2 * blur_radius;
  std::vector<PlacedGlyph> glyphs;
  Rect ink;
  bool any_color = false;
  for (size_t j = 0; j < layout.lines.size(); ++j) {
    const TextLine& line = layout.lines[j];
    const double base =
        std::floor(by + pad + double(j) * layout.line_height + layout.baseline + 0.5);
    if (base < -reach || base > H + reach) continue;
    double lx = bx + pad;
    if (style.align == timeline::TextAlign::center) lx += (layout.width - line.width) / 2;
    if (style.align == timeline::TextAlign::right) lx += layout.width - line.width;
    for (const TextGlyph& g : line.glyphs) {
      const double gx = lx + g.x;
      if (gx < -reach || gx > W + reach) continue;
      const double ix = std::floor(gx);
      const int phase =
          std::min(TextFonts::kSubpixelSteps - 1, int((gx - ix) * TextFonts::kSubpixelSteps));
      PlacedGlyph p;
      p.x = int(ix);
      p.y = int(base + std::lround(g.y));
      p.fill = fonts.glyph(g.font, g.id, phase, 0);
      if (style.outline > 0) p.stroke = fonts.glyph(g.font, g.id, phase, style.outline);
      any_color = any_color || p.fill->color;
      ink.unite(bitmap_rect(p.fill.get(), p.x, p.y));
      ink.unite(bitmap_rect(p.stroke.get(), p.x, p.y));
      glyphs.push_back(std::move(p));
    }
  }

  Rect area = ink;
  std::optional<RoundedRect> box;
  if (style.box) {
    const double radius = std::min({0.2 * size, pad, bw / 2, bh / 2});
    box = RoundedRect{bx + bw / 2, by + bh / 2, bw / 2, bh / 2, radius};
    area.unite(Rect{int(bx), int(by), int(std::ceil(bx + bw)), int(std::ceil(by + bh))});
  }
  if (style.shadow) area.unite(ink.shifted(shadow_offset, shadow_offset).grown(2 * blur_radius));
  area = area.intersect(Rect{0, 0, canvas_width, canvas_height});
  if (area.empty()) return {};

  const int aw = area.width(), ah = area.height();
  const size_t n = size_t(aw) * size_t(ah);
  std::vector<uint8_t> fill(n, 0), stroke(style.outline > 0 ? n : 0, 0);
  std::vector<float> color(any_color ? n * 4 : 0, 0.0f);
  for (const PlacedGlyph& g : glyphs) {
    if (g.fill->color) {
      add_color(color, area, *g.fill, g.x, g.y);
    } else if (g.fill->width > 0) {
      add_coverage(fill, area, *g.fill, g.x, g.y);
    }
    if (g.stroke && g.stroke->width > 0) add_coverage(stroke, area, *g.stroke, g.x, g.y);
  }

  // Shadow: everything the text covers, offset down-right and softened.
  std::vector<float> shadow;
  if (style.shadow) {
    shadow.assign(n, 0.0f);
    for (int y = shadow_offset; y < ah; ++y)
      for (int x = shadow_offset; x < aw; ++x) {
        const size_t s = size_t(y - shadow_offset) * size_t(aw) + size_t(x - shadow_offset);
        float c = fill[s];
        if (!stroke.empty()) c = std::max(c, float(stroke[s]));
        if (!color.empty()) c = std::max(c, color[s * 4 + 3] * 255.0f);
        shadow[size_t(y) * size_t(aw) + size_t(x)] = c / 255.0f;
      }
    for (int pass = 0; pass < 2; ++pass) box_blur(shadow, aw, ah, blur_radius);
  }

  // Box, shadow, outline, fill, colour glyphs: "over" in premultiplied space.
  TextImage out;
  out.x = area.x0;
  out.y = area.y0;
  out.image = media::Frame(media::PixelFormat::rgba, aw, ah);
  constexpr float k255 = 1.0f / 255.0f;
  const Premul box_color = Premul::of(style.box.value_or(timeline::Color{}));
  const Premul shadow_color = Premul::of(style.shadow_color);
  const Premul outline_color = Premul::of(style.outline_color);
  const Premul fill_color = Premul::of(style.color);
  for (int y = 0; y < ah; ++y) {
    uint8_t* row = out.image.row(0, y);
    for (int x = 0; x < aw; ++x) {
      const size_t i = size_t(y) * size_t(aw) + size_t(x);
      Premul p;
      if (box) p.over(box_color, box->coverage(area.x0 + x + 0.5, area.y0 + y + 0.5));
      if (!shadow.empty()) p.over(shadow_color, shadow[i]);
      if (!stroke.empty()) p.over(outline_color, stroke[i] * k255);
      p.over(fill_color, fill[i] * k255);
      if (!color.empty())
        p.over({color[4 * i], color[4 * i + 1], color[4 * i + 2], color[4 * i + 3]}, 1);
      uint8_t* px = row + 4 * x;
      if (p.a <= 0) {
        px[0] = px[1] = px[2] = px[3] = 0;
        continue;
      }
      const float k = 255.0f / p.a;
      px[0] = uint8_t(std::min(255.0f, p.r * k + 0.5f));
      px[1] = uint8_t(std::min(255.0f, p.g * k + 0.5f));
      px[2] = uint8_t(std::min(255.0f, p.b * k + 0.5f));
      px[3] = uint8_t(std::min(255.0f, p.a * 255.0f + 0.5f));
    }
  }
  return out;
}

}  // namespace kino::render
