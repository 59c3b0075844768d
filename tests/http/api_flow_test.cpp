// The documented flow over real HTTP: token -> session -> upload -> state -> export ->
// poll -> download (whole and by range) -> probe the MP4.
// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange
// clang-format on
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>

#include "http/api_fixture.h"

namespace kino::testing {
namespace {

class ApiFlowTest : public ApiFixture {};

TEST_F(ApiFlowTest, TokenSessionUploadStateExportDownload) {
  const TestMedia& m = test_media();
  const std::string token = new_token();
  const std::string sid = new_session(token);

  auto credits = client->get("/api/credits/balance/simple", auth(token)).json();
  EXPECT_EQ(credits["code"], 0);
  EXPECT_EQ(credits["data"]["available"], 100);
  EXPECT_EQ(credits["data"]["frozen"], 0);
  EXPECT_EQ(credits["data"]["total"], 100);

  // Three files in one request; the names say nothing true about the types.
  auto up = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                               {{"files", "holiday.bin", read_file(m.video)},
                                {"files", "still.dat", read_file(m.image)},
                                {"files", "music", read_file(m.audio)}},
                               auth(token));
  ASSERT_EQ(up.status, 200) << up.body;
  Json files = up.json()["data"]["files"];
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0]["type"], "video");
  EXPECT_EQ(files[0]["format"], "mp4");
  EXPECT_EQ(files[0]["width"], 320);
  EXPECT_EQ(files[1]["type"], "image");
  EXPECT_EQ(files[1]["format"], "png");
  EXPECT_EQ(files[2]["type"], "audio");
  EXPECT_EQ(files[2]["format"], "wav");
  const std::string vid = files[0]["media_id"], img = files[1]["media_id"],
                    aud = files[2]["media_id"];

  auto state = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token));
  ASSERT_EQ(state.status, 200) << state.body;
  Json st = state.json()["data"]["state"];
  EXPECT_TRUE(st["draft"].is_object());
  EXPECT_EQ(st["video_infos"].size(), 3u);
  EXPECT_TRUE(st["generated_media"].is_array());

  // An uploaded file downloads through its signed URL without the bearer token.
  auto img_dl = client->get(target_of(files[1]["url"]));
  EXPECT_EQ(img_dl.status, 200);
  EXPECT_EQ(img_dl.body, read_file(m.image));
  EXPECT_EQ(img_dl.header("content-type"), "image/png");

  Json body{{"id", "render_1700000000000"},
            {"sessionId", sid},
            {"draft", small_draft(vid, img, aud)},
            {"output", {{"format", "mp4"}, {"quality", "high"}}}};
  auto start = client->post_json("/api/render/proxy/lambda", body, auth(token));
  ASSERT_EQ(start.status, 200) << start.body;
  EXPECT_EQ(start.json()["data"]["id"], "render_1700000000000");
  const std::string job_id = start.json()["data"]["jobId"];
  // The same client id again is the same render.
  auto again = client->post_json("/api/render/proxy/lambda", body, auth(token));
  EXPECT_EQ(again.json()["data"]["jobId"], job_id);

  Json done = wait_render(token, "render_1700000000000");
  ASSERT_EQ(done["status"], "completed") << done.dump();
  EXPECT_DOUBLE_EQ(done["progress"].get<double>(), 1.0);
  const int64_t size = done["output"]["size"];
  ASSERT_GT(size, 1000);
  const std::string url = done["output"]["url"];
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;

  auto dl = client->get(target_of(url));
  ASSERT_EQ(dl.status, 200);
  EXPECT_EQ(int64_t(dl.body.size()), size);
  EXPECT_EQ(dl.header("content-type"), "video/mp4");
  EXPECT_EQ(dl.header("accept-ranges"), "bytes");
  const auto saved = dir / "export.mp4";
  std::ofstream(saved, std::ios::binary) << dl.body;
  media::MediaInfo info = media::probe(saved);
  EXPECT_EQ(info.format, "mp4");
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_TRUE(info.has_audio);
  EXPECT_NEAR(double(info.duration_ms), 2000.0, 150.0);

  auto part = client->get(target_of(url), {{"Range", "bytes=100-199"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, dl.body.substr(100, 100));
  EXPECT_EQ(part.header("content-range"), "bytes 100-199/" + std::to_string(size));
  auto tail = client->get(target_of(url), {{"Range", "bytes=-10"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, dl.body.substr(dl.body.size() - 10));
  auto beyond = client->get(target_of(url), {{"Range", "bytes=" + std::to_string(size) + "-"}});
  EXPECT_EQ(beyond.status, 416);
  auto head = client->request("HEAD", target_of(url));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(size));

  // A tampered or unsigned link is refused.
  std::string tampered = target_of(url);
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(client->get(tampered).status, 404);
  EXPECT_EQ(client->get("/api/files/renders/" + job_id + ".mp4").status, 404);

  // Exports are free.
  EXPECT_EQ(client->get("/api/credits/balance/simple", auth(token)).json()["data"]["available"],
            100);
}

TEST_F(ApiFlowTest, FailedRenderSaysWhyInWords) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "a.png");
  // The file disappears after the export was accepted: the render fails, the job says why.
  Json draft = Json::parse(R"({"canvas":{"w":320,"h":240,"fps":15},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":500,"src":")" +
                           img + R"("}]}]})");
  studio->stop_workers();
  auto r = client->post_json("/api/render/proxy/lambda",
                             Json{{"id", "r1"}, {"sessionId", sid}, {"draft", draft}}, auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["data"]["status"], "queued");
  std::filesystem::remove(studio->blobs().media_path(img));
  studio->start_workers();
  Json done = wait_render(token, "r1");
  EXPECT_EQ(done["status"], "failed");
  EXPECT_FALSE(done["error"].get<std::string>().empty());
}

TEST_F(ApiFlowTest, CallbackUrlReceivesTheFinalStatusWithRetries) {
  // A receiver on loopback that fails the first POST and accepts the second.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  std::vector<std::string> received;
  std::thread receiver([&] {
    for (int i = 0; i < 2; ++i) {
      boost::asio::ip::tcp::socket s(ioc);
      acceptor.accept(s);
      boost::beast::flat_buffer buf;
      boost::beast::http::request<boost::beast::http::string_body> req;
      boost::beast::http::read(s, buf, req);
      received.push_back(req.body());
      boost::beast::http::response<boost::beast::http::string_body> res{
          i == 0 ? boost::beast::http::status::service_unavailable : boost::beast::http::status::ok,
          11};
      res.prepare_payload();
      boost::beast::http::write(s, res);
    }
  });
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "a.png");
  Json draft = Json::parse(R"({"canvas":{"w":160,"h":120,"fps":10},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":300,"src":")" +
                           img + R"("}]}]})");
  auto r = client->post_json(
      "/api/render/proxy/lambda",
      Json{{"id", "cb1"},
           {"sessionId", sid},
           {"draft", draft},
           {"callback_url", "http://127.0.0.1:" + std::to_string(port) + "/hook"}},
      auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  receiver.join();
  ASSERT_EQ(received.size(), 2u);
  Json last = Json::parse(received[1]);
  EXPECT_EQ(last["id"], "cb1");
  EXPECT_EQ(last["status"], "completed");
  EXPECT_TRUE(last["output"]["url"].is_string());
}

TEST_F(ApiFlowTest, RestartRequeuesARunningJob) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string img = upload(token, sid, test_media().image, "a.png");
  studio->stop_workers();
  Json draft = Json::parse(R"({"canvas":{"w":160,"h":120,"fps":10},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":300,"src":")" +
                           img + R"("}]}]})");
  auto r =
      client->post_json("/api/render/proxy/lambda",
                        Json{{"id", "rs1"}, {"sessionId", sid}, {"draft", draft}}, auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  // A worker took it and then the process died: the row says running.
  auto claimed = studio->store().job_claim("render");
  ASSERT_TRUE(claimed);
  EXPECT_EQ(client->get("/api/render/proxy/lambda/rs1", auth(token)).json()["data"]["status"],
            "rendering");
  shutdown();
  start();  // same data folder: the new studio re-queues and renders it
  Json done = wait_render(token, "rs1");
  EXPECT_EQ(done["status"], "completed") << done.dump();
  // The token and session survived the restart too.
  EXPECT_EQ(client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token)).status, 200);
}

}  // namespace
}  // namespace kino::testing
