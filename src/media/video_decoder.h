#pragma once
// Decodes the pictures of a video, an image or an animated image, in presentation order.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "media/frame.h"
#include "media/probe.h"

namespace kino::media {

struct VideoDecodeParams {
  int width = 0;  // output size; 0 keeps the source size (scaled with swscale otherwise)
  int height = 0;
  PixelFormat format = PixelFormat::yuv420p;  // yuv420p, yuva420p (alpha kept) or rgba
  int threads = 1;  // decoder threads; the render pipeline runs several decoders at once
  ProbeLimits limits{};
};

// Not thread-safe: one decoder is used by one thread at a time.
class VideoDecoder {
 public:
  explicit VideoDecoder(const std::filesystem::path& path, const VideoDecodeParams& params = {});
  ~VideoDecoder();
  VideoDecoder(VideoDecoder&&) noexcept;
  VideoDecoder& operator=(VideoDecoder&&) noexcept;

  const MediaInfo& info() const;
  // Next picture; false at the end of the stream. `out` is reused when it already has the
  // requested format and size (Frame copies share pixels: clone() to keep a picture),
  // otherwise reallocated. *pts_ms gets its presentation time
  // relative to the stream start (0 for the first frame). A stream that turns corrupt
  // mid-way throws Error(unsupported).
  bool read(Frame& out, int64_t* pts_ms = nullptr);
  // Positions so that the next read() returns the first frame whose pts >= ms
  // (frame-accurate: seeks to the keyframe before, then decodes forward). A still image
  // has one picture for all times: after any seek, read() returns it again.
  void seek(int64_t ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kino::media
