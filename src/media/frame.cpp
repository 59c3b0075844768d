#include "media/frame.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

namespace kino::media {
namespace {

constexpr int kAlign = 64;

int align_up(int v) { return (v + kAlign - 1) / kAlign * kAlign; }

}  // namespace

std::string_view pixel_format_name(PixelFormat format) {
  switch (format) {
    case PixelFormat::yuv420p: return "yuv420p";
    case PixelFormat::yuva420p: return "yuva420p";
    case PixelFormat::rgba: return "rgba";
    case PixelFormat::gray: return "gray";
  }
  return "unknown";
}

int Frame::plane_count() const {
  switch (format_) {
    case PixelFormat::yuv420p: return 3;
    case PixelFormat::yuva420p: return 4;
    case PixelFormat::rgba:
    case PixelFormat::gray: return 1;
  }
  return 0;
}

int Frame::plane_width(int plane) const {
  if (format_ == PixelFormat::rgba) return width_ * 4;
  if ((format_ == PixelFormat::yuv420p || format_ == PixelFormat::yuva420p) &&
      (plane == 1 || plane == 2))
    return (width_ + 1) / 2;
  return width_;
}

int Frame::plane_height(int plane) const {
  if ((format_ == PixelFormat::yuv420p || format_ == PixelFormat::yuva420p) &&
      (plane == 1 || plane == 2))
    return (height_ + 1) / 2;
  return height_;
}

Frame::Frame(PixelFormat format, int width, int height)
    : format_(format), width_(width), height_(height) {
  if (width <= 0 || height <= 0) {
    width_ = height_ = 0;
    return;
  }
  size_t offsets[4] = {0, 0, 0, 0};
  size_t total = 0;
  for (int p = 0; p < plane_count(); ++p) {
    stride_[p] = align_up(plane_width(p)) + kAlign;  // padding for SIMD over-reads
    offsets[p] = total;
    total += size_t(stride_[p]) * size_t(plane_height(p) + 1);
  }
  buffer_ = std::shared_ptr<uint8_t[]>(
      new (std::align_val_t(kAlign)) uint8_t[total],
      [](uint8_t* p) { ::operator delete[](p, std::align_val_t(kAlign)); });
  for (int p = 0; p < plane_count(); ++p) plane_[p] = buffer_.get() + offsets[p];
}

Frame Frame::clone() const {
  Frame out(format_, width_, height_);
  for (int p = 0; p < plane_count(); ++p)
    for (int y = 0; y < plane_height(p); ++y)
      std::memcpy(out.row(p, y), row(p, y), size_t(plane_width(p)));
  return out;
}

void Frame::fill(uint8_t c0, uint8_t c1, uint8_t c2, uint8_t c3) {
  if (empty()) return;
  if (format_ == PixelFormat::rgba) {
    for (int y = 0; y < height_; ++y) {
      uint8_t* r = row(0, y);
      for (int x = 0; x < width_; ++x) {
        r[4 * x] = c0;
        r[4 * x + 1] = c1;
        r[4 * x + 2] = c2;
        r[4 * x + 3] = c3;
      }
    }
    return;
  }
  const uint8_t values[4] = {c0, c1, c2, c3};
  for (int p = 0; p < plane_count(); ++p)
    for (int y = 0; y < plane_height(p); ++y)
      std::memset(row(p, y), values[p], size_t(plane_width(p)));
}

Yuv rgb_to_yuv(uint8_t r, uint8_t g, uint8_t b) {
  // BT.709, limited range: Y in 16..235, U/V in 16..240.
  const double R = r / 255.0, G = g / 255.0, B = b / 255.0;
  const double Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const double U = (B - Y) / 1.8556;
  const double V = (R - Y) / 1.5748;
  auto clamp8 = [](double v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); };
  return {clamp8(16 + 219 * Y), clamp8(128 + 224 * U), clamp8(128 + 224 * V)};
}

}  // namespace kino::media
