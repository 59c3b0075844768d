#pragma once
// Synthetic media made by kino itself: the demo timeline, the benchmarks and tests use
// these instead of downloads. Deterministic for the same parameters.
#include <cstdint>
#include <filesystem>

#include "media/encoder.h"

namespace kino::media {

struct TestClipParams {
  int width = 1280;
  int height = 720;
  Rational fps{30, 1};
  int64_t duration_ms = 5000;
  bool audio = true;
  double tone_hz = 440.0;  // a sine tone at tone_amplitude
  double tone_amplitude = 0.5;
  ContainerFormat format = ContainerFormat::mp4;
};
// Colour bars with a moving box and a frame counter pattern; a sine tone.
void write_test_clip(const std::filesystem::path& path, const TestClipParams& params = {});

// A still picture (gradient with shapes), as png or jpg by the path's extension.
void write_test_image(const std::filesystem::path& path, int width, int height);

// A WAV file (16-bit PCM) with a sine tone.
void write_test_tone(const std::filesystem::path& path, int64_t duration_ms, double hz = 220.0,
                     double amplitude = 0.5, int sample_rate = 48000, int channels = 2);

}  // namespace kino::media
