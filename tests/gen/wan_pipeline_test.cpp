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
fs::path write_tiny_folder(const TestDir& dir, WanModelType type = WanModelType::t2v) {
  WanDitConfig dit = testing::tiny_wan_config();
  dit.in_dim = 16;
  dit.out_dim = 16;
  dit.model_type = type;
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
  o.dtype = RunDtype::f32;
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
  EXPECT_FALSE(pipe->supports_image());
  GenerateParams with_image = p;
  with_image.image = at::zeros({3, 32, 48});
  try {
    pipe->generate(with_image);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("needs a TI2V model"), std::string::npos) << e.what();
  }
  CancelToken cancel;
  cancel.cancel();
  try {
    pipe->generate(p, {}, &cancel);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
}

// TI2V (spec §4.7): the image's latent is latent frame 0 of the result, exactly; the rest is
// denoised around it.
TEST(WanPipelineTest, ImageToVideoHoldsTheImageLatentInFrameZero) {
  TestDir dir("wan_pipeline_ti2v");
  PipelineOptions o;
  o.dtype = RunDtype::f32;
  auto pipe = WanPipeline::load(write_tiny_folder(dir, WanModelType::ti2v), o);
  EXPECT_TRUE(pipe->supports_image());
  GenerateParams p;
  p.prompt = "a red fox at dawn";
  p.frames = 9;
  p.width = 48;
  p.height = 32;
  p.denoise.steps = 3;
  p.denoise.seed = 11;
  p.image = testing::test_randn({3, 32, 48}, 12).clamp(-1, 1);
  const at::Tensor image_latent = pipe->encode_image(p.image);
  EXPECT_EQ(image_latent.sizes(), (std::vector<int64_t>{16, 4, 6}));
  const at::Tensor latent = pipe->denoise(p);
  EXPECT_EQ(latent.sizes(), (std::vector<int64_t>{16, 3, 4, 6}));
  EXPECT_TRUE(at::equal(latent.select(1, 0), image_latent));
  EXPECT_TRUE(at::equal(latent, pipe->denoise(p)));  // deterministic

  GenerateParams text_only = p;
  text_only.image = at::Tensor();
  const at::Tensor t2v = pipe->denoise(text_only);
  EXPECT_FALSE(at::equal(t2v.select(1, 0), image_latent));
  GenerateParams other = p;
  other.image = testing::test_randn({3, 32, 48}, 13).clamp(-1, 1);
  const at::Tensor latent2 = pipe->denoise(other);
  EXPECT_FALSE(at::equal(latent2.narrow(1, 1, 2), latent.narrow(1, 1, 2)));

  const at::Tensor frames = pipe->decode(latent);
  EXPECT_EQ(frames.sizes(), (std::vector<int64_t>{9, 32, 48, 3}));

  GenerateParams wrong = p;
  wrong.image = at::zeros({3, 16, 48});
  try {
    pipe->denoise(wrong);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("image must be [3, 32, 48], got [3, 16, 48]"),
              std::string::npos)
        << e.what();
  }
}

TEST(WanPipelineTest, Wan22ImageToVideoHoldsTheImageLatentInFrameZero) {
  TestDir dir("wan_pipeline_ti2v_22");
  WanDitConfig dit = testing::tiny_wan_config();
  dit.in_dim = 48;
  dit.out_dim = 48;
  dit.model_type = WanModelType::ti2v;
  const fs::path root = dir / "wan22-tiny";
  testing::write_wan_model(root, dit, 3, testing::TestLayout::official);
  testing::write_umt5_model(root, testing::tiny_umt5_config(), 4);
  WanVaeConfig vae;
  vae.version = WanVaeVersion::wan22;
  vae.z_dim = 48;
  vae.base_dim = 4;
  vae.decoder_base_dim = 8;
  testing::write_wan_vae(root, vae, 5);
  std::ofstream(root / "spiece.model", std::ios::binary) << testing::tiny_spm_model();
  PipelineOptions o;
  o.dtype = RunDtype::f32;
  auto pipe = WanPipeline::load(root, o);
  GenerateParams p;
  p.prompt = "a red fox";
  p.frames = 5;
  p.width = 64;
  p.height = 32;
  p.denoise.steps = 2;
  p.image = testing::test_randn({3, 32, 64}, 14).clamp(-1, 1);
  const at::Tensor latent = pipe->denoise(p);
  EXPECT_EQ(latent.sizes(), (std::vector<int64_t>{48, 2, 2, 4}));
  EXPECT_TRUE(at::equal(latent.select(1, 0), pipe->encode_image(p.image)));
  EXPECT_EQ(pipe->decode(latent).sizes(), (std::vector<int64_t>{5, 32, 64, 3}));
}

TEST(WanPipelineTest, InspectReportsEveryComponent) {
  TestDir dir("wan_pipeline_inspect");
  const std::string r = model_folder_report(write_tiny_folder(dir));
  for (const char* frag :
       {"architecture: Wan t2v dim 64, 4 heads x 16, 2 layers, ffn 128, in 16, out 16",
        "vae: vae.safetensors", "architecture: Wan2.1 VAE z 16, base dim 4\n",
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
