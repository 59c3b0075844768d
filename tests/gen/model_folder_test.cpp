#include "gen/model_folder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "gen/tensor_io.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
using testing::TestLayout;
namespace fs = std::filesystem;

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

bool contains(const std::string& s, const std::string& frag) {
  return s.find(frag) != std::string::npos;
}

WanDitConfig comfy_config() {
  // A single file has no config.json, so heads come from shapes: dim a multiple of 128.
  WanDitConfig c = testing::tiny_wan_config();
  c.dim = 256;
  c.num_heads = 2;
  c.num_layers = 1;
  c.text_len = 512;
  return c;
}

TEST(ModelFolderTest, EveryLayoutYieldsTheSameConfiguration) {
  TestDir dir("model_folder_layouts");
  const WanDitConfig tiny = testing::tiny_wan_config();
  struct Case {
    TestLayout layout;
    WeightLayout expect;
    WanDitConfig cfg;
  };
  for (const Case& c : {Case{TestLayout::official, WeightLayout::official, tiny},
                        Case{TestLayout::official_shards, WeightLayout::official, tiny},
                        Case{TestLayout::diffusers, WeightLayout::diffusers, tiny},
                        Case{TestLayout::comfy, WeightLayout::comfy, comfy_config()}}) {
    fs::path root = dir / ("m" + std::to_string(int(c.layout)));
    fs::path model = testing::write_wan_model(root, c.cfg, 7, c.layout);
    ModelFolder f = model_folder_scan(model);
    EXPECT_EQ(f.layout, c.expect);
    EXPECT_EQ(f.dit_files.size(), c.layout == TestLayout::official_shards ? 2u : 1u);
    DitDescription d = model_folder_describe_dit(f);
    EXPECT_EQ(d.config.summary(), c.cfg.summary());
    EXPECT_EQ(d.config.text_len, c.cfg.text_len);
    EXPECT_EQ(d.config_json_checked, c.layout != TestLayout::comfy);
    EXPECT_TRUE(d.unused_tensors.empty());
  }
}

TEST(ModelFolderTest, ReportSaysWhatIsThereAndWhatIsMissing) {
  TestDir dir("model_folder_report");
  testing::write_wan_model(dir.path(), testing::tiny_wan_config(), 1, TestLayout::official,
                           at::kBFloat16);
  std::ofstream(dir / "models_t5_umt5-xxl-enc-bf16.pth") << "pickle";
  std::string r = model_folder_report(dir.path());
  EXPECT_TRUE(contains(r, "architecture: Wan t2v dim 64, 4 heads x 16, 2 layers, ffn 128")) << r;
  EXPECT_TRUE(contains(r, "layout: official")) << r;
  EXPECT_TRUE(contains(r, "(BF16 0.000 B)")) << r;
  EXPECT_TRUE(contains(r, "config.json: consistent with the weights")) << r;
  EXPECT_TRUE(contains(r, "not readable (convert to safetensors): models_t5_umt5-xxl-enc-bf16.pth"))
      << r;
  EXPECT_TRUE(contains(r, "missing: VAE, umT5 text encoder, tokenizer (spiece.model)")) << r;
}

TEST(ModelFolderTest, WrongFoldersAreClearErrors) {
  TestDir dir("model_folder_wrong");
  std::string msg = error_of([&] { model_folder_scan(dir / "nope"); }, ErrorCode::not_found);
  EXPECT_TRUE(contains(msg, "no such file or folder")) << msg;

  fs::create_directories(dir / "empty");
  std::ofstream(dir / "empty" / "Wan2.1_VAE.pth") << "pickle";
  msg = error_of([&] { model_folder_describe_dit(model_folder_scan(dir / "empty")); },
                 ErrorCode::unsupported);
  EXPECT_TRUE(contains(msg, "no Wan DiT weights found")) << msg;
  EXPECT_TRUE(contains(msg, "Wan2.1_VAE.pth is a format kino does not read")) << msg;

  // Two unrelated DiT files side by side.
  fs::path two = dir / "two";
  testing::write_wan_model(two, comfy_config(), 1, TestLayout::comfy);
  fs::rename(two / "wan_dit.safetensors", two / "a.safetensors");
  testing::write_wan_model(two, comfy_config(), 2, TestLayout::comfy);
  msg = error_of([&] { model_folder_scan(two); }, ErrorCode::unsupported);
  EXPECT_TRUE(contains(msg, "several DiT weight sets found (a.safetensors, wan_dit.safetensors)"))
      << msg;

  // A shard listed in the index is gone.
  fs::path shards = dir / "shards";
  testing::write_wan_model(shards, testing::tiny_wan_config(), 1, TestLayout::official_shards);
  fs::remove(shards / "diffusion_pytorch_model-00002-of-00002.safetensors");
  msg = error_of([&] { model_folder_scan(shards); }, ErrorCode::unsupported);
  EXPECT_TRUE(contains(msg, "lists shard diffusion_pytorch_model-00002-of-00002.safetensors"))
      << msg;

  // config.json contradicts the weights.
  fs::path mismatch = dir / "mismatch";
  testing::write_wan_model(mismatch, testing::tiny_wan_config(), 1, TestLayout::official);
  std::ofstream(mismatch / "config.json") << R"({"dim": 128, "num_heads": 4})";
  msg = error_of([&] { model_folder_describe_dit(model_folder_scan(mismatch)); },
                 ErrorCode::unsupported);
  EXPECT_TRUE(contains(msg, "config.json: dim is 128 but the weights have 64")) << msg;

  // A truncated weight file.
  fs::path cut = dir / "cut";
  testing::write_wan_model(cut, testing::tiny_wan_config(), 1, TestLayout::official);
  fs::path w = cut / "diffusion_pytorch_model.safetensors";
  fs::resize_file(w, fs::file_size(w) / 2);
  msg = error_of([&] { model_folder_scan(cut); }, ErrorCode::unsupported);
  EXPECT_TRUE(contains(msg, w.string())) << msg;
  EXPECT_TRUE(contains(msg, "outside the data section")) << msg;
}

}  // namespace
}  // namespace kino::gen
