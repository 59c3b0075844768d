#pragma once
// Plain request and response structs: route handlers are ordinary functions over these,
// and only the server adapter (server.cpp) knows Boost.Beast.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kino::http {

// One file part of a multipart body, already on disk (a temp file the request owns until
// a handler moves it).
struct UploadedFile {
  std::string field;     // form field name ("files")
  std::string filename;  // the client's name with any path removed; display only
  std::string content_type;
  std::filesystem::path path;
  int64_t size = 0;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received
  std::string path;    // decoded path without the query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // JSON routes
  std::vector<UploadedFile> files;                           // multipart routes
  std::map<std::string, std::string> fields;                 // multipart text fields
  std::string remote_ip;

  // The first header with this (lower-case) name, or "".
  std::string header(std::string_view name) const;
};

enum class SsePoll { data, pending, done };

// A server-sent event stream the adapter drains from its I/O threads: poll() must not
// block. Destroying the source (client gone, server stopping) must not cancel the work
// the stream reports on.
class SseSource {
 public:
  virtual ~SseSource() = default;
  // data: *out holds one event's data (a single line of JSON).
  virtual SsePoll poll(std::string* out) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A file to send instead of body, with HTTP Range support.
  std::filesystem::path file;
  std::string file_name;           // Content-Disposition name when sending a file
  std::unique_ptr<SseSource> sse;  // an event stream instead of body
  bool close = false;              // close the connection after this reply
};

// Splits "a=1&b=x%20y" into decoded pairs; later duplicates are ignored.
std::map<std::string, std::string> parse_query(std::string_view query);
// Percent-decoding; "+" stays "+" in paths. Invalid escapes are kept as written.
std::string url_decode(std::string_view s);

}  // namespace kino::http
