#include "render/blur.h"

#include <algorithm>

namespace kino::render {
namespace {

// One box pass along a line of n samples spaced `step` apart, edges clamped.
void box_line(uint8_t* line, int n, int step, int radius, uint16_t* tmp) {
  for (int i = 0; i < n; ++i) tmp[i] = line[size_t(i) * size_t(step)];
  const int window = 2 * radius + 1;
  int sum = 0;
  for (int k = -radius; k <= radius; ++k) sum += tmp[std::clamp(k, 0, n - 1)];
  for (int i = 0; i < n; ++i) {
    line[size_t(i) * size_t(step)] = uint8_t((sum + window / 2) / window);
    sum += tmp[std::min(i + radius + 1, n - 1)] - tmp[std::max(i - radius, 0)];
  }
}

}  // namespace

void box_blur(media::Frame& frame, int radius, int passes, std::vector<uint16_t>& scratch) {
  for (int p = 0; p < frame.plane_count(); ++p) {
    const int w = frame.plane_width(p), h = frame.plane_height(p);
    const int r = p == 0 ? radius : std::max(1, radius / 2);
    scratch.resize(size_t(std::max(w, h)));
    for (int pass = 0; pass < passes; ++pass) {
      for (int y = 0; y < h; ++y) box_line(frame.row(p, y), w, 1, r, scratch.data());
      for (int x = 0; x < w; ++x) box_line(frame.data(p) + x, h, frame.stride(p), r, scratch.data());
    }
  }
}

void BlurPad::build(const media::Frame& src, ViewRect view, media::Frame& out) {
  const int sw = std::max(2, (out.width() / kDownscale + 1) & ~1);
  const int sh = std::max(2, (out.height() / kDownscale + 1) & ~1);
  if (small_.width() != sw || small_.height() != sh)
    small_ = media::Frame(media::PixelFormat::yuv420p, sw, sh);
  resampler_.resample(src, view, small_);
  // Radius a tenth of the small picture's short side, three passes: soft and strong.
  const int radius = std::max(2, std::min(sw, sh) / 10);
  box_blur(small_, radius, 3, scratch_);
  resampler_.resample(small_, ViewRect{0, 0, double(sw), double(sh)}, out);
}

}  // namespace kino::render
