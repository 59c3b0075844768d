#pragma once
// Writes finished videos: H.264 + AAC in MP4 (moov first), VP9 + Opus in WebM, or GIF.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "core/rational.h"
#include "media/frame.h"

namespace kino::media {

enum class ContainerFormat { mp4, webm, gif };
std::string_view container_format_name(ContainerFormat f);
std::optional<ContainerFormat> container_format_parse(std::string_view name);

// Quality presets: H.264 CRF 18 / 23 / 28, VP9 CRF 24 / 32 / 40.
enum class Quality { high, medium, low };
std::string_view quality_name(Quality q);
std::optional<Quality> quality_parse(std::string_view name);

struct EncodeParams {
  ContainerFormat format = ContainerFormat::mp4;
  int width = 1920;  // must be even for mp4/webm
  int height = 1080;
  Rational fps{30, 1};
  Quality quality = Quality::high;
  const char* x264_preset = "veryfast";  // libx264 speed preset
  bool audio = true;                     // mp4: AAC, webm: Opus, gif: ignored
  int sample_rate = 48000;
  int channels = 2;
  int threads = 0;  // encoder threads, 0 = automatic
};

// Not thread-safe. Frames are written in order; frame i has pts i / fps.
// If destroyed without finish() the partial output file is removed.
class Encoder {
 public:
  Encoder(const std::filesystem::path& path, const EncodeParams& params);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  const EncodeParams& params() const;
  // A yuv420p frame of exactly params().width x height.
  void write_video(const Frame& frame);
  // Interleaved float samples at params().sample_rate / channels; any count per call.
  void write_audio(const float* interleaved, size_t frames);
  // Flushes the encoders and writes the trailer (for mp4, moves the moov atom first).
  // With audio enabled but no samples written, the audio track is silence as long as
  // the video. At least one video frame must have been written (else Error(bad_request)).
  // Write failures throw Error(internal) naming the path.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kino::media
