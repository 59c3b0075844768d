#include "gen/umt5_encoder.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;

// The released umT5-XXL encoder's tensor list, from the spec's numbers (§2.2, §5.4).
ShapeMap umt5_xxl_shapes() {
  ShapeMap m;
  m["shared.weight"] = {256384, 4096};
  for (int i = 0; i < 24; ++i) {
    const std::string b = "encoder.block." + std::to_string(i) + ".layer.";
    m[b + "0.layer_norm.weight"] = {4096};
    for (const char* p : {"q", "k", "v", "o"})
      m[b + "0.SelfAttention." + p + ".weight"] = {4096, 4096};
    m[b + "0.SelfAttention.relative_attention_bias.weight"] = {32, 64};
    m[b + "1.layer_norm.weight"] = {4096};
    m[b + "1.DenseReluDense.wi_0.weight"] = {10240, 4096};
    m[b + "1.DenseReluDense.wi_1.weight"] = {10240, 4096};
    m[b + "1.DenseReluDense.wo.weight"] = {4096, 10240};
  }
  m["encoder.final_layer_norm.weight"] = {4096};
  return m;
}

TEST(Umt5Test, DetectsUmt5XxlFromShapes) {
  UMT5Config c = umt5_config_from_shapes(umt5_xxl_shapes(), "umt5_xxl_fp16.safetensors");
  EXPECT_EQ(c.summary(), "umT5 d_model 4096, 64 heads x 64, 24 layers, ffn 10240, vocab 256384");
  int64_t params = 0;
  for (const auto& [n, s] : umt5_xxl_shapes()) {
    int64_t k = 1;
    for (int64_t d : s) k *= d;
    params += k;
  }
  EXPECT_NEAR(double(params) / 1e9, 5.68, 0.01);

  ShapeMap broken = umt5_xxl_shapes();
  broken.erase("encoder.block.23.layer.1.DenseReluDense.wo.weight");
  try {
    umt5_config_from_shapes(broken, "te.safetensors");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("te.safetensors: not a complete umT5 encoder: tensor "
                                         "encoder.block.23.layer.1.DenseReluDense.wo.weight"),
              std::string::npos)
        << e.what();
  }
}

TEST(Umt5Test, OfficialAndHfNamesGiveTheSameEncoder) {
  TestDir dir("umt5_names");
  const UMT5Config cfg = testing::tiny_umt5_config();
  testing::write_umt5_model(dir / "hf", cfg, 3);
  testing::write_umt5_model(dir / "official", cfg, 3, true);
  UMT5Options o;
  o.dtype = at::kFloat;
  auto hf = umt5_encoder_load(dir / "hf", o);
  auto official = umt5_encoder_load(dir / "official", o);
  EXPECT_EQ(official->config().summary(), cfg.summary());
  at::Tensor ids = at::arange(5, 25, at::kLong).view({1, 20});
  at::Tensor mask = at::ones_like(ids);
  mask.narrow(1, 12, 8).zero_();
  at::NoGradGuard no_grad;
  at::Tensor a = hf->encode(ids, mask);
  EXPECT_TRUE(at::equal(a, official->encode(ids, mask)));
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{1, 20, 32}));
  EXPECT_EQ(a.narrow(1, 12, 8).abs().max().item<float>(), 0.0f);
  // Padding never leaks into real rows: the same prompt without padding encodes the same.
  at::Tensor short_ids = ids.narrow(1, 0, 12);
  EXPECT_LT((hf->encode(short_ids, at::ones_like(short_ids)) - a.narrow(1, 0, 12))
                .abs()
                .max()
                .item<double>(),
            1e-5);
  o.dtype = at::kBFloat16;
  at::Tensor bf = umt5_encoder_load(dir / "hf", o)->encode(ids, mask);
  EXPECT_LT((bf - a).abs().max().item<double>() / a.abs().max().item<double>(), 0.05);
}

TEST(Umt5Test, BadIdsAndMasksAreNamedErrors) {
  TestDir dir("umt5_bad");
  testing::write_umt5_model(dir.path(), testing::tiny_umt5_config(), 3);
  auto enc = umt5_encoder_load(dir.path(), UMT5Options{});
  auto expect_bad = [&](const at::Tensor& ids, const at::Tensor& mask, const std::string& frag) {
    try {
      enc->encode(ids, mask);
      ADD_FAILURE() << frag;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_request);
      EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
    }
  };
  at::Tensor ids = at::ones({1, 4}, at::kLong);
  expect_bad(ids * 97, at::ones_like(ids), "ids must be in 0..96, got 97");
  expect_bad(ids, at::ones({1, 5}), "mask must have the shape of ids [1, 4]");
  expect_bad(ids.to(at::kFloat), at::ones_like(ids), "ids must be a non-empty integer");
  expect_bad(ids, at::zeros_like(ids), "at least one real token");
  try {
    umt5_encoder_load(dir / "nothing_here", UMT5Options{});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

}  // namespace
}  // namespace kino::gen
