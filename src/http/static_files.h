#pragma once
// The studio page's files (web/): compiled into the binary at build time, or read from a
// folder on each request while developing (`kino serve --web DIR`).
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/http_types.h"

namespace kino::http {

// One file of web/ as the build embedded it; `path` is relative ("app.js", "img/a.svg").
struct EmbeddedFile {
  const char* path;
  const unsigned char* data;
  size_t size;
};

// The files of web/ at build time (generated source; see src/http/CMakeLists.txt).
std::span<const EmbeddedFile> web_embedded_files();

// "text/javascript; charset=utf-8" for "app.js"; application/octet-stream when unknown.
std::string_view static_content_type(std::string_view path);

// A URL path ("/", "/app.js", "/img/") as a path relative to the page folder
// ("index.html", "app.js", "img/index.html"), or nullopt when it is not a page path: API
// paths (/api/..., /run_sse, /healthz), empty or dot segments ("..", ".env"),
// backslashes, control bytes, or characters outside [A-Za-z0-9._-] in a segment.
std::optional<std::string> static_relative_path(std::string_view url_path);

// Thread-safe after construction.
class StaticFiles {
 public:
  // The files compiled into this binary.
  static std::shared_ptr<const StaticFiles> embedded();
  // Files read from `dir` on each request (edits show on reload); links that lead out of
  // `dir` are refused. Throws Error(bad_request) when `dir` is not a folder.
  static std::shared_ptr<const StaticFiles> from_dir(const std::filesystem::path& dir);

  // GET or HEAD of a page path: the file with Content-Type, ETag and Cache-Control
  // (no-cache: the browser revalidates and gets 304 when its If-None-Match still holds).
  // nullopt for other methods, API paths and files that do not exist: the API answers.
  std::optional<HttpResponse> serve(const HttpRequest& req) const;

  // Largest file served from a folder.
  static constexpr int64_t kMaxDiskFileBytes = 16 * 1024 * 1024;

 private:
  struct File {
    std::string_view bytes;
    std::string etag;
  };
  std::map<std::string, File, std::less<>> embedded_;
  std::filesystem::path dir_;  // empty: embedded files
};

}  // namespace kino::http
