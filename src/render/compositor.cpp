#include "render/compositor.h"

#include <algorithm>
#include <optional>

#include "render/blend.h"
#include "render/blur.h"
#include "render/fit.h"
#include "render/layer_source.h"
#include "render/motion.h"
#include "render/overlay.h"
#include "render/resample.h"
#include "render/text_renderer.h"
#include "render/transition.h"
#include "timeline/frame_time.h"

namespace kino::render {

namespace {
constexpr media::Yuv kBlack{16, 128, 128};

// The part of `dest` (even) on the canvas, and the part of `view` (shown in all of dest)
// that lands there. False when nothing shows.
bool visible_part(const Rect& dest, const ViewRect& view, const media::Frame& canvas, Rect* at,
                  ViewRect* part) {
  const int x0 = std::max(dest.x, 0), y0 = std::max(dest.y, 0);
  const int x1 = std::min(dest.x + dest.w, canvas.width());
  const int y1 = std::min(dest.y + dest.h, canvas.height());
  if (x1 <= x0 || y1 <= y0) return false;
  *at = Rect{x0, y0, x1 - x0, y1 - y0};
  const double sx = view.w / dest.w, sy = view.h / dest.h;
  *part =
      ViewRect{view.x + (x0 - dest.x) * sx, view.y + (y0 - dest.y) * sy, at->w * sx, at->h * sy};
  return true;
}

bool covers(const Rect& r, const media::Frame& canvas) {
  return r.x <= 0 && r.y <= 0 && r.x + r.w >= canvas.width() && r.y + r.h >= canvas.height();
}

// Fade ramp for a segment's first/last frames; 1 outside the ramps.
double edge_fade(int64_t rel, int64_t remaining, int64_t fade_in, int64_t fade_out) {
  double f = 1.0;
  if (rel < fade_in) f *= double(rel + 1) / double(fade_in + 1);
  if (remaining < fade_out) f *= double(remaining + 1) / double(fade_out + 1);
  return f;
}
}  // namespace

struct Compositor::Layer {
  const timeline::Segment* segment = nullptr;
  bool is_text = false;
  int64_t first = 0;                  // first frame
  int64_t last = 0;                   // one past the last frame of its own span
  int64_t visible_end = 0;            // one past the last frame drawn (held for a transition)
  int64_t in_frames = 0;              // its transition's length in frames
  const Layer* next = nullptr;        // the following segment on the track (its transition)
  int64_t fade_in = 0, fade_out = 0;  // text fades, frames
  // Picture layers
  const ResolvedMedia* media = nullptr;
  LayerGeometry geometry;
  std::unique_ptr<LayerSource> source;
  Resampler resampler;
  BlurPad blur;
  media::Frame background, resampled;
  uint64_t background_serial = 0, resampled_serial = 0;
  // Text layers
  std::optional<Overlay> overlay;

  void release() {
    source.reset();
    background = media::Frame();
    resampled = media::Frame();
    background_serial = resampled_serial = 0;
    overlay.reset();
  }
};

struct Compositor::Track {
  std::vector<std::unique_ptr<Layer>> layers;
};

Compositor::Compositor(const timeline::Draft& draft, const MediaTable& media,
                       const CompositorParams& params)
    : params_(params) {
  frame_count_ = timeline::frame_count_of_ms(draft.end_ms(), params.fps);
  // Text sizes are in canvas pixels: an output of another size scales them with it.
  text_scale_ = std::min(double(params.width) / std::max(draft.canvas.width, 1),
                         double(params.height) / std::max(draft.canvas.height, 1));
  const timeline::Color& bg = draft.canvas.background;
  background_ = media::rgb_to_yuv(bg.r, bg.g, bg.b);
  for (const timeline::Track& t : draft.tracks) {
    if (t.type == timeline::TrackType::audio) continue;
    auto track = std::make_unique<Track>();
    for (const timeline::Segment& s : t.segments) {
      auto layer = std::make_unique<Layer>();
      layer->segment = &s;
      layer->is_text = t.type == timeline::TrackType::text;
      layer->first = timeline::frame_of_ms(s.start_ms, params.fps);
      layer->last = std::min(timeline::frame_of_ms(s.end_ms(), params.fps), frame_count_);
      layer->visible_end = layer->last;
      layer->in_frames = timeline::frame_count_of_ms(s.transition.duration_ms, params.fps);
      if (layer->is_text) {
        if (s.text.empty()) continue;
        layer->fade_in = timeline::frame_count_of_ms(s.fade_in_ms, params.fps);
        layer->fade_out = timeline::frame_count_of_ms(s.fade_out_ms, params.fps);
        if (!text_) text_ = std::make_unique<TextRenderer>();
      } else {
        auto it = media.find(s.source);
        if (it == media.end()) continue;  // render() resolves every source before
        layer->media = &it->second;
        const media::MediaInfo& info = it->second.info;
        layer->geometry = layer_geometry(params.width, params.height, s, info.width, info.height,
                                         info.kind == media::MediaKind::image && !info.animated);
      }
      if (layer->last <= layer->first) continue;
      if (!track->layers.empty()) {
        Layer& prev = *track->layers.back();
        prev.next = layer.get();
        const int64_t hold = transition_hold(s.transition.kind, layer->in_frames);
        prev.visible_end = std::min(std::max(prev.visible_end, layer->first + hold), frame_count_);
      }
      track->layers.push_back(std::move(layer));
    }
    if (!track->layers.empty()) tracks_.push_back(std::move(track));
  }
}

Compositor::~Compositor() = default;

LayerMod Compositor::layer_mod(const Layer& l, int64_t n) const {
  LayerMod mod = transition_incoming(l.segment->transition.kind, l.in_frames, n - l.first);
  if (l.next)
    mod.combine(transition_outgoing(l.next->segment->transition.kind, l.next->in_frames,
                                    n - l.next->first));
  return mod;
}

// Whether the bottom layer at frame n hides the canvas colour completely.
bool Compositor::bottom_is_opaque(int64_t n, const media::Frame& canvas) const {
  if (tracks_.empty()) return false;
  for (const auto& layer : tracks_.front()->layers) {
    const Layer& l = *layer;
    if (n < l.first || n >= l.visible_end) continue;
    if (l.is_text || l.segment->transform.opacity < 1.0) return false;
    const LayerMod mod = layer_mod(l, n);
    if (mod.opacity < 1.0) return false;
    return covers(l.geometry.blur_background ? l.geometry.box : l.geometry.dest, canvas);
  }
  return false;
}

void Compositor::compose(int64_t n, media::Frame& canvas) {
  if (!bottom_is_opaque(n, canvas)) fill_canvas(canvas, background_);
  for (auto& track : tracks_)
    for (auto& layer : track->layers) {
      if (n >= layer->visible_end) {
        if (layer->source || layer->overlay) layer->release();
        continue;
      }
      if (n >= layer->first) draw_layer(*layer, n, canvas);
    }
}

void Compositor::draw_layer(Layer& l, int64_t n, media::Frame& canvas) {
  const timeline::Segment& s = *l.segment;
  const LayerMod mod = layer_mod(l, n);

  if (l.is_text) {
    if (!l.overlay) {
      timeline::TextStyle style = s.style;
      if (text_scale_ != 1.0) {
        style.size *= text_scale_;
        style.outline *= text_scale_;
        style.box_padding *= text_scale_;
      }
      TextImage image = text_->render(s.text, style, params_.width, params_.height);
      l.overlay = overlay_from_rgba(image.image, image.x, image.y);
    }
    const int64_t rel = n - l.first, remaining = l.last - 1 - n;
    const double f = std::clamp(s.transform.opacity, 0.0, 1.0) * mod.opacity * (1 - mod.black) *
                     edge_fade(rel, std::max<int64_t>(remaining, 0), l.fade_in, l.fade_out);
    draw_overlay(canvas, *l.overlay, to_fixed(f));
    return;
  }

  const LayerGeometry& g = l.geometry;
  if (!l.source) {
    LayerSourceParams p;
    p.path = l.media->path;
    p.info = l.media->info;
    p.width = g.decode_w;
    p.height = g.decode_h;
    p.in_ms = s.in_ms;
    p.loop = s.loop;
    // Sources beyond 1080p take long to decode on one thread: give them a second one.
    const bool big = int64_t(p.info.width) * p.info.height > int64_t(1920) * 1080;
    p.threads = std::max(params_.decoder_threads, big ? 2 : 1);
    l.source = make_layer_source(p);
  }
  // Source time: the in-point plus the time since the segment's first frame.
  const int64_t source_us = s.in_ms * 1000 + timeline::frame_start_us(n, params_.fps) -
                            timeline::frame_start_us(l.first, params_.fps);
  const media::Frame& picture = l.source->picture(source_us);
  const int opacity = to_fixed(std::clamp(s.transform.opacity, 0.0, 1.0) * mod.opacity);
  if (opacity <= 0) return;
  const double pw = picture.width(), ph = picture.height();

  // Only the part of a layer on the canvas is built, so a scaled-up layer costs no more
  // than the canvas. Opaque layers whose picture changes are built straight into the
  // canvas, saving a copy; stills are built once and copied.
  const bool still = l.media->info.kind == media::MediaKind::image && !l.media->info.animated;
  const bool moving = s.motion.kind != timeline::MotionKind::none;
  if (g.blur_background) {
    const ViewRect& v = g.background_view;
    Rect at;
    ViewRect part;
    if (visible_part(g.box, ViewRect{v.x * pw, v.y * ph, v.w * pw, v.h * ph}, canvas, &at, &part)) {
      if (opacity == kOne && !still) {
        // The opaque picture drawn next hides the middle: skip upscaling it.
        l.blur.build(picture, part, canvas, at, g.dest);
      } else {
        if (l.background.width() != at.w || l.background.height() != at.h)
          l.background = media::Frame(media::PixelFormat::yuv420p, at.w, at.h);
        if (l.background_serial != l.source->serial()) {
          l.blur.build(picture, part, l.background);
          l.background_serial = l.source->serial();
        }
        draw_picture(canvas, l.background, 0, 0, at, opacity);
      }
    }
  }

  const ViewRect base{g.view.x * pw, g.view.y * ph, g.view.w * pw, g.view.h * ph};
  if (g.resample) {
    const double span = double(std::max<int64_t>(l.last - l.first - 1, 1));
    const ViewRect view = motion_view(s.motion, double(n - l.first) / span, base);
    Rect at;
    ViewRect part;
    if (visible_part(g.dest, view, canvas, &at, &part)) {
      if (opacity == kOne && (moving || !still)) {
        l.resampler.resample(picture, part, canvas, at);
      } else {
        if (l.resampled.width() != at.w || l.resampled.height() != at.h)
          l.resampled = media::Frame(media::PixelFormat::yuv420p, at.w, at.h);
        // A held source frame without motion resamples to the same picture: reuse it.
        if (moving || l.resampled_serial != l.source->serial()) {
          l.resampler.resample(picture, part, l.resampled);
          l.resampled_serial = l.source->serial();
        }
        draw_picture(canvas, l.resampled, 0, 0, at, opacity);
      }
    }
  } else {
    draw_picture(canvas, picture, int(base.x + 0.5), int(base.y + 0.5), g.dest, opacity);
  }

  if (mod.black > 0)
    draw_color(canvas, g.blur_background ? g.box : g.dest, kBlack,
               to_fixed(mod.black) * opacity / kOne);
}

}  // namespace kino::render
