#pragma once
// Sample-level audio operations on interleaved float buffers: gain ramps, mixing and a
// look-ahead limiter so a mix of many tracks never clips.
#include <cstddef>
#include <vector>

namespace kino::media {

// dst[i] += src[i] * gain, for frames*channels values.
void audio_mix_into(float* dst, const float* src, size_t frames, int channels, float gain);
// Multiplies by a gain going linearly from g0 (first frame) to g1 (after the last).
void audio_apply_ramp(float* samples, size_t frames, int channels, float g0, float g1);

// Peak limiter: keeps |sample| <= ceiling with a short look-ahead and smooth release.
// Stateful across calls (feed consecutive blocks); adds `lookahead` frames of delay,
// which flush() drains at the end.
class AudioLimiter {
 public:
  AudioLimiter(int sample_rate, int channels, float ceiling = 0.98f, float lookahead_ms = 5.0f,
               float release_ms = 80.0f);
  // Processes `frames` frames; appends the limited (delayed) output to out.
  void process(const float* in, size_t frames, std::vector<float>& out);
  void flush(std::vector<float>& out);
  size_t latency_frames() const;

 private:
  int channels_;
  float ceiling_;
  size_t lookahead_;
  float release_coeff_;
  float gain_ = 1.0f;
  std::vector<float> delay_;  // ring of lookahead frames
  size_t delay_pos_ = 0;
  size_t delay_filled_ = 0;
  std::vector<float> peaks_;  // per-frame peak over the look-ahead window (ring)
};

}  // namespace kino::media
