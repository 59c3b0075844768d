// The chunked, cached Wan2.1 VAE decoder of `kino models run vae_decode` against
// tests/reference/wan_vae_reference.py, which computes the whole sequence at once (float64).
#include <gtest/gtest.h>

#include "gen/tensor_io.h"
#include "reference_support.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::kino_models;

constexpr double kMaxAbsError = 1e-4;

TEST(ReferenceVaeTest, ChunkedDecodeEqualsTheWholeSequence) {
  TestDir dir("reference_vae");
  const auto model = testing::write_wan_vae(dir / "vae", 4, 4, 41);
  // 3 latent frames -> 9 video frames: both temporal upsamplers, caches across chunks.
  const auto in = dir / "in.safetensors", out = dir / "out.safetensors",
             ref = dir / "ref.safetensors";
  safetensors_write(in, {{"z", testing::test_randn({1, 4, 3, 3, 4}, 3) * 2.0}});
  kino_models({"run", "vae_decode", "--model", (dir / "vae").string(), "--in", in.string(), "--out",
               out.string()});
  ASSERT_EQ(testing::run_reference_script(
                "wan_vae_reference.py",
                "--model " + model.string() + " --in " + in.string() + " --out " + ref.string()),
            0);
  at::Tensor a = safetensors_read_all(out).at("video");
  at::Tensor b = safetensors_read_all(ref).at("video");
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{1, 3, 9, 24, 32}));
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_GT(b.abs().mean().item<double>(), 0.05);
  const double err = (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LT(err, kMaxAbsError);
  std::printf("vae decode: max abs error %.3g\n", err);
}

}  // namespace
}  // namespace kino::gen
