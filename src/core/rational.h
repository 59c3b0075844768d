#pragma once
// Exact rational numbers for frame rates and time bases (30/1, 30000/1001).
#include <cstdint>
#include <numeric>
#include <string>

namespace kino {

struct Rational {
  int64_t num = 0;
  int64_t den = 1;

  constexpr double to_double() const { return den ? double(num) / double(den) : 0.0; }
  constexpr bool valid() const { return num > 0 && den > 0; }
  // Only meaningful for valid() rationals.
  Rational reduced() const {
    if (!valid()) return *this;
    int64_t g = std::gcd(num, den);
    return g ? Rational{num / g, den / g} : *this;
  }
  friend constexpr bool operator==(const Rational& a, const Rational& b) {
    return a.num * b.den == b.num * a.den;
  }
  std::string str() const {
    return den == 1 ? std::to_string(num) : std::to_string(num) + "/" + std::to_string(den);
  }
};

// Parses "30", "29.97", "30000/1001"; returns an invalid Rational ({0,1}) on bad text.
Rational rational_parse(const std::string& text);

}  // namespace kino
