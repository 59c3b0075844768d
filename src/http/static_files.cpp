#include "http/static_files.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <system_error>

#include "core/error.h"

namespace kino::http {
namespace fs = std::filesystem;

namespace {

// FNV-1a 64: a validator for If-None-Match, not a security boundary.
std::string etag_of(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", (unsigned long long)h, bytes.size());
  return buf;
}

bool segment_ok(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// If-None-Match holds `etag` ("*", one tag, or a list; weak tags compare by value).
bool etag_matches(const std::string& header, const std::string& etag) {
  if (header.empty()) return false;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    std::string_view tag(header.data() + pos, comma - pos);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    pos = comma + 1;
  }
  return false;
}

HttpResponse file_response(const HttpRequest& req, std::string_view rel, std::string_view bytes,
                           const std::string& etag) {
  HttpResponse r;
  r.content_type = std::string(static_content_type(rel));
  r.headers = {{"ETag", etag},
               {"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "same-origin"}};
  if (r.content_type.rfind("text/html", 0) == 0) {
    // Media links carry the Host the browser used, or --public-url: any http(s) origin.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data: blob: http: https:; "
                           "media-src 'self' blob: http: https:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                           "form-action 'none'");
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  if (etag_matches(req.header("if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  r.body.assign(bytes.data(), bytes.size());
  return r;
}

}  // namespace

std::string_view static_content_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  const size_t dot = path.rfind('.');
  const size_t slash = path.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string ext(path.substr(dot));
    for (char& c : ext)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    for (const auto& [e, type] : kTypes)
      if (ext == e) return type;
  }
  return "application/octet-stream";
}

std::optional<std::string> static_relative_path(std::string_view url_path) {
  if (url_path.empty() || url_path.front() != '/' || url_path.size() > 1024) return std::nullopt;
  for (std::string_view api : {"/api/", "/run_sse", "/healthz"})
    if (url_path.rfind(api, 0) == 0) return std::nullopt;
  if (url_path == "/api") return std::nullopt;
  std::string rel(url_path.substr(1));
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  size_t pos = 0;
  while (pos <= rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    if (!segment_ok(std::string_view(rel).substr(pos, slash - pos))) return std::nullopt;
    pos = slash + 1;
  }
  return rel;
}

std::shared_ptr<const StaticFiles> StaticFiles::embedded() {
  auto files = std::make_shared<StaticFiles>();
  for (const EmbeddedFile& f : web_embedded_files()) {
    std::string_view bytes(reinterpret_cast<const char*>(f.data), f.size);
    files->embedded_.emplace(f.path, File{bytes, etag_of(bytes)});
  }
  return files;
}

std::shared_ptr<const StaticFiles> StaticFiles::from_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail_bad_request("--web must be a folder holding index.html, got \"" + dir.string() + "\"");
  auto files = std::make_shared<StaticFiles>();
  files->dir_ = fs::canonical(dir, ec);
  if (ec) fail_bad_request("--web folder \"" + dir.string() + "\" cannot be read: " + ec.message());
  return files;
}

std::optional<HttpResponse> StaticFiles::serve(const HttpRequest& req) const {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  auto rel = static_relative_path(req.path);
  if (!rel) return std::nullopt;
  if (dir_.empty()) {
    auto it = embedded_.find(*rel);
    if (it == embedded_.end()) return std::nullopt;
    return file_response(req, *rel, it->second.bytes, it->second.etag);
  }
  std::error_code ec;
  const fs::path full = fs::canonical(dir_ / *rel, ec);
  if (ec || !fs::is_regular_file(full, ec)) return std::nullopt;
  // A link inside the folder may point out of it: only files under dir_ are served.
  const auto [end, unused] = std::mismatch(dir_.begin(), dir_.end(), full.begin(), full.end());
  if (end != dir_.end()) return std::nullopt;
  const auto size = fs::file_size(full, ec);
  if (ec || size > uintmax_t(kMaxDiskFileBytes)) return std::nullopt;
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::nullopt;
  return file_response(req, *rel, bytes, etag_of(bytes));
}

}  // namespace kino::http
