#include "gen/umt5_tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "gen/component_run.h"
#include "gen/tensor_io.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
namespace fs = std::filesystem;

fs::path write_model(const TestDir& dir) {
  std::ofstream(dir / "spiece.model", std::ios::binary) << testing::tiny_spm_model();
  return dir / "spiece.model";
}

TEST(Umt5TokenizerTest, CleansTextLikeTheReference) {
  EXPECT_EQ(umt5_clean_text("  a   fox\t\n runs  "), "a fox runs");
  EXPECT_EQ(umt5_clean_text("fish &amp;amp; chips &lt;3"), "fish & chips <3");
  EXPECT_EQ(umt5_clean_text("caf&#233; &#x4E00;&nbsp;x"), "caf\xC3\xA9 \xE4\xB8\x80 x");
  EXPECT_EQ(umt5_clean_text("&unknown; & x;"), "&unknown; & x;");
  EXPECT_EQ(umt5_clean_text(""), "");
}

TEST(Umt5TokenizerTest, AppendsEosPadsAndTruncates) {
  TestDir dir("umt5_tokenizer");
  UMT5Tokenizer tok = UMT5Tokenizer::load_file(write_model(dir));
  EXPECT_EQ(tok.eos_id(), 1);
  TokenizedText t = tok.encode("a red fox at dawn");
  ASSERT_EQ(t.ids.size(), 512u);
  ASSERT_EQ(t.mask.size(), 512u);
  EXPECT_EQ(t.length, 6);
  EXPECT_EQ(std::vector<int64_t>(t.ids.begin(), t.ids.begin() + 7),
            (std::vector<int64_t>{4, 6, 5, 7, 8, 1, 0}));
  for (size_t i = 6; i < 512; ++i) EXPECT_EQ(t.ids[i], 0);
  EXPECT_EQ(std::count(t.mask.begin(), t.mask.end(), 1), 6);
  // Cleaning happens before tokenizing; unknown characters map to <unk> (3).
  EXPECT_EQ(tok.encode("  a red\n fox &amp;#32;at   dawn ").ids, t.ids);
  EXPECT_EQ(tok.encode("a q").ids[2], 3);
  TokenizedText cut = tok.encode("a red fox at dawn", 4);
  EXPECT_EQ(cut.ids, (std::vector<int64_t>{4, 6, 5, 1}));
  EXPECT_EQ(cut.length, 4);
  EXPECT_EQ(tok.encode("").ids[0], 1);
  EXPECT_THROW(tok.encode("x", 0), Error);
}

TEST(Umt5TokenizerTest, LoadsFromTheEmbeddedSpieceModelTensor) {
  TestDir dir("umt5_tokenizer_embedded");
  const fs::path model = write_model(dir);
  std::ifstream in(model, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  at::Tensor blob = at::empty({int64_t(bytes.size())}, at::kByte);
  std::memcpy(blob.data_ptr(), bytes.data(), bytes.size());
  // A ComfyUI-style umT5 file: weights plus spiece_model.
  const fs::path te = dir / "comfy";
  testing::write_umt5_model(te, testing::tiny_umt5_config(), 1);
  auto weights = safetensors_read_all(te / "umt5.safetensors");
  std::vector<std::pair<std::string, at::Tensor>> all(weights.begin(), weights.end());
  all.emplace_back("spiece_model", blob);
  safetensors_write(te / "umt5.safetensors", all);
  UMT5Tokenizer embedded = umt5_tokenizer_load(te);
  UMT5Tokenizer from_file = UMT5Tokenizer::load_file(model);
  EXPECT_EQ(embedded.encode("a red fox at dawn").ids, from_file.encode("a red fox at dawn").ids);
  EXPECT_EQ(embedded.vocab_size(), 20);
}

TEST(Umt5TokenizerTest, ModelsRunTokenize) {
  TestDir dir("umt5_tokenize_run");
  write_model(dir);
  const std::string text = "a red fox at dawn";
  at::Tensor bytes = at::empty({int64_t(text.size())}, at::kByte);
  std::memcpy(bytes.data_ptr(), text.data(), text.size());
  safetensors_write(dir / "in.safetensors",
                    {{"text", bytes}, {"max_length", at::scalar_tensor(8, at::kLong)}});
  ComponentRunParams p;
  p.component = "tokenize";
  p.model = dir.path();
  p.in = dir / "in.safetensors";
  p.out = dir / "out.safetensors";
  component_run(p);
  auto out = safetensors_read_all(p.out);
  EXPECT_TRUE(
      at::equal(out.at("ids"), at::tensor({4, 6, 5, 7, 8, 1, 0, 0}, at::kLong).view({1, 8})));
  EXPECT_TRUE(
      at::equal(out.at("mask"), at::tensor({1, 1, 1, 1, 1, 1, 0, 0}, at::kLong).view({1, 8})));
}

TEST(Umt5TokenizerTest, CorruptOrMissingTokenizersAreNamedErrors) {
  TestDir dir("umt5_tokenizer_bad");
  std::ofstream(dir / "spiece.model") << "not a model";
  try {
    UMT5Tokenizer::load_file(dir / "spiece.model");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("not a SentencePiece model"), std::string::npos);
  }
  fs::create_directories(dir / "empty");
  try {
    umt5_tokenizer_load(dir / "empty");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("no tokenizer found"), std::string::npos);
  }
}

}  // namespace
}  // namespace kino::gen
