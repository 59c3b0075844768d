#include "render/layer_source.h"

#include <utility>

#include "core/error.h"
#include "media/video_decoder.h"

namespace kino::render {
namespace {

media::VideoDecodeParams decode_params(const LayerSourceParams& p) {
  media::VideoDecodeParams d;
  d.width = p.width;
  d.height = p.height;
  d.format = media::PixelFormat::yuv420p;
  d.threads = p.threads;
  return d;
}

class StillSource final : public LayerSource {
 public:
  explicit StillSource(const LayerSourceParams& p) {
    media::VideoDecoder decoder(p.path, decode_params(p));
    if (!decoder.read(picture_))
      fail_unsupported(p.path.filename().string() + ": the image has no picture");
    serial_ = 1;
  }
  const media::Frame& picture(int64_t) override { return picture_; }

 private:
  media::Frame picture_;
};

class MovingSource final : public LayerSource {
 public:
  explicit MovingSource(const LayerSourceParams& p)
      : params_(p), loop_(p.loop || p.info.animated), decoder_(p.path, decode_params(p)) {
    const Rational fps = p.info.fps;
    frame_us_ = fps.valid() ? 1000000 * fps.den / fps.num : 40000;
    if (p.in_ms > 0) decoder_.seek(p.in_ms);
    int64_t pts_ms = 0;
    if (!decoder_.read(current_, &pts_ms))
      fail_unsupported(p.path.filename().string() + ": no picture at " + std::to_string(p.in_ms) +
                       " ms");
    current_us_ = pts_ms * 1000;
    serial_ = 1;
    advance_next();
  }

  const media::Frame& picture(int64_t source_us) override {
    // pts are whole milliseconds: allow 1 ms so equal rates never lag a frame.
    while (has_next_ && next_us_ <= source_us + 1000) {
      std::swap(current_, next_);
      current_us_ = next_us_;
      ++serial_;
      advance_next();
    }
    return current_;
  }

 private:
  void advance_next() {
    int64_t pts_ms = 0;
    if (decoder_.read(next_, &pts_ms)) {
      next_us_ = lap_us_ + pts_ms * 1000;
      has_next_ = true;
      return;
    }
    has_next_ = false;
    if (!loop_) return;
    // Start the next lap where this one ends (after the last frame's duration).
    const int64_t lap_end = current_us_ + frame_us_;
    decoder_.seek(params_.in_ms);
    if (!decoder_.read(next_, &pts_ms)) return;
    lap_us_ = lap_end - pts_ms * 1000;
    next_us_ = lap_us_ + pts_ms * 1000;
    has_next_ = true;
  }

  LayerSourceParams params_;
  bool loop_;
  media::VideoDecoder decoder_;
  media::Frame current_, next_;
  int64_t current_us_ = 0, next_us_ = 0;
  int64_t lap_us_ = 0;  // added to the pts of the current lap
  int64_t frame_us_ = 0;
  bool has_next_ = false;
};

}  // namespace

std::unique_ptr<LayerSource> make_layer_source(const LayerSourceParams& params) {
  if (params.info.kind == media::MediaKind::image && !params.info.animated)
    return std::make_unique<StillSource>(params);
  return std::make_unique<MovingSource>(params);
}

}  // namespace kino::render
