#pragma once
// The one place where milliseconds become frame numbers.
// Rule: frame n starts at n / fps seconds. A time t (ms) belongs to frame
// round_half_up(t * fps / 1000). A span [start, start + d) covers frames
// [frame_of(start), frame_of(start + d)). Everything after this point works in frames.
#include <cstdint>

#include "core/rational.h"

namespace kino::timeline {

int64_t frame_of_ms(int64_t ms, Rational fps);
// Start time of frame n in microseconds (exact to the microsecond, rounded down).
int64_t frame_start_us(int64_t frame, Rational fps);
// Number of frames a duration covers.
int64_t frame_count_of_ms(int64_t duration_ms, Rational fps);

}  // namespace kino::timeline
