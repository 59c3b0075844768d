#pragma once
// Picture scaling and pixel-format conversion (swscale), with the context cached for
// repeated conversions of the same geometry.
#include <memory>

#include "media/frame.h"

namespace kino::media {

enum class ScaleFilter { fast_bilinear, bilinear, bicubic, lanczos, area };

// Not thread-safe; one per thread.
class Scaler {
 public:
  Scaler();
  ~Scaler();
  Scaler(Scaler&&) noexcept;
  Scaler& operator=(Scaler&&) noexcept;

  // Scales/converts src into dst; dst's format and size say what is wanted.
  void scale(const Frame& src, Frame& dst, ScaleFilter filter = ScaleFilter::bilinear);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kino::media
