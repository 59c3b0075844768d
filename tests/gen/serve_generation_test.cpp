// `kino serve --model` as an operator runs it: a generation request over HTTP runs the engine on a
// tiny random-weight model folder, freezes and settles its credits, and delivers a playable MP4
// through a signed link. (The service's own tests use a test generator; this one runs the real
// adapter, the real pipeline and the real binary.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "media/probe.h"
#include "http/support/http_client.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

extern char** environ;

namespace kino::gen {
namespace {

namespace fs = std::filesystem;
using kino::testing::Headers;
using kino::testing::HttpClient;
using kino::testing::TestDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServeGenerationTest : public ::testing::Test {
 protected:
  ServeGenerationTest() : dir_("serve_generation") {
    WanDitConfig dit = testing::tiny_wan_config();
    dit.in_dim = 16;
    dit.out_dim = 16;
    const fs::path model = dir_ / "wan-tiny";
    testing::write_wan_model(model, dit, 3, testing::TestLayout::official);
    testing::write_umt5_model(model, testing::tiny_umt5_config(), 4);
    testing::write_wan_vae(model, 4, 16, 5);
    std::ofstream(model / "spiece.model", std::ios::binary) << testing::tiny_spm_model();

    // Two denoising steps keep the run short; the output is noise from random weights, but
    // every stage runs for real.
    const std::string log = (dir_ / "serve.log").string();
    std::vector<std::string> args = {KINO_BINARY, "serve",  "--host",  "127.0.0.1",
                                     "--port",    "0",      "--data",  (dir_ / "data").string(),
                                     "--model",   model.string(), "--steps", "2"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, KINO_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = 0;

    // The server prints its address once it listens.
    const std::string marker = "kino serve: http://127.0.0.1:";
    for (int i = 0; i < 600 && pid_ > 0 && port_ == 0; ++i) {
      const std::string text = slurp(log);
      if (const size_t at = text.find(marker); at != std::string::npos)
        port_ = uint16_t(std::atoi(text.c_str() + at + marker.size()));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  ~ServeGenerationTest() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  static Headers auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  TestDir dir_;
  pid_t pid_ = 0;
  uint16_t port_ = 0;
};

TEST_F(ServeGenerationTest, GeneratesChargesAndDeliversAPlayableClip) {
  ASSERT_NE(port_, 0) << slurp(dir_ / "serve.log");
  HttpClient client(port_);
  auto r = client.request("POST", "/api/auth/anonymous-token",
                          {{"X-Client-Id", "6a1f3c52-0b7e-4d9a-8e21-5c4b3a2f1e0d"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string token = r.json()["data"]["token"].get<std::string>();
  r = client.post_json("/api/tasks/me/with-session/nemo_agent",
                       Json{{"task_name", "project"}, {"language", "en"}}, auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string sid = r.json()["data"]["session_id"].get<std::string>();

  r = client.post_json("/api/generate",
                       Json{{"id", "gen_fox"},
                            {"sessionId", sid},
                            {"prompt", "a red fox running through the snow"},
                            {"seconds", 1},
                            {"aspect", "16:9"},
                            {"resolution", "480p"},
                            {"seed", 7}},
                       auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["data"]["credits"], 1);  // 1 s at 480p

  Json job;
  for (int i = 0; i < 1200; ++i) {  // up to 10 minutes on a loaded machine
    job = client.get("/api/generate/gen_fox", auth(token)).json()["data"];
    const std::string status = job.value("status", "");
    if (status == "completed" || status == "failed" || status == "cancelled") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(job["status"], "completed") << job.dump() << "\n" << slurp(dir_ / "serve.log");
  EXPECT_EQ(job["seed"], 7);

  const Json media = job["media"];
  std::string url = media["url"].get<std::string>();
  url = url.substr(url.find("/api/"));  // the signed link, without scheme and host
  auto dl = client.get(url);
  ASSERT_EQ(dl.status, 200);
  const fs::path saved = dir_ / "fox.mp4";
  std::ofstream(saved, std::ios::binary) << dl.body;
  const media::MediaInfo info = media::probe(saved);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.width, media["width"].get<int>());
  EXPECT_EQ(info.height, 480);
  EXPECT_EQ(info.frame_count, 17);  // 1 s at the Wan2.1 family's 16 fps, as 4n + 1

  const Json balance = client.get("/api/credits/balance/simple", auth(token)).json()["data"];
  EXPECT_EQ(balance["available"], 99);
  EXPECT_EQ(balance["frozen"], 0);
  EXPECT_EQ(balance["total"], 99);
}

}  // namespace
}  // namespace kino::gen
