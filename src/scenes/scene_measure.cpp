#include "scenes/scene_measure.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace kino::scenes {

ObjectMeasure scene_measure_object(const RgbImage& frame, const RgbImage& background,
                                   int threshold) {
  if (frame.width != background.width || frame.height != background.height)
    fail_bad_request("frame is " + std::to_string(frame.width) + "x" +
                     std::to_string(frame.height) + " but the background is " +
                     std::to_string(background.width) + "x" + std::to_string(background.height));
  ObjectMeasure m;
  double sx = 0, sy = 0, n = 0, r = 0, g = 0, b = 0;
  for (int y = 0; y < frame.height; ++y) {
    for (int x = 0; x < frame.width; ++x) {
      const uint8_t* f = frame.pixel(x, y);
      const uint8_t* k = background.pixel(x, y);
      const int d = std::abs(f[0] - k[0]) + std::abs(f[1] - k[1]) + std::abs(f[2] - k[2]);
      if (d <= threshold) continue;
      sx += x + 0.5, sy += y + 0.5, n += 1;
      r += f[0], g += f[1], b += f[2];
    }
  }
  if (n == 0) return m;
  m.found = true;
  m.x = sx / n / frame.width;
  m.y = sy / n / frame.height;
  m.area = n / (double(frame.width) * frame.height);
  r /= n * 255, g /= n * 255, b /= n * 255;
  const double mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
  m.saturation = mx > 0 ? d / mx : 0;
  if (d > 0) {
    double h = mx == r ? std::fmod((g - b) / d, 6.0) : mx == g ? (b - r) / d + 2 : (r - g) / d + 4;
    h *= 60;
    m.hue = h < 0 ? h + 360 : h;
  }
  return m;
}

RgbImage clip_median(const std::vector<RgbImage>& frames) {
  if (frames.empty()) fail_bad_request("clip_median needs at least one frame");
  RgbImage out = frames[0];
  std::vector<uint8_t> v(frames.size());
  for (size_t i = 0; i < out.rgb.size(); ++i) {
    for (size_t f = 0; f < frames.size(); ++f) {
      if (frames[f].rgb.size() != out.rgb.size())
        fail_bad_request("clip_median: frame " + std::to_string(f) + " has another size");
      v[f] = frames[f].rgb[i];
    }
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    out.rgb[i] = v[v.size() / 2];
  }
  return out;
}

RgbImage clip_background(const std::vector<RgbImage>& frames) {
  RgbImage out = clip_median(frames);
  std::vector<uint8_t> v(size_t(out.width));
  for (int y = 0; y < out.height; ++y) {
    for (int ch = 0; ch < 3; ++ch) {
      for (int x = 0; x < out.width; ++x) v[size_t(x)] = out.pixel(x, y)[ch];
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      for (int x = 0; x < out.width; ++x) out.pixel(x, y)[ch] = v[v.size() / 2];
    }
  }
  return out;
}

}  // namespace kino::scenes
