#include "gen/vae_norm_silu.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"

namespace kino::gen {
namespace {

// The VAE's norm and SiLU written with LibTorch ops in float64: the value to match.
at::Tensor reference(const at::Tensor& x, const at::Tensor& gamma) {
  const at::Tensor d = x.to(at::kDouble);
  const int64_t C = x.size(1);
  std::vector<int64_t> shape(size_t(x.dim()), 1);
  shape[1] = C;
  const at::Tensor inv =
      std::sqrt(double(C)) / at::clamp_min(at::linalg_vector_norm(d, 2, {1}, true), 1e-12);
  return at::silu(d * inv * gamma.to(at::kDouble).view(shape));
}

struct Case {
  at::Tensor x, gamma;
};

// Two clips of odd sizes (positions not a multiple of the kernel's block), values up to +-40 so
// SiLU's tails are used, one position all zeros (the norm's clamp) and one very large.
Case odd_case() {
  at::manual_seed(3);
  Case c;
  c.x = at::randn({2, 7, 3, 11, 13}) * 8;
  c.x.select(0, 1).select(1, 0).select(1, 4).select(1, 5).zero_();
  c.x.select(0, 0).select(1, 2).select(1, 1).select(1, 1).mul_(1e6);
  c.gamma = at::randn({7, 1, 1, 1}) * 5;
  return c;
}

TEST(VaeNormSilu, MatchesTheOpsInFloat32) {
  at::NoGradGuard no_grad;
  const Case c = odd_case();
  ASSERT_TRUE(vae_norm_silu_applies(c.x, c.gamma));
  const at::Tensor y = vae_norm_silu(c.x, c.gamma);
  ASSERT_EQ(y.sizes(), c.x.sizes());
  ASSERT_EQ(y.scalar_type(), at::kFloat);
  const at::Tensor want = reference(c.x, c.gamma);
  const double err = (y.to(at::kDouble) - want).abs().max().item<double>();
  const double scale = want.abs().max().item<double>();
  EXPECT_LT(err, 2e-6 * scale) << "largest value " << scale;
  EXPECT_FALSE(y.isnan().any().item<bool>());
  EXPECT_EQ(y.select(0, 1).select(1, 0).select(1, 4).select(1, 5).abs().max().item<float>(), 0);
}

TEST(VaeNormSilu, Bfloat16IsRoundedOnceFromTheExactValue) {
  at::NoGradGuard no_grad;
  const Case c = odd_case();
  const at::Tensor x = c.x.to(at::kBFloat16);
  const at::Tensor y = vae_norm_silu(x, c.gamma);
  ASSERT_EQ(y.scalar_type(), at::kBFloat16);
  const at::Tensor want = reference(x, c.gamma);
  // One rounding to bfloat16 (8 significant bits): at most half a unit in the last place.
  const at::Tensor err = (y.to(at::kDouble) - want).abs();
  const at::Tensor ulp = want.abs().clamp_min(1e-30) * std::ldexp(1.0, -8);
  EXPECT_LE((err - ulp * 1.01).max().item<double>(), 1e-30);
  // The op-by-op path rounds after each op, so it is further from the exact value.
  const at::Tensor ops =
      at::silu(x * (std::sqrt(7.0) / at::clamp_min(at::linalg_vector_norm(x, 2, {1}, true,
                                                                          at::kFloat),
                                                   1e-12))
                       .to(at::kBFloat16) *
               c.gamma.to(at::kBFloat16));
  EXPECT_LE(err.sum().item<double>(), (ops.to(at::kDouble) - want).abs().sum().item<double>());
}

TEST(VaeNormSilu, EmptyBatchGivesAnEmptyResult) {
  at::NoGradGuard no_grad;
  const at::Tensor y = vae_norm_silu(at::empty({0, 7, 3, 4, 4}), at::ones({7}));
  EXPECT_EQ(y.sizes(), at::IntArrayRef({0, 7, 3, 4, 4}));
}

TEST(VaeNormSilu, LeavesAutogradAndOtherLayoutsToTheOps) {
  const Case c = odd_case();
  EXPECT_FALSE(vae_norm_silu_applies(c.x, c.gamma));  // grad mode is on here
  at::NoGradGuard no_grad;
  EXPECT_FALSE(vae_norm_silu_applies(c.x.transpose(3, 4), c.gamma));
  EXPECT_FALSE(vae_norm_silu_applies(c.x.to(at::kHalf), c.gamma));
  EXPECT_FALSE(vae_norm_silu_applies(c.x, c.gamma.narrow(0, 0, 6)));
  try {
    vae_norm_silu(c.x.transpose(3, 4), c.gamma);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
  }
}

struct Grads {
  at::Tensor y, dx, dgamma;
};

// Output and gradients of sum(y * w) through the trainable kernel.
Grads trainable(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& w) {
  const at::Tensor xr = x.detach().clone().requires_grad_(true);
  const at::Tensor gr = gamma.detach().clone().requires_grad_(true);
  const at::Tensor y = vae_norm_silu_trainable(xr, gr);
  (y.to(at::kFloat) * w).sum().backward();
  return {y.detach(), xr.grad(), gr.grad()};
}

// The same through the float64 ops, the value to match.
Grads reference_grads(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& w) {
  const at::Tensor xd = x.detach().to(at::kDouble).requires_grad_(true);
  const at::Tensor gd = gamma.detach().to(at::kDouble).requires_grad_(true);
  const at::Tensor y = reference(xd, gd);
  (y * w.to(at::kDouble)).sum().backward();
  return {y.detach(), xd.grad(), gd.grad()};
}

double relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got.to(at::kDouble) - want).abs().max() / want.abs().max()).item<double>();
}

// odd_case without its all-zero position, where the clamped norm makes the gradient 1e12 times
// the others (the kernel gives the same, but it would set the scale of the comparison).
Case gradient_case() {
  Case c = odd_case();
  c.x.select(0, 1).select(1, 0).select(1, 4).select(1, 5).fill_(0.5);
  return c;
}

TEST(VaeNormSilu, TrainableGradientsMatchTheOpsInFloat32) {
  const Case c = gradient_case();
  const at::Tensor w = at::randn(c.x.sizes());
  ASSERT_TRUE(vae_norm_silu_trainable_applies(c.x, c.gamma));
  const Grads got = trainable(c.x, c.gamma, w), want = reference_grads(c.x, c.gamma, w);
  ASSERT_EQ(got.dx.sizes(), c.x.sizes());
  ASSERT_EQ(got.dgamma.sizes(), c.gamma.sizes());
  EXPECT_LT(relative_error(got.y, want.y), 2e-6);
  EXPECT_LT(relative_error(got.dx, want.dx), 1e-5);
  EXPECT_LT(relative_error(got.dgamma, want.dgamma), 1e-5);
}

TEST(VaeNormSilu, TrainableGradientsInBfloat16StayNearTheExactOnes) {
  // bfloat16 in and out (8 significant bits), float32 inside: the gradients come back within a
  // few units of bfloat16's last place of the exact ones, and gamma's in float32.
  const Case c = gradient_case();
  const at::Tensor x = c.x.to(at::kBFloat16);
  const at::Tensor w = at::randn(c.x.sizes());
  const Grads got = trainable(x, c.gamma, w), want = reference_grads(x, c.gamma, w);
  EXPECT_EQ(got.dx.scalar_type(), at::kBFloat16);
  EXPECT_EQ(got.dgamma.scalar_type(), at::kFloat);
  EXPECT_LT(relative_error(got.dx, want.dx), 2e-2);
  // dgamma sums float32 terms from a bfloat16 dy: the rounding of dy (cast from w's float32
  // gradient) is all that separates it from the exact value.
  EXPECT_LT(relative_error(got.dgamma, want.dgamma), 2e-2);
}

TEST(VaeNormSilu, TrainableAppliesUnderGradModeAndNotToOtherLayouts) {
  const Case c = odd_case();
  EXPECT_TRUE(vae_norm_silu_trainable_applies(c.x, c.gamma));
  EXPECT_FALSE(vae_norm_silu_trainable_applies(c.x.transpose(3, 4), c.gamma));
  EXPECT_FALSE(vae_norm_silu_trainable_applies(c.x.to(at::kHalf), c.gamma));
  EXPECT_THROW(vae_norm_silu_trainable(c.x.transpose(3, 4), c.gamma), Error);
  const at::Tensor y = vae_norm_silu_trainable(at::empty({0, 7, 3, 4, 4}), at::ones({7}));
  EXPECT_EQ(y.numel(), 0);
}

}  // namespace
}  // namespace kino::gen
