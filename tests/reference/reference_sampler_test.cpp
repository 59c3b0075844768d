// The sigma schedule and the Euler / UniPC solvers of `kino models run euler|unipc` against
// tests/reference/flow_sampler_reference.py (float64, written from the spec).
#include <gtest/gtest.h>

#include "core/error.h"
#include "gen/tensor_io.h"
#include "reference_support.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::kino_models;
using testing::test_randn;

constexpr double kMaxAbsError = 1e-4;

void compare(const std::string& sampler, int64_t steps, double shift, int64_t velocities) {
  SCOPED_TRACE(sampler + " steps " + std::to_string(steps) + " shift " + std::to_string(shift));
  TestDir dir("reference_sampler");
  const auto in = dir / "in.safetensors", out = dir / "out.safetensors",
             ref = dir / "ref.safetensors";
  safetensors_write(in, {{"x", test_randn({1, 4, 2, 3, 3}, 1)},
                         {"v", test_randn({velocities, 1, 4, 2, 3, 3}, 2)},
                         {"steps", at::scalar_tensor(steps, at::kLong)},
                         {"shift", at::scalar_tensor(shift, at::kDouble)}});
  kino_models({"run", sampler, "--in", in.string(), "--out", out.string()});
  ASSERT_EQ(testing::run_reference_script(
                "flow_sampler_reference.py",
                "--sampler " + sampler + " --in " + in.string() + " --out " + ref.string()),
            0);
  auto a = safetensors_read_all(out), b = safetensors_read_all(ref);
  EXPECT_TRUE(at::equal(a.at("timesteps"), b.at("timesteps")))
      << a.at("timesteps") << b.at("timesteps");
  EXPECT_TRUE(at::equal(a.at("sigmas"), b.at("sigmas")));
  ASSERT_EQ(a.at("trajectory").sizes(), b.at("trajectory").sizes());
  const double err = (a.at("trajectory").to(at::kDouble) - b.at("trajectory").to(at::kDouble))
                         .abs()
                         .max()
                         .item<double>();
  EXPECT_LT(err, kMaxAbsError);
  std::printf("%s %lld steps shift %.1f: max abs error %.3g\n", sampler.c_str(), (long long)steps,
              shift, err);
}

TEST(ReferenceSamplerTest, EulerFullRun) {
  compare("euler", 8, 5.0, 8);
}
TEST(ReferenceSamplerTest, UniPcFullRun) {
  compare("unipc", 8, 5.0, 8);
}
TEST(ReferenceSamplerTest, UniPcFirstStepsAndOtherShift) {
  compare("unipc", 20, 3.0, 4);
}
TEST(ReferenceSamplerTest, UniPcTwoSteps) {
  compare("unipc", 2, 8.0, 2);
}
TEST(ReferenceSamplerTest, UniPcOneStep) {
  compare("unipc", 1, 5.0, 1);
}

TEST(ReferenceSamplerTest, TooManyVelocitiesIsANamedError) {
  TestDir dir("reference_sampler_bad");
  const auto in = dir / "in.safetensors";
  safetensors_write(in, {{"x", test_randn({2, 2}, 1)},
                         {"v", test_randn({4, 2, 2}, 2)},
                         {"steps", at::scalar_tensor(3, at::kLong)},
                         {"shift", at::scalar_tensor(5.0, at::kDouble)}});
  try {
    kino_models({"run", "unipc", "--in", in.string(), "--out", (dir / "o.safetensors").string()});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(
        std::string(e.what()).find("v must be [K, 2, 2] with 1 <= K <= steps 3, got [4, 2, 2]"),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kino::gen
