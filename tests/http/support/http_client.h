#pragma once
// A small synchronous HTTP/1.1 client for the API tests (one connection per call).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

namespace kino::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct SseResult {
  int status = 0;
  std::vector<Json> events;  // parsed `data:` lines
  int heartbeats = 0;        // comment lines
  bool closed_by_server = false;
};

struct FilePart {
  std::string field = "files";
  std::string filename;
  std::string content;
  std::string content_type = "application/octet-stream";
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1")
      : host_(std::move(host)), port_(port) {}

  ClientResponse request(const std::string& method, const std::string& target,
                         const Headers& headers = {}, const std::string& body = "",
                         int timeout_ms = 30000);
  ClientResponse get(const std::string& target, const Headers& headers = {}) {
    return request("GET", target, headers);
  }
  ClientResponse post_json(const std::string& target, const Json& body, Headers headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return request("POST", target, headers, body.dump());
  }
  ClientResponse post_files(const std::string& target, const std::vector<FilePart>& files,
                            Headers headers = {});
  // POSTs and reads an event stream until the server closes it, `max_events` events
  // arrived (then the client disconnects) or timeout_ms passed.
  SseResult sse(const std::string& target, const Json& body, const Headers& headers,
                int max_events = -1, int timeout_ms = 30000);
  // Sends raw bytes and returns everything the server answers until it closes.
  std::string raw(const std::string& bytes, int timeout_ms = 10000);

 private:
  std::string host_;
  uint16_t port_;
};

std::string multipart_body(const std::string& boundary, const std::vector<FilePart>& parts);
std::string read_file(const std::string& path);

}  // namespace kino::testing
