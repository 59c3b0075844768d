#include "gen/wan_vae.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json.h"
#include "gen/weight_set.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::test_randn;

int64_t parameters(const ShapeMap& shapes, const std::string& prefix = "") {
  int64_t total = 0;
  for (const auto& [n, s] : shapes) {
    if (n.rfind(prefix, 0) != 0) continue;
    int64_t k = 1;
    for (int64_t d : s) k *= d;
    total += k;
  }
  return total;
}

template <typename F>
std::string error_of(F f, ErrorCode code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

WanVaeOptions f32() {
  WanVaeOptions o;
  o.dtype = at::kFloat;
  return o;
}

TEST(WanVaeTest, DetectsTheReleasedShapes) {
  ShapeMap shapes = wan_vae_expected_shapes(wan21_vae_config());
  EXPECT_EQ(shapes.at("decoder.upsamples.3.time_conv.weight"),
            (std::vector<int64_t>{768, 384, 3, 1, 1}));
  EXPECT_EQ(shapes.at("decoder.upsamples.11.resample.1.weight"),
            (std::vector<int64_t>{96, 192, 3, 3}));
  EXPECT_EQ(shapes.at("decoder.upsamples.4.shortcut.weight"),
            (std::vector<int64_t>{384, 192, 1, 1, 1}));
  EXPECT_EQ(shapes.at("encoder.downsamples.5.time_conv.weight"),
            (std::vector<int64_t>{192, 192, 3, 1, 1}));
  EXPECT_EQ(shapes.at("encoder.head.2.weight"), (std::vector<int64_t>{32, 384, 3, 3, 3}));
  EXPECT_EQ(shapes.at("conv1.weight"), (std::vector<int64_t>{32, 32, 1, 1, 1}));
  // spec §3.2: 126.9 M in all, of which the decoder 73.3 M.
  EXPECT_NEAR(double(parameters(shapes)) / 1e6, 126.9, 0.1);
  EXPECT_NEAR(double(parameters(shapes, "decoder.")) / 1e6, 73.3, 0.1);
  WanVaeConfig c = wan_vae_config_from_shapes(shapes, "vae");
  EXPECT_EQ(c.summary(), "Wan2.1 VAE z 16, base dim 96");
  EXPECT_TRUE(c.encoder);
  EXPECT_EQ(c.spatial_stride(), 8);

  WanVaeConfig dec_only = wan21_vae_config();
  dec_only.encoder = false;
  c = wan_vae_config_from_shapes(wan_vae_expected_shapes(dec_only), "vae");
  EXPECT_FALSE(c.encoder);
  EXPECT_EQ(c.summary(), "Wan2.1 VAE z 16, decoder dim 96 (decoder only)");

  shapes.erase("decoder.upsamples.9.residual.6.bias");
  EXPECT_NE(error_of([&] { wan_vae_config_from_shapes(shapes, "wan_2.1_vae.safetensors"); },
                     ErrorCode::unsupported)
                .find("decoder.upsamples.9.residual.6.bias is missing"),
            std::string::npos);
  shapes = wan_vae_expected_shapes(wan21_vae_config());
  shapes["encoder.conv1.weight"] = {96, 12, 3, 3, 3};
  EXPECT_NE(error_of([&] { wan_vae_config_from_shapes(shapes, "vae"); }, ErrorCode::unsupported)
                .find("encoder.conv1.weight reads 12 channels but decoder.head.2.weight writes 3"),
            std::string::npos);
  shapes = wan_vae_expected_shapes(wan21_vae_config());
  shapes["decoder.head.2.weight"] = {4, 96, 3, 3, 3};
  EXPECT_NE(error_of([&] { wan_vae_config_from_shapes(shapes, "vae"); }, ErrorCode::unsupported)
                .find("decoder.head.2.weight writes 4 channels"),
            std::string::npos);
  shapes = wan_vae_expected_shapes(wan21_vae_config());
  shapes["encoder.downsamples.6.shortcut.weight"] = {384, 190, 1, 1, 1};
  EXPECT_NE(error_of([&] { wan_vae_config_from_shapes(shapes, "vae"); }, ErrorCode::unsupported)
                .find("encoder.downsamples.6.shortcut.weight has shape [384, 190, 1, 1, 1], "
                      "expected [384, 192, 1, 1, 1]"),
            std::string::npos);
}

// Metadata-only tensor lists of the released VAEs (tests/gen/data, written from the spec's tables
// by make_wan_vae_shape_lists.py): name -> {dtype, shape}, no weights.
ShapeMap load_shape_list(const std::string& file) {
  std::ifstream in(std::string(KINO_GEN_TEST_DATA) + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  const Json j = Json::parse(ss.str());
  ShapeMap out;
  for (const auto& [name, entry] : j.items())
    out[name] = entry["shape"].get<std::vector<int64_t>>();
  return out;
}

TEST(WanVaeTest, DetectsTheReleasedVaesFromTheirShapeLists) {
  const ShapeMap v21 = load_shape_list("wan_2.1_vae.json");
  const ShapeMap v22 = load_shape_list("wan2.2_vae.json");
  ASSERT_FALSE(v21.empty());
  ASSERT_FALSE(v22.empty());
  WanVaeConfig c = wan_vae_config_from_shapes(v21, "wan_2.1_vae.safetensors");
  EXPECT_EQ(c.version, WanVaeVersion::wan21);
  EXPECT_EQ(c.summary(), "Wan2.1 VAE z 16, base dim 96");
  EXPECT_EQ(wan_vae_expected_shapes(c), v21);  // no tensor more, none less
  c = wan_vae_config_from_shapes(v22, "wan2.2_vae.safetensors");
  EXPECT_EQ(c.version, WanVaeVersion::wan22);
  EXPECT_EQ(c.z_dim, 48);
  EXPECT_EQ(c.base_dim, 160);
  EXPECT_EQ(c.decoder_base_dim, 256);
  EXPECT_EQ(c.spatial_stride(), 16);
  EXPECT_EQ(c.temporal_stride(), 4);
  EXPECT_EQ(c.summary(), "Wan2.2 VAE z 48, base dim 160, decoder dim 256");
  EXPECT_EQ(wan_vae_expected_shapes(c), v22);
  EXPECT_EQ(wan_vae_expected_shapes(wan22_vae_config()), v22);
  // spec §3.4: 704.7 M parameters, encoder 149.6 M, decoder 555.0 M.
  EXPECT_NEAR(double(parameters(v22)) / 1e6, 704.7, 0.1);
  EXPECT_NEAR(double(parameters(v22, "encoder.")) / 1e6, 149.6, 0.1);
  EXPECT_NEAR(double(parameters(v22, "decoder.")) / 1e6, 555.0, 0.1);
  EXPECT_EQ(wan_vae_latent_mean(c), wan22_latent_mean());
  EXPECT_EQ(wan22_latent_std().size(), 48u);

  // The diffusers spellings of both map back to the official names.
  for (const auto* list : {&v21, &v22}) {
    const WanVaeVersion version =
        list == &v21 ? WanVaeVersion::wan21 : WanVaeVersion::wan22;
    std::vector<std::string> names;
    for (const auto& [n, s] : *list) names.push_back(testing::diffusers_vae_name(n, version));
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), list->size());
    const bool v22_names = wan_vae_diffusers_wan22(names);
    EXPECT_EQ(v22_names, version == WanVaeVersion::wan22);
    for (const auto& [n, s] : *list)
      EXPECT_EQ(wan_vae_internal_name(testing::diffusers_vae_name(n, version), v22_names), n);
  }
  EXPECT_EQ(testing::diffusers_vae_name("decoder.upsamples.7.time_conv.weight",
                                        WanVaeVersion::wan21),
            "decoder.up_blocks.1.upsamplers.0.time_conv.weight");
  EXPECT_EQ(testing::diffusers_vae_name("encoder.downsamples.1.downsamples.0.residual.2.weight",
                                        WanVaeVersion::wan22),
            "encoder.down_blocks.1.resnets.0.conv1.weight");

  // A Wan2.2 file with an inconsistent level width.
  ShapeMap bad = v22;
  bad["decoder.upsamples.2.upsamples.0.residual.2.weight"] = {512, 1000, 3, 3, 3};
  EXPECT_NE(error_of([&] { wan_vae_config_from_shapes(bad, "wan2.2_vae.safetensors"); },
                     ErrorCode::unsupported)
                .find("decoder.upsamples.2.upsamples.0.residual.2.weight has shape "
                      "[512, 1000, 3, 3, 3], expected [512, 1024, 3, 3, 3]"),
            std::string::npos);
}

WanVaeConfig small_wan22() {
  WanVaeConfig cfg = wan22_vae_config();
  cfg.z_dim = 4;
  cfg.base_dim = 4;
  cfg.decoder_base_dim = 8;
  return cfg;
}

TEST(WanVaeTest, Wan22EncodesAndDecodesWithItsStride) {
  TestDir dir("wan22_vae");
  testing::write_wan_vae(dir / "vae", small_wan22(), 11);
  auto vae = wan_vae_load(dir / "vae", f32());
  EXPECT_EQ(vae->config().version, WanVaeVersion::wan22);
  EXPECT_EQ(vae->z_dim(), 4);
  EXPECT_EQ(vae->spatial_stride(), 16);
  at::NoGradGuard no_grad;
  const at::Tensor video = at::tanh(test_randn({1, 3, 9, 32, 48}, 3));
  const at::Tensor z = vae->encode(video);
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{1, 4, 3, 2, 3}));
  const at::Tensor v = vae->decode(z);
  EXPECT_EQ(v.sizes(), video.sizes());
  EXPECT_LE(v.abs().max().item<float>(), 1.0f);
  // Causality in both directions, across the DupUp3D first-chunk rule.
  EXPECT_LT((vae->encode(video.narrow(2, 0, 5)) - z.narrow(2, 0, 2)).abs().max().item<double>(),
            1e-5);
  EXPECT_LT((vae->decode(z.narrow(2, 0, 2)) - v.narrow(2, 0, 5)).abs().max().item<double>(), 1e-5);
  EXPECT_NE(error_of([&] { vae->encode(video.narrow(3, 0, 24)); }, ErrorCode::bad_request)
                .find("multiples of 16"),
            std::string::npos);

  // The same weights under diffusers names give the same results.
  testing::write_wan_vae(dir / "diffusers", small_wan22(), 11, true);
  auto d = wan_vae_load(dir / "diffusers", f32());
  EXPECT_LT((d->encode(video) - z).abs().max().item<double>(), 1e-6);
}

TEST(WanVaeTest, DiffusersNamedWan21Loads) {
  TestDir dir("wan21_vae_diffusers");
  WanVaeConfig cfg = wan21_vae_config();
  cfg.base_dim = cfg.decoder_base_dim = 4;
  cfg.z_dim = 4;
  testing::write_wan_vae(dir / "official", cfg, 5);
  testing::write_wan_vae(dir / "diffusers", cfg, 5, true);
  at::NoGradGuard no_grad;
  const at::Tensor z = test_randn({1, 4, 2, 2, 2}, 1);
  EXPECT_LT((wan_vae_load(dir / "diffusers", f32())->decode(z) -
             wan_vae_load(dir / "official", f32())->decode(z))
                .abs()
                .max()
                .item<double>(),
            1e-6);
}

TEST(WanVaeTest, EncodesCausallyChunkByChunk) {
  TestDir dir("wan_vae_encode");
  testing::write_wan_vae(dir / "vae", 4, 16, 2);
  auto vae = wan_vae_load(dir / "vae", f32());
  EXPECT_EQ(vae->z_dim(), 16);
  EXPECT_EQ(vae->spatial_stride(), 8);
  EXPECT_EQ(vae->temporal_stride(), 4);
  at::NoGradGuard no_grad;
  const at::Tensor video = at::tanh(test_randn({1, 3, 9, 16, 24}, 7));
  std::vector<int64_t> seen;
  const at::Tensor z = vae->encode(video, [&](const Progress& p) {
    EXPECT_EQ(p.stage, "encode");
    EXPECT_EQ(p.total, 3);
    seen.push_back(p.done);
  });
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{1, 16, 3, 2, 3}));
  EXPECT_EQ(z.scalar_type(), at::kFloat);
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));
  // Normalization with the released statistics.
  const at::Tensor mu = vae->encode_raw(video);
  const at::Tensor mean = at::tensor(wan21_latent_mean()).view({1, 16, 1, 1, 1});
  const at::Tensor std = at::tensor(wan21_latent_std()).view({1, 16, 1, 1, 1});
  EXPECT_LT(((mu - mean) / std - z).abs().max().item<double>(), 1e-5);
  // Causal: latent frame k depends only on frames up to 4k.
  const at::Tensor first = vae->encode(video.narrow(2, 0, 1));
  EXPECT_LT((first.select(2, 0) - z.select(2, 0)).abs().max().item<double>(), 1e-5);
  const at::Tensor two = vae->encode(video.narrow(2, 0, 5));
  EXPECT_LT((two - z.narrow(2, 0, 2)).abs().max().item<double>(), 1e-5);
  // Batches are independent.
  const at::Tensor batch = vae->encode(at::cat({video, video.flip(3)}, 0));
  EXPECT_LT((batch.narrow(0, 0, 1) - z).abs().max().item<double>(), 1e-5);
  // Round trip shapes.
  EXPECT_EQ(vae->decode(z).sizes(), video.sizes());
  // bf16 (the run-time default) stays close to float32.
  auto bf = wan_vae_load(dir / "vae", WanVaeOptions{});
  EXPECT_LT((bf->encode(video) - z).abs().max().item<double>(), 0.15);

  CancelToken cancel;
  cancel.cancel();
  error_of([&] { vae->encode(video, {}, &cancel); }, ErrorCode::cancelled);
  EXPECT_NE(error_of([&] { vae->encode(video.narrow(2, 0, 8)); }, ErrorCode::bad_request)
                .find("F = 4n+1"),
            std::string::npos);
  error_of([&] { vae->encode(video.narrow(3, 0, 12)); }, ErrorCode::bad_request);
  error_of([&] { vae->encode(video.narrow(1, 0, 1)); }, ErrorCode::bad_request);
}

TEST(WanVaeTest, DecodesFramesWithProgressAndLatentStatistics) {
  TestDir dir("wan_vae");
  testing::write_wan_vae(dir / "vae", 4, 16, 2);
  auto vae = wan_vae_load(dir / "vae", f32());
  at::NoGradGuard no_grad;
  at::Tensor z = test_randn({1, 16, 2, 2, 3}, 5);
  std::vector<int64_t> seen;
  at::Tensor v = vae->decode(z, [&](const Progress& p) { seen.push_back(p.done); });
  EXPECT_EQ(v.sizes(), (std::vector<int64_t>{1, 3, 5, 16, 24}));
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2}));
  EXPECT_LE(v.abs().max().item<float>(), 1.0f);
  at::Tensor mean = at::tensor(wan21_latent_mean()).view({1, 16, 1, 1, 1});
  at::Tensor std = at::tensor(wan21_latent_std()).view({1, 16, 1, 1, 1});
  EXPECT_LT((vae->decode_raw(z * std + mean) - v).abs().max().item<double>(), 1e-5);
  // The first frame depends only on the first latent frame (causality).
  at::Tensor one = vae->decode(z.narrow(2, 0, 1));
  EXPECT_EQ(one.size(2), 1);
  EXPECT_LT((one.select(2, 0) - v.select(2, 0)).abs().max().item<double>(), 1e-5);
  at::Tensor bf = wan_vae_load(dir / "vae", WanVaeOptions{})->decode(z);
  EXPECT_LT((bf - v).abs().max().item<double>(), 0.1);
  // The decoder-only interface of the first pipeline.
  auto decoder = wan_vae_decoder_load(dir / "vae", f32());
  EXPECT_LT((decoder->decode(z, wan21_latent_mean(), wan21_latent_std()) - v)
                .abs()
                .max()
                .item<double>(),
            1e-5);
  error_of([&] { decoder->decode(z, {0.f}, {1.f}); }, ErrorCode::bad_request);

  CancelToken cancel;
  cancel.cancel();
  error_of([&] { vae->decode(z, {}, &cancel); }, ErrorCode::cancelled);
  error_of([&] { vae->decode(test_randn({1, 15, 1, 2, 2}, 1)); }, ErrorCode::bad_request);
  error_of([&] { vae->decode(test_randn({1, 16, 0, 2, 2}, 1)); }, ErrorCode::bad_request);
}

TEST(WanVaeTest, DecoderOnlyWeightsDecodeButDoNotEncode) {
  TestDir dir("wan_vae_dec_only");
  WanVaeConfig cfg = wan21_vae_config();
  cfg.base_dim = cfg.decoder_base_dim = 4;
  cfg.z_dim = 4;
  cfg.encoder = false;
  testing::write_wan_vae(dir / "vae", cfg, 3);
  auto vae = wan_vae_load(dir / "vae", f32());
  EXPECT_FALSE(vae->has_encoder());
  at::NoGradGuard no_grad;
  EXPECT_EQ(vae->decode(test_randn({1, 4, 1, 2, 2}, 1)).sizes(),
            (std::vector<int64_t>{1, 3, 1, 16, 16}));
  // Test-sized latents have no published statistics: the normalization is the identity.
  EXPECT_EQ(vae->latent_mean(), std::vector<float>(4, 0.0f));
  EXPECT_EQ(vae->latent_std(), std::vector<float>(4, 1.0f));
  EXPECT_NE(error_of([&] { vae->encode(at::zeros({1, 3, 1, 16, 16})); }, ErrorCode::unsupported)
                .find("holds no encoder"),
            std::string::npos);
}

TEST(WanVaeTest, EncodeAndDecodeAreDifferentiable) {
  TestDir dir("wan_vae_grad");
  testing::write_wan_vae(dir / "vae", 4, 4, 9);
  auto vae = wan_vae_load(dir / "vae", f32());
  at::Tensor video = (0.5 * test_randn({1, 3, 5, 16, 16}, 2)).requires_grad_(true);
  at::Tensor z = vae->encode(video);
  at::Tensor back = vae->decode(z);
  (back * back).sum().backward();
  ASSERT_TRUE(video.grad().defined());
  EXPECT_GT(video.grad().abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(std::isfinite(video.grad().abs().sum().item<double>()));
}

}  // namespace
}  // namespace kino::gen
