#pragma once
// Still overlays with alpha (titles): converted once from straight-alpha RGBA to
// premultiplied yuva420p, then blended every frame with a fade factor.
#include "media/frame.h"

namespace kino::render {

struct Overlay {
  int x = 0;  // top-left on the canvas, even
  int y = 0;
  media::Frame picture;       // yuva420p: Y, U, V premultiplied by alpha; A full size
  media::Frame chroma_alpha;  // gray, chroma size: the mean alpha of each 2x2 block
  bool empty() const { return picture.empty(); }
};

// `rgba` (straight alpha) placed with its top-left at (x, y) on the canvas.
Overlay overlay_from_rgba(const media::Frame& rgba, int x, int y);

// Blends the overlay onto a yuv420p canvas (clipped), fade 0..256.
void draw_overlay(media::Frame& canvas, const Overlay& overlay, int fade);

}  // namespace kino::render
