#pragma once
// A studio and its server on a loopback port, with synthetic media made once per run.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/http.h"
#include "http/support/http_client.h"
#include "media/media.h"
#include "service/service.h"
#include "support/test_dir.h"

namespace kino::testing {

struct TestMedia {
  std::string image;  // png, 320x240
  std::string video;  // mp4, 320x240, 2 s with audio
  std::string audio;  // wav, 2 s
};

// Made on first use in a folder that lives for the whole test binary.
inline const TestMedia& test_media() {
  static TestDir dir("api-media");  // removed at exit
  static TestMedia media = [] {
    TestMedia m{(dir / "still.png").string(), (dir / "clip.mp4").string(),
                (dir / "tone.wav").string()};
    media::write_test_image(m.image, 320, 240);
    media::TestClipParams p;
    p.width = 320;
    p.height = 240;
    p.fps = Rational{15, 1};
    p.duration_ms = 2000;
    media::write_test_clip(m.video, p);
    media::write_test_tone(m.audio, 2000);
    return m;
  }();
  return media;
}

class ApiFixture : public ::testing::Test {
 protected:
  virtual void configure(service::ServiceConfig& config, http::ServerLimits& limits) {}
  // Runs after the studio is made, before its server and workers start (plug in a
  // generator).
  virtual void prepare(service::Studio& studio) {}

  void SetUp() override { start(); }
  void TearDown() override { shutdown(); }

  void start() {
    service::ServiceConfig config;
    config.data_dir = dir / "data";
    config.render_threads = 2;
    config.job_poll_ms = 20;
    config.callback_backoff_ms = 50;
    config.token_rate = {1000, 1000};
    config.ip_rate = {1000, 1000};
    http::ServerLimits limits;
    limits.sse_poll_ms = 10;
    configure(config, limits);
    studio = std::make_unique<service::Studio>(config);
    prepare(*studio);
    http::ServerOptions options;
    options.port = 0;
    options.limits = limits;
    server = std::make_unique<http::Server>(*studio, options);
    server->start();
    studio->start_workers();
    client = std::make_unique<HttpClient>(server->port());
  }

  void shutdown() {
    if (server) server->stop();
    if (studio) studio->stop_workers();
    server.reset();
    studio.reset();
  }

  std::string new_token() {
    auto r = client->request("POST", "/api/auth/anonymous-token",
                             {{"X-Client-Id", "3f0e4c1e-8d8b-4c53-9d1c-7a1d2c3b4a5f"}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["data"]["token"].get<std::string>();
  }
  static Headers auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
  std::string new_session(const std::string& token, const std::string& language = "en") {
    auto r = client->post_json("/api/tasks/me/with-session/nemo_agent",
                               Json{{"task_name", "project"}, {"language", language}}, auth(token));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["data"]["session_id"].get<std::string>();
  }
  // Uploads one file and returns its media id ("" on failure).
  std::string upload(const std::string& token, const std::string& session, const std::string& path,
                     const std::string& name) {
    auto r = client->post_files("/api/upload-video/nemo_agent/me/" + session,
                                {{"files", name, read_file(path)}}, auth(token));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return "";
    return r.json()["data"]["files"][0]["media_id"].get<std::string>();
  }
  // Polls a render until it is final or 120 s passed.
  Json wait_render(const std::string& token, const std::string& id) {
    Json data;
    for (int i = 0; i < 1200; ++i) {
      auto r = client->get("/api/render/proxy/lambda/" + id, auth(token));
      data = r.json()["data"];
      if (data["status"] == "completed" || data["status"] == "failed") return data;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return data;
  }
  // The URL without scheme and host, for this client.
  static std::string target_of(const std::string& url) {
    size_t p = url.find("/api/");
    return p == std::string::npos ? url : url.substr(p);
  }
  static Json small_draft(const std::string& video, const std::string& image,
                          const std::string& audio) {
    return Json::parse(R"({"v":1,"canvas":{"w":320,"h":240,"fps":15},"t":[
      {"id":"tr_v","tt":0,"sg":[{"id":"sg_a","start":0,"d":1000,"src":")" +
                       video + R"("},
                                {"id":"sg_b","start":1000,"d":1000,"src":")" +
                       image + R"("}]},
      {"id":"tr_a","tt":1,"sg":[{"id":"sg_m","start":0,"d":2000,"src":")" +
                       audio +
                       R"(","volume":0.35}]},
      {"id":"tr_t","tt":7,"sg":[{"id":"sg_t","start":0,"d":1000,"text":"Urban Dreams"}]}]})");
  }

  TestDir dir{"api"};
  std::unique_ptr<service::Studio> studio;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<HttpClient> client;
};

}  // namespace kino::testing
