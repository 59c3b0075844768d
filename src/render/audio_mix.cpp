#include "render/audio_mix.h"

#include <algorithm>
#include <optional>

namespace kino::render {

struct AudioMix::Voice {
  AudioClip clip;
  std::optional<media::AudioDecoder> decoder;
  bool done = false;           // closed after its end
  bool lap_has_sound = false;  // guards looping over an empty range

  // Reads exactly n frames of the source into out (silence past its end).
  void read(size_t n, std::vector<float>& out) {
    out.clear();
    while (out.size() < n * kMixChannels) {
      const size_t missing = n - out.size() / kMixChannels;
      const size_t got = decoder->read(out, missing);
      if (got > 0) {
        lap_has_sound = true;
        continue;
      }
      if (clip.loop && lap_has_sound) {
        decoder->seek(clip.in_ms);
        lap_has_sound = false;
        continue;
      }
      out.resize(n * kMixChannels, 0.0f);
    }
    out.resize(n * kMixChannels);
  }

  // Volume and fades at timeline sample s (piecewise linear between the fade edges).
  double gain_at(int64_t s) const {
    double g = clip.gain;
    if (clip.fade_in > 0) g *= std::clamp(double(s - clip.start) / double(clip.fade_in), 0.0, 1.0);
    if (clip.fade_out > 0) g *= std::clamp(double(clip.end - s) / double(clip.fade_out), 0.0, 1.0);
    return g;
  }
};

AudioMix::AudioMix(std::vector<AudioClip> clips) : limiter_(kMixRate, kMixChannels) {
  for (AudioClip& c : clips) {
    if (c.end <= c.start) continue;
    auto v = std::make_unique<Voice>();
    v->clip = std::move(c);
    voices_.push_back(std::move(v));
  }
  master_.resize(kBlock * kMixChannels);
}

AudioMix::~AudioMix() = default;

void AudioMix::mix_block() {
  std::fill(master_.begin(), master_.end(), 0.0f);
  const int64_t b0 = pos_, b1 = pos_ + int64_t(kBlock);
  for (auto& vp : voices_) {
    Voice& v = *vp;
    if (v.done || v.clip.end <= b0 || v.clip.start >= b1) continue;
    const int64_t lo = std::max(v.clip.start, b0), hi = std::min(v.clip.end, b1);
    if (!v.decoder) {
      media::AudioDecodeParams p;
      p.sample_rate = kMixRate;
      p.channels = kMixChannels;
      v.decoder.emplace(v.clip.path, p);
      const int64_t skip_ms = (lo - v.clip.start) * 1000 / kMixRate;
      if (v.clip.in_ms + skip_ms > 0) v.decoder->seek(v.clip.in_ms + skip_ms);
    }
    v.read(size_t(hi - lo), scratch_);
    // Apply the gain piece by piece between the fade edges, where it is linear.
    int64_t cuts[4] = {lo, std::clamp(v.clip.start + v.clip.fade_in, lo, hi),
                       std::clamp(v.clip.end - v.clip.fade_out, lo, hi), hi};
    std::sort(cuts + 1, cuts + 3);
    for (int k = 0; k < 3; ++k) {
      const int64_t p0 = cuts[k], p1 = cuts[k + 1];
      if (p1 <= p0) continue;
      media::audio_apply_ramp(scratch_.data() + (p0 - lo) * kMixChannels, size_t(p1 - p0),
                              kMixChannels, float(v.gain_at(p0)), float(v.gain_at(p1)));
    }
    media::audio_mix_into(master_.data() + (lo - b0) * kMixChannels, scratch_.data(),
                          size_t(hi - lo), kMixChannels, 1.0f);
    if (hi >= v.clip.end) {
      v.decoder.reset();
      v.done = true;
    }
  }
  pos_ = b1;
  // The limiter holds back its look-ahead: its output starts at timeline sample 0.
  limiter_.process(master_.data(), kBlock, limited_);
}

void AudioMix::render(size_t frames, std::vector<float>& out) {
  while (limited_.size() < frames * kMixChannels) mix_block();
  out.insert(out.end(), limited_.begin(), limited_.begin() + ptrdiff_t(frames * kMixChannels));
  limited_.erase(limited_.begin(), limited_.begin() + ptrdiff_t(frames * kMixChannels));
}

}  // namespace kino::render
