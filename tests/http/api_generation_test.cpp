// Generation jobs over HTTP with a test generator that writes real small MP4s: credits
// frozen on submit, settled on success, released on failure or cancel (never negative,
// never charged twice, also across a restart), 2001 when short, progress in the status,
// the state and the chat stream, and the clip on the timeline.
#include <atomic>
#include <fstream>
#include <thread>

#include "http/api_fixture.h"
#include "service/support/test_clip_generator.h"

namespace kino::testing {
namespace {

class ApiGenerationTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig& config, http::ServerLimits& limits) override {
    limits.sse_heartbeat_ms = 30;
    config.generation_max_attempts = max_attempts;
  }
  void prepare(service::Studio& s) override {
    auto g = std::make_unique<TestClipGenerator>();
    gen = g.get();
    if (hold_on_start) gen->hold();
    s.set_clip_generator(std::move(g));
  }

  Json balance(const std::string& token) {
    return client->get("/api/credits/balance/simple", auth(token)).json()["data"];
  }
  ClientResponse submit(const std::string& token, Json body) {
    return client->post_json("/api/generate", body, auth(token));
  }
  Json status(const std::string& token, const std::string& id) {
    return client->get("/api/generate/" + id, auth(token)).json()["data"];
  }
  // Polls a generation until it is final or 60 s passed.
  Json wait_generation(const std::string& token, const std::string& id) {
    Json data;
    for (int i = 0; i < 3000; ++i) {
      data = status(token, id);
      const std::string s = data.value("status", "");
      if (s == "completed" || s == "failed" || s == "cancelled") return data;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return data;
  }
  // Polls until the job's status is `want` (true) or 20 s passed.
  bool wait_status(const std::string& token, const std::string& id, const std::string& want) {
    for (int i = 0; i < 1000; ++i) {
      if (status(token, id).value("status", "") == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Ledger entries of one job by kind.
  std::map<std::string, int> ledger_of(const std::string& token, const std::string& job_id) {
    std::map<std::string, int> out;
    auto caller = studio->authenticate("Bearer " + token);
    for (const auto& e : studio->store().ledger_list(caller.account_id))
      if (e.job_id == job_id) out[std::string(store::ledger_kind_name(e.kind))] += int(e.amount);
    return out;
  }
  static Json request(const std::string& sid, const std::string& id, int64_t seconds = 2,
                      const std::string& resolution = "480p") {
    return Json{{"id", id},
                {"sessionId", sid},
                {"prompt", "a fox running through a snowy forest at dusk"},
                {"seconds", seconds},
                {"aspect", "16:9"},
                {"resolution", resolution}};
  }
  static Json message(const std::string& sid, const std::string& text) {
    return Json{{"app_name", "nemo_agent"},
                {"user_id", "me"},
                {"session_id", sid},
                {"new_message", {{"parts", {{{"text", text}}}}}}};
  }

  TestClipGenerator* gen = nullptr;
  bool hold_on_start = false;
  int max_attempts = 3;
};

TEST_F(ApiGenerationTest, SucceedsSettlesAndPutsTheClipOnTheTimeline) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->hold();
  auto r = submit(token, request(sid, "gen_1", 2, "480p"));
  ASSERT_EQ(r.status, 200) << r.body;
  Json job = r.json()["data"];
  EXPECT_EQ(job["id"], "gen_1");
  EXPECT_EQ(job["credits"], 2);  // 2 s at 480p, 1 credit per second
  EXPECT_EQ(job["status"], "queued");

  // While it runs the credits are frozen and the status shows the engine's stage.
  ASSERT_TRUE(gen->wait_started(1));
  Json b = balance(token);
  EXPECT_EQ(b["available"], 98);
  EXPECT_EQ(b["frozen"], 2);
  EXPECT_EQ(b["total"], 100);
  Json running = status(token, "gen_1");
  EXPECT_EQ(running["status"], "running");
  EXPECT_EQ(running["stage"], "text");
  gen->release();

  Json done = wait_generation(token, "gen_1");
  ASSERT_EQ(done["status"], "completed") << done.dump();
  EXPECT_DOUBLE_EQ(done["progress"].get<double>(), 1.0);
  EXPECT_EQ(done["model"], "test-clip");
  const Json media = done["media"];
  EXPECT_EQ(media["origin"], "generated");
  EXPECT_EQ(media["type"], "video");
  EXPECT_EQ(media["width"], 96);
  b = balance(token);
  EXPECT_EQ(b["available"], 98);
  EXPECT_EQ(b["frozen"], 0);
  EXPECT_EQ(b["total"], 98);
  auto ledger = ledger_of(token, done["jobId"]);
  EXPECT_EQ(ledger["freeze"], 2);
  EXPECT_EQ(ledger["settle"], 2);
  EXPECT_EQ(ledger.count("release"), 0u);

  // The clip downloads as a real MP4 of the requested length.
  auto dl = client->get(target_of(media["url"]));
  ASSERT_EQ(dl.status, 200);
  const auto saved = dir / "gen.mp4";
  std::ofstream(saved, std::ios::binary) << dl.body;
  media::MediaInfo info = media::probe(saved);
  EXPECT_EQ(info.format, "mp4");
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_NEAR(double(info.duration_ms), 2000.0, 200.0);

  // State: in generated_media, in the generations list, and on the timeline.
  Json st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token))
                .json()["data"]["state"];
  ASSERT_EQ(st["generated_media"].size(), 1u);
  EXPECT_EQ(st["generated_media"][0]["media_id"], media["media_id"]);
  EXPECT_TRUE(st["video_infos"].empty());
  ASSERT_EQ(st["generations"].size(), 1u);
  EXPECT_EQ(st["generations"][0]["status"], "completed");
  bool on_timeline = false;
  for (const auto& t : st["draft"]["t"])
    for (const auto& sg : t["sg"]) on_timeline = on_timeline || sg["src"] == media["media_id"];
  EXPECT_TRUE(on_timeline) << st["draft"].dump();
}

TEST_F(ApiGenerationTest, FailureAndCancelReturnTheCredits) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->set_failure("the engine ran out of memory");
  auto r = submit(token, request(sid, "gen_fail", 3, "720p"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["data"]["credits"], 6);
  Json failed = wait_generation(token, "gen_fail");
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_NE(failed.value("error", "").find("ran out of memory"), std::string::npos);
  EXPECT_EQ(balance(token)["available"], 100);
  EXPECT_EQ(balance(token)["frozen"], 0);
  EXPECT_EQ(ledger_of(token, failed["jobId"])["release"], 6);
  gen->set_failure("");

  // One running (held at its first step) and one queued behind it: both cancelled.
  gen->hold();
  ASSERT_EQ(submit(token, request(sid, "gen_a")).status, 200);
  ASSERT_TRUE(gen->wait_started(2));
  ASSERT_EQ(submit(token, request(sid, "gen_b")).status, 200);
  EXPECT_EQ(balance(token)["frozen"], 4);
  auto cb = client->post_json("/api/generate/gen_b/cancel", Json::object(), auth(token));
  ASSERT_EQ(cb.status, 200) << cb.body;
  EXPECT_EQ(cb.json()["data"]["status"], "cancelled");
  auto ca = client->post_json("/api/generate/gen_a/cancel", Json::object(), auth(token));
  EXPECT_EQ(ca.json()["data"]["status"], "cancelled");
  for (int i = 0; i < 500 && gen->cancelled() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(gen->cancelled(), 1);  // the running one stopped at its next step
  gen->release();
  Json b = balance(token);
  EXPECT_EQ(b["available"], 100);
  EXPECT_EQ(b["frozen"], 0);
  // Cancelling again changes nothing; the queued one never ran.
  EXPECT_EQ(client->post_json("/api/generate/gen_a/cancel", Json::object(), auth(token)).status,
            200);
  EXPECT_EQ(balance(token)["available"], 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(gen->started(), 2);
  EXPECT_EQ(status(token, "gen_b")["status"], "cancelled");
  Json st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token))
                .json()["data"]["state"];
  EXPECT_TRUE(st["generated_media"].empty());
}

TEST_F(ApiGenerationTest, OutOfCreditsIs2001WithTheWayToGetMore) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->hold();  // keep the credits frozen
  // 10 s at 1080p costs 30: three fit in 100, the fourth does not.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(submit(token, request(sid, "big_" + std::to_string(i), 10, "1080p")).status, 200);
  auto r = submit(token, request(sid, "big_3", 10, "1080p"));
  EXPECT_EQ(r.status, 402);
  Json e = r.json();
  EXPECT_EQ(e["code"], 2001);
  const std::string msg = e.value("message", "");
  EXPECT_NE(msg.find("costs 30 credits"), std::string::npos) << msg;
  EXPECT_NE(msg.find("10 are available"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kino admin credits grant"), std::string::npos) << msg;
  EXPECT_EQ(client->get("/api/generate/big_3", auth(token)).status, 404);  // nothing stored
  Json b = balance(token);
  EXPECT_EQ(b["available"], 10);
  EXPECT_EQ(b["frozen"], 90);

  // An admin grant makes it possible.
  studio->credits_grant(studio->authenticate("Bearer " + token).account_id, 50, "test");
  EXPECT_EQ(submit(token, request(sid, "big_3", 10, "1080p")).status, 200);
  EXPECT_EQ(balance(token)["available"], 30);
  gen->release();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(wait_generation(token, "big_" + std::to_string(i))["status"], "completed");
  b = balance(token);
  EXPECT_EQ(b["available"], 30);
  EXPECT_EQ(b["frozen"], 0);
  EXPECT_EQ(b["total"], 30);
}

TEST_F(ApiGenerationTest, ConcurrentRequestsNeverOverdrawAndRepeatsFreezeOnce) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->hold();
  // 24 clients at once, 15 credits each (5 s at 1080p): exactly six fit in 100.
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(server->port());
      auto r = c.post_json("/api/generate", request(sid, "c_" + std::to_string(t), 5, "1080p"),
                           auth(token));
      if (r.status == 200)
        ++ok;
      else if (r.json().value("code", 0) == 2001)
        ++refused;
      else
        ++other;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(refused, 18);
  EXPECT_EQ(other, 0);
  Json b = balance(token);
  EXPECT_EQ(b["available"], 10);
  EXPECT_EQ(b["frozen"], 90);

  // The same id again is the same job: nothing more is frozen.
  std::string accepted;
  for (int t = 0; t < 24 && accepted.empty(); ++t)
    if (client->get("/api/generate/c_" + std::to_string(t), auth(token)).status == 200)
      accepted = "c_" + std::to_string(t);
  auto again = submit(token, request(sid, accepted, 5, "1080p"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(balance(token)["frozen"], 90);

  gen->release();
  for (int t = 0; t < 24; ++t) {
    const std::string id = "c_" + std::to_string(t);
    if (client->get("/api/generate/" + id, auth(token)).status == 200) {
      EXPECT_EQ(wait_generation(token, id)["status"], "completed");
    }
  }
  b = balance(token);
  EXPECT_EQ(b["available"], 10);
  EXPECT_EQ(b["frozen"], 0);
  EXPECT_EQ(b["total"], 10);
}

TEST_F(ApiGenerationTest, BadRequestsAreRefusedWithoutCharging) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string other = new_token();
  const std::string other_sid = new_session(other);
  auto expect_code = [&](Json body, int code, const std::string& words) {
    auto r = submit(token, body);
    EXPECT_EQ(r.json().value("code", -1), code) << body.dump() << " -> " << r.body;
    EXPECT_NE(r.json().value("message", "").find(words), std::string::npos) << r.body;
  };
  Json base = request(sid, "x");
  Json b = base;
  b["seconds"] = 0;
  expect_code(b, 400, "seconds must be 1..10, got 0");
  b = base;
  b["seconds"] = 11;
  expect_code(b, 400, "seconds must be 1..10, got 11");
  b = base;
  b["resolution"] = "4k";
  expect_code(b, 400, "resolution must be one of 480p, 720p, 1080p");
  b = base;
  b["aspect"] = "21:9";
  expect_code(b, 400, "aspect must be one of");
  b = base;
  b["prompt"] = "";
  expect_code(b, 400, "prompt must describe the clip");
  b = base;
  b["prompt"] = std::string(3000, 'a');
  expect_code(b, 400, "prompt must be at most 2000 bytes");
  b = base;
  b["seed"] = -7;
  expect_code(b, 400, "seed must be >= 0");
  b = base;
  b["id"] = "../etc";
  expect_code(b, 400, "id must be");
  b = base;
  b["image"] = "med_nothere";
  expect_code(b, 404, "is not a media id");
  b = base;
  b["sessionId"] = other_sid;  // another account's session
  expect_code(b, 1002, "not found");
  // Another account's job is not visible.
  ASSERT_EQ(submit(token, base).status, 200);
  EXPECT_EQ(client->get("/api/generate/x", auth(other)).status, 404);
  EXPECT_EQ(client->post_json("/api/generate/x/cancel", Json::object(), auth(other)).status, 404);
  EXPECT_EQ(wait_generation(token, "x")["status"], "completed");
  EXPECT_EQ(balance(token)["available"], 98);
  EXPECT_EQ(balance(other)["available"], 100);
}

TEST_F(ApiGenerationTest, ImageToVideoCostsTheSameAndUsesTheUpload) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "still.png");
  const std::string vid = upload(token, sid, test_media().video, "clip.mp4");
  Json body{
      {"id", "anim"}, {"sessionId", sid}, {"image", img}, {"seconds", 2}, {"resolution", "720p"}};
  auto r = submit(token, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["data"]["credits"], 4);
  EXPECT_EQ(wait_generation(token, "anim")["status"], "completed");
  EXPECT_EQ(gen->last_request().image.filename().string(), img);
  EXPECT_EQ(gen->last_request().resolution, "720p");
  body["id"] = "anim2";
  body["image"] = vid;
  EXPECT_EQ(submit(token, body).json()["code"], 400);  // a video is not a picture
}

TEST_F(ApiGenerationTest, ChatGeneratesStreamsProgressAndPlacesTheClip) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->set_step_ms(60);  // slow enough for progress events and heartbeats
  SseResult r = client->sse(
      "/run_sse", message(sid, "generate a 2 second clip of a fox running through snow in 480p"),
      auth(token), -1, 60000);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed_by_server);
  ASSERT_FALSE(r.events.empty());
  EXPECT_TRUE(r.events.back()["turnComplete"].get<bool>());
  EXPECT_GE(r.heartbeats, 1);
  std::string call_id;
  int progress_events = 0;
  bool saw_denoise = false;
  std::string final_text;
  for (const auto& e : r.events) {
    for (const auto& p : e["content"]["parts"]) {
      if (p.contains("functionCall") && p["functionCall"]["name"] == "generate") {
        call_id = p["functionCall"]["id"];
        EXPECT_EQ(p["functionCall"]["args"]["seconds"], 2);
      }
      if (p.contains("functionResponse") && p["functionResponse"]["name"] == "generate") {
        EXPECT_EQ(p["functionResponse"]["id"], call_id);
        ++progress_events;
        saw_denoise =
            saw_denoise || p["functionResponse"]["response"].value("stage", "") == "denoise";
      }
      if (p.contains("text")) final_text = p["text"];
    }
  }
  EXPECT_GE(progress_events, 3);
  EXPECT_TRUE(saw_denoise);
  EXPECT_NE(final_text.find("is ready and on the timeline"), std::string::npos) << final_text;
  const Json& delta = r.events.back()["actions"]["stateDelta"];
  EXPECT_TRUE(delta.contains("generated_media_id")) << delta.dump();

  Json st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token))
                .json()["data"]["state"];
  ASSERT_EQ(st["generated_media"].size(), 1u);
  bool placed = false;
  for (const auto& t : st["draft"]["t"])
    for (const auto& sg : t["sg"])
      placed = placed || sg["src"] == st["generated_media"][0]["media_id"];
  EXPECT_TRUE(placed);
  EXPECT_EQ(balance(token)["available"], 98);
  EXPECT_EQ(gen->last_request().resolution, "480p");

  // Short of credits, the chat says how to get more and charges nothing.
  studio->store().ledger_append({0, studio->authenticate("Bearer " + token).account_id,
                                 store::LedgerKind::freeze, 95, "hold", "test", 0});
  SseResult poor =
      client->sse("/run_sse", message(sid, "generate a 5 second clip of the sea"), auth(token));
  std::string text;
  for (const auto& e : poor.events)
    for (const auto& p : e["content"]["parts"])
      if (p.contains("text")) text += p["text"].get<std::string>();
  EXPECT_NE(text.find("kino admin credits grant"), std::string::npos) << text;
  EXPECT_EQ(balance(token)["available"], 3);
}

TEST_F(ApiGenerationTest, ADisconnectedChatStillFinishesTheClip) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->hold();
  SseResult r = client->sse("/run_sse", message(sid, "generate a 2 second clip of a red kite"),
                            auth(token), 2);
  ASSERT_EQ(r.status, 200);
  const std::string invocation = r.events.at(0)["invocationId"];
  gen->release();
  Json done = wait_generation(token, "chat_" + invocation);
  EXPECT_EQ(done["status"], "completed") << done.dump();
  Json st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token))
                .json()["data"]["state"];
  EXPECT_EQ(st["generated_media"].size(), 1u);
}

TEST_F(ApiGenerationTest, RestartWithAGenerationInFlightChargesOnce) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  gen->hold();
  ASSERT_EQ(submit(token, request(sid, "inflight", 3, "720p")).status, 200);
  ASSERT_TRUE(wait_status(token, "inflight", "running"));
  const std::string job_id = status(token, "inflight")["jobId"];

  // The server stops mid-job: the job stays running with its credits frozen ...
  shutdown();
  start();
  // ... and the next start re-queues it and runs it again to the end.
  Json done = wait_generation(token, "inflight");
  EXPECT_EQ(done["status"], "completed") << done.dump();
  EXPECT_EQ(gen->started(), 1);  // the new server's generator ran it once
  auto ledger = ledger_of(token, job_id);
  EXPECT_EQ(ledger["freeze"], 6);
  EXPECT_EQ(ledger["settle"], 6);
  EXPECT_EQ(ledger.count("release"), 0u);
  Json b = balance(token);
  EXPECT_EQ(b["available"], 94);
  EXPECT_EQ(b["frozen"], 0);
  Json st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token))
                .json()["data"]["state"];
  EXPECT_EQ(st["generated_media"].size(), 1u);
}

class ApiGenerationGiveUpTest : public ApiGenerationTest {
 protected:
  ApiGenerationGiveUpTest() {
    max_attempts = 1;
    hold_on_start = true;
  }
};

TEST_F(ApiGenerationGiveUpTest, AJobInterruptedTooOftenFailsAndReleases) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  ASSERT_EQ(submit(token, request(sid, "doomed", 2, "480p")).status, 200);
  ASSERT_TRUE(wait_status(token, "doomed", "running"));
  shutdown();
  start();  // second attempt > generation_max_attempts: failed, credits returned
  Json done = wait_generation(token, "doomed");
  EXPECT_EQ(done["status"], "failed");
  EXPECT_NE(done.value("error", "").find("interrupted"), std::string::npos) << done.dump();
  EXPECT_EQ(gen->started(), 0);
  Json b = balance(token);
  EXPECT_EQ(b["available"], 100);
  EXPECT_EQ(b["frozen"], 0);
}

class ApiNoModelTest : public ApiFixture {};

TEST_F(ApiNoModelTest, GenerationWithoutAModelIs503AndFree) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto r = client->post_json(
      "/api/generate", Json{{"sessionId", sid}, {"prompt", "a fox"}, {"seconds", 5}}, auth(token));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["code"], 503);
  EXPECT_NE(r.json().value("message", "").find("no model installed"), std::string::npos);
  EXPECT_EQ(client->get("/api/credits/balance/simple", auth(token)).json()["data"]["available"],
            100);
}

}  // namespace
}  // namespace kino::testing
