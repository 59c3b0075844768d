#pragma once
// Raw pictures and sound as they move between decode, composite and encode.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace kino::media {

// yuv420p: 8-bit planar Y, U, V (chroma at half width and height, rounded up), BT.709
//          limited range: what the H.264 encoder takes and what the compositor works in.
// yuva420p: yuv420p plus a full-resolution alpha plane (overlays such as titles).
// rgba:    8-bit packed R, G, B, A, straight (not premultiplied) alpha.
// gray:    8-bit single plane.
enum class PixelFormat { yuv420p, yuva420p, rgba, gray };

std::string_view pixel_format_name(PixelFormat format);

// An owning picture with up to four planes. Rows are 64-byte aligned and padded so
// SIMD loops may read up to 64 bytes past a row's last pixel. Movable; copy with clone().
class Frame {
 public:
  Frame() = default;
  Frame(PixelFormat format, int width, int height);

  PixelFormat format() const { return format_; }
  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return width_ == 0 || height_ == 0; }

  int plane_count() const;
  int plane_width(int plane) const;   // in samples (bytes per row used, 4x for rgba)
  int plane_height(int plane) const;
  int stride(int plane) const { return stride_[plane]; }
  uint8_t* data(int plane) { return plane_[plane]; }
  const uint8_t* data(int plane) const { return plane_[plane]; }
  uint8_t* row(int plane, int y) { return plane_[plane] + size_t(y) * size_t(stride_[plane]); }
  const uint8_t* row(int plane, int y) const {
    return plane_[plane] + size_t(y) * size_t(stride_[plane]);
  }

  Frame clone() const;
  // Fills every plane with one colour given in this frame's own sample values
  // (Y, U, V[, A] for yuv formats; R, G, B, A for rgba; value for gray).
  void fill(uint8_t c0, uint8_t c1 = 0, uint8_t c2 = 0, uint8_t c3 = 255);

 private:
  PixelFormat format_ = PixelFormat::yuv420p;
  int width_ = 0;
  int height_ = 0;
  int stride_[4] = {0, 0, 0, 0};
  uint8_t* plane_[4] = {nullptr, nullptr, nullptr, nullptr};
  std::shared_ptr<uint8_t[]> buffer_;
};

// RGB (0..255) to BT.709 limited-range Y, U, V.
struct Yuv {
  uint8_t y, u, v;
};
Yuv rgb_to_yuv(uint8_t r, uint8_t g, uint8_t b);

// Interleaved float PCM in [-1, 1]. Everything inside kino is 48 kHz stereo unless a
// decoder is asked for something else.
struct AudioBuffer {
  int sample_rate = 48000;
  int channels = 2;
  std::vector<float> samples;  // frames() * channels values, interleaved

  size_t frames() const { return channels ? samples.size() / size_t(channels) : 0; }
};

}  // namespace kino::media
