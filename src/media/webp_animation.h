#pragma once
// Internal to the media module: animated WebP, which FFmpeg 5.1's decoder refuses. The
// RIFF container is parsed here; each frame's VP8/VP8L bitstream is wrapped as a still
// WebP and decoded by libavcodec, then composed on the canvas (blend and dispose rules of
// the WebP container specification).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "media/av_util.h"
#include "media/frame.h"
#include "media/sws_convert.h"

namespace kino::media {

struct WebpProbe {
  bool animated = false;
  int width = 0;  // canvas
  int height = 0;
  int64_t frame_count = 0;
  int64_t duration_ms = 0;
};

// Reads the container of a WebP file; throws Error(unsupported) on a malformed one.
WebpProbe webp_probe_file(const std::filesystem::path& path, const std::string& name);

// Not thread-safe.
class WebpAnimation {
 public:
  WebpAnimation(const std::filesystem::path& path, const std::string& name);

  // The next composed canvas as rgba; false after the last frame.
  bool next(Frame& canvas_out, int64_t* pts_ms);
  void rewind();
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  struct AnimFrame {
    int x = 0, y = 0, width = 0, height = 0;
    int64_t duration_ms = 0;
    bool blend = true;
    bool dispose = false;
    std::vector<uint8_t> still;  // the frame as a standalone WebP file, plus FFmpeg's padding
    size_t still_size = 0;       // bytes of `still` without the padding
  };
  void decode_frame(const AnimFrame& f, Frame& rgba);

  std::string name_;
  int width_ = 0;
  int height_ = 0;
  std::vector<AnimFrame> frames_;
  size_t next_ = 0;
  int64_t pts_ms_ = 0;
  Frame canvas_;
  av::CodecContextPtr codec_;
  SwsConverter converter_;
};

}  // namespace kino::media
