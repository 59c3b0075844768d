// Every error code of the API, isolation between accounts, hostile uploads and limits.
#include <zlib.h>

#include "http/api_fixture.h"

namespace kino::testing {
namespace {

class ApiErrorsTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig& config, http::ServerLimits& limits) override {
    config.upload_max_bytes = 512 * 1024;
  }
};

int code_of(const ClientResponse& r) {
  return r.json().value("code", -1);
}

TEST_F(ApiErrorsTest, MissingClientIdIs400) {
  auto r = client->request("POST", "/api/auth/anonymous-token");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code_of(r), 400);
  EXPECT_NE(r.json()["message"].get<std::string>().find("X-Client-Id"), std::string::npos);
}

TEST_F(ApiErrorsTest, BadOrMissingTokenIs1001) {
  for (const Headers& h : {Headers{}, Headers{{"Authorization", "Bearer nope"}},
                           Headers{{"Authorization", "Basic abc"}}}) {
    auto r = client->get("/api/credits/balance/simple", h);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(code_of(r), 1001) << r.body;
  }
}

TEST_F(ApiErrorsTest, ExpiredTokenIs1001) {
  service::ServiceConfig config;
  config.data_dir = dir / "data2";
  config.token_ttl_ms = 1;
  service::Studio s(config);
  std::string token = s.anonymous_token("client");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  try {
    s.authenticate("Bearer " + token);
    FAIL() << "expired token accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_token);
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos);
  }
}

TEST_F(ApiErrorsTest, UnknownSessionIs1002Everywhere) {
  const std::string token = new_token();
  const Headers a = auth(token);
  EXPECT_EQ(code_of(client->get("/api/state/nemo_agent/me/ses_nope/latest", a)), 1002);
  EXPECT_EQ(code_of(client->post_files("/api/upload-video/nemo_agent/me/ses_nope",
                                       {{"files", "a.png", read_file(test_media().image)}}, a)),
            1002);
  EXPECT_EQ(code_of(client->post_json("/api/render/proxy/lambda",
                                      Json{{"id", "r"}, {"sessionId", "ses_nope"}}, a)),
            1002);
  auto sse = client->sse("/run_sse",
                         Json{{"app_name", "nemo_agent"},
                              {"user_id", "me"},
                              {"session_id", "../../etc"},
                              {"new_message", {{"parts", {{{"text", "hi"}}}}}}},
                         a);
  EXPECT_EQ(sse.status, 404);
  ASSERT_FALSE(sse.events.empty());
  EXPECT_EQ(sse.events.back()["code"], 1002);
}

TEST_F(ApiErrorsTest, TwoTokensCannotSeeEachOthersData) {
  const std::string a = new_token(), b = new_token();
  const std::string sa = new_session(a);
  const std::string img = upload(a, sa, test_media().image, "a.png");
  Json draft = Json::parse(R"({"canvas":{"w":160,"h":120,"fps":10},"t":[{"id":"v","tt":0,
    "sg":[{"id":"s","start":0,"d":300,"src":")" +
                           img + R"("}]}]})");
  ASSERT_EQ(client
                ->post_json("/api/render/proxy/lambda",
                            Json{{"id", "mine"}, {"sessionId", sa}, {"draft", draft}}, auth(a))
                .status,
            200);
  // b sees neither the session, nor the render, nor can it use a's media.
  EXPECT_EQ(code_of(client->get("/api/state/nemo_agent/me/" + sa + "/latest", auth(b))), 1002);
  auto r = client->get("/api/render/proxy/lambda/mine", auth(b));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code_of(r), 404);
  const std::string sb = new_session(b);
  auto steal =
      client->post_json("/api/render/proxy/lambda",
                        Json{{"id", "theirs"}, {"sessionId", sb}, {"draft", draft}}, auth(b));
  EXPECT_EQ(steal.status, 404) << steal.body;
  EXPECT_NE(steal.json()["message"].get<std::string>().find(img), std::string::npos);
  // b's own id "mine" is a different render.
  EXPECT_EQ(client->get("/api/state/nemo_agent/me/" + sb + "/latest", auth(b)).status, 200);
}

TEST_F(ApiErrorsTest, UnsupportedUploadIs4001) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto r = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                              {{"files", "fake.png", "this is text, not a picture"}}, auth(token));
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(code_of(r), 4001) << r.body;
  EXPECT_NE(r.json()["message"].get<std::string>().find("fake.png"), std::string::npos);
  // Nothing was kept.
  auto st = client->get("/api/state/nemo_agent/me/" + sid + "/latest", auth(token)).json();
  EXPECT_TRUE(st["data"]["state"]["video_infos"].empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "media"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "tmp"));
}

TEST_F(ApiErrorsTest, OversizedUploadIs4002) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto r = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                              {{"files", "big.mp4", std::string(600 * 1024, 'x')}}, auth(token));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(code_of(r), 4002) << r.body;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "tmp"));
}

TEST_F(ApiErrorsTest, GigabyteContentLengthIsRefusedBeforeTheBody) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  std::string req = "POST /api/upload-video/nemo_agent/me/" + sid +
                    " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                    "\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                    "Content-Length: 1073741824\r\n\r\n";
  std::string reply = client->raw(req);  // no body is sent: the reply must come anyway
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"code\":4002"), std::string::npos) << reply;
  // A JSON route refuses a huge body the same way.
  std::string json =
      "POST /api/render/proxy/lambda HTTP/1.1\r\nHost: x\r\nAuthorization: "
      "Bearer " +
      token +
      "\r\nContent-Type: application/json\r\n"
      "Content-Length: 1073741824\r\n\r\n";
  reply = client->raw(json);
  EXPECT_NE(reply.find("\"code\":4002"), std::string::npos) << reply;
}

// A PNG whose header claims 100000 x 100000 pixels: refused by its declared size, never
// decoded.
std::string png_bomb() {
  auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  std::string ihdr = "IHDR" + be32(100000) + be32(100000) + std::string{8, 2, 0, 0, 0};
  uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), uInt(ihdr.size())));
  std::string png = "\x89PNG\r\n\x1a\n" + be32(13) + ihdr + be32(crc);
  std::string idat = "IDAT" + std::string(64, '\0');
  crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(idat.data()), uInt(idat.size())));
  png += be32(64) + idat + be32(crc);
  std::string iend = "IEND";
  crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(iend.data()), uInt(iend.size())));
  return png + be32(0) + iend + be32(crc);
}

TEST_F(ApiErrorsTest, HostileUploads) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  // A path-like name is display text only: the file is stored under its id.
  auto r = client->post_files(
      "/api/upload-video/nemo_agent/me/" + sid,
      {{"files", "../../../../tmp/evil.png", read_file(test_media().image)}}, auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  Json f = r.json()["data"]["files"][0];
  EXPECT_EQ(f["name"], "evil.png");
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "media" / f["media_id"].get<std::string>()));
  EXPECT_FALSE(std::filesystem::exists(dir / "tmp" / "evil.png"));

  auto bomb = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                                 {{"files", "bomb.png", png_bomb()}}, auth(token));
  EXPECT_EQ(code_of(bomb), 4002) << bomb.body;

  // Not multipart, no boundary, a truncated body.
  auto nb = client->request(
      "POST", "/api/upload-video/nemo_agent/me/" + sid,
      {{"Authorization", "Bearer " + token}, {"Content-Type", "multipart/form-data"}}, "x");
  EXPECT_EQ(code_of(nb), 400);
  auto cut = client->request(
      "POST", "/api/upload-video/nemo_agent/me/" + sid,
      {{"Authorization", "Bearer " + token}, {"Content-Type", "multipart/form-data; boundary=zz"}},
      "--zz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.png\"\r\n\r\nabc");
  EXPECT_EQ(code_of(cut), 400) << cut.body;
  auto none = client->post_files("/api/upload-video/nemo_agent/me/" + sid,
                                 {{"other", "a.png", read_file(test_media().image)}}, auth(token));
  EXPECT_EQ(code_of(none), 400);
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "tmp"));
}

TEST_F(ApiErrorsTest, BadJsonAndBadFieldsAre400WithTheFieldNamed) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto r = client->request(
      "POST", "/api/render/proxy/lambda",
      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, "{not json");
  EXPECT_EQ(code_of(r), 400);
  r = client->post_json("/api/render/proxy/lambda", Json{{"id", "a/b"}, {"sessionId", sid}},
                        auth(token));
  EXPECT_EQ(code_of(r), 400);
  EXPECT_NE(r.json()["message"].get<std::string>().find("id"), std::string::npos);
  r = client->post_json("/api/render/proxy/lambda",
                        Json{{"id", "x"},
                             {"sessionId", sid},
                             {"draft", {{"t", {{{"tt", 0}, {"sg", {{{"d", -5}}}}}}}}}},
                        auth(token));
  EXPECT_EQ(code_of(r), 400) << r.body;
  r = client->post_json("/api/render/proxy/lambda",
                        Json{{"id", "x"}, {"sessionId", sid}, {"output", {{"format", "avi"}}}},
                        auth(token));
  EXPECT_EQ(code_of(r), 400);
  EXPECT_EQ(client->get("/api/nothing/here", auth(token)).status, 404);
}

class ApiPolicyTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig& config, http::ServerLimits&) override {
    config.require_skill_headers = true;
    config.token_rate = {1, 5};  // 5 requests, then one a second
  }
};

TEST_F(ApiPolicyTest, ExportsWithoutSkillHeadersAre402AndUsageIsRecorded) {
  const std::string token = new_token();
  const std::string sid = new_session(token);
  auto r = client->post_json("/api/render/proxy/lambda", Json{{"id", "x"}, {"sessionId", sid}},
                             auth(token));
  EXPECT_EQ(r.status, 402);
  EXPECT_EQ(code_of(r), 402);
  Headers h = auth(token);
  h.insert(h.end(), {{"X-Skill-Source", "free-kling-ai-video-generation"},
                     {"X-Skill-Version", "1.0.0"},
                     {"X-Skill-Platform", "cursor"}});
  r = client->post_json("/api/render/proxy/lambda", Json{{"id", "x"}, {"sessionId", sid}}, h);
  EXPECT_EQ(code_of(r), 400) << r.body;  // past the policy: the empty draft is the problem now
  auto caller = studio->authenticate("Bearer " + token);
  auto usage = studio->store().usage_list(caller.account_id);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].source, "free-kling-ai-video-generation");
  EXPECT_EQ(usage[0].platform, "cursor");
}

TEST_F(ApiPolicyTest, RateLimitIs429WithRetryAfter) {
  const std::string token = new_token();
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 10; ++i) {
    auto r = client->get("/api/credits/balance/simple", auth(token));
    if (r.status == 429) {
      ++limited;
      retry_after = r.header("retry-after");
      EXPECT_EQ(code_of(r), 429);
    }
  }
  EXPECT_GE(limited, 4);
  EXPECT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  // Another token has its own bucket.
  EXPECT_EQ(client->get("/api/credits/balance/simple", auth(new_token())).status, 200);
}

TEST_F(ApiErrorsTest, NoCreditsIs2001AndTheLedgerNeverGoesNegative) {
  const std::string token = new_token();
  auto caller = studio->authenticate("Bearer " + token);
  std::atomic<int> frozen{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        try {
          studio->store().ledger_append({0, caller.account_id, store::LedgerKind::freeze, 7,
                                         "job_" + std::to_string(t) + "_" + std::to_string(i), "",
                                         0});
          ++frozen;
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::no_credits);
          ++refused;
        }
        auto b = client->get("/api/credits/balance/simple", auth(token)).json()["data"];
        EXPECT_GE(b["available"].get<int64_t>(), 0);
        EXPECT_EQ(b["total"], 100);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(frozen, 14);  // 14 * 7 = 98 <= 100
  auto b = client->get("/api/credits/balance/simple", auth(token)).json()["data"];
  EXPECT_EQ(b["available"], 2);
  EXPECT_EQ(b["frozen"], 98);
}

}  // namespace
}  // namespace kino::testing

namespace kino::testing {
namespace {

class ApiLimitsTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig&, http::ServerLimits& limits) override {
    limits.header_timeout_ms = 300;
    limits.json_body_max_bytes = 1024;
    limits.header_max_bytes = 4096;
  }
};

TEST_F(ApiLimitsTest, HeaderBodyAndTimeLimits) {
  const std::string token = new_token();
  // Headers beyond header_max_bytes.
  std::string big =
      "GET /api/credits/balance/simple HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(8000, 'a') +
      "\r\n\r\n";
  std::string reply = client->raw(big);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply.substr(0, 200);
  EXPECT_NE(reply.find("\"code\":4002"), std::string::npos);
  // A JSON body beyond json_body_max_bytes, announced or chunked.
  auto r = client->post_json("/api/tasks/me/with-session/nemo_agent",
                             Json{{"task_name", std::string(2000, 'x')}}, auth(token));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["code"], 4002);
  std::string chunked =
      "POST /api/tasks/me/with-session/nemo_agent HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      token +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "800\r\n" +
      std::string(0x800, ' ') + "\r\n0\r\n\r\n";
  reply = client->raw(chunked);
  EXPECT_NE(reply.find("\"code\":4002"), std::string::npos) << reply.substr(0, 200);
  // A client that connects and says nothing is closed after header_timeout_ms.
  EXPECT_EQ(client->raw(""), "");
  // A slow, partial request line is closed the same way.
  EXPECT_EQ(client->raw("GET /api/cred"), "");
  // Keep-alive: two requests on one connection both answered.
  reply = client->raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: "
      "x\r\nConnection: close\r\n\r\n");
  size_t first = reply.find("HTTP/1.1 200");
  EXPECT_NE(first, std::string::npos);
  EXPECT_NE(reply.find("HTTP/1.1 200", first + 1), std::string::npos) << reply;
}

}  // namespace
}  // namespace kino::testing
