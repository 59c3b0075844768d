// /run_sse: ADK events, the routing table's replies, heartbeats, disconnects, shutdown.
#include "http/api_fixture.h"

namespace kino::testing {
namespace {

class ApiSseTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig&, http::ServerLimits& limits) override {
    limits.sse_heartbeat_ms = 30;
  }
  static Json message(const std::string& sid, const std::string& text) {
    return Json{{"app_name", "nemo_agent"},
                {"user_id", "me"},
                {"session_id", sid},
                {"new_message", {{"parts", {{{"text", text}}}}}}};
  }
  static std::string all_text(const SseResult& r) {
    std::string out;
    for (const auto& e : r.events)
      for (const auto& p : e["content"]["parts"])
        if (p.contains("text")) out += p["text"].get<std::string>() + "\n";
    return out;
  }
};

TEST_F(ApiSseTest, CreditsReplyIsAnAdkEventStream) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  SseResult r = client->sse("/run_sse", message(sid, "How many credits do I have?"), auth(token));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed_by_server);
  ASSERT_GE(r.events.size(), 2u);
  for (const auto& e : r.events) {
    EXPECT_TRUE(e["id"].is_string());
    EXPECT_TRUE(e["invocationId"].is_string());
    EXPECT_EQ(e["invocationId"], r.events[0]["invocationId"]);
    EXPECT_EQ(e["author"], "nemo_agent");
    EXPECT_TRUE(e["timestamp"].is_number());
    EXPECT_EQ(e["content"]["role"], "model");
    EXPECT_TRUE(e["actions"]["stateDelta"].is_object());
  }
  const Json& call = r.events[0]["content"]["parts"][0]["functionCall"];
  const Json& response = r.events[1]["content"]["parts"][0]["functionResponse"];
  EXPECT_EQ(call["name"], "credits");
  EXPECT_EQ(response["id"], call["id"]);
  EXPECT_EQ(response["response"]["available"], 100);
  EXPECT_TRUE(r.events.back()["turnComplete"].get<bool>());
  EXPECT_NE(all_text(r).find("100 credits"), std::string::npos) << all_text(r);
}

TEST_F(ApiSseTest, RoutingTableInEnglishAndChinese) {
  studio->set_chat_handler(service::routing_chat_handler(*studio));
  const std::string token = new_token();
  const std::string en = new_session(token, "en");
  const std::string zh = new_session(token, "zh");
  EXPECT_NE(all_text(client->sse("/run_sse", message(zh, "我的积分还有多少"), auth(token)))
                .find("可用积分 100"),
            std::string::npos);
  EXPECT_NE(all_text(client->sse("/run_sse", message(en, "show tracks"), auth(token)))
                .find("timeline is empty"),
            std::string::npos);
  EXPECT_NE(all_text(client->sse("/run_sse", message(zh, "状态"), auth(token))).find("时间线"),
            std::string::npos);
  EXPECT_NE(all_text(client->sse("/run_sse", message(en, "how do I upload?"), auth(token)))
                .find("/api/upload-video/nemo_agent/me/" + en),
            std::string::npos);
  // Generation without a model is refused in words, never faked.
  std::string gen = all_text(client->sse(
      "/run_sse", message(en, "generate a 5-second clip of a fox in the snow"), auth(token)));
  EXPECT_NE(gen.find("none is installed"), std::string::npos) << gen;
  // Export of an empty timeline says why it cannot.
  EXPECT_NE(
      all_text(client->sse("/run_sse", message(en, "export"), auth(token))).find("Cannot export"),
      std::string::npos);
}

TEST_F(ApiSseTest, AgentEditsTheDraftThenExports) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  upload(token, sid, test_media().video, "city.mp4");
  upload(token, sid, test_media().audio, "lofi.wav");
  auto say = [&](const std::string& text) {
    SseResult r = client->sse("/run_sse", message(sid, text), auth(token));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(!r.events.empty() && r.events.back()["turnComplete"].get<bool>()) << text;
    return all_text(r);
  };
  say("add city.mp4 to the timeline");
  say("add a title 'Urban Dreams' for the first 3 seconds");
  say("add the music at 35%");
  std::string shown = say("show tracks");
  EXPECT_NE(shown.find("Urban Dreams"), std::string::npos) << shown;

  Json st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token)).json()["data"];
  const Json& draft = st["state"]["draft"];
  bool title = false, music = false, clip = false;
  for (const auto& t : draft["t"]) {
    for (const auto& sg : t["sg"]) {
      if (t["tt"] == 7 && sg.value("text", "") == "Urban Dreams") {
        title = true;
        EXPECT_EQ(sg.value("start", 0), 0);
        EXPECT_EQ(sg["d"], 3000);
      }
      if (t["tt"] == 1) {
        music = true;
        EXPECT_DOUBLE_EQ(sg.value("volume", 1.0), 0.35);
      }
      if (t["tt"] == 0) clip = true;
    }
  }
  EXPECT_TRUE(title && music && clip) << draft.dump();
  const int64_t version = st["version"];

  // Undo takes the music away again: a new version equal to the one before it.
  say("undo");
  Json after = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token)).json();
  EXPECT_EQ(after["data"]["version"], version + 1);
  for (const auto& t : after["data"]["state"]["draft"]["t"]) EXPECT_NE(t["tt"], 1);

  std::string gen = say("generate a 5 second clip of a fox running through snow");
  EXPECT_FALSE(gen.empty());
  EXPECT_EQ(client->get("/api/credits/balance/simple", auth(token)).json()["data"]["available"],
            100);  // nothing was charged for a generation that cannot run

  std::string exported = say("export");
  EXPECT_NE(exported.find("/api/files/renders/"), std::string::npos) << exported;
}

TEST_F(ApiSseTest, ChatExportStreamsProgressAndHeartbeatsAndSurvivesADisconnect) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "a.png");
  Json draft = Json::parse(R"({"canvas":{"w":320,"h":240,"fps":15},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":1500,"src":")" +
                           img + R"("}]}]})");
  studio->draft_save(studio->authenticate("Bearer " + token), sid, draft, "test");

  // Workers paused: the stream has nothing to say for a while, so heartbeats flow.
  studio->stop_workers();
  SseResult first =
      client->sse("/run_sse", message(sid, "please export the video"), auth(token), 4, 30000);
  ASSERT_EQ(first.status, 200);
  ASSERT_GE(first.events.size(), 3u);
  const std::string invocation = first.events[0]["invocationId"];
  // The client went away after a few events; the render is still queued and then runs.
  studio->start_workers();
  Json done = wait_render(token, "chat_" + invocation);
  EXPECT_EQ(done["status"], "completed") << done.dump();

  // A second export streams through to the link.
  SseResult second = client->sse("/run_sse", message(sid, "导出"), auth(token));
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(second.events.back()["turnComplete"].get<bool>());
  EXPECT_NE(all_text(second).find("/api/files/renders/"), std::string::npos) << all_text(second);
}

TEST_F(ApiSseTest, HeartbeatsWhileWaiting) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "a.png");
  Json draft = Json::parse(R"({"canvas":{"w":160,"h":120,"fps":10},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":500,"src":")" +
                           img + R"("}]}]})");
  studio->draft_save(studio->authenticate("Bearer " + token), sid, draft, "test");
  studio->stop_workers();
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    studio->start_workers();
  });
  SseResult r = client->sse("/run_sse", message(sid, "export"), auth(token));
  later.join();
  EXPECT_GE(r.heartbeats, 2);
  EXPECT_TRUE(r.closed_by_server);
  EXPECT_TRUE(r.events.back()["turnComplete"].get<bool>());
}

TEST_F(ApiSseTest, GracefulStopClosesOpenStreams) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "a.png");
  Json draft = Json::parse(R"({"canvas":{"w":160,"h":120,"fps":10},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":500,"src":")" +
                           img + R"("}]}]})");
  studio->draft_save(studio->authenticate("Bearer " + token), sid, draft, "test");
  studio->stop_workers();  // the export never finishes: the stream stays open
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server->stop();
  });
  SseResult r = client->sse("/run_sse", message(sid, "export"), auth(token));
  stopper.join();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed_by_server);
  EXPECT_EQ(server->open_connections(), 0);
}

}  // namespace
}  // namespace kino::testing
