#pragma once
// Measures what a frame shows: the pixels that differ from a background form "the object"; its
// centroid, area and mean hue tell where it is and which named colour it has. Used by the tests
// of the scenes and by the adherence checks of a trained model.
#include <vector>

#include "scenes/scene_render.h"

namespace kino::scenes {

struct ObjectMeasure {
  bool found = false;
  double x = 0, y = 0;  // centroid in frame units (0..1), weighted by the difference
  double area = 0;      // fraction of the frame's pixels that belong to the object
  double hue = 0;       // degrees, of the mean colour of the object's pixels
  double saturation = 0;
};

// `threshold`: the sum of absolute RGB differences above which a pixel is the object's. Frames
// of different sizes: Error(bad_request).
ObjectMeasure scene_measure_object(const RgbImage& frame, const RgbImage& background,
                                   int threshold = 90);

// The per-pixel median over frames: the background of a clip whose object moves.
RgbImage clip_median(const std::vector<RgbImage>& frames);

// The background of a clip of one of the scenes' backgrounds: the per-pixel median over frames,
// then each row's median. An object that moves less than its own size stays in the per-pixel
// median, so that alone would leave only the object's fringes to measure (blended with the
// background, and so of another hue); every background is a vertical gradient, and an object
// covers less than half of any row.
RgbImage clip_background(const std::vector<RgbImage>& frames);

}  // namespace kino::scenes
