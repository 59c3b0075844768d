#include "media/audio_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "core/error.h"

namespace kino::media {
namespace {

std::vector<float> sine(size_t frames, int channels, double hz, double amp) {
  std::vector<float> s(frames * size_t(channels));
  for (size_t i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c)
      s[i * size_t(channels) + size_t(c)] =
          float(amp * std::sin(2.0 * std::numbers::pi * hz * double(i) / 48000.0));
  return s;
}

TEST(AudioOps, MixAddsWithGain) {
  std::vector<float> dst = {0.1f, 0.2f, 0.3f, 0.4f};
  const std::vector<float> src = {1.0f, -1.0f, 0.5f, 0.0f};
  audio_mix_into(dst.data(), src.data(), 2, 2, 0.35f);
  EXPECT_FLOAT_EQ(dst[0], 0.45f);
  EXPECT_FLOAT_EQ(dst[1], -0.15f);
  EXPECT_FLOAT_EQ(dst[2], 0.475f);
  EXPECT_FLOAT_EQ(dst[3], 0.4f);
}

TEST(AudioOps, RampIsLinearFromG0ToG1) {
  std::vector<float> s(8, 1.0f);  // 4 stereo frames
  audio_apply_ramp(s.data(), 4, 2, 0.0f, 1.0f);
  const float want[4] = {0.0f, 0.25f, 0.5f, 0.75f};
  for (int i = 0; i < 4; ++i) {
    EXPECT_FLOAT_EQ(s[2 * i], want[i]);
    EXPECT_FLOAT_EQ(s[2 * i + 1], want[i]);
  }
  std::vector<float> t(4, 2.0f);
  audio_apply_ramp(t.data(), 4, 1, 0.5f, 0.5f);
  for (float v : t) EXPECT_FLOAT_EQ(v, 1.0f);
}

TEST(AudioLimiter, NeverExceedsTheCeilingOnAHotSignal) {
  AudioLimiter lim(48000, 2, 0.98f);
  auto in = sine(48000, 2, 220.0, 3.0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> spike(-8.0f, 8.0f);
  for (size_t i = 0; i < in.size(); i += 997) in[i] += spike(rng);  // isolated spikes
  for (size_t i = 20000; i < 20010; ++i) in[i] = 50.0f;             // a burst
  std::vector<float> out;
  // Odd block sizes: state carries across calls.
  for (size_t pos = 0; pos < 48000;) {
    const size_t n = std::min<size_t>(48000 - pos, 333);
    lim.process(in.data() + pos * 2, n, out);
    pos += n;
  }
  lim.flush(out);
  ASSERT_EQ(out.size(), in.size());
  float peak = 0;
  for (float v : out) peak = std::max(peak, std::fabs(v));
  EXPECT_LE(peak, 0.98f);
  EXPECT_GT(peak, 0.9f);  // limited, not muted
}

TEST(AudioLimiter, QuietSignalPassesUnchangedAfterTheLatency) {
  AudioLimiter lim(48000, 2);
  EXPECT_EQ(lim.latency_frames(), 240u);  // 5 ms at 48 kHz
  const auto in = sine(10000, 2, 440.0, 0.5);
  std::vector<float> out;
  lim.process(in.data(), 10000, out);
  EXPECT_EQ(out.size(), (10000u - 240u) * 2);
  lim.flush(out);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], in[i]) << i;
}

TEST(AudioLimiter, GainRecoversAfterAPeak) {
  AudioLimiter lim(48000, 1, 0.5f, 5.0f, 20.0f);
  std::vector<float> in(48000, 0.25f);
  in[1000] = 2.0f;
  std::vector<float> out;
  lim.process(in.data(), in.size(), out);
  lim.flush(out);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_LE(std::fabs(out[1000]), 0.5f);
  EXPECT_LT(out[1000 - 100], 0.25f);        // attack starts within the 240-frame look-ahead
  EXPECT_FLOAT_EQ(out[1000 - 250], 0.25f);  // and not before it
  EXPECT_NEAR(out[47000], 0.25f, 1e-4);     // released
}

TEST(AudioLimiter, RejectsBadParameters) {
  EXPECT_THROW(AudioLimiter(0, 2), Error);
  EXPECT_THROW(AudioLimiter(48000, 2, 1.5f), Error);
  EXPECT_THROW(AudioLimiter(48000, 2, 0.9f, -1.0f), Error);
}

}  // namespace
}  // namespace kino::media
