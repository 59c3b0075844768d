#include "gen/wan_vae.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json.h"
#include "gen/tensor_io.h"
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

// Tiled against untiled on a small damped random model, frames in [-1, 1] (measured: decode mean
// 2e-3, max 0.14; encode mean 5e-3, max 0.07); see TiledDecodeAndEncodeAgreeCloselyWithUntiled.
constexpr double kTiledMeanTolerance = 0.01;
constexpr double kTiledMaxTolerance = 0.3;

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
    const WanVaeVersion version = list == &v21 ? WanVaeVersion::wan21 : WanVaeVersion::wan22;
    std::vector<std::string> names;
    for (const auto& [n, s] : *list) names.push_back(testing::diffusers_vae_name(n, version));
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), list->size());
    const bool v22_names = wan_vae_diffusers_wan22(names);
    EXPECT_EQ(v22_names, version == WanVaeVersion::wan22);
    for (const auto& [n, s] : *list)
      EXPECT_EQ(wan_vae_internal_name(testing::diffusers_vae_name(n, version), v22_names), n);
  }
  EXPECT_EQ(
      testing::diffusers_vae_name("decoder.upsamples.7.time_conv.weight", WanVaeVersion::wan21),
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
  // Attention in query blocks (here 2 of the 6 positions at a time) changes nothing.
  WanVaeOptions blocks = f32();
  blocks.attention_scores = 2 * 6;
  auto blocked = wan_vae_load(dir / "vae", blocks);
  EXPECT_LT((blocked->encode(video) - z).abs().max().item<double>(), 1e-5);
  EXPECT_LT((blocked->decode(z) - vae->decode(z)).abs().max().item<double>(), 1e-5);
  blocks.attention_scores = 0;
  error_of([&] { wan_vae_load(dir / "vae", blocks); }, ErrorCode::bad_request);
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
  EXPECT_LT(
      (decoder->decode(z, wan21_latent_mean(), wan21_latent_std()) - v).abs().max().item<double>(),
      1e-5);
  error_of([&] { decoder->decode(z, {0.f}, {1.f}); }, ErrorCode::bad_request);

  CancelToken cancel;
  cancel.cancel();
  error_of([&] { vae->decode(z, {}, &cancel); }, ErrorCode::cancelled);
  error_of([&] { vae->decode(test_randn({1, 15, 1, 2, 2}, 1)); }, ErrorCode::bad_request);
  error_of([&] { vae->decode(test_randn({1, 16, 0, 2, 2}, 1)); }, ErrorCode::bad_request);
}

TEST(WanVaeTest, StatisticsInTheFileMetadataSetTheLatentUnits) {
  TestDir dir("wan_vae");
  const auto file = testing::write_wan_vae(dir / "vae", 4, 16, 2);
  auto plain = wan_vae_load(dir / "vae", f32());
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& [name, t] : safetensors_read_all(file)) tensors.emplace_back(name, t);
  WanVaeLatentStats stats;
  for (int c = 0; c < 16; ++c) {
    stats.mean.push_back(0.25f * float(c - 8));
    stats.std.push_back(0.5f + 0.125f * float(c));
  }
  std::filesystem::create_directories(dir / "stats");
  std::filesystem::create_directories(dir / "bad");
  safetensors_write(dir / "stats" / "vae.safetensors", tensors,
                    wan_vae_latent_stats_metadata(stats));
  auto own = wan_vae_load(dir / "stats", f32());
  EXPECT_EQ(own->latent_mean(), stats.mean);  // exact through the text form
  EXPECT_EQ(own->latent_std(), stats.std);

  at::NoGradGuard no_grad;
  const at::Tensor frames = test_randn({1, 3, 5, 16, 16}, 3).clamp(-1, 1);
  const at::Tensor mu = plain->encode_raw(frames);
  const at::Tensor m = at::tensor(stats.mean).view({1, 16, 1, 1, 1});
  const at::Tensor sd = at::tensor(stats.std).view({1, 16, 1, 1, 1});
  const at::Tensor z = own->encode(frames);
  EXPECT_LT((z - (mu - m) / sd).abs().max().item<double>(), 1e-4);
  // Each VAE decodes its own latents to the same frames.
  EXPECT_LT((own->decode(z) - plain->decode(plain->encode(frames))).abs().max().item<double>(),
            1e-4);

  // Malformed statistics name the file and key.
  auto bad = [&](std::map<std::string, std::string> metadata) {
    safetensors_write(dir / "bad" / "vae.safetensors", tensors, metadata);
    return error_of([&] { wan_vae_load(dir / "bad", f32()); }, ErrorCode::unsupported);
  };
  auto md = wan_vae_latent_stats_metadata(stats);
  EXPECT_NE(bad({{kVaeLatentMeanKey, md[kVaeLatentMeanKey]}}).find("only one of"),
            std::string::npos);
  EXPECT_NE(bad({{kVaeLatentMeanKey, "[1, 2]"}, {kVaeLatentStdKey, md[kVaeLatentStdKey]}})
                .find("array of 16 numbers"),
            std::string::npos);
  std::string zero_std = md[kVaeLatentStdKey];
  zero_std.replace(1, zero_std.find(',') - 1, "0");
  EXPECT_NE(bad({{kVaeLatentMeanKey, md[kVaeLatentMeanKey]}, {kVaeLatentStdKey, zero_std}})
                .find("latents_std must hold finite numbers > 0"),
            std::string::npos);
  EXPECT_NE(bad({{kVaeLatentMeanKey, "[not json"}, {kVaeLatentStdKey, md[kVaeLatentStdKey]}})
                .find("latents_mean"),
            std::string::npos);
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
  EXPECT_NE(error_of(
                [&] {
                  vae->encode(at::zeros({1, 3, 1, 16, 16}));
                },
                ErrorCode::unsupported)
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

TEST(WanVaeTest, TileStartsCoverTheExtentWithTheOverlap) {
  EXPECT_EQ(wan_vae_tile_starts(5, 8, 2), (std::vector<int64_t>{0}));
  EXPECT_EQ(wan_vae_tile_starts(8, 8, 2), (std::vector<int64_t>{0}));
  EXPECT_EQ(wan_vae_tile_starts(14, 8, 2), (std::vector<int64_t>{0, 6}));
  EXPECT_EQ(wan_vae_tile_starts(15, 8, 2), (std::vector<int64_t>{0, 6, 7}));
  EXPECT_EQ(wan_vae_tile_starts(4, 1, 0), (std::vector<int64_t>{0, 1, 2, 3}));
  for (int64_t extent = 1; extent < 40; ++extent)
    for (int64_t tile = 1; tile < 12; ++tile)
      for (int64_t overlap = 0; overlap < tile; ++overlap) {
        const auto starts = wan_vae_tile_starts(extent, tile, overlap);
        ASSERT_FALSE(starts.empty());
        EXPECT_EQ(starts.front(), 0);
        EXPECT_EQ(starts.back() + std::min(tile, extent), extent);
        for (size_t k = 1; k < starts.size(); ++k) {
          EXPECT_GT(starts[k], starts[k - 1]);
          EXPECT_GE(starts[k - 1] + tile - starts[k], overlap);  // shared samples
        }
      }
  // Balanced lengths: as few windows as the tile allows, none a sliver.
  EXPECT_EQ(wan_vae_tile_length(60, 64, 8), 60);
  EXPECT_EQ(wan_vae_tile_length(104, 64, 8), 56);  // 832 px at stride 8: two tiles of 448 px
  EXPECT_EQ(wan_vae_tile_length(65, 64, 8), 37);
  for (int64_t extent = 1; extent < 40; ++extent)
    for (int64_t tile = 2; tile < 12; ++tile)
      for (int64_t overlap = 0; overlap < tile; ++overlap) {
        const int64_t len = wan_vae_tile_length(extent, tile, overlap);
        EXPECT_LE(len, tile);
        if (extent <= tile) {
          EXPECT_EQ(len, extent);
          continue;
        }
        EXPECT_GT(len, overlap);
        const auto starts = wan_vae_tile_starts(extent, len, overlap);
        const auto fixed = wan_vae_tile_starts(extent, tile, overlap);
        EXPECT_EQ(starts.size(), fixed.size()) << extent << " " << tile << " " << overlap;
        for (size_t k = 1; k < starts.size(); ++k) EXPECT_GE(starts[k - 1] + len - starts[k], overlap);
      }
  error_of([] { wan_vae_tile_starts(10, 4, 4); }, ErrorCode::bad_request);
  error_of([] { wan_vae_tile_starts(10, 0, 0); }, ErrorCode::bad_request);
}

TEST(WanVaeTest, TilingOptionsAreChecked) {
  TestDir dir("wan_vae_tile_options");
  testing::write_wan_vae(dir / "vae", 4, 4, 2);
  WanVaeOptions o = f32();
  o.tile_size = 20;
  EXPECT_NE(
      error_of([&] { wan_vae_load(dir / "vae", o); }, ErrorCode::bad_request)
          .find("tile_size must be a positive multiple of the VAE's spatial stride 8, got 20"),
      std::string::npos);
  o.tile_size = 32;
  o.tile_overlap = 32;
  error_of([&] { wan_vae_load(dir / "vae", o); }, ErrorCode::bad_request);
  o.tile_overlap = 4;
  error_of([&] { wan_vae_load(dir / "vae", o); }, ErrorCode::bad_request);
  o.tile_overlap = 8;
  auto vae = wan_vae_load(dir / "vae", o);
  EXPECT_FALSE(vae->tiled(32, 32));     // one tile
  EXPECT_FALSE(vae->tiled(512, 512));  // automatic: not above 512 x 512
  EXPECT_TRUE(vae->tiled(480, 832));
  EXPECT_TRUE(vae->tiled(1080, 1920));
  o.tiling = WanVaeTiling::on;
  EXPECT_TRUE(wan_vae_load(dir / "vae", o)->tiled(32, 40));
  o.tiling = WanVaeTiling::off;
  EXPECT_FALSE(wan_vae_load(dir / "vae", o)->tiled(1080, 1920));
  EXPECT_EQ(wan_vae_tiling_parse("on"), WanVaeTiling::on);
  EXPECT_EQ(wan_vae_tiling_name(WanVaeTiling::automatic), "automatic");
  EXPECT_FALSE(wan_vae_tiling_parse("yes").has_value());
}

// Rewrites a VAE file so its spatial reach shrinks: the off-centre taps of every 3x3 kernel are
// scaled by `spread` and the middle attention's output projection is zeroed (as the reference
// initializes it). With spread 0 every output pixel depends on its own latent only.
void localize_vae(const std::filesystem::path& file, double spread) {
  auto tensors = safetensors_read_all(file);
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (auto& [name, t] : tensors) {
    at::Tensor w = t.clone();
    if (name.find("middle.1.proj.weight") != std::string::npos) w.zero_();
    if (w.dim() >= 4 && w.size(-1) == 3 && w.size(-2) == 3) {
      at::Tensor centre = w.select(-1, 1).select(-1, 1).clone();
      w.mul_(spread);
      w.select(-1, 1).select(-1, 1).copy_(centre);
    }
    out.emplace_back(name, w);
  }
  safetensors_write(file, out);
}

struct TiledDiff {
  double decode_max, decode_mean, encode_max, encode_mean;
};

// Decodes and encodes 64 x 80 pixels (8 x 10 latents) whole and in 2 x 2 tiles of 48 pixels
// sharing 16, checking that the tiled path ran.
TiledDiff tiled_vs_whole(const std::filesystem::path& dir) {
  WanVaeOptions o = f32();
  o.tiling = WanVaeTiling::off;
  auto whole = wan_vae_load(dir, o);
  o.tiling = WanVaeTiling::on;
  o.tile_size = 48;
  o.tile_overlap = 16;
  auto tiles = wan_vae_load(dir, o);
  at::NoGradGuard no_grad;
  const at::Tensor z = test_randn({1, 4, 2, 8, 10}, 4);
  int64_t total = 0, calls = 0;
  const at::Tensor a = whole->decode(z);
  const at::Tensor b = tiles->decode(z, [&](const Progress& p) {
    total = p.total;
    ++calls;
  });
  EXPECT_EQ(total, 2 * 4);  // latent frames x tiles
  EXPECT_EQ(calls, 8);
  EXPECT_EQ(a.sizes(), b.sizes());
  EXPECT_GT(a.abs().mean().item<double>(), 0.05);
  const at::Tensor video = at::tanh(test_randn({1, 3, 5, 64, 80}, 6));
  total = 0;
  const at::Tensor ea = whole->encode(video);
  const at::Tensor eb = tiles->encode(video, [&](const Progress& p) { total = p.total; });
  EXPECT_EQ(total, 2 * 4);  // chunks x tiles
  EXPECT_EQ(ea.sizes(), eb.sizes());
  return {(a - b).abs().max().item<double>(), (a - b).abs().mean().item<double>(),
          (ea - eb).abs().max().item<double>(), (ea - eb).abs().mean().item<double>()};
}

// With a purely local network the tiles, their placement and the blend are exact.
TEST(WanVaeTest, TilingIsExactForALocalNetwork) {
  TestDir dir("wan_vae_tiles_exact");
  localize_vae(testing::write_wan_vae(dir / "vae", 4, 4, 21), 0.0);
  const TiledDiff d = tiled_vs_whole(dir / "vae");
  EXPECT_LT(d.decode_max, 1e-5);
  EXPECT_LT(d.encode_max, 1e-5);
}

// Tiled against untiled when pixels see their neighbours. Not exact: near its border a tile sees
// zero padding instead of the neighbouring pixels; the linear blend over the overlap hides the
// seam. Random weights spread information much further than a trained VAE (fully random ones,
// with global attention, differ by ~0.2 on average here), so the test damps the reach.
TEST(WanVaeTest, TiledDecodeAndEncodeAgreeCloselyWithUntiled) {
  TestDir dir("wan_vae_tiles");
  localize_vae(testing::write_wan_vae(dir / "vae", 4, 4, 21), 0.1);
  const TiledDiff d = tiled_vs_whole(dir / "vae");
  std::printf("tiled vs whole: decode max %.3g mean %.3g, encode max %.3g mean %.3g\n",
              d.decode_max, d.decode_mean, d.encode_max, d.encode_mean);
  EXPECT_GT(d.decode_max, 0.0);  // the tiles really were cut
  EXPECT_LT(d.decode_mean, kTiledMeanTolerance);
  EXPECT_LT(d.decode_max, kTiledMaxTolerance);
  EXPECT_LT(d.encode_mean, kTiledMeanTolerance);
  EXPECT_LT(d.encode_max, kTiledMaxTolerance);
}

// The stress setting: one latent per tile, no overlap; every tile decodes alone.
TEST(WanVaeTest, OneLatentTilesStillDecodeAndStayDifferentiable) {
  TestDir dir("wan_vae_tile1");
  testing::write_wan_vae(dir / "vae", 4, 4, 22);
  WanVaeOptions o = f32();
  o.tiling = WanVaeTiling::on;
  o.tile_size = 8;
  o.tile_overlap = 0;
  auto vae = wan_vae_load(dir / "vae", o);
  at::Tensor z = test_randn({1, 4, 2, 2, 3}, 1).requires_grad_(true);
  int64_t total = 0;
  at::Tensor v = vae->decode(z, [&](const Progress& p) { total = p.total; });
  EXPECT_EQ(total, 2 * 6);
  EXPECT_EQ(v.sizes(), (std::vector<int64_t>{1, 3, 5, 16, 24}));
  v.pow(2).sum().backward();
  ASSERT_TRUE(z.grad().defined());
  EXPECT_GT(z.grad().abs().sum().item<double>(), 0.0);
  // Each 8 x 8 block is the decode of its own latent alone.
  at::NoGradGuard no_grad;
  o.tiling = WanVaeTiling::off;
  const at::Tensor alone = wan_vae_load(dir / "vae", o)->decode(z.narrow(3, 1, 1).narrow(4, 2, 1));
  EXPECT_LT((alone - v.narrow(3, 8, 8).narrow(4, 16, 8)).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace kino::gen
