// The chunked, cached Wan VAEs of `kino models run vae_encode / vae_decode` against
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

// Encodes 9 frames (chunks of 1, 4, 4: both temporal downsamplers and their caches) with the
// engine and the reference; returns the max abs error of mu and checks the normalized latent.
double encode_error(const std::filesystem::path& dir, const std::filesystem::path& model,
                    const std::vector<int64_t>& shape, const std::vector<int64_t>& latent_shape) {
  const auto in = dir / "enc_in.safetensors", out = dir / "enc_out.safetensors",
             ref = dir / "enc_ref.safetensors";
  safetensors_write(in, {{"video", at::tanh(testing::test_randn(shape, 4))}});
  kino_models(
      {"run", "vae_encode", "--model", model.string(), "--in", in.string(), "--out", out.string()});
  EXPECT_EQ(testing::run_reference_script("wan_vae_reference.py",
                                          "--mode encode --model " + model.string() + " --in " +
                                              in.string() + " --out " + ref.string()),
            0);
  const auto got = safetensors_read_all(out);
  at::Tensor a = got.at("mu");
  at::Tensor b = safetensors_read_all(ref).at("mu");
  EXPECT_EQ(a.sizes(), latent_shape);
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e9;
  EXPECT_GT(b.abs().mean().item<double>(), 0.05);
  // Test-sized latents are normalized with mean 0, std 1.
  EXPECT_LT((got.at("latent") - a).abs().max().item<double>(), 1e-6);
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

TEST(ReferenceVaeTest, ChunkedEncodeEqualsTheWholeSequence) {
  TestDir dir("reference_vae_encode");
  const auto model = testing::write_wan_vae(dir / "vae", 4, 4, 43);
  const double err = encode_error(dir.path(), model, {1, 3, 9, 24, 32}, {1, 4, 3, 3, 4});
  EXPECT_LT(err, kMaxAbsError);
  std::printf("vae encode: max abs error %.3g\n", err);
}

// Wan2.2: pixel patches, AvgDown3D / DupUp3D level shortcuts (with DupUp3D's first-chunk rule),
// upsample convs that keep their width, stride 16.
TEST(ReferenceVaeTest, Wan22ChunkedEncodeAndDecodeEqualTheWholeSequence) {
  TestDir dir("reference_vae22");
  WanVaeConfig cfg = wan22_vae_config();
  cfg.z_dim = 4;
  cfg.base_dim = 4;
  cfg.decoder_base_dim = 8;
  const auto model = testing::write_wan_vae(dir / "vae", cfg, 47);
  const double enc = encode_error(dir.path(), model, {1, 3, 9, 32, 48}, {1, 4, 3, 2, 3});
  EXPECT_LT(enc, kMaxAbsError);

  const auto in = dir / "in.safetensors", out = dir / "out.safetensors",
             ref = dir / "ref.safetensors";
  safetensors_write(in, {{"z", testing::test_randn({1, 4, 3, 2, 3}, 8) * 2.0}});
  kino_models(
      {"run", "vae_decode", "--model", model.string(), "--in", in.string(), "--out", out.string()});
  ASSERT_EQ(testing::run_reference_script(
                "wan_vae_reference.py",
                "--model " + model.string() + " --in " + in.string() + " --out " + ref.string()),
            0);
  at::Tensor a = safetensors_read_all(out).at("video");
  at::Tensor b = safetensors_read_all(ref).at("video");
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{1, 3, 9, 32, 48}));
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_GT(b.abs().mean().item<double>(), 0.05);
  const double dec = (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LT(dec, kMaxAbsError);
  std::printf("wan2.2 vae: encode max abs error %.3g, decode %.3g\n", enc, dec);
}

}  // namespace
}  // namespace kino::gen
