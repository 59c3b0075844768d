// Every input format of the API, made by the ffmpeg CLI: probe, then decode.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "media/media.h"
#include "media_test_util.h"
#include "support/test_dir.h"

namespace kino::media {
namespace {

using kino::testing::TestDir;

const std::string kVideo = "-f lavfi -i testsrc2=s=160x90:r=30:d=1 ";
const std::string kTone = "-f lavfi -i sine=f=440:r=48000:d=1 ";

struct FormatCase {
  std::string name;  // test name and file extension
  std::string args;  // ffmpeg arguments before the output name
  std::string format;
  MediaKind kind;
  bool has_video, has_audio;
  std::string video_codec, audio_codec;
};

std::ostream& operator<<(std::ostream& os, const FormatCase& c) {
  return os << c.name;
}

const FormatCase kCases[] = {
    {"mp4", kVideo + kTone + "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac", "mp4",
     MediaKind::video, true, true, "h264", "aac"},
    {"mov", kVideo + kTone + "-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac", "mov",
     MediaKind::video, true, true, "h264", "aac"},
    {"avi", kVideo + kTone + "-c:v mpeg4 -c:a libmp3lame", "avi", MediaKind::video, true, true,
     "mpeg4", "mp3"},
    {"webm",
     kVideo + kTone + "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k -c:a libopus",
     "webm", MediaKind::video, true, true, "vp9", "opus"},
    {"mkv", kVideo + kTone + "-c:v libx264 -preset ultrafast -c:a aac", "mkv", MediaKind::video,
     true, true, "h264", "aac"},
    {"jpg", kVideo + "-frames:v 1", "jpg", MediaKind::image, true, false, "mjpeg", ""},
    {"png", kVideo + "-frames:v 1", "png", MediaKind::image, true, false, "png", ""},
    {"gif", "-f lavfi -i testsrc2=s=160x90:r=10:d=1", "gif", MediaKind::image, true, false, "gif",
     ""},
    {"webp", kVideo + "-frames:v 1", "webp", MediaKind::image, true, false, "webp", ""},
    {"mp3", kTone + "-c:a libmp3lame", "mp3", MediaKind::audio, false, true, "", "mp3"},
    {"wav", kTone + "-c:a pcm_s16le", "wav", MediaKind::audio, false, true, "", "pcm_s16le"},
    {"m4a", kTone + "-c:a aac", "m4a", MediaKind::audio, false, true, "", "aac"},
    {"aac", kTone + "-c:a aac", "aac", MediaKind::audio, false, true, "", "aac"},
};

class ProbeFormat : public ::testing::TestWithParam<FormatCase> {};

TEST_P(ProbeFormat, DetectsAndDecodes) {
  const FormatCase& c = GetParam();
  TestDir dir("probe-" + c.name);
  const auto path = dir / ("input." + c.name);
  kino::testing::ffmpeg_make(c.args, path);

  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, c.format);
  EXPECT_EQ(info.kind, c.kind);
  EXPECT_EQ(info.has_video, c.has_video);
  EXPECT_EQ(info.has_audio, c.has_audio);
  EXPECT_EQ(info.size_bytes, int64_t(std::filesystem::file_size(path)));
  if (c.has_video) {
    EXPECT_EQ(info.video_codec, c.video_codec);
    EXPECT_EQ(info.width, 160);
    EXPECT_EQ(info.height, 90);
    EXPECT_FALSE(info.pixel_format.empty());
  }
  if (c.has_audio) {
    EXPECT_EQ(info.audio_codec, c.audio_codec);
    EXPECT_EQ(info.sample_rate, 48000);
    EXPECT_EQ(info.channels, 1);
  }
  if (c.kind == MediaKind::video) {
    EXPECT_EQ(info.fps, (Rational{30, 1}));
    EXPECT_NEAR(double(info.duration_ms), 1000.0, 60.0);
    EXPECT_NEAR(double(info.frame_count), 30.0, 1.0);
  } else if (c.kind == MediaKind::audio) {
    EXPECT_NEAR(double(info.duration_ms), 1000.0, 80.0);
  } else if (c.format == "gif") {
    EXPECT_TRUE(info.animated);
    EXPECT_EQ(info.frame_count, 10);
    EXPECT_EQ(info.duration_ms, 1000);
  } else {
    EXPECT_FALSE(info.animated);
    EXPECT_EQ(info.frame_count, 1);
    EXPECT_EQ(info.duration_ms, 0);
  }

  if (c.has_video) {
    VideoDecoder dec(path);
    Frame f;
    int64_t pts = -1, last = -1;
    int frames = 0;
    while (dec.read(f, &pts)) {
      ASSERT_EQ(f.format(), PixelFormat::yuv420p);
      ASSERT_EQ(f.width(), 160);
      ASSERT_EQ(f.height(), 90);
      if (frames == 0) {
        EXPECT_EQ(pts, 0);
      }
      EXPECT_GT(pts, last);
      last = pts;
      ++frames;
    }
    EXPECT_NEAR(frames, info.frame_count, 1);  // estimated for some containers
    // testsrc2 is colourful: the picture is not flat.
    EXPECT_GT(kino::testing::plane_mean(f, 0, 0, 0, 160, 90), 20.0);
  }
  if (c.has_audio) {
    const AudioBuffer audio = decode_audio_file(path);
    EXPECT_EQ(audio.sample_rate, 48000);
    EXPECT_EQ(audio.channels, 2);
    EXPECT_NEAR(double(audio.frames()), 48000.0, 48000.0 * 0.08);
    // ffmpeg's sine source has amplitude 1/8: RMS 0.088, duplicated to both channels.
    EXPECT_NEAR(kino::testing::channel_rms(audio.samples, 2, 0), 0.125 / std::sqrt(2.0), 0.01);
    EXPECT_NEAR(kino::testing::channel_rms(audio.samples, 2, 1), 0.125 / std::sqrt(2.0), 0.01);
  }
}

INSTANTIATE_TEST_SUITE_P(AllApiFormats, ProbeFormat, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

TEST(Probe, DetectsByContentNotByName) {
  TestDir dir("probe-ext");
  const auto png = dir / "picture.png";
  kino::testing::ffmpeg_make(kVideo + "-frames:v 1", png);
  const auto disguised = dir / "picture.mp4";
  std::filesystem::rename(png, disguised);
  const MediaInfo info = probe(disguised);
  EXPECT_EQ(info.format, "png");
  EXPECT_EQ(info.kind, MediaKind::image);

  const auto wav = dir / "tone.wav";
  write_test_tone(wav, 300);
  const auto no_ext = dir / "tone";
  std::filesystem::rename(wav, no_ext);
  EXPECT_EQ(probe(no_ext).format, "wav");
}

TEST(Probe, AnimatedWebp) {
  TestDir dir("probe-webp-anim");
  const auto path = dir / "anim.webp";
  kino::testing::ffmpeg_make("-f lavfi -i testsrc2=s=160x90:r=10:d=1 -loop 0", path);
  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "webp");
  EXPECT_EQ(info.kind, MediaKind::image);
  EXPECT_TRUE(info.animated);
  EXPECT_EQ(info.frame_count, 10);
  EXPECT_EQ(info.duration_ms, 1000);
  EXPECT_EQ(info.width, 160);
  EXPECT_EQ(info.height, 90);

  VideoDecoder dec(path, {.format = PixelFormat::rgba});
  Frame f;
  int64_t pts = 0;
  int n = 0;
  while (dec.read(f, &pts)) {
    EXPECT_EQ(pts, n * 100);
    ++n;
  }
  EXPECT_EQ(n, 10);
  EXPECT_EQ(f.format(), PixelFormat::rgba);
  EXPECT_EQ(f.row(0, 45)[4 * 80 + 3], 255);  // opaque canvas
}

// A half-transparent background with a moving opaque box: libwebp stores frames 2..5 as
// small rectangles over the previous canvas, which the decoder must compose.
TEST(Probe, AnimatedWebpWithAlphaComposesSubFrames) {
  TestDir dir("webp-alpha");
  const auto path = dir / "box.webp";
  kino::testing::ffmpeg_make(
      "-f lavfi -i 'color=c=blue@0.5:s=64x48:r=5:d=1,format=rgba[bg];"
      "color=c=red:s=10x10:r=5:d=1,format=rgba[box];[bg][box]overlay=x=4+t*50:y=10' "
      "-lossless 1 -loop 0",
      path);
  const MediaInfo info = probe(path);
  EXPECT_TRUE(info.animated);
  EXPECT_EQ(info.frame_count, 5);
  VideoDecoder dec(path, {.format = PixelFormat::rgba});
  Frame f;
  int64_t pts = 0;
  auto near = [](const uint8_t* p, int r, int g, int b, int a) {
    return std::abs(p[0] - r) <= 2 && std::abs(p[1] - g) <= 2 && std::abs(p[2] - b) <= 2 &&
           std::abs(p[3] - a) <= 2;
  };
  for (int n = 0; n < 5; ++n) {
    ASSERT_TRUE(dec.read(f, &pts));
    EXPECT_EQ(pts, n * 200);
    EXPECT_TRUE(near(f.row(0, 40) + 4 * 60, 0, 0, 255, 128)) << "background, frame " << n;
    EXPECT_TRUE(near(f.row(0, 15) + 4 * (4 + n * 10 + 5), 255, 0, 0, 255)) << "box, frame " << n;
    if (n > 0) {  // where the box was a frame ago, the background is back
      EXPECT_TRUE(near(f.row(0, 15) + 4 * (4 + (n - 1) * 10 + 2), 0, 0, 255, 128))
          << "trail, frame " << n;
    }
  }
  EXPECT_FALSE(dec.read(f));
  dec.seek(500);
  ASSERT_TRUE(dec.read(f, &pts));
  EXPECT_EQ(pts, 600);
  EXPECT_TRUE(near(f.row(0, 15) + 4 * (4 + 3 * 10 + 5), 255, 0, 0, 255));
}

// WebM written to a pipe (as browsers record it) has no duration in its header.
TEST(Probe, WebmWithoutDurationIsMeasured) {
  TestDir dir("probe-live-webm");
  const auto path = dir / "live.webm";
  const std::string cmd =
      "ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=96x64:r=30:d=1 -f lavfi -i sine=d=1 "
      "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus -f webm pipe:1 > '" +
      path.string() + "'";
  ASSERT_EQ(kino::testing::run_command(cmd), 0);
  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "webm");
  EXPECT_NEAR(double(info.duration_ms), 1000.0, 40.0);
  EXPECT_EQ(info.frame_count, 30);
  VideoDecoder dec(path);
  Frame f;
  int n = 0;
  while (dec.read(f)) ++n;
  EXPECT_EQ(n, 30);
}

TEST(Probe, AnimatedPng) {
  TestDir dir("probe-apng");
  const auto path = dir / "anim.png";
  kino::testing::ffmpeg_make("-f lavfi -i testsrc2=s=64x48:r=10:d=1 -f apng -plays 0", path);
  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "png");
  EXPECT_TRUE(info.animated);
  EXPECT_EQ(info.frame_count, 10);
  EXPECT_EQ(info.duration_ms, 1000);
  VideoDecoder dec(path);
  Frame f;
  int64_t pts = 0;
  int n = 0;
  while (dec.read(f, &pts)) EXPECT_EQ(pts, 100 * n++);
  EXPECT_EQ(n, 10);
}

TEST(Probe, MkvWithWebmCodecsIsStillMkv) {
  TestDir dir("probe-mkv-vp9");
  const auto path = dir / "vp9.mkv";
  kino::testing::ffmpeg_make(kVideo + "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k",
                             path);
  EXPECT_EQ(probe(path).format, "mkv");
}

TEST(Probe, Mp3WithCoverArtIsAudio) {
  TestDir dir("probe-mp3-cover");
  const auto cover = dir / "cover.png";
  kino::testing::ffmpeg_make(kVideo + "-frames:v 1", cover);
  const auto path = dir / "song.mp3";
  kino::testing::ffmpeg_make(kTone + "-i '" + cover.string() +
                                 "' -map 0:a -map 1:v -c:a libmp3lame -c:v png "
                                 "-disposition:v attached_pic",
                             path);
  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "mp3");
  EXPECT_EQ(info.kind, MediaKind::audio);
  EXPECT_FALSE(info.has_video);
}

}  // namespace
}  // namespace kino::media
