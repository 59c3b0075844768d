// Still pictures: what write_image_rgb writes is what a decoder reads back, pixel for pixel.
#include <gtest/gtest.h>

#include <cstdint>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "media/image_writer.h"
#include "media/media.h"
#include "support/test_dir.h"

namespace kino::media {
namespace {

Frame read_back(const std::filesystem::path& path) {
  VideoDecodeParams dp;
  dp.format = PixelFormat::rgba;
  VideoDecoder decoder(path, dp);
  Frame f;
  EXPECT_TRUE(decoder.read(f));
  return f.clone();
}

TEST(ImageWriter, PackedRgbIsScaledByNearestNeighbourAndLossless) {
  kino::testing::TestDir dir("image-writer");
  // 2 x 2: red, green / blue, a grey with odd values.
  const std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 17, 99, 201};
  write_image_rgb(dir.path() / "p.png", rgb.data(), 2, 2, 3);
  const Frame f = read_back(dir.path() / "p.png");
  ASSERT_EQ(f.width(), 6);
  ASSERT_EQ(f.height(), 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) {
      const uint8_t* want = rgb.data() + ((y / 3) * 2 + x / 3) * 3;
      const uint8_t* got = f.row(0, y) + x * 4;
      EXPECT_EQ(got[0], want[0]) << x << "," << y;
      EXPECT_EQ(got[1], want[1]) << x << "," << y;
      EXPECT_EQ(got[2], want[2]) << x << "," << y;
    }
}

TEST(ImageWriter, BadSizesAndExtensionsAreRefused) {
  kino::testing::TestDir dir("image-writer");
  const std::vector<uint8_t> rgb(12, 128);
  for (auto [w, h, k] : {std::tuple{0, 2, 1}, {2, 2, 0}, {2, 2, 9000}}) {
    try {
      write_image_rgb(dir.path() / "p.png", rgb.data(), w, h, k);
      ADD_FAILURE() << w << "x" << h << " at " << k << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_request) << e.what();
    }
  }
  try {
    write_image_rgb(dir.path() / "p.gif", rgb.data(), 2, 2);
    ADD_FAILURE() << ".gif was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p.png"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p.gif"));
}

}  // namespace
}  // namespace kino::media
