// The studio page's file serving: paths, types, validators, folders and the server route.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "http/http.h"
#include "http/support/http_client.h"
#include "service/service.h"
#include "support/test_dir.h"

namespace kino::http {
namespace {

namespace fs = std::filesystem;
using kino::testing::TestDir;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

HttpRequest get(const std::string& path, const std::string& method = "GET") {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.target = path;
  return r;
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(StaticFiles, PathsMapToFilesInsideThePageFolder) {
  EXPECT_EQ(static_relative_path("/"), "index.html");
  EXPECT_EQ(static_relative_path("/app.js"), "app.js");
  EXPECT_EQ(static_relative_path("/img/"), "img/index.html");
  EXPECT_EQ(static_relative_path("/img/logo-2_x.svg"), "img/logo-2_x.svg");
  for (const char* bad :
       {"", "app.js", "/..", "/../etc/passwd", "/a/../../b", "/./app.js", "/.env", "/a//b", "/a\\b",
        "/a b", "/a%2fb", "/a\x01", "/api/credits/balance/simple", "/api", "/run_sse", "/healthz"})
    EXPECT_EQ(static_relative_path(bad), std::nullopt) << bad;
  EXPECT_EQ(static_relative_path("/" + std::string(2000, 'a')), std::nullopt);
}

TEST(StaticFiles, ContentTypesByExtension) {
  EXPECT_EQ(static_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(static_content_type("a/app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(static_content_type("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(static_content_type("data.json"), "application/json");
  EXPECT_EQ(static_content_type("README"), "application/octet-stream");
  EXPECT_EQ(static_content_type("a.b/c"), "application/octet-stream");
}

TEST(StaticFiles, EmbeddedFilesAreTheSourceFolderByteForByte) {
  const fs::path web = KINO_WEB_SOURCE_DIR;
  size_t count = 0;
  for (const auto& e : fs::recursive_directory_iterator(web)) {
    if (!e.is_regular_file() || e.path().filename().string().front() == '.') continue;
    ++count;
    const std::string rel = fs::relative(e.path(), web).generic_string();
    bool found = false;
    for (const EmbeddedFile& f : web_embedded_files()) {
      if (rel != f.path) continue;
      found = true;
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data), f.size), read(e.path())) << rel;
    }
    EXPECT_TRUE(found) << rel << " is not embedded";
  }
  EXPECT_EQ(web_embedded_files().size(), count);
  EXPECT_GE(count, 3u);
}

TEST(StaticFiles, EmbeddedPageAtTheRootWithHeaders) {
  auto files = StaticFiles::embedded();
  auto r = files->serve(get("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r->body, read(fs::path(KINO_WEB_SOURCE_DIR) / "index.html"));
  EXPECT_EQ(header(*r, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*r, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(header(*r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(header(*r, "ETag").front(), '"');

  auto js = files->serve(get("/app.js", "HEAD"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(*js, "Content-Security-Policy"), "");

  EXPECT_FALSE(files->serve(get("/", "POST")));
  EXPECT_FALSE(files->serve(get("/missing.js")));
  EXPECT_FALSE(files->serve(get("/api/state/nemo_agent/me/x/latest")));
}

TEST(StaticFiles, IfNoneMatchAnswers304) {
  auto files = StaticFiles::embedded();
  const std::string etag = header(*files->serve(get("/style.css")), "ETag");
  for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    HttpRequest req = get("/style.css");
    req.headers.emplace_back("if-none-match", inm);
    auto r = files->serve(req);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 304) << inm;
    EXPECT_TRUE(r->body.empty());
    EXPECT_EQ(header(*r, "ETag"), etag);
  }
  HttpRequest stale = get("/style.css");
  stale.headers.emplace_back("if-none-match", "\"0000000000000000-1\"");
  EXPECT_EQ(files->serve(stale)->status, 200);
}

TEST(StaticFiles, FolderIsReadOnEachRequestAndLinksOutAreRefused) {
  TestDir dir("static-files");
  write(dir / "site/index.html", "<p>one</p>");
  write(dir / "site/js/app.js", "export {};");
  write(dir / "secret.txt", "do not serve");
  fs::create_symlink(dir / "secret.txt", dir / "site/leak.txt");
  fs::create_symlink(dir.path(), dir / "site/up");
  auto files = StaticFiles::from_dir(dir / "site");

  auto first = files->serve(get("/"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "<p>one</p>");
  write(dir / "site/index.html", "<p>two</p>");
  auto second = files->serve(get("/index.html"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "<p>two</p>");
  EXPECT_NE(header(*first, "ETag"), header(*second, "ETag"));

  EXPECT_EQ(files->serve(get("/js/app.js"))->body, "export {};");
  EXPECT_FALSE(files->serve(get("/leak.txt")));
  EXPECT_FALSE(files->serve(get("/up/secret.txt")));
  EXPECT_FALSE(files->serve(get("/../secret.txt")));
  EXPECT_FALSE(files->serve(get("/js")));  // a folder without index.html

  try {
    StaticFiles::from_dir(dir / "nope");
    FAIL() << "a missing folder must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST(StaticFiles, ServerAnswersPagePathsAndLeavesTheApiAlone) {
  TestDir dir("static-server");
  service::ServiceConfig config;
  config.data_dir = dir / "data";
  service::Studio studio(config);
  ServerOptions options;
  options.port = 0;
  options.web = StaticFiles::embedded();
  Server server(studio, options);
  server.start();
  kino::testing::HttpClient client(server.port());

  auto page = client.get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>kino studio</title>"), std::string::npos);
  auto again = client.get("/", {{"If-None-Match", page.header("etag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());

  auto css = client.get("/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("content-type"), "text/css; charset=utf-8");

  // The API keeps its own answers, and unknown or escaping paths get its JSON 404.
  auto api = client.get("/api/credits/balance/simple");
  EXPECT_EQ(api.json().value("code", 0), 1001);
  EXPECT_EQ(client.get("/healthz").json().value("code", -1), 0);
  EXPECT_EQ(client.get("/missing.js").status, 404);
  EXPECT_EQ(client.get("/%2e%2e/%2e%2e/etc/passwd").status, 404);
  EXPECT_EQ(client.get("/../../etc/passwd").status, 404);
  server.stop();
}

}  // namespace
}  // namespace kino::http
