#pragma once
// Blurs for the blur-pad fit mode, done cheaply: the background is built at 1/8 of its
// size, box-blurred there and upscaled bilinearly, so its cost does not depend on the
// blur radius and stays small next to the encoder.
#include <vector>

#include "media/frame.h"
#include "render/resample.h"

namespace kino::render {

// Buffers box_blur reuses between calls.
struct BlurScratch {
  std::vector<uint16_t> line;
  std::vector<uint8_t> plane;
  std::vector<uint32_t> sums;
};

// Box blur of every plane of a yuv420p frame, in place: `passes` horizontal and vertical
// passes of radius `radius` (chroma: radius / 2), edges clamped; 3 passes approximate a
// Gaussian.
void box_blur(media::Frame& frame, int radius, int passes, BlurScratch& scratch);

// Builds blur-pad backgrounds. Not thread-safe; reuses its buffers.
class BlurPad {
 public:
  static constexpr int kDownscale = 8;

  // Fills `out` (yuv420p, the layer box size) with `view` of `src` (the region that
  // covers the box) scaled to cover and strongly blurred.
  void build(const media::Frame& src, ViewRect view, media::Frame& out);
  // The same into the part `at` of `out` (even, wholly inside). Where `hidden` (a band
  // across the whole width or height of `at`, e.g. an opaque picture drawn on top next)
  // lies, nothing is written.
  void build(const media::Frame& src, ViewRect view, media::Frame& out, Rect at, Rect hidden = {});

 private:
  Resampler resampler_;
  media::Frame small_;
  BlurScratch scratch_;
};

}  // namespace kino::render
