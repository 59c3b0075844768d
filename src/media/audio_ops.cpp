#include "media/audio_ops.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace kino::media {

void audio_mix_into(float* dst, const float* src, size_t frames, int channels, float gain) {
  const size_t n = frames * size_t(channels);
  for (size_t i = 0; i < n; ++i) dst[i] += src[i] * gain;
}

void audio_apply_ramp(float* samples, size_t frames, int channels, float g0, float g1) {
  if (frames == 0) return;
  const double step = (double(g1) - double(g0)) / double(frames);
  for (size_t i = 0; i < frames; ++i) {
    const float g = float(double(g0) + step * double(i));
    float* s = samples + i * size_t(channels);
    for (int c = 0; c < channels; ++c) s[c] *= g;
  }
}

AudioLimiter::AudioLimiter(int sample_rate, int channels, float ceiling, float lookahead_ms,
                           float release_ms)
    : channels_(channels), ceiling_(ceiling) {
  if (sample_rate <= 0 || channels <= 0)
    fail_bad_request("limiter needs sample_rate > 0 and channels > 0, got " +
                     std::to_string(sample_rate) + " and " + std::to_string(channels));
  if (!(ceiling > 0.0f) || ceiling > 1.0f)
    fail_bad_request("limiter ceiling must be in (0, 1], got " + std::to_string(ceiling));
  if (!(lookahead_ms >= 0.0f) || lookahead_ms > 1000.0f || !(release_ms >= 0.0f))
    fail_bad_request("limiter lookahead_ms must be in 0..1000 and release_ms >= 0, got " +
                     std::to_string(lookahead_ms) + " and " + std::to_string(release_ms));
  lookahead_ = size_t(std::lround(double(lookahead_ms) * sample_rate / 1000.0));
  const double release_frames = double(release_ms) * sample_rate / 1000.0;
  release_coeff_ = release_frames > 0 ? std::exp(-1.0 / release_frames) : 0.0;
  const size_t window = lookahead_ + 1;
  delay_.assign(window * size_t(channels), 0.0f);
  need_.assign(window, 1.0f);
  minq_.assign(window, 0);
  smooth_.assign(window, 1.0);
  smooth_sum_ = double(window);
}

size_t AudioLimiter::latency_frames() const {
  return lookahead_;
}

void AudioLimiter::push(const float* frame, std::vector<float>& out) {
  const size_t window = lookahead_ + 1;
  const size_t n = fed_++;
  const size_t slot = n % window;
  const size_t ch = size_t(channels_);

  float peak = 0.0f;
  for (size_t c = 0; c < ch; ++c) peak = std::max(peak, std::fabs(frame[c]));
  const float need = peak > ceiling_ ? ceiling_ / peak : 1.0f;

  // Sliding minimum of `need` over the last `window` frames (monotonic queue).
  while (minq_size_ > 0) {
    const size_t back = minq_[(minq_head_ + minq_size_ - 1) % window];
    if (need_[back % window] < need) break;
    --minq_size_;
  }
  if (minq_size_ > 0 && minq_[minq_head_] + window <= n) {
    minq_head_ = (minq_head_ + 1) % window;
    --minq_size_;
  }
  need_[slot] = need;
  minq_[(minq_head_ + minq_size_) % window] = n;
  ++minq_size_;
  const double held = need_[minq_[minq_head_] % window];

  // Release: drop at once, recover exponentially; never above the held minimum.
  release_gain_ = held < release_gain_ ? held : held + (release_gain_ - held) * release_coeff_;
  smooth_sum_ += release_gain_ - smooth_[slot];
  smooth_[slot] = release_gain_;
  const double gain = std::min(1.0, smooth_sum_ / double(window));

  // Store this frame, then emit the one `lookahead_` frames older (the next ring slot).
  float* d = delay_.data() + slot * ch;
  for (size_t c = 0; c < ch; ++c) d[c] = frame[c];
  if (n < lookahead_) return;
  const float* o = delay_.data() + ((n + 1) % window) * ch;
  for (size_t c = 0; c < ch; ++c) {
    const float v = float(double(o[c]) * gain);
    out.push_back(std::clamp(v, -ceiling_, ceiling_));  // guards float rounding only
  }
  ++emitted_;
}

void AudioLimiter::process(const float* in, size_t frames, std::vector<float>& out) {
  for (size_t i = 0; i < frames; ++i) push(in + i * size_t(channels_), out);
}

void AudioLimiter::flush(std::vector<float>& out) {
  const std::vector<float> silence(size_t(channels_), 0.0f);
  const size_t real = fed_;
  while (emitted_ < real) push(silence.data(), out);
  // Start afresh.
  const size_t window = lookahead_ + 1;
  fed_ = emitted_ = 0;
  release_gain_ = 1.0;
  std::fill(delay_.begin(), delay_.end(), 0.0f);
  std::fill(need_.begin(), need_.end(), 1.0f);
  minq_head_ = minq_size_ = 0;
  std::fill(smooth_.begin(), smooth_.end(), 1.0);
  smooth_sum_ = double(window);
}

}  // namespace kino::media
