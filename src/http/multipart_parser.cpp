#include "http/multipart_parser.h"

#include <algorithm>

#include "core/error.h"

namespace kino::http {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` in a header like `form-data; name="files"; filename="a.png"`.
std::optional<std::string> header_param(std::string_view value, std::string_view param) {
  size_t pos = 0;
  while (pos < value.size()) {
    size_t semi = value.find(';', pos);
    if (semi == std::string_view::npos) return std::nullopt;
    pos = semi + 1;
    std::string_view rest = trim(value.substr(pos));
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(trim(rest.substr(0, eq))) != param) continue;
    std::string_view v = trim(rest.substr(eq + 1));
    std::string out;
    if (!v.empty() && v.front() == '"') {
      for (size_t i = 1; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        out += v[i];
      }
    } else {
      out = std::string(v.substr(0, v.find(';')));
    }
    return out;
  }
  return std::nullopt;
}

// A client's file name reduced to its last path component without control characters:
// "../../etc/passwd" -> "passwd", "C:\\x\\a.png" -> "a.png". Display only.
std::string clean_filename(std::string name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  std::erase_if(name, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (name.size() > 255) name.resize(255);
  if (name.empty() || name == "." || name == "..") name = "upload";
  return name;
}

}  // namespace

std::string MultipartParser::boundary_of(std::string_view content_type) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (lower(type) != "multipart/form-data")
    fail_bad_request(
        "Content-Type must be multipart/form-data (or application/json with "
        "\"urls\"), got \"" +
        std::string(type.substr(0, 100)) + "\"");
  auto b = header_param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70)
    fail_bad_request("multipart Content-Type needs a boundary of 1..70 characters");
  return *b;
}

MultipartParser::MultipartParser(std::string boundary, MultipartLimits limits,
                                 std::function<fs::path()> temp_path)
    : delimiter_("\r\n--" + boundary), limits_(limits), temp_path_(std::move(temp_path)) {
  // The first delimiter has no CRLF before it; pretend it had, so one search fits all.
  buf_ = "\r\n";
}

MultipartParser::~MultipartParser() {
  if (file_) std::fclose(file_);
  std::error_code ec;
  for (const auto& f : files_) fs::remove(f.path, ec);
}

void MultipartParser::feed(const char* data, size_t size) {
  if (state_ == State::done) return;  // an epilogue after the closing boundary is ignored
  buf_.append(data, size);
  step();
}

void MultipartParser::finish() {
  if (state_ != State::done) fail_bad_request("multipart body ended before its closing boundary");
}

std::vector<UploadedFile> MultipartParser::take_files() {
  std::vector<UploadedFile> out;
  out.swap(files_);
  return out;
}

void MultipartParser::step() {
  for (;;) {
    switch (state_) {
      case State::preamble: {
        size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          if (buf_.size() > 64 * 1024)
            fail_bad_request("multipart body has no boundary in its first 64 KiB");
          return;
        }
        buf_.erase(0, at + delimiter_.size());
        state_ = State::after_delimiter;
        break;
      }
      case State::after_delimiter: {
        if (buf_.size() < 2) return;
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::done;
          buf_.clear();
          return;
        }
        if (buf_.compare(0, 2, "\r\n") != 0)
          fail_bad_request("multipart boundary must be followed by CRLF or \"--\"");
        buf_.erase(0, 2);
        state_ = State::headers;
        break;
      }
      case State::headers: {
        size_t end = buf_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (buf_.size() > limits_.max_header_bytes)
            fail(ErrorCode::too_large, "multipart part headers must be <= " +
                                           std::to_string(limits_.max_header_bytes) + " bytes");
          return;
        }
        begin_part(std::string_view(buf_).substr(0, end + 2));
        buf_.erase(0, end + 4);
        state_ = State::body;
        break;
      }
      case State::body: {
        size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          // Keep a tail that could be the start of a delimiter split across reads.
          size_t keep = std::min(buf_.size(), delimiter_.size() - 1);
          part_write(buf_.data(), buf_.size() - keep);
          buf_.erase(0, buf_.size() - keep);
          return;
        }
        part_write(buf_.data(), at);
        end_part();
        buf_.erase(0, at + delimiter_.size());
        state_ = State::after_delimiter;
        break;
      }
      case State::done: return;
    }
  }
}

void MultipartParser::begin_part(std::string_view headers) {
  if (++parts_ > limits_.max_parts)
    fail(ErrorCode::too_large,
         "multipart body must have at most " + std::to_string(limits_.max_parts) + " parts");
  std::string disposition, type;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t eol = headers.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") disposition = std::string(value);
    if (name == "content-type") type = std::string(value.substr(0, 200));
  }
  if (lower(trim(std::string_view(disposition).substr(0, disposition.find(';')))) != "form-data")
    fail_bad_request("multipart part needs Content-Disposition: form-data");
  part_name_ = header_param(disposition, "name").value_or("");
  auto filename = header_param(disposition, "filename");
  part_is_file_ = filename.has_value();
  field_value_.clear();
  if (!part_is_file_) return;
  if (int(files_.size()) >= limits_.max_files)
    fail(ErrorCode::too_large,
         "upload must have at most " + std::to_string(limits_.max_files) + " files");
  UploadedFile f;
  f.field = part_name_;
  f.filename = clean_filename(*filename);
  f.content_type = type;
  f.path = temp_path_();
  file_ = std::fopen(f.path.c_str(), "wb");
  if (!file_) fail(ErrorCode::internal, "cannot create upload temp file " + f.path.string());
  files_.push_back(std::move(f));
}

void MultipartParser::part_write(const char* data, size_t n) {
  if (n == 0) return;
  if (!part_is_file_) {
    if (field_value_.size() + n > limits_.max_field_bytes)
      fail(ErrorCode::too_large, "multipart field \"" + part_name_ + "\" must be <= " +
                                     std::to_string(limits_.max_field_bytes) + " bytes");
    field_value_.append(data, n);
    return;
  }
  UploadedFile& f = files_.back();
  if (f.size + int64_t(n) > limits_.max_file_bytes)
    fail(ErrorCode::too_large, f.filename + ": file size must be <= " +
                                   std::to_string(limits_.max_file_bytes) + " bytes");
  if (std::fwrite(data, 1, n, file_) != n)
    fail(ErrorCode::internal, "cannot write upload temp file (disk full?)");
  f.size += int64_t(n);
}

void MultipartParser::end_part() {
  if (part_is_file_) {
    bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok) fail(ErrorCode::internal, "cannot write upload temp file (disk full?)");
  } else {
    fields_.emplace(part_name_, std::move(field_value_));
  }
}

}  // namespace kino::http
