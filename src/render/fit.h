#pragma once
// Where a picture goes on the canvas: the layer box (canvas size * transform.scale,
// centred at transform x/y), the fit mode's placement inside it, and the size a video
// should be decoded at so swscale does the scaling once per source frame.
#include "render/blend.h"
#include "render/resample.h"
#include "timeline/draft.h"

namespace kino::render {

struct LayerGeometry {
  Rect box;          // the layer box on the canvas
  Rect dest;         // where the picture lands (contain: inside the box)
  ViewRect view;     // the part of the source shown, as fractions (0..1) of it
  int decode_w = 0;  // size to decode the source at
  int decode_h = 0;
  bool resample = false;  // per-frame bilinear resampling needed (motion, upscaled crops)
  bool blur_background = false;
  ViewRect background_view;  // blur-pad: the part covering the box, fractions of the source
};

// `still`: the source is decoded once (images), so any decode size is cheap per frame.
LayerGeometry layer_geometry(int canvas_w, int canvas_h, const timeline::Segment& segment,
                             int source_w, int source_h, bool still);

}  // namespace kino::render
