#pragma once
// The master mix: every sound of the timeline (clips' own audio, audio tracks) decoded
// at 48 kHz stereo, trimmed, looped, scaled and faded, summed block by block and passed
// through a limiter so it never clips. Memory does not depend on the timeline's length.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "media/audio_decoder.h"
#include "media/audio_ops.h"

namespace kino::render {

constexpr int kMixRate = 48000;
constexpr int kMixChannels = 2;

// One sound placed on the timeline; positions in samples at kMixRate.
struct AudioClip {
  std::filesystem::path path;
  int64_t start = 0;    // first timeline sample
  int64_t end = 0;      // one past the last
  int64_t in_ms = 0;    // where it starts inside the source
  bool loop = false;    // start the source again at in_ms when it ends
  double gain = 1.0;    // segment volume * track volume
  int64_t fade_in = 0;  // samples
  int64_t fade_out = 0;
};

// Not thread-safe: one thread pulls the mix in order.
class AudioMix {
 public:
  static constexpr size_t kBlock = 1024;  // frames mixed at a time

  explicit AudioMix(std::vector<AudioClip> clips);
  ~AudioMix();

  // Appends exactly `frames` frames (interleaved stereo) of the limited mix.
  void render(size_t frames, std::vector<float>& out);

 private:
  struct Voice;
  void mix_block();

  std::vector<std::unique_ptr<Voice>> voices_;
  media::AudioLimiter limiter_;
  int64_t pos_ = 0;             // next timeline sample to mix
  std::vector<float> master_;   // one block
  std::vector<float> limited_;  // limiter output, not yet handed out
  std::vector<float> scratch_;
};

}  // namespace kino::render
