#include "core/core.h"

#include <gtest/gtest.h>

namespace kino {

TEST(Rational, Parses) {
  EXPECT_EQ(rational_parse("30"), (Rational{30, 1}));
  EXPECT_EQ(rational_parse("30000/1001"), (Rational{30000, 1001}));
  EXPECT_EQ(rational_parse("29.97"), (Rational{30000, 1001}));
  EXPECT_EQ(rational_parse("23.976"), (Rational{24000, 1001}));
  EXPECT_EQ(rational_parse("12.5"), (Rational{25, 2}));
  EXPECT_FALSE(rational_parse("").valid());
  EXPECT_FALSE(rational_parse("abc").valid());
  EXPECT_FALSE(rational_parse("-30").valid());
  EXPECT_FALSE(rational_parse("30/0").valid());
  EXPECT_FALSE(rational_parse("1e300").valid());
  EXPECT_FALSE(rational_parse("9223372036854775807/1").valid());
}

}  // namespace kino
