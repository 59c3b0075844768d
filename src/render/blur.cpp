#include "render/blur.h"

#include <algorithm>

namespace kino::render {
namespace {

// One horizontal box pass along a row of n samples, edges clamped.
void box_row(uint8_t* line, int n, int radius, uint16_t* tmp) {
  for (int i = 0; i < n; ++i) tmp[i] = line[i];
  const float scale = 1.0f / float(2 * radius + 1);
  int sum = 0;
  for (int k = -radius; k <= radius; ++k) sum += tmp[std::clamp(k, 0, n - 1)];
  for (int i = 0; i < n; ++i) {
    line[i] = uint8_t(float(sum) * scale + 0.5f);
    sum += tmp[std::min(i + radius + 1, n - 1)] - tmp[std::max(i - radius, 0)];
  }
}

// One vertical box pass over a whole plane: running column sums, whole rows at a time
// (vectorised). `copy` holds the plane's input rows.
void box_columns(media::Frame& f, int p, int radius, std::vector<uint8_t>& copy,
                 std::vector<uint32_t>& sums) {
  const int w = f.plane_width(p), h = f.plane_height(p);
  copy.resize(size_t(w) * size_t(h));
  for (int y = 0; y < h; ++y) std::copy(f.row(p, y), f.row(p, y) + w, copy.data() + size_t(y) * w);
  auto in = [&](int y) { return copy.data() + size_t(std::clamp(y, 0, h - 1)) * size_t(w); };
  sums.assign(size_t(w), 0);
  uint32_t* __restrict s = sums.data();
  for (int k = -radius; k <= radius; ++k) {
    const uint8_t* __restrict r = in(k);
    for (int x = 0; x < w; ++x) s[x] += r[x];
  }
  const float scale = 1.0f / float(2 * radius + 1);
  for (int y = 0; y < h; ++y) {
    uint8_t* __restrict o = f.row(p, y);
    for (int x = 0; x < w; ++x) o[x] = uint8_t(float(s[x]) * scale + 0.5f);
    const uint8_t* __restrict add = in(y + radius + 1);
    const uint8_t* __restrict sub = in(y - radius);
    for (int x = 0; x < w; ++x) s[x] += uint32_t(add[x]) - uint32_t(sub[x]);
  }
}

}  // namespace

void box_blur(media::Frame& frame, int radius, int passes, BlurScratch& scratch) {
  for (int p = 0; p < frame.plane_count(); ++p) {
    const int w = frame.plane_width(p), h = frame.plane_height(p);
    const int r = p == 0 ? radius : std::max(1, radius / 2);
    scratch.line.resize(size_t(w));
    for (int pass = 0; pass < passes; ++pass) {
      for (int y = 0; y < h; ++y) box_row(frame.row(p, y), w, r, scratch.line.data());
      box_columns(frame, p, r, scratch.plane, scratch.sums);
    }
  }
}

void BlurPad::build(const media::Frame& src, ViewRect view, media::Frame& out) {
  build(src, view, out, Rect{0, 0, out.width(), out.height()});
}

void BlurPad::build(const media::Frame& src, ViewRect view, media::Frame& out, Rect at,
                    Rect hidden) {
  const int sw = std::max(2, (at.w / kDownscale + 1) & ~1);
  const int sh = std::max(2, (at.h / kDownscale + 1) & ~1);
  if (small_.width() != sw || small_.height() != sh)
    small_ = media::Frame(media::PixelFormat::yuv420p, sw, sh);
  resampler_.resample(src, view, small_);
  // Radius a tenth of the small picture's short side, three passes: soft and strong.
  const int radius = std::max(2, std::min(sw, sh) / 10);
  box_blur(small_, radius, 3, scratch_);
  // Upscale what shows: `at` minus the hidden band (the same pixels as a whole upscale).
  const double fx = double(sw) / at.w, fy = double(sh) / at.h;
  auto upscale = [&](Rect r) {
    if (r.empty()) return;
    resampler_.resample(small_, ViewRect{(r.x - at.x) * fx, (r.y - at.y) * fy, r.w * fx, r.h * fy},
                        out, r);
  };
  const int hx0 = std::max(hidden.x, at.x), hy0 = std::max(hidden.y, at.y);
  const int hx1 = std::min(hidden.x + hidden.w, at.x + at.w);
  const int hy1 = std::min(hidden.y + hidden.h, at.y + at.h);
  if (hidden.empty() || hx1 <= hx0 || hy1 <= hy0) {
    upscale(at);
  } else if (hx0 == at.x && hx1 == at.x + at.w) {  // a horizontal band
    upscale(Rect{at.x, at.y, at.w, hy0 - at.y});
    upscale(Rect{at.x, hy1, at.w, at.y + at.h - hy1});
  } else if (hy0 == at.y && hy1 == at.y + at.h) {  // a vertical band
    upscale(Rect{at.x, at.y, hx0 - at.x, at.h});
    upscale(Rect{hx1, at.y, at.x + at.w - hx1, at.h});
  } else {
    upscale(at);
  }
}

}  // namespace kino::render
