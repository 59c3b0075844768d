#include "render/transition.h"

namespace kino::render {
namespace {

// Ramp position of step `i` (0-based) of `n` steps, strictly between 0 and 1.
double ramp(int64_t i, int64_t n) {
  return double(i + 1) / double(n + 1);
}

LayerMod none_in(int64_t, int64_t) {
  return {};
}
LayerMod none_out(int64_t, int64_t) {
  return {};
}
int64_t none_hold(int64_t) {
  return 0;
}

LayerMod crossfade_in(int64_t t, int64_t rel) {
  LayerMod m;
  if (rel >= 0 && rel < t) m.opacity = ramp(rel, t);
  return m;
}
LayerMod crossfade_out(int64_t, int64_t) {
  return {};
}
int64_t crossfade_hold(int64_t t) {
  return t;
}

LayerMod fade_black_in(int64_t t, int64_t rel) {
  const int64_t half = t - t / 2;
  LayerMod m;
  if (rel >= 0 && rel < half) m.black = 1.0 - ramp(rel, half);
  return m;
}
LayerMod fade_black_out(int64_t t, int64_t rel) {
  const int64_t half = t / 2;
  LayerMod m;
  if (rel < 0 && rel >= -half) m.black = ramp(rel + half, half);
  return m;
}
int64_t fade_black_hold(int64_t) {
  return 0;
}

AudioFades none_audio(int64_t, int64_t) {
  return {};
}
AudioFades crossfade_audio(int64_t, int64_t overlap) {
  return {overlap, overlap};
}
AudioFades fade_black_audio(int64_t ms, int64_t) {
  return {ms / 2, ms - ms / 2};
}

struct TransitionEntry {
  timeline::TransitionKind kind;
  LayerMod (*incoming)(int64_t frames, int64_t rel);
  LayerMod (*outgoing)(int64_t frames, int64_t rel);
  int64_t (*hold)(int64_t frames);
  AudioFades (*audio)(int64_t ms, int64_t overlap_ms);
};
constexpr TransitionEntry kTransitions[] = {
    {timeline::TransitionKind::none, none_in, none_out, none_hold, none_audio},
    {timeline::TransitionKind::crossfade, crossfade_in, crossfade_out, crossfade_hold,
     crossfade_audio},
    {timeline::TransitionKind::fade_black, fade_black_in, fade_black_out, fade_black_hold,
     fade_black_audio},
};

const TransitionEntry& entry(timeline::TransitionKind kind) {
  for (const TransitionEntry& e : kTransitions)
    if (e.kind == kind) return e;
  return kTransitions[0];
}

}  // namespace

LayerMod transition_incoming(timeline::TransitionKind kind, int64_t frames, int64_t rel) {
  return entry(kind).incoming(frames, rel);
}
LayerMod transition_outgoing(timeline::TransitionKind kind, int64_t frames, int64_t rel) {
  return entry(kind).outgoing(frames, rel);
}
int64_t transition_hold(timeline::TransitionKind kind, int64_t frames) {
  return entry(kind).hold(frames);
}
AudioFades transition_audio(timeline::TransitionKind kind, int64_t ms, int64_t overlap_ms) {
  return entry(kind).audio(ms, overlap_ms);
}

}  // namespace kino::render
