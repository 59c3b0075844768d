#include "gen/model_defaults.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "support/test_dir.h"

namespace kino::gen {
namespace {
namespace fs = std::filesystem;

fs::path write_config(const testing::TestDir& dir, const std::string& text) {
  const fs::path p = dir.path() / "config.json";
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  return p;
}

TEST(ModelDefaults, KinoBlockOverridesTheFamilyDefaults) {
  testing::TestDir dir("defaults");
  ModelDefaults d;
  d.negative = "official";
  model_defaults_apply(write_config(dir, R"({"dim": 192, "kino": {"name": "kino-tiny",
      "width": 64, "height": 48, "frames": 17, "fps": "8", "sample_steps": 20,
      "sample_shift": 3, "sample_guide_scale": 4.5, "sample_neg_prompt": "",
      "words": ["red", "ball", "a"]}})"),
                       d);
  EXPECT_EQ(d.name, "kino-tiny");
  EXPECT_EQ(d.width, 64);
  EXPECT_EQ(d.height, 48);
  EXPECT_EQ(d.aspect, "4:3");
  EXPECT_EQ(d.frames, 17);
  EXPECT_EQ(d.fps, 8);
  EXPECT_DOUBLE_EQ(d.seconds(), 2.0);
  EXPECT_EQ(d.steps, 20);
  EXPECT_DOUBLE_EQ(d.shift, 3.0);
  EXPECT_DOUBLE_EQ(d.cfg, 4.5);
  EXPECT_EQ(d.negative, "");
  EXPECT_EQ(d.words, (std::vector<std::string>{"a", "ball", "red"}));

  // No block: nothing changes (Wan folders).
  ModelDefaults wan;
  model_defaults_apply(write_config(dir, R"({"dim": 1536})"), wan);
  EXPECT_EQ(wan.width, 832);
  EXPECT_EQ(wan.fps, 16);
  EXPECT_EQ(wan.frames, 81);
  EXPECT_TRUE(wan.words.empty());
}

TEST(ModelDefaults, BadBlocksAreNamedErrors) {
  testing::TestDir dir("defaults_bad");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"kino": 5})", "must be an object"},
      {R"({"kino": {"width": 0}})", "width must be an integer"},
      {R"({"kino": {"fps": "fast"}})", "fps must be a whole number"},
      {R"({"kino": {"frames": 16}})", "frames must be 4n + 1"},
      {R"({"kino": {"sample_guide_scale": -1}})", "sample_guide_scale must be a number"},
      {R"({"kino": {"words": ["a", 3]}})", "words must be a list of strings"},
      {R"({"kino": )", "config.json"},
  };
  for (const auto& [text, fragment] : cases) {
    ModelDefaults d;
    try {
      model_defaults_apply(write_config(dir, text), d);
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
}

TEST(ModelDefaults, PromptWordsSplitLettersAndCjkCharacters) {
  EXPECT_EQ(prompt_words("A Red ball, moving RIGHT!"),
            (std::vector<std::string>{"a", "red", "ball", "moving", "right"}));
  EXPECT_EQ(prompt_words("一个红色的球"),
            (std::vector<std::string>{"一", "个", "红", "色", "的", "球"}));
  EXPECT_EQ(prompt_words("café 3 lisa's 🦊 fox"),
            (std::vector<std::string>{"café", "lisa", "s", "fox"}));
  EXPECT_TRUE(prompt_words("123 ... \xff\xfe").empty());
}

TEST(ModelDefaults, UnknownWordsAreListedOnceInOrder) {
  ModelDefaults d;
  EXPECT_TRUE(model_unknown_words(d, "a fox in a forest").empty());  // open vocabulary
  d.words = {"a", "ball", "red", "球", "红"};
  EXPECT_TRUE(model_unknown_words(d, "A RED ball").empty());
  EXPECT_EQ(model_unknown_words(d, "a fox, a red fox in a forest"),
            (std::vector<std::string>{"fox", "in", "forest"}));
  EXPECT_EQ(model_unknown_words(d, "红狐狸"), (std::vector<std::string>{"狐", "狸"}));
}

}  // namespace
}  // namespace kino::gen
