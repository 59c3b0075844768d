#include "core/core.h"

#include <gtest/gtest.h>

namespace kino {

namespace {
std::string message_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}
}  // namespace

TEST(Json, MalformedTextNamesWhatAndWhere) {
  std::string m = message_of([] { json_parse("{\"a\": [1, 2", "draft"); });
  EXPECT_NE(m.find("draft"), std::string::npos) << m;
  EXPECT_NE(m.find("byte"), std::string::npos) << m;
}

TEST(Json, TypedReadersNameThePath) {
  Json j = json_parse(R"({"d": "long", "n": 3000.0, "f": 1.5, "s": "x"})", "test");
  EXPECT_EQ(json_int(j, "n", "t[0]", 0), 3000);
  EXPECT_EQ(json_int(j, "missing", "t[0]", 7), 7);
  EXPECT_EQ(json_string(j, "s", "", "y"), "x");
  std::string m = message_of([&] { json_int(j, "d", "t[0].sg[1]", 0); });
  EXPECT_EQ(m, "t[0].sg[1].d must be an integer, got \"long\"");
  m = message_of([&] { json_int(j, "f", "", 0); });
  EXPECT_EQ(m, "f must be an integer, got 1.5");
  m = message_of([&] { json_require_string(j, "id", "t[2]"); });
  EXPECT_EQ(m, "t[2].id is required");
}

}  // namespace kino

namespace kino {

TEST(Json, DeepNestingIsRefusedNotACrash) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::string m = message_of([&] { json_parse(deep, "request body"); });
  EXPECT_EQ(m, "request body must nest at most 64 levels deep, got deeper at byte 64");
  std::string ok = std::string(20, '[') + std::string(20, ']');
  EXPECT_NO_THROW(json_parse(ok, "request body"));
}

}  // namespace kino
