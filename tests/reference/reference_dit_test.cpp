// The Wan DiT forward of `kino models run dit` against tests/reference/wan_dit_reference.py,
// an independent float64 PyTorch implementation written from the spec, on random weights.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "gen/tensor_io.h"
#include "models_command.h"
#include "reference_support.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::kino_models;
using testing::test_randn;
using testing::TestLayout;
namespace fs = std::filesystem;

// fp32 engine vs float64 reference.
constexpr double kMaxAbsError = 1e-4;

double compare_with_reference(const fs::path& model, const fs::path& dir,
                              const std::vector<std::pair<std::string, at::Tensor>>& inputs) {
  const fs::path in = dir / "in.safetensors", out = dir / "out.safetensors",
                 ref = dir / "ref.safetensors";
  safetensors_write(in, inputs);
  kino_models({"run", "dit", "--model", model.string(), "--in", in.string(), "--out", out.string(),
               "--dtype", "f32"});
  EXPECT_EQ(testing::run_reference_script(
                "wan_dit_reference.py",
                "--model " + model.string() + " --in " + in.string() + " --out " + ref.string()),
            0);
  at::Tensor v = safetensors_read_all(out).at("v");
  at::Tensor r = safetensors_read_all(ref).at("v");
  EXPECT_EQ(v.sizes(), r.sizes());
  if (v.sizes() != r.sizes()) return 1e9;
  EXPECT_GT(r.abs().mean().item<double>(), 0.05);  // a real signal, not zeros on both sides
  return (v.to(at::kDouble) - r.to(at::kDouble)).abs().max().item<double>();
}

class ReferenceDitTest : public ::testing::Test {
 protected:
  ReferenceDitTest() : dir_("reference_dit") {
    model_ = testing::write_wan_model(dir_ / "model", cfg_, 21, TestLayout::official);
  }
  TestDir dir_;
  WanDitConfig cfg_ = testing::tiny_wan_config();
  fs::path model_;
};

TEST_F(ReferenceDitTest, ScalarTimestep) {
  double err = compare_with_reference(model_, dir_.path(),
                                      {{"x", test_randn({1, 4, 3, 8, 12}, 1)},
                                       {"t", at::tensor({937.0f})},
                                       {"context", test_randn({1, 7, 32}, 2)}});
  EXPECT_LT(err, kMaxAbsError);
  std::printf("dit scalar t: max abs error %.3g\n", err);
}

TEST_F(ReferenceDitTest, PerTokenTimestepsTi2vStyle) {
  at::Tensor t = at::full({1, 72}, 500, at::kLong);  // integer timesteps, as samplers pass them
  t.narrow(1, 0, 24).fill_(0);                       // latent frame 0 holds the clean image
  double err = compare_with_reference(
      model_, dir_.path(),
      {{"x", test_randn({1, 4, 3, 8, 12}, 3)}, {"t", t}, {"context", test_randn({1, 24, 32}, 4)}});
  EXPECT_LT(err, kMaxAbsError);
  std::printf("dit per-frame t: max abs error %.3g\n", err);
}

TEST_F(ReferenceDitTest, PerTokenTimestepsVaryingWithinFramesBatchOfTwo) {
  at::Tensor t = at::randint(0, 1000, {2, 2 * 3 * 5}, at::kLong);
  double err = compare_with_reference(
      model_, dir_.path(),
      {{"x", test_randn({2, 4, 2, 6, 10}, 5)}, {"t", t}, {"context", test_randn({2, 1, 32}, 6)}});
  EXPECT_LT(err, kMaxAbsError);
  std::printf("dit per-token t, B=2: max abs error %.3g\n", err);
}

TEST_F(ReferenceDitTest, ComfySingleFileWithPrefixAndShapeDerivedHeads) {
  WanDitConfig c = cfg_;
  c.dim = 256;
  c.num_heads = 2;  // head_dim 128 as in the released models, read from shapes
  c.num_layers = 1;
  c.text_len = 512;
  fs::path file = testing::write_wan_model(dir_ / "comfy", c, 22, TestLayout::comfy);
  double err = compare_with_reference(file, dir_.path(),
                                      {{"x", test_randn({1, 4, 1, 4, 6}, 7)},
                                       {"t", at::tensor({999.0f})},
                                       {"context", test_randn({1, 5, 32}, 8)}});
  EXPECT_LT(err, kMaxAbsError);
  std::printf("dit comfy 128-wide heads: max abs error %.3g\n", err);
}

TEST_F(ReferenceDitTest, CliReportsBadInputsAsNamedErrors) {
  const fs::path in = dir_ / "bad_in.safetensors";
  safetensors_write(in, {{"x", test_randn({1, 4, 1, 4, 4}, 1)}, {"t", at::tensor({1.0f})}});
  try {
    kino_models({"run", "dit", "--model", model_.string(), "--in", in.string(), "--out",
                 (dir_ / "o.safetensors").string()});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("tensor 'context' is required"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(kino_models({"run", "vae", "--model", model_.string(), "--in", in.string(), "--out",
                            "o.safetensors"}),
               CLI::ValidationError);
}

}  // namespace
}  // namespace kino::gen
