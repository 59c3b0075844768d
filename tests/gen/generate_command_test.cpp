// `kino generate` as users run it: the binary on a tiny random model folder. Errors are one line
// in words with the API code, never a C++ backtrace.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gen/wan_config.h"
#include "media/probe.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
namespace fs = std::filesystem;

struct CommandRun {
  int status = 0;
  std::string out, err;
};

class GenerateCommandTest : public ::testing::Test {
 protected:
  GenerateCommandTest() : dir_("generate_command") {
    WanDitConfig dit = testing::tiny_wan_config();
    dit.in_dim = 16;
    dit.out_dim = 16;
    model_ = dir_ / "wan-tiny";
    testing::write_wan_model(model_, dit, 3, testing::TestLayout::official);
    testing::write_umt5_model(model_, testing::tiny_umt5_config(), 4);
    testing::write_wan_vae(model_, 4, 16, 5);
    std::ofstream(model_ / "spiece.model", std::ios::binary) << testing::tiny_spm_model();
  }

  CommandRun run(const std::string& args, const std::string& env = "") {
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    CommandRun r;
    r.status = kino::testing::run_command(env + " " + KINO_BINARY + std::string(" generate ") +
                                          args + " > " + out.string() + " 2> " + err.string());
    auto slurp = [](const fs::path& p) {
      std::ifstream in(p);
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::string model() const { return "--model " + model_.string(); }

  TestDir dir_;
  fs::path model_;
};

TEST_F(GenerateCommandTest, WritesTheClipAndASummaryLine) {
  const fs::path out = dir_ / "fox.mp4";
  const CommandRun r = run("'a red fox at dawn' " + model() +
                           " --size 48x32 --seconds 0.25 --steps 2 --seed 5 --native --dtype f32 "
                           "--camera 'pan left' -o " +
                           out.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("48x32 (model 48x32), 5 frames at 16 fps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peak memory"), std::string::npos) << r.out;
  for (const char* stage : {"text", "denoise", "decode", "encode"})
    EXPECT_NE(r.err.find(stage), std::string::npos) << stage << "\n" << r.err;
  EXPECT_EQ(media::probe(out).frame_count, 5);
}

TEST_F(GenerateCommandTest, ErrorsAreOneLineInWords) {
  struct Case {
    std::string args, env, fragment;
  };
  const std::string o = " -o " + (dir_ / "x.mp4").string();
  const std::vector<Case> cases = {
      {"'a fox' " + model() + " --image in.png" + o, "",
       "error 400 (bad_request): image needs an image-to-video model"},
      {"'a fox' " + model() + " --camera 'barrel roll'" + o, "", "camera must be one of"},
      {"'a fox' " + model() + " --size 48by32" + o, "", "--size must be WIDTHxHEIGHT"},
      {"'a fox' --model " + (dir_ / "nothing").string() + o, "", "error 404 (not_found)"},
      {"'a fox'" + o, "KINO_BUILTIN_MODEL=none KINO_MODELS_DIR=" + (dir_ / "empty").string(),
       "kino models pull wan2.1-t2v-1.3b"},
  };
  for (const Case& c : cases) {
    const CommandRun r = run(c.args, c.env);
    EXPECT_EQ(r.status, 1) << c.args;
    EXPECT_NE(r.err.find(c.fragment), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "x.mp4"));
  }
}

}  // namespace
}  // namespace kino::gen
