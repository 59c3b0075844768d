#include "gen/wan_pipeline.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "gen/model_folder.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
namespace fs = std::filesystem;

// A complete tiny model folder: DiT (in/out 16 like Wan2.1), umT5, tokenizer, VAE.
fs::path write_tiny_folder(const TestDir& dir) {
  WanDitConfig dit = testing::tiny_wan_config();
  dit.in_dim = 16;
  dit.out_dim = 16;
  const fs::path root = dir / "wan-tiny";
  testing::write_wan_model(root, dit, 3, testing::TestLayout::official);
  testing::write_umt5_model(root, testing::tiny_umt5_config(), 4);
  testing::write_wan_vae(root, 4, 16, 5);
  std::ofstream(root / "spiece.model", std::ios::binary) << testing::tiny_spm_model();
  return root;
}

TEST(WanPipelineTest, TextToVideoProducesReproducibleFrames) {
  TestDir dir("wan_pipeline");
  const fs::path root = write_tiny_folder(dir);
  PipelineOptions o;
  o.dtype = at::kFloat;
  auto pipe = WanPipeline::load(root, o);
  GenerateParams p;
  p.prompt = "a red fox at dawn";
  p.frames = 5;
  p.width = 48;
  p.height = 32;
  p.denoise.steps = 2;
  p.denoise.seed = 7;
  std::vector<std::string> stages;
  at::Tensor frames = pipe->generate(p, [&](const Progress& pr) {
    if (stages.empty() || stages.back() != pr.stage) stages.push_back(pr.stage);
  });
  EXPECT_EQ(frames.sizes(), (std::vector<int64_t>{5, 32, 48, 3}));
  EXPECT_EQ(frames.scalar_type(), at::kByte);
  EXPECT_EQ(stages, (std::vector<std::string>{"text", "denoise", "decode"}));
  EXPECT_GT(frames.to(at::kFloat).std().item<double>(), 1.0);  // not a flat image
  EXPECT_TRUE(at::equal(frames, pipe->generate(p)));
  GenerateParams other = p;
  other.prompt = "a fox";
  EXPECT_FALSE(at::equal(frames, pipe->generate(other)));

  GenerateParams bad = p;
  bad.frames = 6;
  EXPECT_THROW(pipe->generate(bad), Error);
  CancelToken cancel;
  cancel.cancel();
  try {
    pipe->generate(p, {}, &cancel);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
}

TEST(WanPipelineTest, InspectReportsEveryComponent) {
  TestDir dir("wan_pipeline_inspect");
  const std::string r = model_folder_report(write_tiny_folder(dir));
  for (const char* frag :
       {"architecture: Wan t2v dim 64, 4 heads x 16, 2 layers, ffn 128, in 16, out 16",
        "vae: vae.safetensors", "architecture: Wan2.1 VAE z 16, base dim 4 (decoder)",
        "text encoder: umt5.safetensors",
        "architecture: umT5 d_model 32, 4 heads x 8, 2 layers, ffn 48, vocab 97",
        "tokenizer: spiece.model", "missing: nothing"})
    EXPECT_NE(r.find(frag), std::string::npos) << frag << "\n" << r;
}

TEST(WanPipelineTest, IncompleteFoldersAreNamedErrors) {
  TestDir dir("wan_pipeline_missing");
  const fs::path root = write_tiny_folder(dir);
  fs::remove(root / "vae.safetensors");
  try {
    WanPipeline::load(root, PipelineOptions{});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("no VAE weights found"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kino::gen
