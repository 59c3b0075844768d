#include "http/byte_range.h"

#include <charconv>

namespace kino::http {
namespace {

std::optional<int64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

RangeResult byte_range_parse(std::string_view header, int64_t size, ByteRange* out) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return RangeResult::whole;
  std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return RangeResult::whole;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeResult::whole;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // suffix: the last N bytes
    auto n = parse_number(b);
    if (!n) return RangeResult::whole;
    if (*n == 0 || size == 0) return RangeResult::unsatisfiable;
    out->first = size - std::min(*n, size);
    out->last = size - 1;
    return RangeResult::partial;
  }
  auto first = parse_number(a);
  if (!first) return RangeResult::whole;
  if (*first >= size) return RangeResult::unsatisfiable;
  int64_t last = size - 1;
  if (!b.empty()) {
    auto l = parse_number(b);
    if (!l || *l < *first) return RangeResult::whole;
    last = std::min(*l, size - 1);
  }
  out->first = *first;
  out->last = last;
  return RangeResult::partial;
}

}  // namespace kino::http
