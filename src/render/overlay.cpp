#include "render/overlay.h"

#include <algorithm>
#include <cstring>

#include "render/blend.h"

namespace kino::render {

Overlay overlay_from_rgba(const media::Frame& rgba, int x, int y) {
  Overlay o;
  if (rgba.empty()) return o;
  // Shift onto even coordinates with a transparent border so chroma stays aligned.
  const int px = x & 1, py = y & 1;
  o.x = x - px;
  o.y = y - py;
  const int w = (rgba.width() + px + 1) & ~1, h = (rgba.height() + py + 1) & ~1;
  o.picture = media::Frame(media::PixelFormat::yuva420p, w, h);
  o.picture.fill(0, 0, 0, 0);
  o.chroma_alpha = media::Frame(media::PixelFormat::gray, w / 2, h / 2);
  std::vector<uint32_t> u_acc(size_t(w / 2) * size_t(h / 2), 0);
  std::vector<uint32_t> v_acc(u_acc.size(), 0), a_acc(u_acc.size(), 0);
  for (int j = 0; j < rgba.height(); ++j) {
    const uint8_t* s = rgba.row(0, j);
    uint8_t* yr = o.picture.row(0, j + py);
    uint8_t* ar = o.picture.row(3, j + py);
    for (int i = 0; i < rgba.width(); ++i) {
      const uint8_t a = s[4 * i + 3];
      if (a == 0) continue;
      const media::Yuv c = media::rgb_to_yuv(s[4 * i], s[4 * i + 1], s[4 * i + 2]);
      yr[i + px] = uint8_t((c.y * a + 127) / 255);
      ar[i + px] = a;
      const size_t k = size_t((j + py) / 2) * size_t(w / 2) + size_t((i + px) / 2);
      u_acc[k] += uint32_t(c.u) * a;
      v_acc[k] += uint32_t(c.v) * a;
      a_acc[k] += a;
    }
  }
  for (int j = 0; j < h / 2; ++j) {
    uint8_t* ur = o.picture.row(1, j);
    uint8_t* vr = o.picture.row(2, j);
    uint8_t* car = o.chroma_alpha.row(0, j);
    for (int i = 0; i < w / 2; ++i) {
      const size_t k = size_t(j) * size_t(w / 2) + size_t(i);
      // Premultiplied mean over the 2x2 block: sum(c * a) / (4 * 255).
      ur[i] = uint8_t((u_acc[k] + 510) / 1020);
      vr[i] = uint8_t((v_acc[k] + 510) / 1020);
      car[i] = uint8_t((a_acc[k] + 2) / 4);
    }
  }
  return o;
}

void draw_overlay(media::Frame& canvas, const Overlay& o, int fade) {
  if (o.empty() || fade <= 0) return;
  const int x0 = std::max(o.x, 0), y0 = std::max(o.y, 0);
  const int x1 = std::min(o.x + o.picture.width(), canvas.width());
  const int y1 = std::min(o.y + o.picture.height(), canvas.height());
  if (x1 <= x0 || y1 <= y0) return;
  for (int y = y0; y < y1; ++y)
    blend_premultiplied_row(canvas.row(0, y) + x0, o.picture.row(0, y - o.y) + (x0 - o.x),
                            o.picture.row(3, y - o.y) + (x0 - o.x), x1 - x0, fade);
  const int cx0 = x0 / 2, cy0 = y0 / 2, cx1 = (x1 + 1) / 2, cy1 = (y1 + 1) / 2;
  const int ox = o.x / 2, oy = o.y / 2;
  for (int p = 1; p < 3; ++p)
    for (int y = cy0; y < cy1; ++y)
      blend_premultiplied_row(canvas.row(p, y) + cx0, o.picture.row(p, y - oy) + (cx0 - ox),
                              o.chroma_alpha.row(0, y - oy) + (cx0 - ox), cx1 - cx0, fade);
}

}  // namespace kino::render
