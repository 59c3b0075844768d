// Multi-file uploads are all or nothing, hostile file names stay displayable, and the whole
// documented flow through chat ends in a downloaded, probed MP4.
#include <filesystem>
#include <fstream>

#include "http/api_fixture.h"

namespace kino::testing {
namespace {

class ApiUploadBatchTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig& config, http::ServerLimits&) override {
    config.upload_max_bytes = 1000 * 1000;
  }
  size_t stored_files() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir / "data" / "media"))
      n += e.is_regular_file();
    return n;
  }
  Json state(const std::string& token, const std::string& sid) {
    return client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token))
        .json()["data"]["state"];
  }
};

TEST_F(ApiUploadBatchTest, OneBadFileKeepsTheWholeRequestOut) {
  const TestMedia& m = test_media();
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto r = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                              {{"files", "clip.mp4", read_file(m.video)},
                               {"files", "notes.txt", "these are not pictures\n"},
                               {"files", "still.png", read_file(m.image)}},
                              auth(token));
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(r.json()["code"], 4001);
  const std::string msg = r.json().value("message", "");
  EXPECT_EQ(msg.rfind("notes.txt", 0), 0u) << msg;
  EXPECT_NE(msg.find("file 2 of 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("none of the files was stored"), std::string::npos) << msg;
  EXPECT_TRUE(state(token, sid)["video_infos"].empty());
  EXPECT_EQ(stored_files(), 0u);

  // A file over the size limit anywhere in the request: 4002, nothing stored either.
  r = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                         {{"files", "still.png", read_file(m.image)},
                          {"files", "huge.png", std::string(1500 * 1000, 'x')}},
                         auth(token));
  EXPECT_EQ(r.json()["code"], 4002) << r.body;
  EXPECT_NE(r.json().value("message", "").find("huge.png"), std::string::npos) << r.body;
  EXPECT_TRUE(state(token, sid)["video_infos"].empty());
  EXPECT_EQ(stored_files(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "tmp"));

  // The same files without the bad one go in together.
  r = client->post_files(
      "/api/upload-video/nemo_agent/me/" + sid,
      {{"files", "clip.mp4", read_file(m.video)}, {"files", "still.png", read_file(m.image)}},
      auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["data"]["media_ids"].size(), 2u);
  EXPECT_EQ(state(token, sid)["video_infos"].size(), 2u);
  EXPECT_EQ(stored_files(), 2u);
}

TEST_F(ApiUploadBatchTest, FileNamesThatAreNotUtf8StayDisplayable) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  // Latin-1 bytes, a lone continuation byte and a control character in the name.
  auto r = client->post_files(
      "/api/upload-video/nemo_agent/me/" + sid,
      {{"files", std::string("caf\xe9 \x80pic\x01.png"), read_file(test_media().image)}},
      auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string name = r.json()["data"]["files"][0]["name"];
  EXPECT_EQ(name, "caf\xef\xbf\xbd \xef\xbf\xbdpic.png");
  auto st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token));
  EXPECT_EQ(st.status, 200) << st.body;
  // A refused file with such a name gets a readable error too.
  r = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                         {{"files", std::string("\xff\xfe.txt"), "plain text"}}, auth(token));
  EXPECT_EQ(r.json()["code"], 4001) << r.body;
}

TEST_F(ApiUploadBatchTest, ErrorsQuotingCutChineseTextAreStillJson) {
  const std::string token = new_token();
  // 70 CJK characters (210 bytes) break the 200-byte rule; the message quotes the value
  // cut short, possibly inside a character.
  std::string name;
  for (int i = 0; i < 70; ++i) name += "视";
  auto r = client->post_json("/api/tasks/me/with-session/nemo_agent",
                             Json{{"task_name", name}, {"language", "zh"}}, auth(token));
  EXPECT_EQ(r.status, 400);
  ASSERT_FALSE(r.json().is_discarded()) << r.body;
  EXPECT_EQ(r.json()["code"], 400);
  EXPECT_NE(r.json().value("message", "").find("task_name must be"), std::string::npos);
}

TEST_F(ApiUploadBatchTest, TheDocumentedFlowThroughChatEndsInAProbedMp4) {
  const TestMedia& m = test_media();
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto up = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                               {{"files", "city.mp4", read_file(m.video)},
                                {"files", "poster.png", read_file(m.image)},
                                {"files", "lofi.wav", read_file(m.audio)}},
                               auth(token));
  ASSERT_EQ(up.status, 200) << up.body;
  auto say = [&](const std::string& text) {
    Json body{{"app_name", "nemo_agent"},
              {"user_id", "me"},
              {"session_id", sid},
              {"new_message", {{"parts", {{{"text", text}}}}}}};
    SseResult r = client->sse("/run_sse", body, auth(token));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(!r.events.empty() && r.events.back()["turnComplete"].get<bool>()) << text;
  };
  say("add city.mp4 to the timeline");
  say("add a title 'Urban Dreams' for the first 3 seconds");
  say("add the music at 35%");

  Json draft = state(token, sid)["draft"];
  bool title = false, music = false, clip = false;
  for (const auto& t : draft["t"])
    for (const auto& sg : t["sg"]) {
      title = title || (t["tt"] == 7 && sg.value("text", "") == "Urban Dreams");
      music = music || (t["tt"] == 1 && sg.value("volume", 1.0) == 0.35);
      clip = clip || t["tt"] == 0;
    }
  ASSERT_TRUE(title && music && clip) << draft.dump();

  // Export the session's draft at a small canvas (the client may send the draft it shows).
  draft["canvas"] = Json{{"w", 320}, {"h", 180}, {"fps", 15}};
  auto post = client->post_json("/api/render/proxy/lambda",
                                Json{{"id", "render_flow"},
                                     {"sessionId", sid},
                                     {"draft", draft},
                                     {"output", {{"format", "mp4"}, {"quality", "high"}}}},
                                auth(token));
  ASSERT_EQ(post.status, 200) << post.body;
  Json done = wait_render(token, "render_flow");
  ASSERT_EQ(done["status"], "completed") << done.dump();
  auto dl = client->get(target_of(done["output"]["url"]));
  ASSERT_EQ(dl.status, 200);
  EXPECT_EQ(int64_t(dl.body.size()), done["output"]["size"].get<int64_t>());
  const auto saved = dir / "flow.mp4";
  std::ofstream(saved, std::ios::binary) << dl.body;
  media::MediaInfo info = media::probe(saved);
  EXPECT_EQ(info.format, "mp4");
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 180);
  EXPECT_TRUE(info.has_audio);
  EXPECT_NEAR(double(info.duration_ms), 3000.0, 150.0);  // the 3 s title outlasts the 2 s clip
  EXPECT_EQ(client->get("/api/credits/balance/simple", auth(token)).json()["data"]["available"],
            100);  // exports are free
}

}  // namespace
}  // namespace kino::testing
