#pragma once
// Draws scenes: anti-aliased shapes (4 x 4 supersampled coverage) over plain or gradient
// backgrounds, as 8-bit RGB frames.
#include <cstdint>
#include <vector>

#include "core/rational.h"
#include "scenes/scene.h"

namespace kino::scenes {

// Packed 8-bit RGB, rows of width * 3 bytes, no padding.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  const uint8_t* pixel(int x, int y) const { return rgb.data() + (size_t(y) * width + x) * 3; }
  uint8_t* pixel(int x, int y) { return rgb.data() + (size_t(y) * width + x) * 3; }
};

// The clip format of kino-tiny: 64 x 64, 17 frames (4n + 1) at 8 fps, about 2 seconds.
struct ClipFormat {
  int width = 64;
  int height = 64;
  int frames = 17;
  Rational fps{8, 1};
};

// Checks sizes (1..4096) and frames (1..1024): Error(bad_request) naming the field and value.
void clip_format_validate(const ClipFormat& format);

RgbImage scene_render_background(Background background, int width, int height);
// Frame `index` of `format.frames`: t = index / (frames - 1).
RgbImage scene_render_frame(const Scene& scene, const ClipFormat& format, int index);
std::vector<RgbImage> scene_render(const Scene& scene, const ClipFormat& format);

}  // namespace kino::scenes
