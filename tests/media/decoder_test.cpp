// Video and audio decoding: pixel formats, colour, sizes, seeking.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>

#include "core/error.h"
#include "media/media.h"
#include "media_test_util.h"
#include "support/test_dir.h"

namespace kino::media {
namespace {

using kino::testing::plane_mean;
using kino::testing::TestDir;

// Reads the 16-bit frame counter that write_test_clip draws along the bottom edge.
int read_counter(const Frame& f) {
  const int bit = f.width() / 16, strip = std::max(2, f.height() / 16);
  int v = 0;
  for (int b = 0; b < 16; ++b) {
    const double m = plane_mean(f, 0, b * bit + bit / 4, f.height() - strip + strip / 4,
                                b * bit + 3 * bit / 4, f.height() - strip / 4);
    v = v << 1 | (m > 128 ? 1 : 0);
  }
  return v;
}

struct ColorSource {
  std::string name, ext, args;
};

class DecodeColour : public ::testing::TestWithParam<ColorSource> {};

// A flat 0x4080C0 picture in many pixel formats decodes to the same BT.709 YUV.
TEST_P(DecodeColour, FlatColourSurvivesEverySourceFormat) {
  const ColorSource& c = GetParam();
  TestDir dir("colour-" + c.name);
  const auto path = dir / ("src." + c.ext);
  // (lavfi's colour source rounds sizes to even; scale makes the odd size.)
  kino::testing::ffmpeg_make("-f lavfi -i color=c=0x4080C0:s=160x90:r=10:d=0.3 " + c.args, path);
  VideoDecoder dec(path);
  EXPECT_EQ(dec.info().width, 161);
  EXPECT_EQ(dec.info().height, 91);
  Frame f;
  ASSERT_TRUE(dec.read(f));
  ASSERT_EQ(f.width(), 161);
  ASSERT_EQ(f.height(), 91);
  const Yuv want = rgb_to_yuv(0x40, 0x80, 0xC0);
  EXPECT_NEAR(plane_mean(f, 0, 0, 0, 161, 91), want.y, 3.0);
  EXPECT_NEAR(plane_mean(f, 1, 0, 0, 81, 46), want.u, 3.0);
  EXPECT_NEAR(plane_mean(f, 2, 0, 0, 81, 46), want.v, 3.0);

  VideoDecoder rgba(path, {.format = PixelFormat::rgba});
  ASSERT_TRUE(rgba.read(f));
  const uint8_t* px = f.row(0, 45) + 4 * 80;
  EXPECT_NEAR(px[0], 0x40, 4);
  EXPECT_NEAR(px[1], 0x80, 4);
  EXPECT_NEAR(px[2], 0xC0, 4);
  EXPECT_EQ(px[3], 255);
}

INSTANTIATE_TEST_SUITE_P(
    SourceFormats, DecodeColour,
    ::testing::Values(
        ColorSource{"yuv444p", "mkv", "-vf scale=161:91 -c:v ffv1 -pix_fmt yuv444p"},
        ColorSource{"yuv420p10", "mkv", "-vf scale=161:91 -c:v ffv1 -pix_fmt yuv420p10le"},
        ColorSource{"bt709_tagged", "mkv",
                    "-vf scale=161:91:out_color_matrix=bt709 -c:v ffv1 -pix_fmt yuv420p "
                    "-colorspace bt709"},
        ColorSource{"rgb24", "png", "-vf scale=161:91 -frames:v 1 -pix_fmt rgb24"},
        ColorSource{"pal8", "gif",
                    "-vf 'scale=161:91,split[a][b];[a]palettegen[p];[b][p]paletteuse'"},
        ColorSource{"jpeg_full_range", "jpg", "-vf scale=161:91 -frames:v 1 -q:v 2"}),
    [](const auto& info) { return info.param.name; });

TEST(VideoDecoder, AlphaFromPngIsKept) {
  TestDir dir("alpha");
  const auto path = dir / "half.png";
  kino::testing::ffmpeg_make("-f lavfi -i color=c=red@0.5:s=64x48,format=rgba -frames:v 1", path);
  Frame f;
  VideoDecoder yuva(path, {.format = PixelFormat::yuva420p});
  ASSERT_TRUE(yuva.read(f));
  ASSERT_EQ(f.format(), PixelFormat::yuva420p);
  EXPECT_NEAR(plane_mean(f, 3, 0, 0, 64, 48), 128, 2);
  EXPECT_NEAR(plane_mean(f, 0, 0, 0, 64, 48), rgb_to_yuv(255, 0, 0).y, 2);

  VideoDecoder rgba(path, {.format = PixelFormat::rgba});
  ASSERT_TRUE(rgba.read(f));
  const uint8_t* px = f.row(0, 10) + 40;
  EXPECT_EQ(px[0], 255);
  EXPECT_EQ(px[1], 0);
  EXPECT_EQ(px[2], 0);
  EXPECT_NEAR(px[3], 128, 1);

  // Without alpha in the source, yuva420p output is opaque.
  const auto opaque = dir / "opaque.png";
  write_test_image(opaque, 64, 48);
  VideoDecoder o(opaque, {.format = PixelFormat::yuva420p});
  ASSERT_TRUE(o.read(f));
  EXPECT_EQ(plane_mean(f, 3, 0, 0, 64, 48), 255.0);
}

TEST(VideoDecoder, ScalesToTheRequestedSize) {
  TestDir dir("scale");
  const auto path = dir / "clip.mp4";
  write_test_clip(path, {.width = 320, .height = 180, .duration_ms = 200, .audio = false});
  VideoDecoder dec(path, {.width = 97, .height = 55});
  Frame f;
  int n = 0;
  while (dec.read(f)) {
    EXPECT_EQ(f.width(), 97);
    EXPECT_EQ(f.height(), 55);
    ++n;
  }
  EXPECT_EQ(n, 6);
  EXPECT_THROW(VideoDecoder(path, {.width = 97}), Error);
}

TEST(VideoDecoder, TestClipColoursAndCounter) {
  TestDir dir("bars");
  const auto path = dir / "bars.mp4";
  write_test_clip(path, {.width = 320, .height = 180, .duration_ms = 400, .audio = false});
  VideoDecoder dec(path);
  Frame f;
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(dec.read(f));
    EXPECT_EQ(read_counter(f), i);
  }
  // The third bar (cyan, 75%) at the top of the picture.
  const Yuv cyan = rgb_to_yuv(0, 191, 191);
  EXPECT_NEAR(plane_mean(f, 0, 2 * 320 / 7 + 4, 4, 3 * 320 / 7 - 4, 30), cyan.y, 2.0);
  EXPECT_NEAR(plane_mean(f, 1, 320 / 7 + 2, 2, 3 * 320 / 14 - 2, 15), cyan.u, 2.0);
}

TEST(VideoDecoder, SeekIsFrameAccurate) {
  TestDir dir("seek");
  const auto path = dir / "clip.mp4";
  write_test_clip(path, {.width = 320, .height = 180, .duration_ms = 3000, .audio = false});
  VideoDecoder dec(path);
  Frame f;
  int64_t pts = -1;
  struct Case {
    int64_t ms;
    int frame;
  };
  for (Case c : {Case{1000, 30}, Case{517, 16}, Case{2500, 75}, Case{0, 0}, Case{2999, 90},
                 Case{33, 1}, Case{34, 2}}) {
    dec.seek(c.ms);
    if (c.frame >= 90) {
      EXPECT_FALSE(dec.read(f, &pts)) << "seek " << c.ms;
      continue;
    }
    ASSERT_TRUE(dec.read(f, &pts)) << "seek " << c.ms;
    EXPECT_EQ(read_counter(f), c.frame) << "seek " << c.ms;
    EXPECT_EQ(pts, (c.frame * 1000 + 15) / 30) << "seek " << c.ms;
    ASSERT_TRUE(dec.read(f, &pts));
    EXPECT_EQ(read_counter(f), c.frame + 1) << "after seek " << c.ms;
  }
}

class SeekContainer : public ::testing::TestWithParam<std::string> {};

// The same 2 s counter clip in every video container: seeks land on the exact frame.
TEST_P(SeekContainer, SeekLandsOnTheRequestedFrame) {
  const std::string ext = GetParam();
  TestDir dir("seek-" + ext);
  const auto mp4 = dir / "clip.mp4";
  write_test_clip(mp4, {.width = 320, .height = 180, .duration_ms = 2000, .audio = false});
  auto path = mp4;
  if (ext == "webm") {
    path = dir / "clip.webm";
    write_test_clip(path, {.width = 320,
                           .height = 180,
                           .duration_ms = 2000,
                           .audio = false,
                           .format = ContainerFormat::webm});
  } else if (ext != "mp4") {
    path = dir / ("clip." + ext);
    kino::testing::ffmpeg_make(
        "-i '" + mp4.string() + "' " + (ext == "avi" ? "-c:v mpeg4 -q:v 2 -g 25" : "-c copy"),
        path);
  }
  VideoDecoder dec(path);
  Frame f;
  int64_t pts = -1;
  for (auto [ms, frame] : {std::pair{1000, 30}, {517, 16}, {1500, 45}, {0, 0}, {1967, 59}}) {
    dec.seek(ms);
    ASSERT_TRUE(dec.read(f, &pts)) << ext << " seek " << ms;
    EXPECT_EQ(read_counter(f), frame) << ext << " seek " << ms;
    EXPECT_EQ(pts, (frame * 1000 + 15) / 30) << ext << " seek " << ms;
  }
}

INSTANTIATE_TEST_SUITE_P(VideoContainers, SeekContainer,
                         ::testing::Values("mp4", "mov", "mkv", "avi", "webm"),
                         [](const auto& info) { return info.param; });

TEST(VideoDecoder, StillImageReturnsAgainAfterSeek) {
  TestDir dir("still-seek");
  const auto path = dir / "still.jpg";
  write_test_image(path, 64, 48);
  VideoDecoder dec(path);
  Frame f;
  ASSERT_TRUE(dec.read(f));
  EXPECT_FALSE(dec.read(f));
  dec.seek(1500);
  ASSERT_TRUE(dec.read(f));
  EXPECT_EQ(f.width(), 64);
}

TEST(VideoDecoder, AnimatedGifSeek) {
  TestDir dir("gif-seek");
  const auto path = dir / "anim.gif";
  kino::testing::ffmpeg_make("-f lavfi -i testsrc2=s=160x90:r=10:d=1", path);
  VideoDecoder dec(path);
  Frame f;
  int64_t pts = -1;
  dec.seek(450);
  ASSERT_TRUE(dec.read(f, &pts));
  EXPECT_EQ(pts, 500);
  dec.seek(0);
  ASSERT_TRUE(dec.read(f, &pts));
  EXPECT_EQ(pts, 0);
}

TEST(VideoDecoder, SeveralDecodersInParallelThreads) {
  TestDir dir("parallel");
  const auto path = dir / "clip.mp4";
  write_test_clip(path, {.width = 160, .height = 90, .duration_ms = 1000});
  int counts[4] = {0, 0, 0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      VideoDecoder dec(path);
      AudioDecoder audio(path);
      std::vector<float> s;
      Frame f;
      while (dec.read(f)) {
        ++counts[t];
        audio.read(s, 1600);
      }
    });
  for (auto& th : threads) th.join();
  for (int c : counts) EXPECT_EQ(c, 30);
}

TEST(AudioDecoder, SeekIsSampleAccurate) {
  TestDir dir("audio-seek");
  const auto path = dir / "tone.wav";
  write_test_tone(path, 2000, 1000.0, 0.5);
  const AudioBuffer full = decode_audio_file(path);
  ASSERT_EQ(full.frames(), 96000u);
  AudioDecoder dec(path);
  for (int64_t ms : {500, 1234, 10, 1999}) {
    dec.seek(ms);
    std::vector<float> got;
    const size_t n = dec.read(got, 2400);
    const size_t start = size_t(ms) * 48;
    ASSERT_EQ(n, std::min<size_t>(2400, 96000 - start)) << "seek " << ms;
    float worst = 0;
    for (size_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::fabs(got[i] - full.samples[start * 2 + i]));
    EXPECT_LT(worst, 1e-6) << "seek " << ms;
  }
}

TEST(AudioDecoder, SeekInCompressedAudio) {
  TestDir dir("audio-seek-aac");
  const auto path = dir / "clip.mp4";
  write_test_clip(path, {.width = 160, .height = 90, .duration_ms = 2000, .tone_hz = 300.0});
  const AudioBuffer full = decode_audio_file(path);
  AudioDecoder dec(path);
  dec.seek(1200);
  std::vector<float> got;
  ASSERT_EQ(dec.read(got, 4800), 4800u);
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) err += std::fabs(got[i] - full.samples[1200 * 96 + i]);
  EXPECT_LT(err / double(got.size()), 1e-3);
}

// Sound that starts after (or before) the pictures keeps its place relative to them.
TEST(AudioDecoder, TimeZeroIsTheVideoStart) {
  TestDir dir("audio-origin");
  const auto late = dir / "late.mkv";
  kino::testing::ffmpeg_make(
      "-f lavfi -i testsrc2=s=96x64:r=10:d=2 -itsoffset 0.5 -f lavfi -i "
      "sine=f=440:r=48000:d=1 -c:v ffv1 -c:a pcm_s16le",
      late);
  AudioBuffer a = decode_audio_file(late);
  ASSERT_NEAR(double(a.frames()), 72000.0, 100.0);  // 0.5 s silence + 1 s tone
  EXPECT_EQ(kino::testing::channel_rms({a.samples.begin(), a.samples.begin() + 47000}, 2, 0), 0.0);
  EXPECT_GT(kino::testing::channel_rms({a.samples.begin() + 49000, a.samples.end()}, 2, 0), 0.08);
  AudioDecoder seeker(late);
  seeker.seek(250);  // into the silence: it continues for 250 ms, then the tone
  std::vector<float> s;
  ASSERT_EQ(seeker.read(s, 24000), 24000u);
  for (size_t i = 0; i < 2 * 11900; ++i) ASSERT_EQ(s[i], 0.0f) << i;
  for (size_t i = 0; i < 24000 * 2; ++i) ASSERT_EQ(s[i], a.samples[12000 * 2 + i]) << i;

  const auto early = dir / "early.mkv";
  kino::testing::ffmpeg_make(
      "-itsoffset 0.3 -f lavfi -i testsrc2=s=96x64:r=10:d=2 -f lavfi -i "
      "sine=f=440:r=48000:d=1 -c:v ffv1 -c:a pcm_s16le",
      early);
  a = decode_audio_file(early);
  EXPECT_NEAR(double(a.frames()), 33600.0, 100.0);  // the first 0.3 s lie before the video
  VideoDecoder v(early);
  Frame f;
  int64_t pts = -1;
  ASSERT_TRUE(v.read(f, &pts));
  EXPECT_EQ(pts, 0);
}

TEST(AudioDecoder, MonoIsDuplicatedAndRateConverted) {
  TestDir dir("audio-mono");
  const auto path = dir / "mono.wav";
  write_test_tone(path, 1000, 440.0, 0.5, 44100, 1);
  const AudioBuffer out = decode_audio_file(path);
  EXPECT_EQ(out.sample_rate, 48000);
  EXPECT_EQ(out.channels, 2);
  EXPECT_NEAR(double(out.frames()), 48000.0, 2.0);
  for (size_t i = 0; i < out.frames(); ++i)
    ASSERT_EQ(out.samples[2 * i], out.samples[2 * i + 1]) << "frame " << i;
  EXPECT_NEAR(kino::testing::channel_rms(out.samples, 2, 0), 0.5 / std::sqrt(2.0), 0.01);

  const AudioBuffer mono = decode_audio_file(path, {.sample_rate = 16000, .channels = 1});
  EXPECT_EQ(mono.channels, 1);
  EXPECT_NEAR(double(mono.frames()), 16000.0, 2.0);
  EXPECT_THROW(decode_audio_file(path, {.sample_rate = 0}), Error);
}

}  // namespace
}  // namespace kino::media
