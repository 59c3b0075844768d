#include "gen/wan_vae.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "gen/weight_set.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::test_randn;

TEST(WanVaeTest, DetectsTheReleasedDecoderShapes) {
  WanVaeConfig real;
  ShapeMap shapes = wan_vae_decoder_expected_shapes(real);
  EXPECT_EQ(shapes.at("decoder.upsamples.3.time_conv.weight"),
            (std::vector<int64_t>{768, 384, 3, 1, 1}));
  EXPECT_EQ(shapes.at("decoder.upsamples.11.resample.1.weight"),
            (std::vector<int64_t>{96, 192, 3, 3}));
  EXPECT_EQ(shapes.at("decoder.upsamples.4.shortcut.weight"),
            (std::vector<int64_t>{384, 192, 1, 1, 1}));
  int64_t params = 0;
  for (const auto& [n, s] : shapes) {
    int64_t k = 1;
    for (int64_t d : s) k *= d;
    params += k;
  }
  EXPECT_NEAR(double(params) / 1e6, 73.3, 0.1);  // spec §7.1: decoder 73.3 M (+ conv2)
  WanVaeConfig c = wan_vae_config_from_shapes(shapes, "vae");
  EXPECT_EQ(c.summary(), "Wan2.1 VAE z 16, base dim 96");
  shapes.erase("decoder.upsamples.9.residual.6.bias");
  try {
    wan_vae_config_from_shapes(shapes, "wan_2.1_vae.safetensors");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("decoder.upsamples.9.residual.6.bias is missing"),
              std::string::npos)
        << e.what();
  }
}

TEST(WanVaeTest, DecodesFramesWithProgressAndLatentStatistics) {
  TestDir dir("wan_vae");
  testing::write_wan_vae(dir / "vae", 4, 16, 2);
  WanVaeOptions o;
  o.dtype = at::kFloat;
  auto vae = wan_vae_decoder_load(dir / "vae", o);
  at::NoGradGuard no_grad;
  at::Tensor z = test_randn({1, 16, 2, 2, 3}, 5);
  std::vector<int64_t> seen;
  at::Tensor v = vae->decode(z, wan21_latent_mean(), wan21_latent_std(),
                             [&](const Progress& p) { seen.push_back(p.done); });
  EXPECT_EQ(v.sizes(), (std::vector<int64_t>{1, 3, 5, 16, 24}));
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2}));
  EXPECT_LE(v.abs().max().item<float>(), 1.0f);
  at::Tensor mean = at::tensor(wan21_latent_mean()).view({1, 16, 1, 1, 1});
  at::Tensor std = at::tensor(wan21_latent_std()).view({1, 16, 1, 1, 1});
  EXPECT_LT((vae->decode(z * std + mean, {}, {}) - v).abs().max().item<double>(), 1e-5);
  // The first frame depends only on the first latent frame (causality).
  at::Tensor one = vae->decode(z.narrow(2, 0, 1), wan21_latent_mean(), wan21_latent_std());
  EXPECT_LT((one.select(2, 0) - v.select(2, 0)).abs().max().item<double>(), 1e-5);
  o.dtype = at::kBFloat16;
  at::Tensor bf =
      wan_vae_decoder_load(dir / "vae", o)->decode(z, wan21_latent_mean(), wan21_latent_std());
  EXPECT_LT((bf - v).abs().max().item<double>(), 0.1);

  CancelToken cancel;
  cancel.cancel();
  EXPECT_THROW(vae->decode(z, {}, {}, {}, &cancel), Error);
  EXPECT_THROW(vae->decode(test_randn({1, 15, 1, 2, 2}, 1), {}, {}), Error);
  EXPECT_THROW(vae->decode(z, {0.f}, {1.f}), Error);
}

}  // namespace
}  // namespace kino::gen
