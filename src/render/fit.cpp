#include "render/fit.h"

#include <algorithm>
#include <cmath>

namespace kino::render {
namespace {

int round_even(double v) {
  return int(std::lround(v / 2.0)) * 2;
}

// The part of a source of aspect `src_aspect` that covers a box of aspect `box_aspect`,
// centred, as fractions of the source.
ViewRect cover_view(double src_aspect, double box_aspect) {
  if (src_aspect > box_aspect) {
    const double w = box_aspect / src_aspect;
    return {(1 - w) / 2, 0, w, 1};
  }
  const double h = src_aspect / box_aspect;
  return {0, (1 - h) / 2, 1, h};
}

Rect contain_rect(Rect box, double src_aspect) {
  const double box_aspect = double(box.w) / box.h;
  Rect r = box;
  if (src_aspect > box_aspect)
    r.h = std::max(2, round_even(box.w / src_aspect));
  else
    r.w = std::max(2, round_even(box.h * src_aspect));
  r.x = box.x + round_even((box.w - r.w) / 2.0);
  r.y = box.y + round_even((box.h - r.h) / 2.0);
  return r;
}

using FitFn = void (*)(LayerGeometry& g, double src_aspect);

void fit_contain(LayerGeometry& g, double a) {
  g.dest = contain_rect(g.box, a);
  g.view = {0, 0, 1, 1};
}
void fit_cover(LayerGeometry& g, double a) {
  g.dest = g.box;
  g.view = cover_view(a, double(g.box.w) / g.box.h);
}
void fit_blur_pad(LayerGeometry& g, double a) {
  fit_contain(g, a);
  g.blur_background = true;
  g.background_view = cover_view(a, double(g.box.w) / g.box.h);
}
void fit_stretch(LayerGeometry& g, double) {
  g.dest = g.box;
  g.view = {0, 0, 1, 1};
}

struct FitEntry {
  timeline::FitMode mode;
  FitFn fn;
};
constexpr FitEntry kFits[] = {
    {timeline::FitMode::contain, fit_contain},
    {timeline::FitMode::cover, fit_cover},
    {timeline::FitMode::blur_pad, fit_blur_pad},
    {timeline::FitMode::stretch, fit_stretch},
};

}  // namespace

LayerGeometry layer_geometry(int canvas_w, int canvas_h, const timeline::Segment& segment,
                             int source_w, int source_h, bool still) {
  const timeline::Transform& t = segment.transform;
  LayerGeometry g;
  g.box.w = std::max(2, round_even(canvas_w * t.scale));
  g.box.h = std::max(2, round_even(canvas_h * t.scale));
  g.box.x = round_even(t.x * canvas_w - g.box.w / 2.0);
  g.box.y = round_even(t.y * canvas_h - g.box.h / 2.0);
  const double aspect = double(std::max(source_w, 1)) / std::max(source_h, 1);
  for (const FitEntry& e : kFits)
    if (e.mode == segment.fit) e.fn(g, aspect);

  const bool motion = segment.motion.kind != timeline::MotionKind::none;
  const double zoom = motion ? 1.0 + std::max(0.0, segment.motion.strength) : 1.0;
  // The source size at which the shown part has the destination's resolution (at the
  // motion's closest zoom).
  const double need_w = g.dest.w / g.view.w * zoom;
  const double need_h = g.dest.h / g.view.h * zoom;
  const bool full_view = g.view.w >= 1.0 && g.view.h >= 1.0;
  if (still || (!motion && full_view) || (need_w <= source_w && need_h <= source_h)) {
    // Decode straight to the needed size; capped at twice the canvas (a picture scaled up
    // further is resampled from that, bounding memory and decode work).
    g.decode_w = std::max(2, round_even(std::min(need_w, 2.0 * canvas_w)));
    g.decode_h = std::max(2, round_even(std::min(need_h, 2.0 * canvas_h)));
  } else {
    // Upscaling a crop: decode at the source size and resample the crop per frame.
    g.decode_w = std::max(2, round_even(source_w));
    g.decode_h = std::max(2, round_even(source_h));
  }
  const double shown_w = g.view.w * g.decode_w, shown_h = g.view.h * g.decode_h;
  g.resample = motion || std::abs(shown_w - g.dest.w) > 1.0 || std::abs(shown_h - g.dest.h) > 1.0;
  return g;
}

}  // namespace kino::render
