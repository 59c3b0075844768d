#pragma once
// Bilinear resampling of a sub-pixel rectangle of a yuv420p picture to a new size:
// Ken Burns motion, cover crops of upscaled sources and the blur-pad background.
// Separable: a horizontal pass over only the source rows needed, then a vertical blend
// of whole rows (vectorised). Weights in 1/256 pixel.
#include <cstdint>
#include <vector>

#include "media/frame.h"
#include "render/blend.h"

namespace kino::render {

// A rectangle in source pixels (luma), fractional.
struct ViewRect {
  double x = 0, y = 0, w = 0, h = 0;
};

// Not thread-safe; keeps its scratch buffers between calls (no per-frame allocation).
class Resampler {
 public:
  // Fills all of `dst` (yuv420p) from `view` of `src` (yuv420p).
  void resample(const media::Frame& src, ViewRect view, media::Frame& dst);
  // Fills the part `at` of `dst`: x, y, w and h even, wholly inside `dst`.
  void resample(const media::Frame& src, ViewRect view, media::Frame& dst, Rect at);

 private:
  void resample_plane(const uint8_t* src, int src_stride, int src_w, int src_h, double x, double y,
                      double w, double h, uint8_t* dst, int dst_stride, int dst_w, int dst_h);
  void horizontal(const uint8_t* src, uint8_t* out, int n) const;

  std::vector<int32_t> xi_;
  std::vector<uint16_t> xw_;
  std::vector<int32_t> yi_;
  std::vector<uint16_t> yw_;
  std::vector<uint8_t> rows_;  // horizontally resampled source rows
};

}  // namespace kino::render
