#pragma once
// HTTP Range requests for downloads (RFC 9110 14.1), single ranges only.
#include <cstdint>
#include <optional>
#include <string_view>

namespace kino::http {

struct ByteRange {
  int64_t first = 0;
  int64_t last = 0;  // inclusive
  int64_t length() const { return last - first + 1; }
};

enum class RangeResult { whole, partial, unsatisfiable };

// Parses a Range header against a file of `size` bytes. An empty or unparsable header,
// or several ranges, answer `whole` (servers may ignore Range); "bytes=N-" past the end
// answers `unsatisfiable` (416).
RangeResult byte_range_parse(std::string_view header, int64_t size, ByteRange* out);

}  // namespace kino::http
