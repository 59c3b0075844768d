#include "media/scaler.h"

#include <gtest/gtest.h>

#include "media_test_util.h"

namespace kino::media {
namespace {

using kino::testing::plane_mean;

TEST(Scaler, ConvertsBetweenAllFormats) {
  Frame rgba(PixelFormat::rgba, 33, 17);
  rgba.fill(0x40, 0x80, 0xC0, 200);
  Scaler s;
  Frame yuv(PixelFormat::yuv420p, 33, 17);
  s.scale(rgba, yuv);
  const Yuv want = rgb_to_yuv(0x40, 0x80, 0xC0);
  EXPECT_NEAR(plane_mean(yuv, 0, 0, 0, 33, 17), want.y, 1.0);
  EXPECT_NEAR(plane_mean(yuv, 1, 0, 0, 17, 9), want.u, 2.0);
  EXPECT_NEAR(plane_mean(yuv, 2, 0, 0, 17, 9), want.v, 2.0);

  Frame yuva(PixelFormat::yuva420p, 33, 17);
  s.scale(rgba, yuva);
  EXPECT_NEAR(plane_mean(yuva, 3, 0, 0, 33, 17), 200.0, 1.0);

  Frame back(PixelFormat::rgba, 33, 17);
  s.scale(yuva, back);
  EXPECT_NEAR(back.row(0, 8)[4 * 16 + 0], 0x40, 3);
  EXPECT_NEAR(back.row(0, 8)[4 * 16 + 1], 0x80, 3);
  EXPECT_NEAR(back.row(0, 8)[4 * 16 + 2], 0xC0, 3);
  EXPECT_NEAR(back.row(0, 8)[4 * 16 + 3], 200, 1);

  Frame gray(PixelFormat::gray, 33, 17);
  s.scale(yuv, gray);
  EXPECT_GT(plane_mean(gray, 0, 0, 0, 33, 17), 50.0);
}

TEST(Scaler, ResizesWithEveryFilterAndReusesItsContext) {
  Frame src(PixelFormat::yuv420p, 64, 36);
  src.fill(100, 120, 140);
  Scaler s;
  for (auto filter : {ScaleFilter::fast_bilinear, ScaleFilter::bilinear, ScaleFilter::bicubic,
                      ScaleFilter::lanczos, ScaleFilter::area}) {
    for (int i = 0; i < 2; ++i) {
      Frame dst(PixelFormat::yuv420p, 129, 71);
      s.scale(src, dst, filter);
      EXPECT_NEAR(plane_mean(dst, 0, 0, 0, 129, 71), 100.0, 1.0);
      EXPECT_NEAR(plane_mean(dst, 2, 0, 0, 65, 36), 140.0, 1.0);
    }
  }
  // Same format and size: an exact copy.
  Frame copy(PixelFormat::yuv420p, 64, 36);
  s.scale(src, copy);
  EXPECT_EQ(copy.row(0, 35)[63], 100);
}

}  // namespace
}  // namespace kino::media
