#include "render/blend.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kino::render {

int to_fixed(double fraction) {
  return int(std::clamp(std::lround(fraction * kOne), 0L, long(kOne)));
}

void blend_row(uint8_t* __restrict dst, const uint8_t* __restrict src, int n, int alpha) {
  if (alpha >= kOne) {
    std::memcpy(dst, src, size_t(n));
    return;
  }
  if (alpha <= 0) return;
  const uint16_t a = uint16_t(alpha), ia = uint16_t(kOne - alpha);
  for (int i = 0; i < n; ++i) dst[i] = uint8_t((src[i] * a + dst[i] * ia + 128) >> 8);
}

void blend_premultiplied_row(uint8_t* __restrict dst, const uint8_t* __restrict src_p,
                             const uint8_t* __restrict a8, int n, int fade) {
  if (fade <= 0) return;
  const uint32_t f = uint32_t(std::min(fade, kOne));
  for (int i = 0; i < n; ++i) {
    // a8 + (a8 >> 7) maps 0..255 onto 0..256, so full alpha at full fade replaces dst.
    const uint32_t af = (uint32_t(a8[i]) + (uint32_t(a8[i]) >> 7)) * f;  // 0..65536
    const uint32_t v = uint32_t(src_p[i]) * f * 256u + uint32_t(dst[i]) * (65536u - af);
    dst[i] = uint8_t(std::min<uint32_t>((v + 32768u) >> 16, 255u));
  }
}

namespace {

// The part of `at` inside a w x h canvas, with how far it was shifted.
struct Clip {
  int x0, y0, x1, y1;  // canvas coordinates, [x0, x1) x [y0, y1)
  int dx, dy;          // offset into the source
};

Clip clip_rect(Rect at, int w, int h) {
  Clip c;
  c.x0 = std::max(at.x, 0);
  c.y0 = std::max(at.y, 0);
  c.x1 = std::min(at.x + at.w, w);
  c.y1 = std::min(at.y + at.h, h);
  c.dx = c.x0 - at.x;
  c.dy = c.y0 - at.y;
  return c;
}

int even_down(int v) {
  return v & ~1;
}

}  // namespace

void draw_picture(media::Frame& canvas, const media::Frame& src, int sx, int sy, Rect at,
                  int opacity) {
  if (opacity <= 0 || at.empty()) return;
  at.x = even_down(at.x);
  at.y = even_down(at.y);
  sx = even_down(sx);
  sy = even_down(sy);
  at.w = std::min(at.w, src.width() - sx);
  at.h = std::min(at.h, src.height() - sy);
  const Clip c = clip_rect(at, canvas.width(), canvas.height());
  if (c.x1 <= c.x0 || c.y1 <= c.y0) return;
  for (int y = c.y0; y < c.y1; ++y)
    blend_row(canvas.row(0, y) + c.x0, src.row(0, sy + c.dy + (y - c.y0)) + sx + c.dx, c.x1 - c.x0,
              opacity);
  // Chroma: x0, y0 and the source offsets are even, so chroma sample i maps to i / 2.
  const int cx0 = c.x0 / 2, cy0 = c.y0 / 2, cx1 = (c.x1 + 1) / 2, cy1 = (c.y1 + 1) / 2;
  const int csx = (sx + c.dx) / 2, csy = (sy + c.dy) / 2;
  for (int p = 1; p < 3; ++p)
    for (int y = cy0; y < cy1; ++y)
      blend_row(canvas.row(p, y) + cx0, src.row(p, csy + (y - cy0)) + csx, cx1 - cx0, opacity);
}

void draw_color(media::Frame& canvas, Rect at, media::Yuv color, int alpha) {
  if (alpha <= 0 || at.empty()) return;
  at.x = even_down(at.x);
  at.y = even_down(at.y);
  const Clip c = clip_rect(at, canvas.width(), canvas.height());
  if (c.x1 <= c.x0 || c.y1 <= c.y0) return;
  const uint8_t values[3] = {color.y, color.u, color.v};
  const uint16_t a = uint16_t(std::min(alpha, kOne)), ia = uint16_t(kOne - a);
  for (int p = 0; p < 3; ++p) {
    const int sh = p == 0 ? 0 : 1;
    const int x0 = c.x0 >> sh, x1 = (c.x1 + sh) >> sh, y0 = c.y0 >> sh, y1 = (c.y1 + sh) >> sh;
    const uint16_t va = uint16_t(values[p] * a + 128);
    for (int y = y0; y < y1; ++y) {
      uint8_t* __restrict d = canvas.row(p, y);
      for (int x = x0; x < x1; ++x) d[x] = uint8_t((d[x] * ia + va) >> 8);
    }
  }
}

void fill_canvas(media::Frame& canvas, media::Yuv color) {
  canvas.fill(color.y, color.u, color.v, 255);
}

}  // namespace kino::render
