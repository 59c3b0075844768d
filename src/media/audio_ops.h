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
// Stateful across calls (feed consecutive blocks); adds latency_frames() of delay, which
// flush() drains at the end (after flush the limiter starts afresh). Output frame count
// equals input frame count once flushed. Signals below the ceiling pass unchanged.
// The gain is the window-average of a min-hold of the required gains, which provably
// stays at or below every sample's required gain (attack spread over the look-ahead).
class AudioLimiter {
 public:
  AudioLimiter(int sample_rate, int channels, float ceiling = 0.98f, float lookahead_ms = 5.0f,
               float release_ms = 80.0f);
  // Processes `frames` frames; appends the limited (delayed) output to out.
  void process(const float* in, size_t frames, std::vector<float>& out);
  void flush(std::vector<float>& out);
  size_t latency_frames() const;

 private:
  void push(const float* frame, std::vector<float>& out);

  int channels_;
  float ceiling_;
  size_t lookahead_;  // frames of delay; windows below are lookahead_ + 1 frames long
  double release_coeff_;
  double release_gain_ = 1.0;  // gain after the min-hold and release stage
  size_t fed_ = 0;             // frames pushed since the last flush
  size_t emitted_ = 0;         // frames output since the last flush
  std::vector<float> delay_;   // ring of input frames (window * channels)
  std::vector<float> need_;    // ring of each frame's required gain (ceiling / peak)
  std::vector<size_t> minq_;   // monotonic queue of frame numbers for the sliding minimum
  size_t minq_head_ = 0;
  size_t minq_size_ = 0;
  std::vector<double> smooth_;  // ring of release-stage gains, averaged over the window
  double smooth_sum_ = 0.0;
};

}  // namespace kino::media
