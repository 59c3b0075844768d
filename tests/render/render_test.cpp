// Renders small drafts made of generated media and checks the output by decoding it.
#include "render/render.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/media.h"
#include "render/text_renderer.h"
#include "support/test_dir.h"
#include "timeline/timeline.h"

namespace kino::render {
namespace {

using media::Frame;
using media::PixelFormat;
using timeline::Draft;
using timeline::Segment;
using timeline::Track;
using timeline::TrackType;

class RenderTest : public ::testing::Test {
 protected:
  RenderTest() : dir_("render") {}

  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  MediaResolver resolver() const {
    return [this](const std::string& source) { return dir_ / source; };
  }

  std::string clip(const std::string& name, int w, int h, int64_t ms, bool audio, double hz = 440.0,
                   double amplitude = 0.5) {
    media::TestClipParams p;
    p.width = w;
    p.height = h;
    p.duration_ms = ms;
    p.audio = audio;
    p.tone_hz = hz;
    p.tone_amplitude = amplitude;
    media::write_test_clip(path(name), p);
    return name;
  }

  // A clip of solid colours, without sound: `frames` of each colour in turn.
  std::string solid_clip(const std::string& name, std::vector<media::Yuv> colors, int frames) {
    media::EncodeParams p;
    p.width = 320;
    p.height = 180;
    p.audio = false;
    media::Encoder enc(path(name), p);
    Frame f(PixelFormat::yuv420p, 320, 180);
    for (const media::Yuv& c : colors) {
      f.fill(c.y, c.u, c.v);
      for (int i = 0; i < frames; ++i) enc.write_video(f);
    }
    enc.finish();
    return name;
  }
  std::string solid_clip(const std::string& name, uint8_t r, uint8_t g, uint8_t b, int frames) {
    return solid_clip(name, {media::rgb_to_yuv(r, g, b)}, frames);
  }

  static Draft draft(int w, int h) {
    Draft d;
    d.canvas.width = w;
    d.canvas.height = h;
    return d;
  }

  static Segment seg(const std::string& source, int64_t start, int64_t duration) {
    Segment s;
    static int next_id = 0;
    s.id = "s" + std::to_string(++next_id);
    s.source = source;
    s.start_ms = start;
    s.duration_ms = duration;
    return s;
  }

  static Track track(TrackType type, std::vector<Segment> segments, const std::string& id) {
    Track t;
    t.id = id;
    t.type = type;
    t.segments = std::move(segments);
    return t;
  }

  RenderResult run(const Draft& d, const std::string& out, RenderParams params = {}) {
    params.quality = media::Quality::high;
    params.x264_preset = "ultrafast";
    return render(d, resolver(), path(out), params);
  }

  // Frame `index` of a rendered file.
  Frame frame_at(const std::string& file, int index) {
    media::VideoDecoder dec(path(file));
    Frame f;
    for (int i = 0; i <= index; ++i)
      if (!dec.read(f)) ADD_FAILURE() << file << " has no frame " << index;
    return f;
  }

  // RMS of a decoded file's audio between from_ms and to_ms.
  double rms(const std::string& file, int64_t from_ms, int64_t to_ms, float* peak = nullptr) {
    media::AudioBuffer a = media::decode_audio_file(path(file));
    const size_t b = size_t(from_ms * 48) * 2,
                 e = std::min(size_t(to_ms * 48) * 2, a.samples.size());
    double sum = 0;
    float p = 0;
    for (size_t i = b; i < e; ++i) {
      sum += double(a.samples[i]) * a.samples[i];
      p = std::max(p, std::fabs(a.samples[i]));
    }
    if (peak) *peak = p;
    return e > b ? std::sqrt(sum / double(e - b)) : 0.0;
  }

  static double mean_luma(const Frame& f, int x, int y, int w, int h) {
    double sum = 0;
    for (int j = y; j < y + h; ++j)
      for (int i = x; i < x + w; ++i) sum += f.row(0, j)[i];
    return sum / (double(w) * h);
  }

  testing::TestDir dir_;
};

TEST_F(RenderTest, OutputHasTheCanvasSizeRateDurationAndSound) {
  clip("a.mp4", 320, 180, 2000, true);
  Draft d = draft(180, 320);
  Segment s = seg("a.mp4", 0, 2000);
  s.fit = timeline::FitMode::blur_pad;
  d.tracks.push_back(track(TrackType::video, {s}, "v"));
  Progress last;
  int calls = 0;
  RenderParams params;
  params.progress = [&](const Progress& p) {
    last = p;
    ++calls;
  };
  RenderResult r = run(d, "out.mp4", params);
  EXPECT_EQ(r.frames, 60);
  EXPECT_EQ(r.width, 180);
  EXPECT_EQ(r.height, 320);
  EXPECT_EQ(last.done, 60);
  EXPECT_EQ(last.total, 60);
  EXPECT_EQ(calls, 60);
  EXPECT_FALSE(std::filesystem::exists(path("out.mp4.part")));

  media::MediaInfo info = media::probe(path("out.mp4"));
  EXPECT_EQ(info.format, "mp4");
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.width, 180);
  EXPECT_EQ(info.height, 320);
  EXPECT_EQ(info.fps, (Rational{30, 1}));
  EXPECT_NEAR(double(info.duration_ms), 2000.0, 34.0);
  EXPECT_TRUE(info.has_audio);
  EXPECT_EQ(info.sample_rate, 48000);
  EXPECT_EQ(info.channels, 2);
  media::AudioBuffer audio = media::decode_audio_file(path("out.mp4"));
  EXPECT_NEAR(double(audio.frames()), 96000.0, 2048.0);
  // The clip's own 440 Hz tone at amplitude 0.5 (RMS 0.354) comes through.
  EXPECT_NEAR(rms("out.mp4", 200, 1800), 0.354, 0.03);
}

TEST_F(RenderTest, BlurPadLeavesNoBarsContainDoesCoverDoesNot) {
  clip("wide.mp4", 320, 180, 500, false);
  auto render_fit = [&](timeline::FitMode fit, const std::string& out) {
    Draft d = draft(180, 320);
    Segment s = seg("wide.mp4", 0, 500);
    s.fit = fit;
    d.tracks.push_back(track(TrackType::video, {s}, "v"));
    run(d, out);
    return frame_at(out, 7);
  };
  const Frame pad = render_fit(timeline::FitMode::blur_pad, "pad.mp4");
  const Frame contain = render_fit(timeline::FitMode::contain, "contain.mp4");
  const Frame cover = render_fit(timeline::FitMode::cover, "cover.mp4");
  // The canvas is black (luma 16); the test pattern has no black rows above its bottom strip.
  for (int y : {4, 60, 250, 312}) {
    EXPECT_GT(mean_luma(pad, 0, y, 180, 4), 24.0) << "blur-pad row " << y;
    EXPECT_LT(mean_luma(contain, 0, y, 180, 4), 20.0) << "contain row " << y;
    EXPECT_GT(mean_luma(cover, 0, y, 180, 4), 24.0) << "cover row " << y;
  }
  // The middle shows the picture in all three.
  EXPECT_GT(mean_luma(contain, 0, 150, 180, 20), 30.0);
  // Blur-pad's background is smooth: neighbouring pixels near the top barely differ.
  double rough = 0;
  for (int x = 1; x < 180; ++x) rough += std::abs(pad.row(0, 10)[x] - pad.row(0, 10)[x - 1]);
  EXPECT_LT(rough / 179, 3.0);
}

TEST_F(RenderTest, TitleIsVisibleInItsBox) {
  Draft d = draft(320, 180);
  d.canvas.background = timeline::Color{20, 40, 90, 255};
  Segment title = seg("", 0, 1000);
  title.text = "KINO";
  title.style.size = 48;
  title.style.box = timeline::Color{255, 200, 0, 255};
  d.tracks.push_back(track(TrackType::text, {title}, "t"));
  run(d, "title.mp4");

  TextRenderer tr;
  TextImage img = tr.render(title.text, title.style, 320, 180);
  ASSERT_FALSE(img.image.empty());
  const Frame f = frame_at("title.mp4", 15);
  const double inside =
      mean_luma(f, img.x + 4, img.y + 4, img.image.width() - 8, img.image.height() - 8);
  const double background = mean_luma(f, 0, 0, 320, 8);
  EXPECT_NEAR(background, media::rgb_to_yuv(20, 40, 90).y, 3.0);
  EXPECT_GT(inside - background, 40.0);
}

TEST_F(RenderTest, TitleScalesWithASmallerOutput) {
  Draft d = draft(640, 360);
  Segment title = seg("", 0, 300);
  title.text = "KINO";
  title.style.size = 96;
  title.style.box = timeline::Color{255, 255, 255, 255};
  d.tracks.push_back(track(TrackType::text, {title}, "t"));
  RenderParams half;
  half.width = 320;
  half.height = 180;
  run(d, "half.mp4", half);
  // The box at half size: as wide as the title drawn at size 48 on a 320x180 canvas.
  timeline::TextStyle small = title.style;
  small.size = 48;
  small.box_padding /= 2;
  TextRenderer tr;
  const TextImage img = tr.render(title.text, small, 320, 180);
  const Frame f = frame_at("half.mp4", 3);
  const int row = img.y + img.image.height() / 2;
  int white = 0;
  for (int x = 0; x < 320; ++x) white += f.row(0, row)[x] > 200;
  EXPECT_NEAR(white, img.image.width(), 8);  // unscaled it would be twice as wide
}

TEST_F(RenderTest, TitleFadesIn) {
  Draft d = draft(320, 180);
  Segment title = seg("", 0, 1000);
  title.text = "FADE";
  title.style.size = 60;
  title.style.box = timeline::Color{255, 255, 255, 255};
  title.fade_in_ms = 500;
  d.tracks.push_back(track(TrackType::text, {title}, "t"));
  run(d, "fade.mp4");
  TextRenderer tr;
  TextImage img = tr.render(title.text, title.style, 320, 180);
  auto level = [&](int n) {
    return mean_luma(frame_at("fade.mp4", n), img.x + 2, img.y + 2, 8, 8);
  };
  const double a = level(1), b = level(7), c = level(20);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_GT(c, 200.0);
}

TEST_F(RenderTest, BgmAt35PercentMeasures35PercentOfFull) {
  clip("silent.mp4", 320, 180, 2000, false);
  media::write_test_tone(path("bgm.wav"), 3000, 220.0, 0.5);
  auto render_bgm = [&](double volume, const std::string& out) {
    Draft d = draft(320, 180);
    d.tracks.push_back(track(TrackType::video, {seg("silent.mp4", 0, 2000)}, "v"));
    Segment bgm = seg("bgm.wav", 0, 2000);
    bgm.volume = volume;
    d.tracks.push_back(track(TrackType::audio, {bgm}, "a"));
    run(d, out);
    return rms(out, 200, 1800);
  };
  const double full = render_bgm(1.0, "full.mp4");
  const double part = render_bgm(0.35, "part.mp4");
  EXPECT_NEAR(full, 0.354, 0.03);
  EXPECT_NEAR(part / full, 0.35, 0.02);
}

TEST_F(RenderTest, BgmFadesIn) {
  clip("quiet.mp4", 320, 180, 2000, false);
  media::write_test_tone(path("bgm.wav"), 2000, 220.0, 0.5);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("quiet.mp4", 0, 2000)}, "v"));
  Segment bgm = seg("bgm.wav", 0, 2000);
  bgm.fade_in_ms = 1000;
  d.tracks.push_back(track(TrackType::audio, {bgm}, "a"));
  run(d, "fadein.mp4");
  const double start = rms("fadein.mp4", 0, 200), middle = rms("fadein.mp4", 400, 600);
  const double full = rms("fadein.mp4", 1200, 1800);
  EXPECT_NEAR(full, 0.354, 0.03);
  EXPECT_LT(start, 0.15 * full);
  EXPECT_NEAR(middle / full, 0.5, 0.08);
}

TEST_F(RenderTest, ClipSoundAndBgmMixAndMutingDropsTheClip) {
  clip("tone.mp4", 320, 180, 2000, true, 440.0, 0.5);
  media::write_test_tone(path("bgm.wav"), 1000, 220.0, 0.5);
  auto render_mix = [&](bool muted, const std::string& out) {
    Draft d = draft(320, 180);
    d.tracks.push_back(track(TrackType::video, {seg("tone.mp4", 0, 2000)}, "v"));
    d.tracks.back().muted = muted;
    Segment bgm = seg("bgm.wav", 0, 2000);
    bgm.volume = 0.35;
    bgm.loop = true;  // a 1 s file fills 2 s
    d.tracks.push_back(track(TrackType::audio, {bgm}, "a"));
    run(d, out);
    return rms(out, 1200, 1800);  // inside the second lap of the BGM
  };
  const double mixed = render_mix(false, "mix.mp4");
  const double bgm_only = render_mix(true, "muted.mp4");
  // Uncorrelated tones add in power: sqrt(0.354^2 + 0.124^2) = 0.375.
  EXPECT_NEAR(mixed, 0.375, 0.03);
  EXPECT_NEAR(bgm_only, 0.124, 0.015);
}

TEST_F(RenderTest, CrossfadedClipsCrossfadeTheirSound) {
  clip("a.mp4", 320, 180, 1000, true, 440.0, 0.5);
  clip("b.mp4", 320, 180, 1000, true, 660.0, 0.5);
  Draft d = draft(320, 180);
  Segment b = seg("b.mp4", 500, 1000);
  b.transition = {timeline::TransitionKind::crossfade, 500};  // overlaps a by 500 ms
  d.tracks.push_back(track(TrackType::video, {seg("a.mp4", 0, 1000), b}, "v"));
  run(d, "xa.mp4");
  EXPECT_NEAR(rms("xa.mp4", 100, 400), 0.354, 0.03);    // a alone
  EXPECT_NEAR(rms("xa.mp4", 700, 800), 0.25, 0.04);     // both at half gain
  EXPECT_NEAR(rms("xa.mp4", 1100, 1400), 0.354, 0.03);  // b alone
}

TEST_F(RenderTest, LoudMixStaysUnderTheCeiling) {
  clip("loud.mp4", 320, 180, 1000, true, 440.0, 0.9);
  media::write_test_tone(path("loud.wav"), 1000, 330.0, 0.9);
  Draft d = draft(320, 180);
  Segment v = seg("loud.mp4", 0, 1000);
  v.volume = 3.0;
  d.tracks.push_back(track(TrackType::video, {v}, "v"));
  Segment a = seg("loud.wav", 0, 1000);
  a.volume = 3.0;
  d.tracks.push_back(track(TrackType::audio, {a}, "a"));
  a.id = "again";
  d.tracks.push_back(track(TrackType::audio, {a}, "a2"));
  run(d, "loud.out.mp4");
  float peak = 0;
  const double level = rms("loud.out.mp4", 0, 1000, &peak);
  EXPECT_GT(level, 0.4);
  EXPECT_LE(peak, 1.0f);  // 0.98 ceiling plus AAC's small overshoot
}

TEST_F(RenderTest, CrossfadeMidpointBlendsTheTwoSources) {
  solid_clip("red.mp4", 255, 0, 0, 30);
  solid_clip("blue.mp4", 0, 0, 255, 30);
  Draft d = draft(320, 180);
  Segment a = seg("red.mp4", 0, 1000);
  Segment b = seg("blue.mp4", 1000, 1000);
  b.transition = {timeline::TransitionKind::crossfade, 600};  // frames 30..47
  d.tracks.push_back(track(TrackType::video, {a, b}, "v"));
  run(d, "xfade.mp4");
  const media::Yuv red = media::rgb_to_yuv(255, 0, 0), blue = media::rgb_to_yuv(0, 0, 255);
  auto chroma = [&](int n) {
    const Frame f = frame_at("xfade.mp4", n);
    return std::pair<int, int>(f.row(1, 45)[80], f.row(2, 45)[80]);
  };
  auto [u0, v0] = chroma(20);
  EXPECT_NEAR(u0, red.u, 6);
  EXPECT_NEAR(v0, red.v, 6);
  // Frame 39: the incoming blue at 10/19.
  const double t = 10.0 / 19.0;
  auto [um, vm] = chroma(39);
  EXPECT_NEAR(um, red.u * (1 - t) + blue.u * t, 8);
  EXPECT_NEAR(vm, red.v * (1 - t) + blue.v * t, 8);
  auto [u1, v1] = chroma(55);
  EXPECT_NEAR(u1, blue.u, 6);
  EXPECT_NEAR(v1, blue.v, 6);
}

TEST_F(RenderTest, TrimStartsInsideTheSource) {
  const media::Yuv red = media::rgb_to_yuv(255, 0, 0), blue = media::rgb_to_yuv(0, 0, 255);
  solid_clip("two.mp4", {red, blue}, 15);  // red for 0.5 s, then blue
  Draft d = draft(320, 180);
  Segment s = seg("two.mp4", 0, 400);
  s.in_ms = 500;
  d.tracks.push_back(track(TrackType::video, {s}, "v"));
  run(d, "trim.mp4");
  EXPECT_NEAR(frame_at("trim.mp4", 0).row(2, 45)[80], blue.v, 6);
  // Past the source's end the last picture is held.
  Draft longer = draft(320, 180);
  longer.tracks.push_back(track(TrackType::video, {seg("two.mp4", 0, 1500)}, "v"));
  run(longer, "held.mp4");
  EXPECT_NEAR(frame_at("held.mp4", 5).row(2, 45)[80], red.v, 6);
  EXPECT_NEAR(frame_at("held.mp4", 44).row(2, 45)[80], blue.v, 6);
}

// Mean absolute luma difference of two frames.
double frame_diff(const Frame& a, const Frame& b) {
  double sum = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) sum += std::abs(a.row(0, y)[x] - b.row(0, y)[x]);
  return sum / (double(a.width()) * a.height());
}

TEST_F(RenderTest, LowerRateSourcesHoldEachFrame) {
  media::TestClipParams p;
  p.width = 320;
  p.height = 180;
  p.fps = Rational{15, 1};
  p.duration_ms = 1000;
  p.audio = false;
  media::write_test_clip(path("slow.mp4"), p);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("slow.mp4", 0, 1000)}, "v"));
  run(d, "slow.out.mp4");
  std::vector<Frame> frames;
  media::VideoDecoder dec(path("slow.out.mp4"));
  for (Frame f; frames.size() < 8 && dec.read(f);) frames.push_back(f.clone());
  ASSERT_EQ(frames.size(), 8u);
  double same = 0, changed = 0;
  for (int k = 0; k < 3; ++k) {
    same += frame_diff(frames[2 * k + 2], frames[2 * k + 3]);
    changed += frame_diff(frames[2 * k + 1], frames[2 * k + 2]);
  }
  EXPECT_LT(same, changed / 3) << "same " << same << " changed " << changed;
}

TEST_F(RenderTest, AnimatedGifLoops) {
  // 0.3 s black, then 0.2 s white.
  ASSERT_EQ(testing::run_command(
                "ffmpeg -v error -y -f lavfi -i color=black:s=160x90:r=10:d=0.3 -f lavfi -i "
                "color=white:s=160x90:r=10:d=0.2 -filter_complex concat=n=2 \"" +
                path("anim.gif").string() + "\""),
            0);
  Draft d = draft(320, 180);
  Segment s = seg("anim.gif", 0, 1500);
  s.fit = timeline::FitMode::stretch;
  d.tracks.push_back(track(TrackType::video, {s}, "v"));
  run(d, "gif.mp4");
  auto level = [&](int n) { return mean_luma(frame_at("gif.mp4", n), 100, 50, 120, 80); };
  for (int lap = 0; lap < 3; ++lap) {
    EXPECT_LT(level(lap * 15 + 1), 40.0) << "lap " << lap;  // 0.03 s into the lap
    if (lap < 2) {
      EXPECT_GT(level(lap * 15 + 12), 200.0) << "lap " << lap;  // 0.4 s into it
    }
  }
}

TEST_F(RenderTest, FadeBlackDarkensAroundTheCut) {
  solid_clip("white.mp4", 255, 255, 255, 30);
  Draft d = draft(320, 180);
  Segment a = seg("white.mp4", 0, 1000);
  Segment b = seg("white.mp4", 1000, 1000);
  b.transition = {timeline::TransitionKind::fade_black, 600};
  d.tracks.push_back(track(TrackType::video, {a, b}, "v"));
  run(d, "fb.mp4");
  EXPECT_GT(mean_luma(frame_at("fb.mp4", 10), 100, 60, 40, 40), 220.0);
  EXPECT_LT(mean_luma(frame_at("fb.mp4", 29), 100, 60, 40, 40), 60.0);
  EXPECT_LT(mean_luma(frame_at("fb.mp4", 30), 100, 60, 40, 40), 60.0);
  EXPECT_GT(mean_luma(frame_at("fb.mp4", 50), 100, 60, 40, 40), 220.0);
}

TEST_F(RenderTest, ImagesRenderAndKenBurnsMovesThem) {
  media::write_test_image(path("still.png"), 320, 180);
  auto render_image = [&](timeline::MotionKind kind, const std::string& out) {
    Draft d = draft(320, 180);
    Segment s = seg("still.png", 0, 1000);
    s.fit = timeline::FitMode::cover;
    s.motion = {kind, 0.3};
    d.tracks.push_back(track(TrackType::video, {s}, "v"));
    run(d, out);
  };
  auto diff = [&](const std::string& file, int a, int b) {
    const Frame fa = frame_at(file, a), fb = frame_at(file, b);
    double sum = 0;
    for (int y = 0; y < 180; ++y)
      for (int x = 0; x < 320; ++x) sum += std::abs(fa.row(0, y)[x] - fb.row(0, y)[x]);
    return sum / (320.0 * 180.0);
  };
  render_image(timeline::MotionKind::none, "still.mp4");
  render_image(timeline::MotionKind::zoom_in, "zoom.mp4");
  // The still shows the picture (not the black canvas) and does not move.
  EXPECT_GT(mean_luma(frame_at("still.mp4", 3), 0, 0, 320, 180), 40.0);
  EXPECT_LT(diff("still.mp4", 0, 29), 2.0);
  // Zoom: the end differs from the start, and the motion is gradual.
  const double whole = diff("zoom.mp4", 0, 29);
  EXPECT_GT(whole, 5.0);
  EXPECT_LT(diff("zoom.mp4", 14, 15), whole / 4);
}

TEST_F(RenderTest, BlurPaddedStillStaysPutWithoutBars) {
  media::write_test_image(path("wide.png"), 320, 180);
  Draft d = draft(180, 320);
  Segment s = seg("wide.png", 0, 500);
  s.fit = timeline::FitMode::blur_pad;
  d.tracks.push_back(track(TrackType::video, {s}, "v"));
  run(d, "still_pad.mp4");
  const Frame a = frame_at("still_pad.mp4", 2), b = frame_at("still_pad.mp4", 12);
  for (int y : {4, 312}) EXPECT_GT(mean_luma(a, 0, y, 180, 4), 24.0) << "row " << y;
  double diff = 0;
  for (int y = 0; y < 320; ++y)
    for (int x = 0; x < 180; ++x) diff += std::abs(a.row(0, y)[x] - b.row(0, y)[x]);
  EXPECT_LT(diff / (180.0 * 320.0), 1.0);
}

TEST_F(RenderTest, ScaledAndMovedLayersAreClippedToTheCanvas) {
  media::write_test_image(path("big.png"), 320, 180);
  clip("small.mp4", 320, 180, 500, false);
  Segment zoomed = seg("big.png", 0, 500);
  zoomed.fit = timeline::FitMode::cover;
  zoomed.transform.scale = 3.0;  // a box of 960x540 around the canvas
  zoomed.motion = {timeline::MotionKind::zoom_in, 0.5};
  Draft under = draft(320, 180);
  under.tracks.push_back(track(TrackType::video, {zoomed}, "v"));
  run(under, "under.mp4");

  Draft both = under;
  Segment corner = seg("small.mp4", 0, 500);
  corner.fit = timeline::FitMode::blur_pad;
  corner.transform.scale = 0.5;
  corner.transform.x = 1.0;  // half of it hangs off the right edge
  corner.transform.y = 0.5;
  corner.transform.opacity = 0.5;
  both.tracks.push_back(track(TrackType::video, {corner}, "v2"));
  run(both, "both.mp4");

  const Frame a = frame_at("under.mp4", 10), b = frame_at("both.mp4", 10);
  for (int y : {2, 90, 176}) EXPECT_GT(mean_luma(a, 0, y, 320, 2), 20.0) << "row " << y;
  double left = 0, right = 0;
  for (int y = 50; y < 130; ++y)
    for (int x = 0; x < 200; ++x) left += std::abs(a.row(0, y)[x] - b.row(0, y)[x]);
  for (int y = 50; y < 130; ++y)
    for (int x = 250; x < 320; ++x) right += std::abs(a.row(0, y)[x] - b.row(0, y)[x]);
  EXPECT_LT(left / (80.0 * 200), 1.5);  // untouched where the small layer is not
  EXPECT_GT(right / (80.0 * 70), 5.0);  // blended in where it is
}

TEST_F(RenderTest, FullHdPortraitPresetWithTitle) {
  clip("hd.mp4", 1280, 720, 400, true);
  Draft d = draft(1080, 1920);
  Segment s = seg("hd.mp4", 0, 400);
  s.fit = timeline::FitMode::blur_pad;
  d.tracks.push_back(track(TrackType::video, {s}, "v"));
  Segment title = seg("", 0, 400);
  title.text = "Urban Dreams";
  d.tracks.push_back(track(TrackType::text, {title}, "t"));
  RenderResult r = run(d, "hd.out.mp4");
  media::MediaInfo info = media::probe(path("hd.out.mp4"));
  EXPECT_EQ(info.width, 1080);
  EXPECT_EQ(info.height, 1920);
  EXPECT_EQ(r.frames, 12);
  EXPECT_NEAR(double(info.duration_ms), 400.0, 34.0);
  EXPECT_TRUE(info.has_audio);
}

TEST_F(RenderTest, OutputSizeAndRateFromParams) {
  clip("p.mp4", 320, 180, 1000, false);
  Draft d = draft(1920, 1080);
  d.tracks.push_back(track(TrackType::video, {seg("p.mp4", 0, 1000)}, "v"));
  RenderParams params;
  params.width = 256;
  params.height = 144;
  params.fps = Rational{24, 1};
  RenderResult r = run(d, "small.mp4", params);
  EXPECT_EQ(r.frames, 24);
  media::MediaInfo info = media::probe(path("small.mp4"));
  EXPECT_EQ(info.width, 256);
  EXPECT_EQ(info.height, 144);
  EXPECT_EQ(info.fps, (Rational{24, 1}));
}

TEST_F(RenderTest, WebmAndGifOutputs) {
  clip("f.mp4", 320, 180, 500, true);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("f.mp4", 0, 500)}, "v"));
  RenderParams webm;
  webm.format = media::ContainerFormat::webm;
  run(d, "out.webm", webm);
  media::MediaInfo w = media::probe(path("out.webm"));
  EXPECT_EQ(w.format, "webm");
  EXPECT_EQ(w.video_codec, "vp9");
  EXPECT_TRUE(w.has_audio);
  RenderParams gif;
  gif.format = media::ContainerFormat::gif;
  run(d, "out.gif", gif);
  media::MediaInfo g = media::probe(path("out.gif"));
  EXPECT_EQ(g.format, "gif");
  EXPECT_EQ(g.width, 320);
  EXPECT_FALSE(g.has_audio);
}

ErrorCode render_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::ok;
}

TEST_F(RenderTest, UnknownMediaIsNotFound) {
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("missing.mp4", 0, 1000)}, "v"));
  try {
    run(d, "x.mp4");
    FAIL() << "rendered with a missing source";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(std::string(e.what()).find("missing.mp4"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path("x.mp4")));
  // A resolver that refuses a reference has the last word.
  const MediaResolver refuse = [](const std::string& s) -> std::filesystem::path {
    fail(ErrorCode::not_found, "unknown media id " + s);
  };
  EXPECT_EQ(render_error([&] { render(d, refuse, path("y.mp4")); }), ErrorCode::not_found);
}

TEST_F(RenderTest, CorruptSourceIsUnsupported) {
  {
    std::ofstream f(path("bad.mp4"), std::ios::binary);
    f << std::string(4096, 'x');
  }
  std::ofstream(path("empty.mp4")).close();
  for (const char* name : {"bad.mp4", "empty.mp4"}) {
    Draft d = draft(320, 180);
    d.tracks.push_back(track(TrackType::video, {seg(name, 0, 1000)}, "v"));
    EXPECT_EQ(render_error([&] { run(d, "bad.out.mp4"); }), ErrorCode::unsupported) << name;
    EXPECT_FALSE(std::filesystem::exists(path("bad.out.mp4")));
  }
  // A sound file on a video track has no picture.
  media::write_test_tone(path("t.wav"), 500);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("t.wav", 0, 500)}, "v"));
  EXPECT_EQ(render_error([&] { run(d, "wav.mp4"); }), ErrorCode::unsupported);
}

TEST_F(RenderTest, TruncatedSourceRendersWhatIsThereOrIsUnsupported) {
  clip("cut.mp4", 320, 180, 2000, true);
  std::filesystem::resize_file(path("cut.mp4"),
                               std::filesystem::file_size(path("cut.mp4")) * 6 / 10);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("cut.mp4", 0, 2000)}, "v"));
  const ErrorCode code = render_error([&] { run(d, "cut.out.mp4"); });
  EXPECT_TRUE(code == ErrorCode::ok || code == ErrorCode::unsupported) << int(code);
  EXPECT_EQ(std::filesystem::exists(path("cut.out.mp4")), code == ErrorCode::ok);
  EXPECT_FALSE(std::filesystem::exists(path("cut.out.mp4.part")));
}

TEST_F(RenderTest, InvalidDraftOrParamsAreBadRequests) {
  clip("ok.mp4", 320, 180, 500, false);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("ok.mp4", 0, -5)}, "v"));
  EXPECT_EQ(render_error([&] { run(d, "bad.mp4"); }), ErrorCode::bad_request);
  Draft good = draft(320, 180);
  good.tracks.push_back(track(TrackType::video, {seg("ok.mp4", 0, 500)}, "v"));
  RenderParams odd;
  odd.width = 321;
  odd.height = 180;
  EXPECT_EQ(render_error([&] { run(good, "odd.mp4", odd); }), ErrorCode::bad_request);
  RenderParams huge;
  huge.width = 100000;
  huge.height = 100000;
  EXPECT_EQ(render_error([&] { run(good, "huge.mp4", huge); }), ErrorCode::bad_request);
  EXPECT_FALSE(std::filesystem::exists(path("odd.mp4")));
}

TEST_F(RenderTest, CancelMidwayThrowsAndLeavesNoFile) {
  clip("long.mp4", 320, 180, 3000, true);
  Draft d = draft(320, 180);
  d.tracks.push_back(track(TrackType::video, {seg("long.mp4", 0, 3000)}, "v"));
  RenderParams params;
  int64_t seen = 0;
  params.progress = [&](const Progress& p) {
    seen = p.done;
    if (p.done == 10) params.cancel.cancel();
  };
  EXPECT_EQ(render_error([&] { run(d, "cancel.mp4", params); }), ErrorCode::cancelled);
  EXPECT_GE(seen, 10);
  EXPECT_LT(seen, 90);
  EXPECT_FALSE(std::filesystem::exists(path("cancel.mp4")));
  EXPECT_FALSE(std::filesystem::exists(path("cancel.mp4.part")));
}

}  // namespace
}  // namespace kino::render
