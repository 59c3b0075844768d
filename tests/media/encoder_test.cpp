// Encoder round trips: what we write is what probe and the decoders read back.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "core/error.h"
#include "media/media.h"
#include "media_test_util.h"
#include "support/test_dir.h"

namespace kino::media {
namespace {

using kino::testing::TestDir;

// Top-level ISO BMFF box types in file order.
std::vector<std::string> top_level_boxes(const std::vector<uint8_t>& b) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos + 8 <= b.size()) {
    uint64_t size = uint64_t(b[pos]) << 24 | uint64_t(b[pos + 1]) << 16 |
                    uint64_t(b[pos + 2]) << 8 | b[pos + 3];
    out.emplace_back(reinterpret_cast<const char*>(&b[pos + 4]), 4);
    if (size == 1 && pos + 16 <= b.size()) {
      size = 0;
      for (int i = 0; i < 8; ++i) size = size << 8 | b[pos + 8 + i];
    } else if (size == 0) {
      break;
    }
    if (size < 8) break;
    pos += size;
  }
  return out;
}

// A flat frame of one colour with a bright square whose position depends on i.
Frame make_frame(int w, int h, int i) {
  Frame f(PixelFormat::yuv420p, w, h);
  const Yuv bg = rgb_to_yuv(40, 90, 200);
  f.fill(bg.y, bg.u, bg.v);
  const int x0 = (i * 4) % (w - 16);
  for (int y = 10; y < 26; ++y)
    for (int x = x0; x < x0 + 16; ++x) f.row(0, y)[x] = 235;
  return f;
}

std::vector<float> make_tone(size_t frames, int channels, double hz, double amp) {
  std::vector<float> s(frames * size_t(channels));
  for (size_t i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c)
      s[i * size_t(channels) + size_t(c)] =
          float(amp * std::sin(2.0 * std::numbers::pi * hz * double(i) / 48000.0));
  return s;
}

void encode(const std::filesystem::path& path, const EncodeParams& p, int frames,
            size_t audio_frames) {
  Encoder enc(path, p);
  const auto tone = make_tone(audio_frames, p.channels, 440.0, 0.5);
  // Audio in odd-sized pieces: the encoder buffers to its own frame size.
  size_t pos = 0;
  for (int i = 0; i < frames; ++i) {
    enc.write_video(make_frame(p.width, p.height, i));
    const size_t want = std::min(audio_frames - pos, size_t(1601));
    enc.write_audio(tone.data() + pos * size_t(p.channels), want);
    pos += want;
  }
  if (pos < audio_frames)
    enc.write_audio(tone.data() + pos * size_t(p.channels), audio_frames - pos);
  enc.finish();
}

TEST(Encoder, Mp4RoundTrip) {
  TestDir dir("enc-mp4");
  const auto path = dir / "out.mp4";
  EncodeParams p;
  p.width = 160;
  p.height = 90;
  p.quality = Quality::high;
  p.x264_preset = "ultrafast";
  encode(path, p, 30, 48000);

  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "mp4");
  EXPECT_EQ(info.kind, MediaKind::video);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.width, 160);
  EXPECT_EQ(info.height, 90);
  EXPECT_EQ(info.fps, (Rational{30, 1}));
  EXPECT_EQ(info.frame_count, 30);
  EXPECT_NEAR(double(info.duration_ms), 1000.0, 34.0);
  EXPECT_TRUE(info.has_audio);
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_EQ(info.sample_rate, 48000);
  EXPECT_EQ(info.channels, 2);

  // moov before mdat: playable while downloading.
  const auto boxes = top_level_boxes(kino::testing::read_bytes(path));
  const auto moov = std::find(boxes.begin(), boxes.end(), "moov");
  const auto mdat = std::find(boxes.begin(), boxes.end(), "mdat");
  ASSERT_NE(moov, boxes.end());
  ASSERT_NE(mdat, boxes.end());
  EXPECT_LT(moov - boxes.begin(), mdat - boxes.begin());

  // The pictures come back as written (CRF 18: close, not exact).
  VideoDecoder dec(path);
  Frame f;
  int64_t pts = 0;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(dec.read(f, &pts)) << "frame " << i;
    EXPECT_EQ(pts, (i * 1000 + 15) / 30);
    const Frame want = make_frame(160, 90, i);
    for (int plane = 0; plane < 3; ++plane) {
      double diff = 0;
      for (int y = 0; y < f.plane_height(plane); ++y)
        for (int x = 0; x < f.plane_width(plane); ++x)
          diff += std::abs(int(f.row(plane, y)[x]) - int(want.row(plane, y)[x]));
      EXPECT_LT(diff / (f.plane_width(plane) * f.plane_height(plane)), 3.0)
          << "frame " << i << " plane " << plane;
    }
  }
  EXPECT_FALSE(dec.read(f));

  const AudioBuffer audio = decode_audio_file(path);
  EXPECT_NEAR(double(audio.frames()), 48000.0, 1024.0);
  EXPECT_NEAR(kino::testing::channel_rms(audio.samples, 2, 0), 0.5 / std::sqrt(2.0), 0.02);
}

// Noisy frames (so the macroblock tree has work) encoded with freed and new heap blocks filled
// with a different byte each time (glibc's M_PERTURB): the files are the same, so a seed's clip
// is the same clip whatever the process did before.
TEST(Encoder, Mp4IsTheSameWhateverTheHeapHeld) {
  TestDir dir("enc-repeat");
  std::mt19937 rng(5);
  std::vector<Frame> frames;
  for (int i = 0; i < 12; ++i) {
    Frame f = make_frame(320, 240, i);
    for (int p = 0; p < 3; ++p)
      for (int y = 0; y < f.plane_height(p); ++y)
        for (int x = 0; x < f.plane_width(p); ++x) f.row(p, y)[x] += uint8_t(rng() % 24);
    frames.push_back(std::move(f));
  }
  EncodeParams p;
  p.width = 320;
  p.height = 240;
  p.audio = false;
  std::vector<std::vector<uint8_t>> files;
  const int perturb[] = {0, 1, 85, 170};
  for (int run = 0; run < 4; ++run) {
    mallopt(M_PERTURB, perturb[run]);
    const auto path = dir / ("run" + std::to_string(run) + ".mp4");
    {
      Encoder enc(path, p);
      for (const Frame& f : frames) enc.write_video(f);
      enc.finish();
    }
    mallopt(M_PERTURB, 0);
    files.push_back(kino::testing::read_bytes(path));
  }
  for (int run = 1; run < 4; ++run) EXPECT_EQ(files[0], files[size_t(run)]) << "run " << run;
}

TEST(Encoder, WebmRoundTrip) {
  TestDir dir("enc-webm");
  const auto path = dir / "out.webm";
  EncodeParams p;
  p.format = ContainerFormat::webm;
  p.width = 160;
  p.height = 90;
  p.quality = Quality::low;
  encode(path, p, 15, 24000);
  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "webm");
  EXPECT_EQ(info.video_codec, "vp9");
  EXPECT_EQ(info.audio_codec, "opus");
  EXPECT_EQ(info.sample_rate, 48000);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.width, 160);
  EXPECT_NEAR(double(info.duration_ms), 500.0, 34.0);
  VideoDecoder dec(path);
  Frame f;
  int n = 0;
  while (dec.read(f)) ++n;
  EXPECT_EQ(n, 15);
}

TEST(Encoder, GifRoundTrip) {
  TestDir dir("enc-gif");
  const auto path = dir / "out.gif";
  EncodeParams p;
  p.format = ContainerFormat::gif;
  p.width = 81;  // odd sizes are fine for gif
  p.height = 45;
  p.fps = {10, 1};
  encode(path, p, 10, 4800);  // audio is ignored for gif
  const MediaInfo info = probe(path);
  EXPECT_EQ(info.format, "gif");
  EXPECT_EQ(info.kind, MediaKind::image);
  EXPECT_TRUE(info.animated);
  EXPECT_EQ(info.frame_count, 10);
  EXPECT_EQ(info.duration_ms, 1000);
  EXPECT_EQ(info.width, 81);
  EXPECT_FALSE(info.has_audio);
  // Colour survives the palette within dithering error.
  VideoDecoder dec(path, {.format = PixelFormat::rgba});
  Frame f;
  ASSERT_TRUE(dec.read(f));
  double r = 0, g = 0, b = 0;
  for (int y = 30; y < 45; ++y)
    for (int x = 0; x < 81; ++x) {
      r += f.row(0, y)[4 * x], g += f.row(0, y)[4 * x + 1], b += f.row(0, y)[4 * x + 2];
    }
  const double n = 15 * 81;
  EXPECT_NEAR(r / n, 40, 8);
  EXPECT_NEAR(g / n, 90, 8);
  EXPECT_NEAR(b / n, 200, 8);
}

TEST(Encoder, DestroyedWithoutFinishLeavesNoFile) {
  TestDir dir("enc-abandon");
  const auto path = dir / "partial.mp4";
  {
    EncodeParams p;
    p.width = 160;
    p.height = 90;
    p.x264_preset = "ultrafast";
    Encoder enc(path, p);
    for (int i = 0; i < 5; ++i) enc.write_video(make_frame(160, 90, i));
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Encoder, BadPathIsAnInternalErrorNamingThePath) {
  TestDir dir("enc-badpath");
  const auto path = dir / "no-such-dir" / "out.mp4";
  EncodeParams p;
  p.width = 160;
  p.height = 90;
  try {
    Encoder enc(path, p);
    ADD_FAILURE() << "opened a file in a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos) << e.what();
  }
}

TEST(Encoder, DiskFullIsAnInternalErrorNamingThePath) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  EncodeParams p;
  p.width = 320;
  p.height = 180;
  p.x264_preset = "ultrafast";
  try {
    Encoder enc("/dev/full", p);
    for (int i = 0; i < 60; ++i) enc.write_video(make_frame(320, 180, i));
    enc.finish();
    ADD_FAILURE() << "writing to a full disk succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::exists("/dev/full"));  // devices are never removed
}

TEST(Encoder, RejectsBadParamsAndFrames) {
  TestDir dir("enc-params");
  EncodeParams p;
  p.width = 161;
  p.height = 90;
  EXPECT_THROW(Encoder(dir / "odd.mp4", p), Error);
  p.width = 160;
  p.fps = {0, 1};
  EXPECT_THROW(Encoder(dir / "fps.mp4", p), Error);
  p.fps = {30, 1};
  p.x264_preset = "warpspeed";
  EXPECT_THROW(Encoder(dir / "preset.mp4", p), Error);
  p.x264_preset = "ultrafast";
  Encoder enc(dir / "ok.mp4", p);
  try {
    enc.write_video(Frame(PixelFormat::yuv420p, 80, 90));
    ADD_FAILURE() << "wrong frame size accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("80x90"), std::string::npos) << e.what();
  }
}

TEST(Encoder, NoAudioWrittenGivesASilentTrack) {
  TestDir dir("enc-silent");
  const auto path = dir / "silent.mp4";
  EncodeParams p;
  p.width = 160;
  p.height = 90;
  p.x264_preset = "ultrafast";
  encode(path, p, 15, 0);
  const MediaInfo info = probe(path);
  EXPECT_TRUE(info.has_audio);
  const AudioBuffer audio = decode_audio_file(path);
  EXPECT_NEAR(double(audio.frames()), 24000.0, 1024.0);
  EXPECT_EQ(kino::testing::channel_rms(audio.samples, 2, 0), 0.0);

  Encoder empty(dir / "empty.mp4", p);
  EXPECT_THROW(empty.finish(), Error);
}

TEST(Encoder, NamesParseBothWays) {
  for (auto f : {ContainerFormat::mp4, ContainerFormat::webm, ContainerFormat::gif})
    EXPECT_EQ(container_format_parse(container_format_name(f)), f);
  for (auto q : {Quality::high, Quality::medium, Quality::low})
    EXPECT_EQ(quality_parse(quality_name(q)), q);
  EXPECT_FALSE(container_format_parse("avi"));
  EXPECT_FALSE(quality_parse("best"));
}

TEST(TestSource, ClipImageAndToneProbe) {
  TestDir dir("testsrc");
  write_test_clip(dir / "clip.mp4", {.width = 320, .height = 180, .duration_ms = 1000});
  MediaInfo clip = probe(dir / "clip.mp4");
  EXPECT_EQ(clip.width, 320);
  EXPECT_EQ(clip.frame_count, 30);
  EXPECT_TRUE(clip.has_audio);
  write_test_clip(
      dir / "clip.webm",
      {.width = 160, .height = 90, .duration_ms = 300, .format = ContainerFormat::webm});
  EXPECT_EQ(probe(dir / "clip.webm").format, "webm");

  write_test_image(dir / "still.png", 99, 51);
  write_test_image(dir / "still.jpg", 64, 48);
  const MediaInfo png = probe(dir / "still.png");
  EXPECT_EQ(png.format, "png");
  EXPECT_EQ(png.width, 99);
  EXPECT_EQ(png.height, 51);
  EXPECT_EQ(probe(dir / "still.jpg").format, "jpg");
  EXPECT_THROW(write_test_image(dir / "still.bmp", 64, 48), Error);

  write_test_tone(dir / "tone.wav", 500, 1000.0, 0.25, 44100, 1);
  const MediaInfo tone = probe(dir / "tone.wav");
  EXPECT_EQ(tone.audio_codec, "pcm_s16le");
  EXPECT_EQ(tone.sample_rate, 44100);
  EXPECT_EQ(tone.channels, 1);
  EXPECT_EQ(tone.duration_ms, 500);
}

}  // namespace
}  // namespace kino::media
