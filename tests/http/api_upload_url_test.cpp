// Uploads by URL: fetched by the server with size caps; non-public hosts refused.
// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange
// clang-format on
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>

#include "http/api_fixture.h"

namespace kino::testing {
namespace {

namespace bhttp = boost::beast::http;
namespace net = boost::asio;

// Serves fixed replies by path on loopback until destroyed.
class FileServer {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::string location;
  };
  explicit FileServer(std::map<std::string, Reply> replies)
      : replies_(std::move(replies)),
        acceptor_(ioc_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FileServer() {
    stop_ = true;
    boost::system::error_code ec;
    net::ip::tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }

 private:
  void serve() {
    while (!stop_) {
      net::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      boost::beast::flat_buffer buf;
      bhttp::request<bhttp::string_body> req;
      bhttp::read(s, buf, req, ec);
      if (ec) continue;
      auto it = replies_.find(std::string(req.target()));
      Reply r = it == replies_.end() ? Reply{404, "missing", ""} : it->second;
      bhttp::response<bhttp::string_body> res{bhttp::int_to_status(unsigned(r.status)), 11};
      if (!r.location.empty()) res.set(bhttp::field::location, r.location);
      res.body() = r.body;
      res.keep_alive(false);
      res.prepare_payload();
      bhttp::write(s, res, ec);
    }
  }
  std::map<std::string, Reply> replies_;
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class UploadUrlTest : public ApiFixture {
 protected:
  void configure(service::ServiceConfig& config, http::ServerLimits&) override {
    config.url_fetch_allow_private = true;  // the file server is on loopback
    config.upload_max_bytes = 256 * 1024;
  }
};

TEST_F(UploadUrlTest, FetchesFollowsRedirectsAndCaps) {
  FileServer files({{"/pics/still.png", {200, read_file(test_media().image), ""}},
                    {"/go", {302, "", "/pics/still.png"}},
                    {"/huge.mp4", {200, std::string(300 * 1024, 'x'), ""}},
                    {"/text.png", {200, "not an image", ""}}});
  const std::string token = new_token();
  const std::string sid = new_session(token);
  const std::string target = "/api/upload-video/nemo_agent/me/" + sid;
  auto r = client->post_json(
      target,
      Json{{"urls", {files.url("/pics/still.png"), files.url("/go")}}, {"source_type", "url"}},
      auth(token));
  ASSERT_EQ(r.status, 200) << r.body;
  Json f = r.json()["data"]["files"];
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0]["name"], "still.png");
  EXPECT_EQ(f[0]["format"], "png");
  EXPECT_EQ(f[1]["format"], "png");

  auto code = [&](const Json& body) {
    return client->post_json(target, body, auth(token)).json().value("code", -1);
  };
  EXPECT_EQ(code(Json{{"urls", {files.url("/huge.mp4")}}}), 4002);
  EXPECT_EQ(code(Json{{"urls", {files.url("/text.png")}}}), 4001);
  EXPECT_EQ(code(Json{{"urls", {files.url("/absent")}}}), 400);
  EXPECT_EQ(code(Json{{"urls", {"ftp://example.com/a.png"}}}), 400);
  EXPECT_EQ(code(Json{{"urls", {"file:///etc/passwd"}}}), 400);
  EXPECT_EQ(code(Json{{"urls", Json::array()}}), 400);
  EXPECT_EQ(code(Json{{"urls", {files.url("/pics/still.png")}}, {"source_type", "disk"}}), 400);
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "tmp"));
}

class UploadUrlPolicyTest : public ApiFixture {};

TEST_F(UploadUrlPolicyTest, LoopbackAndPrivateHostsAreRefused) {
  FileServer files({{"/a.png", {200, read_file(test_media().image), ""}}});
  const std::string token = new_token();
  const std::string sid = new_session(token);
  for (const std::string& url :
       {files.url("/a.png"), std::string("http://10.0.0.1/a.png"),
        std::string("http://169.254.169.254/latest/meta-data"), std::string("http://[::1]/a.png"),
        std::string("http://localhost:1/a.png")}) {
    auto r = client->post_json("/api/upload-video/nemo_agent/me/" + sid, Json{{"urls", {url}}},
                               auth(token));
    EXPECT_EQ(r.json().value("code", -1), 400) << url << " " << r.body;
    EXPECT_NE(r.body.find("non-public"), std::string::npos) << r.body;
  }
}

}  // namespace
}  // namespace kino::testing
