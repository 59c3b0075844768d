#include "gen/wan_denoise.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::test_randn;

class WanDenoiseTest : public ::testing::Test {
 protected:
  WanDenoiseTest() : dir_("wan_denoise") {
    WanDitOptions o;
    o.dtype = at::kFloat;
    dit_ = wan_dit_load(
        testing::write_wan_model(dir_ / "m", cfg_, 4, testing::TestLayout::official), o);
    positive_ = dit_->encode_text(test_randn({1, 5, cfg_.text_dim}, 1));
    negative_ = dit_->encode_text(test_randn({1, 3, cfg_.text_dim}, 2));
    params_.steps = 3;
  }
  TestDir dir_;
  WanDitConfig cfg_ = testing::tiny_wan_config();
  std::unique_ptr<WanDit> dit_;
  WanDitText positive_, negative_;
  DenoiseParams params_;
  std::array<int64_t, 4> shape_{4, 2, 4, 6};
};

TEST_F(WanDenoiseTest, SameSeedSameLatentOtherSeedOther) {
  at::NoGradGuard no_grad;
  at::Tensor a = wan_denoise(*dit_, positive_, &negative_, shape_, params_);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{4, 2, 4, 6}));
  EXPECT_TRUE(at::isfinite(a).all().item<bool>());
  EXPECT_TRUE(at::equal(a, wan_denoise(*dit_, positive_, &negative_, shape_, params_)));
  DenoiseParams other = params_;
  other.seed = 1;
  EXPECT_FALSE(at::equal(a, wan_denoise(*dit_, positive_, &negative_, shape_, other)));
  other = params_;
  other.sampler = SamplerKind::euler;
  EXPECT_FALSE(at::equal(a, wan_denoise(*dit_, positive_, &negative_, shape_, other)));
}

TEST_F(WanDenoiseTest, GuidanceOneEqualsTheConditionalPassAlone) {
  at::NoGradGuard no_grad;
  DenoiseParams g1 = params_;
  g1.guidance = 1.0;
  at::Tensor cond_only = wan_denoise(*dit_, positive_, nullptr, shape_, params_);
  EXPECT_TRUE(at::equal(cond_only, wan_denoise(*dit_, positive_, &negative_, shape_, g1)));
  at::Tensor guided = wan_denoise(*dit_, positive_, &negative_, shape_, params_);
  EXPECT_GT((guided - cond_only).abs().max().item<double>(), 1e-4);
}

TEST_F(WanDenoiseTest, FirstFrameStaysFixed) {
  at::NoGradGuard no_grad;
  at::Tensor frame = test_randn({4, 4, 6}, 9);
  at::Tensor x = wan_denoise(*dit_, positive_, &negative_, shape_, params_, frame);
  EXPECT_TRUE(at::equal(x.select(1, 0), frame));
  at::Tensor free = wan_denoise(*dit_, positive_, &negative_, shape_, params_);
  EXPECT_GT((x.select(1, 1) - free.select(1, 1)).abs().max().item<double>(), 1e-4);
  EXPECT_THROW(wan_denoise(*dit_, positive_, &negative_, shape_, params_, test_randn({4, 4, 5}, 1)),
               Error);
}

TEST_F(WanDenoiseTest, ReportsProgressAndStopsWhenCancelled) {
  at::NoGradGuard no_grad;
  std::vector<int64_t> seen;
  CancelToken cancel;
  auto on_progress = [&](const Progress& p) {
    seen.push_back(p.done);
    EXPECT_EQ(p.total, 3);
    EXPECT_EQ(p.stage, "denoise");
    if (p.done == 1) cancel.cancel();
  };
  try {
    wan_denoise(*dit_, positive_, &negative_, shape_, params_, {}, on_progress, &cancel);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{1}));
}

TEST(WanLatentShapeTest, FramesAndSizesFollowTheModelRules) {
  WanDitConfig c = testing::tiny_wan_config();
  c.in_dim = 16;
  EXPECT_EQ(wan_latent_shape(c, 81, 480, 832, 8), (std::array<int64_t, 4>{16, 21, 60, 104}));
  EXPECT_EQ(wan_latent_shape(c, 1, 480, 832, 8), (std::array<int64_t, 4>{16, 1, 60, 104}));
  c.in_dim = 48;
  EXPECT_EQ(wan_latent_shape(c, 121, 704, 1280, 16), (std::array<int64_t, 4>{48, 31, 44, 80}));
  for (auto [f, h, w, frag] :
       {std::tuple{80, 480, 832, "frames must be 4n + 1"},
        std::tuple{81, 720, 1280, "height must be a positive multiple of 32, got 720"},
        std::tuple{81, 704, 1000, "width must be a positive multiple of 32"}}) {
    try {
      wan_latent_shape(c, f, h, w, 16);
      ADD_FAILURE() << frag;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_request);
      EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace kino::gen
