// The compositor's building blocks on synthetic frames: blending, overlays, resampling,
// blur, fit geometry, motion, transitions, the frame queue and audio sample counts.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "render/blend.h"
#include "render/blur.h"
#include "render/fit.h"
#include "render/frame_queue.h"
#include "render/motion.h"
#include "render/overlay.h"
#include "render/pipeline.h"
#include "render/resample.h"
#include "render/transition.h"

namespace kino::render {
namespace {

using media::Frame;
using media::PixelFormat;

Frame solid(int w, int h, uint8_t y, uint8_t u = 128, uint8_t v = 128) {
  Frame f(PixelFormat::yuv420p, w, h);
  f.fill(y, u, v);
  return f;
}

TEST(Blend, RowAlphaEndsAndMiddle) {
  std::vector<uint8_t> dst(100, 20), src(100, 220);
  blend_row(dst.data(), src.data(), 100, 0);
  EXPECT_EQ(dst[50], 20);
  blend_row(dst.data(), src.data(), 100, 128);
  EXPECT_EQ(dst[0], 120);
  EXPECT_EQ(dst[99], 120);
  blend_row(dst.data(), src.data(), 100, kOne);
  EXPECT_EQ(dst[7], 220);
}

TEST(Blend, PremultipliedRow) {
  std::vector<uint8_t> dst(64, 100), src(64, 200), alpha(64, 255);
  blend_premultiplied_row(dst.data(), src.data(), alpha.data(), 64, kOne);
  EXPECT_EQ(dst[3], 200);  // opaque at full fade replaces
  std::fill(dst.begin(), dst.end(), 100);
  blend_premultiplied_row(dst.data(), src.data(), alpha.data(), 64, kOne / 2);
  EXPECT_NEAR(dst[3], 150, 1);
  // Half alpha: premultiplied value 100 for a colour of 200.
  std::fill(dst.begin(), dst.end(), 40);
  std::fill(src.begin(), src.end(), 100);
  std::fill(alpha.begin(), alpha.end(), 128);
  blend_premultiplied_row(dst.data(), src.data(), alpha.data(), 64, kOne);
  EXPECT_NEAR(dst[10], 120, 1);  // 200 * 0.5 + 40 * 0.5
  std::fill(alpha.begin(), alpha.end(), 0);
  std::fill(src.begin(), src.end(), 0);
  blend_premultiplied_row(dst.data(), src.data(), alpha.data(), 64, kOne);
  EXPECT_NEAR(dst[10], 120, 0);
}

TEST(Blend, DrawPictureClipsAtCanvasEdges) {
  Frame canvas = solid(128, 96, 16);
  Frame pic = solid(64, 64, 200, 60, 90);
  draw_picture(canvas, pic, 0, 0, Rect{-32, -32, 64, 64}, kOne);
  EXPECT_EQ(canvas.row(0, 0)[0], 200);
  EXPECT_EQ(canvas.row(0, 31)[31], 200);
  EXPECT_EQ(canvas.row(0, 32)[31], 16);
  EXPECT_EQ(canvas.row(0, 31)[32], 16);
  EXPECT_EQ(canvas.row(1, 15)[15], 60);
  EXPECT_EQ(canvas.row(2, 15)[15], 90);
  EXPECT_EQ(canvas.row(1, 16)[15], 128);
  // Fully outside: nothing drawn, no crash.
  draw_picture(canvas, pic, 0, 0, Rect{500, 500, 64, 64}, kOne);
  draw_picture(canvas, pic, 0, 0, Rect{100, 80, 64, 64}, kOne);  // bottom-right corner
  EXPECT_EQ(canvas.row(0, 95)[127], 200);
  EXPECT_EQ(canvas.row(0, 79)[99], 16);
}

TEST(Blend, DrawPictureFromSourceOffsetWithOpacity) {
  Frame canvas = solid(64, 64, 16);
  Frame pic(PixelFormat::yuv420p, 64, 64);
  pic.fill(0, 128, 128);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) pic.row(0, y)[x] = uint8_t(x * 2);
  draw_picture(canvas, pic, 20, 0, Rect{0, 0, 32, 32}, kOne);
  EXPECT_EQ(canvas.row(0, 5)[0], 40);
  EXPECT_EQ(canvas.row(0, 5)[31], 102);
  EXPECT_EQ(canvas.row(0, 5)[32], 16);
  draw_picture(canvas, solid(8, 8, 216), 0, 0, Rect{40, 40, 8, 8}, kOne / 2);
  EXPECT_EQ(canvas.row(0, 44)[44], 116);
}

TEST(Blend, DrawColorDarkens) {
  Frame canvas = solid(32, 32, 216, 200, 50);
  draw_color(canvas, Rect{0, 0, 16, 16}, media::Yuv{16, 128, 128}, kOne / 2);
  EXPECT_EQ(canvas.row(0, 0)[0], 116);
  EXPECT_EQ(canvas.row(1, 0)[0], 164);
  EXPECT_EQ(canvas.row(0, 20)[20], 216);
}

TEST(Overlay, RgbaBecomesPremultipliedAndBlends) {
  Frame rgba(PixelFormat::rgba, 10, 6);
  rgba.fill(255, 0, 0, 255);
  // Right half transparent.
  for (int y = 0; y < 6; ++y)
    for (int x = 5; x < 10; ++x) rgba.row(0, y)[4 * x + 3] = 0;
  Overlay o = overlay_from_rgba(rgba, 3, 5);
  EXPECT_EQ(o.x, 2);
  EXPECT_EQ(o.y, 4);
  Frame canvas = solid(32, 32, 16);
  draw_overlay(canvas, o, kOne);
  const media::Yuv red = media::rgb_to_yuv(255, 0, 0);
  EXPECT_NEAR(canvas.row(0, 5)[3], red.y, 1);
  EXPECT_NEAR(canvas.row(0, 10)[7], red.y, 1);
  EXPECT_EQ(canvas.row(0, 5)[2], 16);   // the padding column
  EXPECT_EQ(canvas.row(0, 5)[8], 16);   // transparent part
  EXPECT_EQ(canvas.row(0, 11)[3], 16);  // below
  // A chroma block fully inside the opaque part takes the overlay's colour.
  EXPECT_NEAR(canvas.row(2, 3)[2], red.v, 1);
  // Faded to zero: nothing changes.
  Frame untouched = solid(32, 32, 16);
  draw_overlay(untouched, o, 0);
  EXPECT_EQ(untouched.row(0, 5)[3], 16);
}

TEST(Resample, IdentityKeepsThePicture) {
  Frame src(PixelFormat::yuv420p, 40, 20);
  src.fill(0, 100, 150);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x) src.row(0, y)[x] = uint8_t((x * 5 + y * 3) & 255);
  Frame dst(PixelFormat::yuv420p, 40, 20);
  Resampler r;
  r.resample(src, ViewRect{0, 0, 40, 20}, dst);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x) ASSERT_EQ(dst.row(0, y)[x], src.row(0, y)[x]) << x << "," << y;
  EXPECT_EQ(dst.row(1, 5)[5], 100);
  EXPECT_EQ(dst.row(2, 5)[5], 150);
}

TEST(Resample, SubPixelCropOfAGradient) {
  Frame src(PixelFormat::yuv420p, 100, 10);
  src.fill(0, 128, 128);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 100; ++x) src.row(0, y)[x] = uint8_t(x * 2);
  Frame dst(PixelFormat::yuv420p, 20, 10);
  Resampler r;
  // Columns 10.25 .. 30.25: output i samples source 10.25 + i + 0.5 - 0.5 -> 2 * (10.25 + i).
  r.resample(src, ViewRect{10.25, 0, 20, 10}, dst);
  for (int x = 0; x < 20; ++x) EXPECT_NEAR(dst.row(0, 4)[x], 2 * (10.25 + x), 1.0) << x;
  // 2x upscale of the left half.
  Frame up(PixelFormat::yuv420p, 100, 20);
  r.resample(src, ViewRect{0, 0, 50, 10}, up);
  EXPECT_NEAR(up.row(0, 7)[51], 2 * (25.5 * 1 - 0.25), 1.5);
  EXPECT_LE(up.row(0, 7)[10], up.row(0, 7)[11]);
}

TEST(Blur, ConstantStaysAndPeaksSpread) {
  BlurScratch scratch;
  Frame f = solid(40, 30, 90, 100, 110);
  box_blur(f, 3, 3, scratch);
  EXPECT_EQ(f.row(0, 0)[0], 90);
  EXPECT_EQ(f.row(0, 29)[39], 90);
  EXPECT_EQ(f.row(1, 7)[9], 100);
  Frame g = solid(40, 30, 16);
  for (int y = 14; y < 16; ++y)
    for (int x = 19; x < 21; ++x) g.row(0, y)[x] = 235;
  box_blur(g, 3, 3, scratch);
  EXPECT_LT(g.row(0, 15)[20], 100);
  EXPECT_GT(g.row(0, 15)[24], 16);
  EXPECT_EQ(g.row(0, 0)[0], 16);
}

TEST(Blur, BlurPadFillsTheBox) {
  Frame src(PixelFormat::yuv420p, 160, 90);
  src.fill(0, 128, 128);
  for (int y = 0; y < 90; ++y)
    for (int x = 0; x < 160; ++x) src.row(0, y)[x] = x < 80 ? 40 : 200;
  Frame out(PixelFormat::yuv420p, 90, 160);
  BlurPad pad;
  pad.build(src, ViewRect{55, 0, 50.625, 90}, out);
  // Left of the middle darker than right, no black rows, smooth across.
  EXPECT_LT(out.row(0, 80)[10], out.row(0, 80)[80]);
  for (int y : {0, 159}) EXPECT_GT(out.row(0, y)[45], 60);
}

TEST(Blur, BlurPadSkipsAHiddenBandAndMatchesElsewhere) {
  Frame src(PixelFormat::yuv420p, 160, 90);
  src.fill(0, 90, 160);
  for (int y = 0; y < 90; ++y)
    for (int x = 0; x < 160; ++x) src.row(0, y)[x] = uint8_t(x + y);
  const ViewRect view{55, 0, 50.625, 90};
  Frame whole(PixelFormat::yuv420p, 90, 160), banded(PixelFormat::yuv420p, 90, 160);
  banded.fill(7, 7, 7);
  BlurPad a, b;
  a.build(src, view, whole);
  b.build(src, view, banded, Rect{0, 0, 90, 160}, Rect{0, 50, 90, 60});
  for (int y = 0; y < 160; ++y)
    for (int x = 0; x < 90; ++x) {
      const int expected = y >= 50 && y < 110 ? 7 : whole.row(0, y)[x];
      ASSERT_EQ(banded.row(0, y)[x], expected) << x << "," << y;
    }
  for (int y = 0; y < 80; ++y)
    for (int x = 0; x < 45; ++x)
      if (y < 25 || y >= 55) {
        ASSERT_EQ(banded.row(1, y)[x], whole.row(1, y)[x]) << x << "," << y;
      }
}

timeline::Segment segment(timeline::FitMode fit) {
  timeline::Segment s;
  s.fit = fit;
  s.duration_ms = 1000;
  return s;
}

TEST(Fit, LandscapeIntoPortrait) {
  using timeline::FitMode;
  LayerGeometry c = layer_geometry(1080, 1920, segment(FitMode::contain), 1280, 720, false);
  EXPECT_EQ(c.dest.w, 1080);
  EXPECT_EQ(c.dest.h, 608);
  EXPECT_EQ(c.dest.x, 0);
  EXPECT_EQ(c.dest.y, 656);
  EXPECT_EQ(c.decode_w, 1080);
  EXPECT_EQ(c.decode_h, 608);
  EXPECT_FALSE(c.resample);
  EXPECT_FALSE(c.blur_background);

  LayerGeometry b = layer_geometry(1080, 1920, segment(FitMode::blur_pad), 1280, 720, false);
  EXPECT_TRUE(b.blur_background);
  EXPECT_EQ(b.dest.h, 608);
  EXPECT_NEAR(b.background_view.w, (1080.0 / 1920) / (1280.0 / 720), 1e-9);
  EXPECT_EQ(b.background_view.h, 1.0);

  // Cover needs 3413x1920 of a 1280x720 source: decode at the source size, resample.
  LayerGeometry v = layer_geometry(1080, 1920, segment(FitMode::cover), 1280, 720, false);
  EXPECT_EQ(v.dest.w, 1080);
  EXPECT_EQ(v.dest.h, 1920);
  EXPECT_EQ(v.decode_w, 1280);
  EXPECT_TRUE(v.resample);
  // Cover of a big source decodes smaller and crops without resampling.
  LayerGeometry big = layer_geometry(320, 180, segment(FitMode::cover), 1920, 1440, false);
  EXPECT_EQ(big.decode_w, 320);
  EXPECT_EQ(big.decode_h, 240);
  EXPECT_FALSE(big.resample);

  LayerGeometry s = layer_geometry(1080, 1920, segment(FitMode::stretch), 1280, 720, false);
  EXPECT_EQ(s.dest.w, 1080);
  EXPECT_EQ(s.dest.h, 1920);
  EXPECT_FALSE(s.resample);
}

TEST(Fit, TransformScalesAndMovesTheBox) {
  timeline::Segment s = segment(timeline::FitMode::stretch);
  s.transform.scale = 0.5;
  s.transform.x = 0.25;
  s.transform.y = 0.75;
  LayerGeometry g = layer_geometry(320, 180, s, 640, 360, false);
  EXPECT_EQ(g.box.w, 160);
  EXPECT_EQ(g.box.h, 90);
  EXPECT_EQ(g.box.x, 0);
  EXPECT_EQ(g.box.y, 90);
  s.motion.kind = timeline::MotionKind::zoom_in;
  s.motion.strength = 0.2;
  LayerGeometry m = layer_geometry(320, 180, s, 640, 360, true);
  EXPECT_TRUE(m.resample);
  EXPECT_EQ(m.decode_w, 192);  // 160 * 1.2
}

TEST(Motion, ZoomAndPan) {
  const ViewRect base{0, 0, 100, 50};
  timeline::Motion zoom{timeline::MotionKind::zoom_in, 0.25};
  ViewRect a = motion_view(zoom, 0, base), b = motion_view(zoom, 1, base);
  EXPECT_DOUBLE_EQ(a.w, 100);
  EXPECT_DOUBLE_EQ(b.w, 80);
  EXPECT_DOUBLE_EQ(b.x, 10);
  EXPECT_DOUBLE_EQ(b.y, 5);
  ViewRect mid = motion_view(zoom, 0.5, base);
  EXPECT_GT(mid.w, 80);
  EXPECT_LT(mid.w, 100);
  timeline::Motion out{timeline::MotionKind::zoom_out, 0.25};
  EXPECT_DOUBLE_EQ(motion_view(out, 0, base).w, 80);
  EXPECT_DOUBLE_EQ(motion_view(out, 1, base).w, 100);
  timeline::Motion pan{timeline::MotionKind::pan_left, 0.25};
  EXPECT_DOUBLE_EQ(motion_view(pan, 0, base).x, 20);
  EXPECT_DOUBLE_EQ(motion_view(pan, 1, base).x, 0);
  timeline::Motion down{timeline::MotionKind::pan_down, 0.25};
  EXPECT_DOUBLE_EQ(motion_view(down, 1, base).y, 10);
}

TEST(Transition, CrossfadeAndFadeBlack) {
  using timeline::TransitionKind;
  EXPECT_EQ(transition_hold(TransitionKind::crossfade, 10), 10);
  EXPECT_NEAR(transition_incoming(TransitionKind::crossfade, 9, 4).opacity, 0.5, 1e-9);
  EXPECT_LT(transition_incoming(TransitionKind::crossfade, 9, 0).opacity, 0.2);
  EXPECT_EQ(transition_incoming(TransitionKind::crossfade, 9, 9).opacity, 1.0);
  EXPECT_EQ(transition_hold(TransitionKind::fade_black, 10), 0);
  EXPECT_GT(transition_outgoing(TransitionKind::fade_black, 10, -1).black, 0.8);
  EXPECT_EQ(transition_outgoing(TransitionKind::fade_black, 10, -6).black, 0.0);
  EXPECT_GT(transition_incoming(TransitionKind::fade_black, 10, 0).black, 0.8);
  EXPECT_EQ(transition_incoming(TransitionKind::fade_black, 10, 5).black, 0.0);
  LayerMod m;
  m.combine({0.5, 0.5});
  m.combine({0.5, 0.5});
  EXPECT_DOUBLE_EQ(m.opacity, 0.25);
  EXPECT_DOUBLE_EQ(m.black, 0.75);
}

TEST(FrameQueue, BoundedAndClosable) {
  BoundedQueue<int> q(2);
  EXPECT_TRUE(q.push(1));
  EXPECT_TRUE(q.push(2));
  std::thread producer([&] { q.push(3); });  // blocks until a pop
  EXPECT_EQ(q.pop().value(), 1);
  producer.join();
  q.close();
  EXPECT_FALSE(q.push(4));
  EXPECT_EQ(q.pop().value(), 2);
  EXPECT_EQ(q.pop().value(), 3);
  EXPECT_FALSE(q.pop().has_value());
}

TEST(Pipeline, AudioSamplesPerFrameSumExactly) {
  EXPECT_EQ(audio_samples_before(30, Rational{30, 1}), 48000);
  EXPECT_EQ(audio_samples_before(1, Rational{30000, 1001}), 1601);
  EXPECT_EQ(audio_samples_before(30000, Rational{30000, 1001}), 48048000);
  EXPECT_EQ(audio_samples_before(0, Rational{25, 1}), 0);
}

}  // namespace
}  // namespace kino::render
