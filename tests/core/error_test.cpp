#include "core/core.h"

#include <gtest/gtest.h>

namespace kino {

TEST(ErrorCode, NamesRoundTrip) {
  for (ErrorCode c : {ErrorCode::ok, ErrorCode::bad_token, ErrorCode::unknown_session,
                      ErrorCode::no_credits, ErrorCode::unsupported, ErrorCode::too_large,
                      ErrorCode::rate_limited, ErrorCode::cancelled}) {
    auto parsed = error_code_parse(error_code_name(c));
    ASSERT_TRUE(parsed.has_value()) << error_code_name(c);
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_FALSE(error_code_parse("nonsense").has_value());
}

TEST(ErrorCode, WireValuesAreTheApiCodes) {
  EXPECT_EQ(int(ErrorCode::bad_token), 1001);
  EXPECT_EQ(int(ErrorCode::unknown_session), 1002);
  EXPECT_EQ(int(ErrorCode::no_credits), 2001);
  EXPECT_EQ(int(ErrorCode::unsupported), 4001);
  EXPECT_EQ(int(ErrorCode::too_large), 4002);
  EXPECT_EQ(error_code_http_status(ErrorCode::rate_limited), 429);
}

TEST(Error, CarriesCodeAndMessage) {
  try {
    fail(ErrorCode::too_large, "upload is 25 MB, limit 20 MB");
    FAIL() << "fail() returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::too_large);
    EXPECT_STREQ(e.what(), "upload is 25 MB, limit 20 MB");
  }
}

TEST(CancelToken, CopiesShareTheFlag) {
  CancelToken a;
  CancelToken b = a;
  EXPECT_NO_THROW(b.check("render"));
  a.cancel();
  EXPECT_TRUE(b.cancelled());
  try {
    b.check("render");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
}

TEST(Progress, EtaFromRateSoFar) {
  Progress p{25, 100, 5.0, "render"};
  EXPECT_DOUBLE_EQ(p.fraction(), 0.25);
  EXPECT_DOUBLE_EQ(p.eta_s(), 15.0);
  EXPECT_LT((Progress{0, 100, 1.0, ""}).eta_s(), 0);
}

TEST(Id, PrefixedHexAndSafe) {
  std::string a = make_id("med_");
  std::string b = make_id("med_");
  EXPECT_EQ(a.size(), 4u + 24u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(id_is_safe(a));
  EXPECT_FALSE(id_is_safe("../etc/passwd"));
  EXPECT_FALSE(id_is_safe(""));
  EXPECT_FALSE(id_is_safe(std::string(200, 'a')));
}

}  // namespace kino

namespace kino {

TEST(Utf8, AppendsAndReplacesInvalidCodePoints) {
  std::string s;
  for (uint32_t cp : {0x41u, 0xE9u, 0x57CEu, 0x1F600u, 0xD800u, 0x110000u}) utf8_append(s, cp);
  EXPECT_EQ(s, "A\xC3\xA9\xE5\x9F\x8E\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace kino
