// The umT5 encoder of `kino models run text_encoder` against tests/reference/umt5_reference.py
// (float64, written from the spec), on random weights.
#include <ATen/CPUGeneratorImpl.h>
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

TEST(ReferenceUmt5Test, EncoderWithPaddingAndLongRelativeDistances) {
  TestDir dir("reference_umt5");
  const auto model = testing::write_umt5_model(dir / "te", testing::tiny_umt5_config(), 31);
  // 200 positions: relative distances beyond max_distance 128 hit the clamped buckets.
  at::Generator gen = at::detail::createCPUGenerator(5);
  at::Tensor ids = at::randint(2, 97, {2, 200}, gen, at::kLong);
  at::Tensor mask = at::zeros({2, 200}, at::kLong);
  mask[0].narrow(0, 0, 150).fill_(1);
  mask[1].narrow(0, 0, 37).fill_(1);
  ids.masked_fill_(mask == 0, 0);
  const auto in = dir / "in.safetensors", out = dir / "out.safetensors",
             ref = dir / "ref.safetensors";
  safetensors_write(in, {{"ids", ids}, {"mask", mask}});
  kino_models({"run", "text_encoder", "--model", (dir / "te").string(), "--in", in.string(),
               "--out", out.string()});
  ASSERT_EQ(testing::run_reference_script(
                "umt5_reference.py",
                "--model " + model.string() + " --in " + in.string() + " --out " + ref.string()),
            0);
  at::Tensor a = safetensors_read_all(out).at("context");
  at::Tensor b = safetensors_read_all(ref).at("context");
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_EQ(a[1].narrow(0, 37, 163).abs().max().item<float>(), 0.0f);  // exact zero rows
  EXPECT_GT(b.abs().mean().item<double>(), 0.05);
  const double err = (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LT(err, kMaxAbsError);
  std::printf("umt5 encoder: max abs error %.3g\n", err);
}

}  // namespace
}  // namespace kino::gen
