#include <gtest/gtest.h>

#include "core/error.h"
#include "core/id.h"
#include "http/http.h"
#include "http/support/http_client.h"
#include "support/test_dir.h"

namespace kino::http {
namespace {

class MultipartTest : public ::testing::Test {
 protected:
  kino::testing::TestDir dir{"multipart"};
  std::unique_ptr<MultipartParser> parser(MultipartLimits limits = {}) {
    return std::make_unique<MultipartParser>("XyZ", limits,
                                             [this] { return dir / make_id("part_"); });
  }
};

TEST_F(MultipartTest, ParsesFilesAndFieldsFedOneByteAtATime) {
  std::string binary(3000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = char(i * 7);
  binary += "\r\n--XyQ\r\n--Xy";  // starts like a delimiter, is not one
  std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
      "hello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files\"; "
      "filename=\"C:\\\\photos\\\\cat.png\"\r\nContent-Type: image/png\r\n\r\n" +
      binary + "\r\n--XyZ--\r\nepilogue";
  auto p = parser();
  for (char c : body) p->feed(&c, 1);
  p->finish();
  EXPECT_EQ(p->fields().at("note"), "hello");
  auto files = p->take_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].field, "files");
  EXPECT_EQ(files[0].filename, "cat.png");
  EXPECT_EQ(files[0].content_type, "image/png");
  EXPECT_EQ(files[0].size, int64_t(binary.size()));
  EXPECT_EQ(kino::testing::read_file(files[0].path), binary);
}

TEST_F(MultipartTest, LimitsAreNamedErrors) {
  MultipartLimits limits;
  limits.max_file_bytes = 10;
  auto p = parser(limits);
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n" +
      std::string(11, 'a');
  try {
    p->feed(body.data(), body.size() + 0);
    p->feed("\r\n--XyZ--", 9);
    FAIL() << "oversized part accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::too_large);
    EXPECT_NE(std::string(e.what()).find("10 bytes"), std::string::npos);
  }
  p.reset();  // its temp files go with it
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  limits = {};
  limits.max_files = 1;
  p = parser(limits);
  std::string two =
      "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n"
      "1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"b\""
      "\r\n\r\n2\r\n--XyZ--";
  EXPECT_THROW(p->feed(two.data(), two.size()), Error);
}

TEST_F(MultipartTest, MalformedBodies) {
  auto p = parser();
  std::string cut = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc";
  p->feed(cut.data(), cut.size());
  EXPECT_THROW(p->finish(), Error);
  p = parser();
  std::string bad = "--XyZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--";
  EXPECT_THROW(p->feed(bad.data(), bad.size()), Error);
  EXPECT_THROW(MultipartParser::boundary_of("application/json"), Error);
  EXPECT_THROW(MultipartParser::boundary_of("multipart/form-data"), Error);
  EXPECT_EQ(MultipartParser::boundary_of("multipart/form-data; boundary=\"a b\""), "a b");
}

TEST(ByteRangeTest, ParsesSingleRanges) {
  ByteRange r;
  EXPECT_EQ(byte_range_parse("", 100, &r), RangeResult::whole);
  EXPECT_EQ(byte_range_parse("bytes=0-9", 100, &r), RangeResult::partial);
  EXPECT_EQ(r.first, 0);
  EXPECT_EQ(r.last, 9);
  EXPECT_EQ(byte_range_parse("bytes=90-", 100, &r), RangeResult::partial);
  EXPECT_EQ(r.length(), 10);
  EXPECT_EQ(byte_range_parse("bytes=-5", 100, &r), RangeResult::partial);
  EXPECT_EQ(r.first, 95);
  EXPECT_EQ(byte_range_parse("bytes=50-1000", 100, &r), RangeResult::partial);
  EXPECT_EQ(r.last, 99);
  EXPECT_EQ(byte_range_parse("bytes=100-", 100, &r), RangeResult::unsatisfiable);
  EXPECT_EQ(byte_range_parse("bytes=5-1", 100, &r), RangeResult::whole);
  EXPECT_EQ(byte_range_parse("bytes=0-1,5-6", 100, &r), RangeResult::whole);
  EXPECT_EQ(byte_range_parse("items=0-1", 100, &r), RangeResult::whole);
}

TEST(QueryTest, DecodesPairs) {
  auto q = parse_query("exp=123&sig=ab%2Fc&flag&x=%zz");
  EXPECT_EQ(q["exp"], "123");
  EXPECT_EQ(q["sig"], "ab/c");
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["x"], "%zz");
}

}  // namespace
}  // namespace kino::http
