#include "gen/flow_sampler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using testing::test_randn;

TEST(FlowSamplerTest, ScheduleFollowsTheReferenceGridAndShift) {
  FlowSchedule s = flow_schedule(4, 1.0);
  EXPECT_EQ(s.timesteps, (std::vector<int64_t>{999, 749, 499, 249}));
  ASSERT_EQ(s.sigmas.size(), 5u);
  EXPECT_EQ(s.sigmas[1], double(float(0.999 * 0.75)));
  EXPECT_EQ(s.sigmas[4], 0.0);

  FlowSchedule w = flow_schedule(50, 5.0);
  ASSERT_EQ(w.timesteps.size(), 50u);
  EXPECT_EQ(w.timesteps.front(), 999);  // 5 * 0.999 / (1 + 4 * 0.999) = 0.9998
  for (size_t i = 1; i < w.sigmas.size(); ++i) EXPECT_LT(w.sigmas[i], w.sigmas[i - 1]) << i;
  // Shift keeps more steps at high noise: the middle step sits well above 0.5.
  EXPECT_GT(w.sigmas[25], 0.8);
  const double base = 0.999 * 0.5, shifted = 5 * base / (1 + 4 * base);
  EXPECT_EQ(w.timesteps[25], int64_t(shifted * 1000));
}

TEST(FlowSamplerTest, BadStepsOrShiftAreNamedErrors) {
  for (auto [steps, shift, frag] :
       {std::tuple{int64_t(0), 5.0, "steps must be in 1..1000, got 0"},
        std::tuple{int64_t(1001), 5.0, "steps must be in 1..1000, got 1001"},
        std::tuple{int64_t(10), 0.0, "shift must be in (0, 100]"},
        std::tuple{int64_t(10), std::nan(""), "shift must be in (0, 100], got nan"}}) {
    try {
      flow_schedule(steps, shift);
      ADD_FAILURE() << frag;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_request);
      EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
    }
  }
}

// On the straight flow path of one data point the true velocity is constant, so every solver
// must land on the data point.
TEST(FlowSamplerTest, BothSolversRecoverTheDataPointOnAStraightPath) {
  const at::Tensor x0 = test_randn({1, 4, 2, 6, 6}, 1), eps = test_randn({1, 4, 2, 6, 6}, 2);
  for (SamplerKind kind : {SamplerKind::euler, SamplerKind::unipc}) {
    FlowSampler sampler(kind, flow_schedule(12, 5.0));
    at::Tensor x = (1 - sampler.sigma()) * x0 + sampler.sigma() * eps;
    while (!sampler.done()) x = sampler.step(eps - x0, x);
    EXPECT_LT((x - x0).abs().max().item<double>(), 1e-5) << sampler_kind_name(kind);
    EXPECT_EQ(sampler.step_index(), 12);
    EXPECT_THROW(sampler.step(eps, x), Error);
  }
}

// A curved flow with a known solution: v = x gives x(0) = x(sigma_0) * exp(-sigma_0). UniPC's
// higher order shows as a clearly smaller error than Euler's.
TEST(FlowSamplerTest, UniPcIsMoreAccurateThanEulerOnACurvedField) {
  const at::Tensor start = test_randn({64}, 3);
  double err[2];
  for (SamplerKind kind : {SamplerKind::euler, SamplerKind::unipc}) {
    FlowSampler sampler(kind, flow_schedule(20, 5.0));
    const double s0 = sampler.sigma();
    at::Tensor x = start.clone();
    while (!sampler.done()) x = sampler.step(x, x);
    err[int(kind)] = (x - start * std::exp(-s0)).abs().max().item<double>();
  }
  EXPECT_LT(err[1], err[0] / 2) << "euler " << err[0] << " unipc " << err[1];
}

TEST(FlowSamplerTest, SamplerNamesRoundTrip) {
  for (SamplerKind k : {SamplerKind::euler, SamplerKind::unipc})
    EXPECT_EQ(sampler_kind_parse(sampler_kind_name(k)), k);
  EXPECT_FALSE(sampler_kind_parse("ddim"));
}

}  // namespace
}  // namespace kino::gen
