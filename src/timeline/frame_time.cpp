#include "timeline/frame_time.h"

#include <limits>

#include "core/error.h"

namespace kino::timeline {

namespace {

using Wide = __int128;

void check_fps(Rational fps) {
  if (!fps.valid()) fail_bad_request("fps must be > 0, got " + fps.str());
}

// floor(a / b) for b > 0, for either sign of a.
Wide floor_div(Wide a, Wide b) {
  Wide q = a / b;
  if ((a % b) != 0 && a < 0) --q;
  return q;
}

int64_t saturate(Wide v) {
  constexpr Wide kMax = std::numeric_limits<int64_t>::max();
  constexpr Wide kMin = std::numeric_limits<int64_t>::min();
  return int64_t(v > kMax ? kMax : v < kMin ? kMin : v);
}

}  // namespace

// round_half_up(ms * num / (1000 * den)) = floor((ms * num + 500 * den) / (1000 * den)).
// |ms * num| < 2^126 and 500 * den < 2^73, so the sum fits in 128 bits.
int64_t frame_of_ms(int64_t ms, Rational fps) {
  check_fps(fps);
  Wide den = Wide(1000) * fps.den;
  return saturate(floor_div(Wide(ms) * fps.num + Wide(500) * fps.den, den));
}

int64_t frame_start_us(int64_t frame, Rational fps) {
  check_fps(fps);
  // floor(n * den * 10^6 / num), split into whole seconds and a remainder so that no
  // product passes 128 bits.
  Wide q = floor_div(Wide(frame) * fps.den, fps.num);
  Wide r = Wide(frame) * fps.den - q * fps.num;  // 0 <= r < num
  constexpr Wide kLimit = Wide(1) << 64;         // beyond int64 in microseconds anyway
  if (q > kLimit || q < -kLimit) return saturate(q);
  return saturate(q * 1000000 + floor_div(r * 1000000, fps.num));
}

int64_t frame_count_of_ms(int64_t duration_ms, Rational fps) {
  return frame_of_ms(duration_ms, fps) - frame_of_ms(0, fps);
}

}  // namespace kino::timeline
