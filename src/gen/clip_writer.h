#pragma once
// Generated pictures to an H.264 MP4 (yuv420p, no audio): each picture is centre-cropped to the
// output's aspect and scaled with Lanczos, then encoded; the file is written as `<out>.part` and
// renamed into place by finish(), so a failed or cancelled run never leaves a half file at `out`.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/rational.h"
#include "media/frame.h"

namespace kino::gen {

// The largest centred crop of a width x height picture with the aspect out_w : out_h, as
// {x, y, w, h}.
struct CropRect {
  int x = 0, y = 0, w = 0, h = 0;
};
CropRect crop_to_aspect(int width, int height, int out_w, int out_h);

// An rgba copy of `rgba` cropped to the aspect of out_w x out_h and scaled to that size
// (Lanczos).
media::Frame fit_cover(const media::Frame& rgba, int out_w, int out_h);

// Sums of R, G, B over a picture's pixels divided by the pixel count.
struct MeanColor {
  double r = 0, g = 0, b = 0;
  double luma() const { return 0.2126 * r + 0.7152 * g + 0.0722 * b; }  // BT.709
};
MeanColor mean_color(const media::Frame& rgba);

// Not thread-safe.
class ClipWriter {
 public:
  // Size even (H.264), fps valid: else Error(bad_request).
  ClipWriter(const std::filesystem::path& out, int width, int height, Rational fps);
  ~ClipWriter();  // without finish(): the .part file is removed
  ClipWriter(const ClipWriter&) = delete;
  ClipWriter& operator=(const ClipWriter&) = delete;

  // Packed 8-bit RGB rows of width x height (any size; cropped and scaled as above).
  void write_rgb(const uint8_t* rgb, int width, int height);
  void write(const media::Frame& rgba);
  int64_t frames() const { return frames_; }
  int width() const { return width_; }
  int height() const { return height_; }

  // Flushes and renames `<out>.part` to `out`.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int width_, height_;
  int64_t frames_ = 0;
};

}  // namespace kino::gen
