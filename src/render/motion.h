#pragma once
// Ken Burns motion: the part of the picture shown moves smoothly over the segment.
#include "render/resample.h"
#include "timeline/draft.h"

namespace kino::render {

// The view inside `base` (any units) at progress p in [0, 1] through the segment.
// zoom-in: from all of base to base / (1 + strength), centred; zoom-out: the reverse.
// pan-*: a view of base / (1 + strength) travelling across base in the named direction
// (pan-left: the view moves from the right edge to the left edge).
ViewRect motion_view(const timeline::Motion& motion, double p, ViewRect base);

}  // namespace kino::render
