#pragma once
// Transitions into a segment from the one before it on the same track, in frames.
// crossfade (T frames): the incoming segment fades in over the outgoing one during its
// first T frames; the outgoing segment stays visible until then (playing on, or holding
// its last picture), so back-to-back segments cross-fade too.
// fade-black (T frames): the outgoing segment fades to black over the T/2 frames before
// the cut, the incoming one fades in from black over the rest.
#include <cstdint>

#include "timeline/draft.h"

namespace kino::render {

struct LayerMod {
  double opacity = 1.0;  // multiplies the layer's opacity
  double black = 0.0;    // 0..1: how far the layer is darkened towards black

  void combine(const LayerMod& o) {
    opacity *= o.opacity;
    black = 1.0 - (1.0 - black) * (1.0 - o.black);
  }
};

// The incoming segment at `rel` frames after its first frame.
LayerMod transition_incoming(timeline::TransitionKind kind, int64_t frames, int64_t rel);
// The outgoing segment at `rel` frames after the cut (negative: before it).
LayerMod transition_outgoing(timeline::TransitionKind kind, int64_t frames, int64_t rel);
// How many frames after the cut the outgoing segment must stay visible.
int64_t transition_hold(timeline::TransitionKind kind, int64_t frames);

// The sound of clips joined by a transition of `ms` whose segments overlap by `overlap_ms`
// (>= 0): the fade-out the outgoing clip needs and the fade-in of the incoming one, in ms.
// crossfade: both over the overlap; fade-black: out over the first half, in over the second.
struct AudioFades {
  int64_t out_ms = 0;
  int64_t in_ms = 0;
};
AudioFades transition_audio(timeline::TransitionKind kind, int64_t ms, int64_t overlap_ms);

}  // namespace kino::render
