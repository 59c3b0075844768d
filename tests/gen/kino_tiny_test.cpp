// Tests on the shipped kino-tiny weights (models/kino-tiny): what random weights cannot show,
// that the clips follow the prompt. Held-out prompts combine a colour, a shape and a motion
// the model never saw together in training (docs/TRAINING.md).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "gen/gen.h"
#include "gen/tiny_eval.h"
#include "media/probe.h"
#include "support/test_dir.h"

namespace kino::gen {
namespace {
namespace fs = std::filesystem;

class KinoTinyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_compute_threads(0);
    // As users run it: the default dtype (bf16 on CPU).
    generator_ = VideoGenerator::load(KINO_TINY_MODEL, PipelineOptions{}).release();
  }
  static void TearDownTestSuite() { delete generator_; }
  static const VideoGenerator& g() { return *generator_; }

  static void print(const char* what, const TinyEvalReport& r) {
    for (const auto& c : r.cases)
      std::printf("  %-4s %-62s hue %5.1f move %+.2f %+.2f%s\n", c.ok() ? "ok" : "FAIL",
                  c.prompt.c_str(), c.hue, c.dx, c.dy,
                  c.first_frame_psnr > 0
                      ? (" first frame " + std::to_string(c.first_frame_psnr).substr(0, 5) + " dB")
                            .c_str()
                      : "");
    std::printf("%s: %lld of %zu pass (%.0f %%), %.2f s per clip\n", what,
                static_cast<long long>(r.passed()), r.cases.size(), 100 * r.score(),
                r.seconds_per_clip);
  }

  static VideoGenerator* generator_;
};
VideoGenerator* KinoTinyTest::generator_ = nullptr;

TEST_F(KinoTinyTest, FolderDefaultsAreTheTrainingFormat) {
  EXPECT_EQ(g().defaults().name, "kino-tiny");
  EXPECT_TRUE(g().supports_image());
  VideoRequest r;
  r.prompt = "a red ball moving to the right";
  const VideoPlan p = g().plan(r);
  EXPECT_EQ(p.width, 64);
  EXPECT_EQ(p.height, 64);
  EXPECT_EQ(p.frames, 17);
  EXPECT_EQ(p.fps, 8);
  EXPECT_EQ(p.steps, 20);
}

TEST_F(KinoTinyTest, HeldOutPromptsAreFollowedInAtLeast80Percent) {
  testing::TestDir dir("tiny_adherence");
  TinyEvalOptions o;
  o.cases = 20;
  o.work_dir = dir.path();
  const TinyEvalReport r = tiny_eval_adherence(g(), o);
  print("prompt adherence (held-out colour x shape x motion)", r);
  RecordProperty("adherence", std::to_string(r.score()));
  EXPECT_GE(r.score(), 0.8);
}

TEST_F(KinoTinyTest, ImageToVideoKeepsTheImageAndMovesAsPrompted) {
  testing::TestDir dir("tiny_image");
  TinyEvalOptions o;
  o.cases = 10;
  o.seed = 2;
  o.work_dir = dir.path();
  const TinyEvalReport r = tiny_eval_image(g(), o);
  print("image-to-video", r);
  int64_t moved = 0;
  for (const auto& c : r.cases) {
    EXPECT_GE(c.first_frame_psnr, 25.0) << c.prompt;
    moved += c.motion_ok;
  }
  EXPECT_GE(double(moved), 0.8 * double(r.cases.size()));
}

TEST_F(KinoTinyTest, SameSeedSameClipOtherSeedOtherClip) {
  testing::TestDir dir("tiny_seed");
  VideoRequest r;
  r.prompt = "a green box moving up on a white background";
  r.native = true;
  r.seed = 11;
  g().generate(r, dir.path() / "a.mp4");
  g().generate(r, dir.path() / "b.mp4");
  r.seed = 12;
  g().generate(r, dir.path() / "c.mp4");
  const auto a = tiny_eval_read_clip(dir.path() / "a.mp4");
  const auto b = tiny_eval_read_clip(dir.path() / "b.mp4");
  const auto c = tiny_eval_read_clip(dir.path() / "c.mp4");
  ASSERT_EQ(a.size(), 17u);
  ASSERT_EQ(b.size(), a.size());
  ASSERT_EQ(c.size(), a.size());
  double same = 99, other = 99;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rgb, b[i].rgb) << "frame " << i;
    same = std::min(same, rgb_psnr(a[i], b[i]));
    other = std::min(other, rgb_psnr(a[i], c[i]));
  }
  EXPECT_EQ(same, 99);
  EXPECT_LT(other, 40) << "seeds 11 and 12 gave nearly the same clip";
}

TEST_F(KinoTinyTest, LastPreviewHasTheColoursOfTheClip) {
  testing::TestDir dir("tiny_preview");
  VideoRequest r;
  r.prompt = "a yellow ball moving to the left on a blue background";
  r.native = true;
  r.seed = 5;
  GenerationPreview last;
  g().generate(r, dir.path() / "a.mp4", {}, nullptr,
               [&](const GenerationPreview& p) { last = p; });
  const auto frames = tiny_eval_read_clip(dir.path() / "a.mp4");
  ASSERT_EQ(last.step, last.steps);
  // The preview shows latent frame 2 of 5: pixel frames 5-8.
  double clip[3] = {0, 0, 0}, preview[3] = {0, 0, 0};
  for (int f = 5; f <= 8; ++f)
    for (size_t i = 0; i < frames[size_t(f)].rgb.size(); ++i)
      clip[i % 3] += frames[size_t(f)].rgb[i] / double(frames[size_t(f)].rgb.size() / 3) / 4;
  for (size_t i = 0; i < last.rgb.size(); ++i)
    preview[i % 3] += last.rgb[i] / double(last.rgb.size() / 3);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(preview[c], clip[c], 40) << "channel " << c;
}

TEST_F(KinoTinyTest, CliUsesTheBuiltInModelAndNamesWordsItNeverSaw) {
  testing::TestDir dir("tiny_cli");
  const fs::path out = dir.path() / "fox.mp4", err = dir.path() / "err.txt";
  const std::string cmd = "KINO_MODELS_DIR=" + (dir.path() / "none").string() + " " +
                          KINO_BINARY + " generate 'a fox running through a snowy forest' -q " +
                          "--seed 3 -o " + out.string() + " 2>" + err.string();
  ASSERT_EQ(testing::run_command(cmd), 0) << cmd;
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("kino-tiny, the built-in model"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("\"fox\""), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("kino models pull"), std::string::npos) << text.str();
  const media::MediaInfo info = media::probe(out);
  EXPECT_EQ(info.width, 1080);  // 1:1 in the 1080p frame
  EXPECT_EQ(info.height, 1080);
  EXPECT_EQ(info.frame_count, 17);
}

}  // namespace
}  // namespace kino::gen
