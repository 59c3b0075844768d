#pragma once
// A streaming multipart/form-data parser: bytes go in as they arrive, file parts go
// straight to temp files, so no body is ever held in memory whole.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.h"

namespace kino::http {

struct MultipartLimits {
  int max_files = 10;
  int64_t max_file_bytes = 20LL * 1024 * 1024;
  size_t max_field_bytes = 64 * 1024;  // text fields
  size_t max_header_bytes = 8 * 1024;  // one part's headers
  int max_parts = 50;                  // files and fields together
};

class MultipartParser {
 public:
  // The boundary parameter of a multipart/form-data Content-Type; throws
  // Error(bad_request) when the type is not multipart/form-data or has no boundary.
  static std::string boundary_of(std::string_view content_type);

  // `temp_path` gives a fresh path for each file part.
  MultipartParser(std::string boundary, MultipartLimits limits,
                  std::function<std::filesystem::path()> temp_path);
  // Removes the temp files of parts not taken with take_files().
  ~MultipartParser();
  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;

  // Throws Error(too_large) beyond a limit (naming it), Error(bad_request) for malformed
  // bodies, Error(internal) when a temp file cannot be written.
  void feed(const char* data, size_t size);
  // The body ended: throws Error(bad_request) unless the closing boundary was seen.
  void finish();

  std::vector<UploadedFile> take_files();
  const std::map<std::string, std::string>& fields() const { return fields_; }

 private:
  enum class State { preamble, after_delimiter, headers, body, done };
  void step();
  void begin_part(std::string_view headers);
  void part_write(const char* data, size_t n);
  void end_part();

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartLimits limits_;
  std::function<std::filesystem::path()> temp_path_;
  State state_ = State::preamble;
  std::string buf_;
  int parts_ = 0;
  // The part being read
  bool part_is_file_ = false;
  std::string part_name_;
  std::string field_value_;
  std::FILE* file_ = nullptr;
  std::vector<UploadedFile> files_;
  std::map<std::string, std::string> fields_;
};

}  // namespace kino::http
