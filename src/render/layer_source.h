#pragma once
// Pictures of one video/image segment, produced lazily as the compositor asks for them.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "media/frame.h"
#include "media/probe.h"

namespace kino::render {

struct LayerSourceParams {
  std::filesystem::path path;
  media::MediaInfo info;
  int width = 0;  // decode size
  int height = 0;
  int64_t in_ms = 0;  // where the segment starts inside the source
  bool loop = false;  // videos: start again at in_ms at the end (animated images always loop)
  int threads = 1;
};

// Not thread-safe. Asked for non-decreasing source times.
class LayerSource {
 public:
  virtual ~LayerSource() = default;
  // The picture shown at `source_us` (time inside the source, in_ms included): the last
  // source frame that starts at or before it; the last frame is held after the end.
  // Valid until the next call.
  virtual const media::Frame& picture(int64_t source_us) = 0;
  // Changes whenever picture() returns a different source frame.
  uint64_t serial() const { return serial_; }

 protected:
  uint64_t serial_ = 0;
};

// Stills decode once; videos and animated images decode forward lazily.
std::unique_ptr<LayerSource> make_layer_source(const LayerSourceParams& params);

}  // namespace kino::render
