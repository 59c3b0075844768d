#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"
#include "timeline/timeline.h"

namespace kino::timeline {
namespace {

constexpr Rational kNtsc{30000, 1001};
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct FrameCase {
  int64_t ms;
  Rational fps;
  int64_t frame;
};

TEST(FrameTime, RoundsHalfUpToTheNearestFrame) {
  // Expected values computed with exact fractions: floor(ms * fps / 1000 + 1/2).
  const FrameCase cases[] = {
      {0, {30, 1}, 0},
      {16, {30, 1}, 0},
      {17, {30, 1}, 1},
      {33, {30, 1}, 1},
      {1000, {30, 1}, 30},
      {10000, {30, 1}, 300},
      {19, {25, 1}, 0},
      {20, {25, 1}, 1},  // exactly half a frame rounds up
      {60, {25, 1}, 2},
      {59, {25, 1}, 1},
      {1000, {25, 1}, 25},
      {16, kNtsc, 0},
      {17, kNtsc, 1},
      {1000, kNtsc, 30},
      {1001, kNtsc, 30},
      {1018, kNtsc, 31},
      {3600000, kNtsc, 107892},
      {1800000, kNtsc, 53946},
      {86400000, kNtsc, 2589411},
      {-16, {30, 1}, 0},
      {-17, {30, 1}, -1},
      {-20, {25, 1}, 0},
      {kMax, kNtsc, 276424736369274000},
      {kMax, {30, 1}, 276701161105643274},
      {kMax, {25, 1}, 230584300921369395},
      {kMin, kNtsc, -276424736369274000},
      {kMax, {kMax, 1}, kMax},  // saturates instead of overflowing
      {kMin, {kMax, 1}, kMin},
  };
  for (const auto& c : cases)
    EXPECT_EQ(frame_of_ms(c.ms, c.fps), c.frame) << c.ms << " ms at " << c.fps.str();
}

TEST(FrameTime, MatchesTheRuleForEveryMillisecond) {
  // n - 1/2 <= ms * fps / 1000 < n + 1/2, checked in integers for a minute of each rate.
  for (Rational fps : {Rational{30, 1}, Rational{25, 1}, kNtsc, Rational{24000, 1001},
                       Rational{60, 1}, Rational{1, 1}}) {
    for (int64_t ms = 0; ms <= 60000; ++ms) {
      int64_t n = frame_of_ms(ms, fps);
      int64_t twice = 2 * ms * fps.num;
      ASSERT_GE(twice, (2 * n - 1) * 1000 * fps.den) << ms << " at " << fps.str();
      ASSERT_LT(twice, (2 * n + 1) * 1000 * fps.den) << ms << " at " << fps.str();
    }
  }
}

TEST(FrameTime, FrameStartInMicroseconds) {
  EXPECT_EQ(frame_start_us(0, {30, 1}), 0);
  EXPECT_EQ(frame_start_us(1, {30, 1}), 33333);
  EXPECT_EQ(frame_start_us(30, {30, 1}), 1000000);
  EXPECT_EQ(frame_start_us(1, {25, 1}), 40000);
  EXPECT_EQ(frame_start_us(1, kNtsc), 33366);
  EXPECT_EQ(frame_start_us(30, kNtsc), 1001000);
  EXPECT_EQ(frame_start_us(107892, kNtsc), 3599996400);
  EXPECT_EQ(frame_start_us(1000000000000, kNtsc), 33366666666666666);
  EXPECT_EQ(frame_start_us(-1, {30, 1}), -33334);
  EXPECT_EQ(frame_start_us(kMax, {1, 1}), kMax);
  EXPECT_EQ(frame_start_us(kMin, {1, 1}), kMin);
}

TEST(FrameTime, FrameStartsMapBackToTheirFrame) {
  for (Rational fps : {Rational{30, 1}, Rational{25, 1}, kNtsc}) {
    for (int64_t n = 0; n < 5000; ++n) {
      int64_t start_ms = (frame_start_us(n, fps) + 999) / 1000;  // first whole ms in frame n
      EXPECT_EQ(frame_of_ms(start_ms, fps), n) << n << " at " << fps.str();
    }
  }
}

TEST(FrameTime, FrameCounts) {
  EXPECT_EQ(frame_count_of_ms(10000, {30, 1}), 300);
  EXPECT_EQ(frame_count_of_ms(10000, kNtsc), 300);
  EXPECT_EQ(frame_count_of_ms(3000, {25, 1}), 75);
  EXPECT_EQ(frame_count_of_ms(0, {30, 1}), 0);
  EXPECT_EQ(frame_count_of_ms(1800000, kNtsc), 53946);
  // Spans that touch share no frame and leave none out.
  Rational fps = kNtsc;
  int64_t a = frame_of_ms(0, fps), b = frame_of_ms(1234, fps), c = frame_of_ms(5678, fps);
  EXPECT_EQ((b - a) + (c - b), frame_count_of_ms(5678, fps));
}

TEST(FrameTime, InvalidRatesAreBadRequests) {
  for (Rational fps : {Rational{0, 1}, Rational{30, 0}, Rational{-30, 1}}) {
    try {
      frame_of_ms(1000, fps);
      ADD_FAILURE() << "no error for " << fps.str();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::bad_request);
      EXPECT_EQ(std::string(e.what()), "fps must be > 0, got " + fps.str());
    }
    EXPECT_THROW(frame_start_us(1, fps), Error);
  }
}

}  // namespace
}  // namespace kino::timeline
