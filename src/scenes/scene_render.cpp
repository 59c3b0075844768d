#include "scenes/scene_render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>

#include "core/error.h"

namespace kino::scenes {
namespace {

struct Rgbf {
  double r, g, b;
};

Rgbf lerp(Rgbf a, Rgbf b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

// Background colour at height fraction y (0 top, 1 bottom).
Rgbf background_at(Background bg, double y) {
  switch (bg) {
    case Background::white: return {240, 240, 240};
    case Background::black: return {20, 20, 20};
    case Background::gray: return {128, 128, 128};
    case Background::blue: return {30, 60, 160};
    case Background::green: return {30, 110, 40};
    case Background::sky: return lerp({70, 130, 220}, {200, 225, 250}, y);
    case Background::sunset:
      return y < 0.6 ? lerp({70, 40, 110}, {230, 100, 60}, y / 0.6)
                     : lerp({230, 100, 60}, {250, 190, 80}, (y - 0.6) / 0.4);
    case Background::night: return lerp({5, 5, 25}, {30, 30, 80}, y);
    case Background::grass:
      return y < 0.55 ? lerp({120, 170, 230}, {210, 230, 245}, y / 0.55)
                      : lerp({70, 160, 50}, {30, 100, 25}, (y - 0.55) / 0.45);
  }
  return {0, 0, 0};
}

uint8_t to_byte(double v) {
  return uint8_t(std::clamp(std::lround(v), 0l, 255l));
}

// An object's outline at one pose, tested in its own frame (units of the circumradius).
class Outline {
 public:
  Outline(Shape shape, double angle) : shape_(shape), cos_(std::cos(angle)), sin_(std::sin(angle)) {
    const double pi = std::numbers::pi;
    if (shape == Shape::triangle) {
      for (int i = 0; i < 3; ++i) {
        const double a = -pi / 2 + i * 2 * pi / 3;
        poly_.push_back({std::cos(a), std::sin(a)});
      }
    } else if (shape == Shape::star) {
      for (int i = 0; i < 10; ++i) {
        const double a = -pi / 2 + i * pi / 5, r = i % 2 ? 0.45 : 1.0;
        poly_.push_back({r * std::cos(a), r * std::sin(a)});
      }
    }
  }

  // (dx, dy) relative to the centre in circumradius units, y down.
  bool inside(double dx, double dy) const {
    const double u = cos_ * dx + sin_ * dy, v = -sin_ * dx + cos_ * dy;  // rotate by -angle
    switch (shape_) {
      case Shape::ball: return u * u + v * v <= 1;
      case Shape::ring: {
        const double r2 = u * u + v * v;
        return r2 <= 1 && r2 >= 0.55 * 0.55;
      }
      case Shape::box: return std::fabs(u) <= 0.78 && std::fabs(v) <= 0.78;
      case Shape::triangle:
      case Shape::star: return in_polygon(u, v);
    }
    return false;
  }

 private:
  bool in_polygon(double x, double y) const {
    bool in = false;
    for (size_t i = 0, j = poly_.size() - 1; i < poly_.size(); j = i++) {
      const auto& a = poly_[i];
      const auto& b = poly_[j];
      if ((a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0])
        in = !in;
    }
    return in;
  }

  Shape shape_;
  double cos_, sin_;
  std::vector<std::array<double, 2>> poly_;
};

constexpr int kSuper = 4;  // samples per pixel per axis

void draw_object(RgbImage& img, const SceneObject& object, double t) {
  const ObjectPose p = scene_object_pose(object, t);
  const double unit = std::min(img.width, img.height);
  const double cx = p.x * img.width, cy = p.y * img.height, r = p.size * unit;
  if (r <= 0) return;
  const Outline outline(object.shape, p.angle);
  const Rgb c = colour_rgb(object.colour);
  const int x0 = std::max(0, int(std::floor(cx - r)) - 1);
  const int x1 = std::min(img.width - 1, int(std::ceil(cx + r)) + 1);
  const int y0 = std::max(0, int(std::floor(cy - r)) - 1);
  const int y1 = std::min(img.height - 1, int(std::ceil(cy + r)) + 1);
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      int hits = 0;
      for (int sy = 0; sy < kSuper; ++sy)
        for (int sx = 0; sx < kSuper; ++sx) {
          const double px = x + (sx + 0.5) / kSuper, py = y + (sy + 0.5) / kSuper;
          hits += outline.inside((px - cx) / r, (py - cy) / r);
        }
      if (!hits) continue;
      const double a = double(hits) / (kSuper * kSuper);
      uint8_t* d = img.pixel(x, y);
      d[0] = to_byte(d[0] + (c.r - d[0]) * a);
      d[1] = to_byte(d[1] + (c.g - d[1]) * a);
      d[2] = to_byte(d[2] + (c.b - d[2]) * a);
    }
  }
}

}  // namespace

void clip_format_validate(const ClipFormat& f) {
  if (f.width < 1 || f.width > 4096)
    fail_bad_request("clip width must be 1..4096, got " + std::to_string(f.width));
  if (f.height < 1 || f.height > 4096)
    fail_bad_request("clip height must be 1..4096, got " + std::to_string(f.height));
  if (f.frames < 1 || f.frames > 1024)
    fail_bad_request("clip frames must be 1..1024, got " + std::to_string(f.frames));
  if (!f.fps.valid()) fail_bad_request("clip fps must be > 0, got " + f.fps.str());
}

RgbImage scene_render_background(Background background, int width, int height) {
  RgbImage img{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    const Rgbf c = background_at(background, (y + 0.5) / height);
    for (int x = 0; x < width; ++x) {
      uint8_t* d = img.pixel(x, y);
      d[0] = to_byte(c.r), d[1] = to_byte(c.g), d[2] = to_byte(c.b);
    }
  }
  return img;
}

RgbImage scene_render_frame(const Scene& scene, const ClipFormat& format, int index) {
  clip_format_validate(format);
  if (index < 0 || index >= format.frames)
    fail_bad_request("frame index must be 0.." + std::to_string(format.frames - 1) + ", got " +
                     std::to_string(index));
  RgbImage img = scene_render_background(scene.background, format.width, format.height);
  const double t = format.frames > 1 ? double(index) / (format.frames - 1) : 0.0;
  for (const SceneObject& o : scene.objects) draw_object(img, o, t);
  return img;
}

std::vector<RgbImage> scene_render(const Scene& scene, const ClipFormat& format) {
  clip_format_validate(format);
  std::vector<RgbImage> frames;
  frames.reserve(size_t(format.frames));
  for (int i = 0; i < format.frames; ++i) frames.push_back(scene_render_frame(scene, format, i));
  return frames;
}

}  // namespace kino::scenes
