#pragma once
// Draws frame n of a draft: the canvas colour, then every video/image/text track in
// order (later tracks on top), each segment as a layer that produces its picture lazily.
// Layers open their decoders when they first show and close them after their last frame,
// so memory follows what is on screen, not the length of the timeline.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/rational.h"
#include "media/frame.h"
#include "media/probe.h"
#include "render/transition.h"
#include "timeline/draft.h"

namespace kino::render {

class TextRenderer;

struct ResolvedMedia {
  std::filesystem::path path;
  media::MediaInfo info;
};
// By segment source reference.
using MediaTable = std::map<std::string, ResolvedMedia>;

struct CompositorParams {
  int width = 1920;
  int height = 1080;
  Rational fps{30, 1};
  int decoder_threads = 1;  // per video source; sources beyond 1080p get at least 2
};

// Not thread-safe: one thread asks for frames in increasing order.
class Compositor {
 public:
  // `draft` and `media` must outlive the compositor.
  Compositor(const timeline::Draft& draft, const MediaTable& media, const CompositorParams& params);
  ~Compositor();

  int64_t frame_count() const { return frame_count_; }
  // Draws frame n into `canvas` (yuv420p, params' size).
  void compose(int64_t n, media::Frame& canvas);

 private:
  struct Layer;
  struct Track;

  LayerMod layer_mod(const Layer& layer, int64_t n) const;
  bool bottom_is_opaque(int64_t n, const media::Frame& canvas) const;
  void draw_layer(Layer& layer, int64_t n, media::Frame& canvas);

  CompositorParams params_;
  int64_t frame_count_ = 0;
  double text_scale_ = 1.0;  // output size / the draft's canvas size
  media::Yuv background_{16, 128, 128};
  std::vector<std::unique_ptr<Track>> tracks_;
  std::unique_ptr<TextRenderer> text_;  // made when the draft has text
};

}  // namespace kino::render
