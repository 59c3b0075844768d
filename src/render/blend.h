#pragma once
// Pixel kernels of the compositor, on 8-bit planes (yuv420p works plane by plane).
// Plain loops over rows so the compiler vectorises them; no per-pixel calls.
#include <cstdint>

#include "media/frame.h"

namespace kino::render {

// Opacity and fade factors in fixed point: 0 = nothing, 256 = full.
constexpr int kOne = 256;
int to_fixed(double fraction);  // clamps to 0..kOne

// A rectangle in canvas pixels (may lie partly outside the canvas).
struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
};

// dst[i] = src[i] * a + dst[i] * (1 - a), a = alpha / 256, for n samples.
void blend_row(uint8_t* dst, const uint8_t* src, int n, int alpha);
// Premultiplied overlay: dst = src_p * f + dst * (1 - a * f), with src_p = value * a
// (a = a8 / 255, f = fade / 256).
void blend_premultiplied_row(uint8_t* dst, const uint8_t* src_p, const uint8_t* a8, int n,
                             int fade);

// Draws the yuv420p picture `src` (from its pixel sx, sy) into the yuv420p canvas at `at`
// (w x h from `at`), clipped to the canvas, with opacity 0..256. Offsets are rounded
// down to even so chroma stays aligned.
void draw_picture(media::Frame& canvas, const media::Frame& src, int sx, int sy, Rect at,
                  int opacity);
// Blends a solid yuv colour over `at` (clipped) with alpha 0..256.
void draw_color(media::Frame& canvas, Rect at, media::Yuv color, int alpha);
// Fills the whole canvas with a colour.
void fill_canvas(media::Frame& canvas, media::Yuv color);

}  // namespace kino::render
