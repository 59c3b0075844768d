#pragma once
// Two stages on two threads: decode + composite + audio mix on a worker, encode on the
// caller's thread (libx264 adds its own threads), with a bounded queue of frames between
// them and a fixed pool of frames, so memory stays flat however long the video is.
#include <cstddef>

#include "core/progress.h"
#include "core/rational.h"
#include "media/encoder.h"
#include "render/audio_mix.h"
#include "render/compositor.h"

namespace kino::render {

struct PipelineParams {
  size_t queue_frames = 3;  // frames composited ahead of the encoder
  bool audio = true;        // write the mix (false for formats without sound)
  ProgressFn progress;      // called on the caller's thread after each encoded frame
  CancelToken cancel;       // polled every frame on both threads
};

// Encodes frames [0, compositor.frame_count()) and their audio; the encoder is not
// finished. Errors of either stage are thrown here as kino::Error.
void run_pipeline(Compositor& compositor, AudioMix& audio, media::Encoder& encoder, Rational fps,
                  const PipelineParams& params);

// Audio samples (at kMixRate) before frame n: round-down of n / fps seconds.
int64_t audio_samples_before(int64_t n, Rational fps);

}  // namespace kino::render
