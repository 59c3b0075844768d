#pragma once
// Decodes the audio of any supported file (audio files and videos with sound),
// resampled to the requested rate and channel layout, as interleaved float.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "media/frame.h"
#include "media/probe.h"

namespace kino::media {

struct AudioDecodeParams {
  int sample_rate = 48000;
  int channels = 2;  // mono sources are duplicated, surround is downmixed
  ProbeLimits limits{};
};

// Not thread-safe. A file without an audio stream throws Error(unsupported) on open.
// Time 0 is the start of the video stream when the file has one (sound that starts later
// is preceded by silence, sound before it is dropped), so a clip's pictures and sound from
// the two decoders line up; for audio-only files it is the first sample.
class AudioDecoder {
 public:
  explicit AudioDecoder(const std::filesystem::path& path, const AudioDecodeParams& params = {});
  ~AudioDecoder();
  AudioDecoder(AudioDecoder&&) noexcept;
  AudioDecoder& operator=(AudioDecoder&&) noexcept;

  const MediaInfo& info() const;
  // Appends up to max_frames sample frames (interleaved) to out; returns how many were
  // appended, 0 at the end of the stream.
  size_t read(std::vector<float>& out, size_t max_frames);
  // The next read() starts at `ms` from the stream start (sample-accurate).
  void seek(int64_t ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: decodes a whole file (used by tests and short clips).
AudioBuffer decode_audio_file(const std::filesystem::path& path,
                              const AudioDecodeParams& params = {});

}  // namespace kino::media
