#include "core/rational.h"

#include <charconv>
#include <cmath>

namespace kino {

namespace {
// Numerators and denominators stay far from overflow when multiplied by times in ms.
constexpr int64_t kMaxTerm = 1'000'000'000;
}  // namespace

Rational rational_parse(const std::string& text) {
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    int64_t n = 0, d = 0;
    auto r1 = std::from_chars(text.data(), text.data() + slash, n);
    auto r2 = std::from_chars(text.data() + slash + 1, text.data() + text.size(), d);
    if (r1.ec != std::errc() || r2.ec != std::errc() || r1.ptr != text.data() + slash ||
        r2.ptr != text.data() + text.size() || n <= 0 || d <= 0 || n > kMaxTerm || d > kMaxTerm)
      return {};
    return Rational{n, d}.reduced();
  }
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  // Rates above a million per second are nonsense; refusing them also keeps the
  // integer conversion below in range.
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0 ||
      v > 1.0e6)
    return {};
  // Decimal rates: keep three decimals exactly, and map the NTSC spellings to n*1000/1001.
  for (int base : {24, 30, 60}) {
    if (std::fabs(v - base * 1000.0 / 1001.0) < 0.006) return {base * 1000, 1001};
  }
  return Rational{int64_t(std::llround(v * 1000)), 1000}.reduced();
}

}  // namespace kino
