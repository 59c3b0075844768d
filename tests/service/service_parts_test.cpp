#include <gtest/gtest.h>

#include "core/error.h"
#include "media/media.h"
#include "service/service.h"
#include "service/url_fetch.h"
#include "support/test_dir.h"

namespace kino::service {
namespace {

TEST(CryptoTest, KnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(random_hex(32).size(), 64u);
  EXPECT_NE(random_hex(32), random_hex(32));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

TEST(RateLimiterTest, BucketRefillsAtItsRate) {
  RateLimiter limiter({2, 3});
  auto t0 = RateLimiter::Clock::now();
  EXPECT_EQ(limiter.take("k", t0), 0);
  EXPECT_EQ(limiter.take("k", t0), 0);
  EXPECT_EQ(limiter.take("k", t0), 0);
  EXPECT_EQ(limiter.take("k", t0), 1);  // empty: half a second to the next token, rounded up
  EXPECT_EQ(limiter.take("other", t0), 0);
  EXPECT_EQ(limiter.take("k", t0 + std::chrono::milliseconds(500)), 0);
  EXPECT_GE(limiter.take("k", t0 + std::chrono::milliseconds(500)), 1);
  // Never more than the burst after a long pause.
  auto later = t0 + std::chrono::seconds(100);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("k", later), 0);
  EXPECT_GE(limiter.take("k", later), 1);
}

TEST(RateLimiterTest, KeyCountIsBounded) {
  RateLimiter limiter({1000, 1}, 10);
  auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 100; ++i) {
    limiter.take("k" + std::to_string(i), t0 + std::chrono::seconds(i));
    EXPECT_LE(limiter.key_count(), 11u);  // refilled buckets are dropped, never unbounded
  }
}

TEST(UrlFetchTest, PublicAddresses) {
  for (const char* ip :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not-an-ip"})
    EXPECT_FALSE(ip_is_public(ip)) << ip;
  for (const char* ip :
       {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"})
    EXPECT_TRUE(ip_is_public(ip)) << ip;
}

TEST(GenerationCostTest, TableBySecondsAndResolution) {
  GenerationCosts c;
  EXPECT_EQ(generation_cost(c, 5, "480p"), 5);
  EXPECT_EQ(generation_cost(c, 5, "720p"), 10);
  EXPECT_EQ(generation_cost(c, 5, "1080p"), 15);
  EXPECT_EQ(generation_cost(c, 10, "1080p"), 30);
  c.per_second_720p = 7;
  EXPECT_EQ(generation_cost(c, 3, "720p"), 21);
  EXPECT_THROW(generation_cost(c, 0, "720p"), Error);
  try {
    generation_cost(c, 5, "4k");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("resolution must be one of 480p, 720p, 1080p, got \"4k\""),
              std::string::npos);
  }
}

TEST(GenerationCostTest, OutputSizeFitsTheResolutionsFrame) {
  using P = std::pair<int, int>;
  EXPECT_EQ(generation_output_size("1080p", "16:9"), P(1920, 1080));
  EXPECT_EQ(generation_output_size("1080p", "9:16"), P(1080, 1920));
  EXPECT_EQ(generation_output_size("720p", "16:9"), P(1280, 720));
  EXPECT_EQ(generation_output_size("480p", "16:9"), P(854, 480));
  EXPECT_EQ(generation_output_size("1080p", "1:1"), P(1080, 1080));
  EXPECT_EQ(generation_output_size("1080p", "4:5"), P(1080, 1350));
  EXPECT_EQ(generation_output_size("1080p", "4:3"), P(1440, 1080));
  // Wider than 16:9 keeps the frame's long side, as the CLI does.
  EXPECT_EQ(generation_output_size("1080p", "21:9"), P(1920, 822));
  EXPECT_EQ(generation_output_size("1080p", "9:21"), P(822, 1920));
  EXPECT_EQ(generation_output_size("720p", "4:1"), P(1280, 320));
  EXPECT_THROW(generation_output_size("1080p", "5:1"), Error);
  EXPECT_THROW(generation_output_size("1080p", "16x9"), Error);
  EXPECT_THROW(generation_output_size("1080p", ":9"), Error);
  EXPECT_THROW(generation_output_size("2k", "16:9"), Error);
}

class StudioTest : public ::testing::Test {
 protected:
  kino::testing::TestDir dir{"studio"};
  ServiceConfig config() {
    ServiceConfig c;
    c.data_dir = dir / "data";
    return c;
  }
};

TEST_F(StudioTest, TokensAreStoredHashedAndAccountsStartWithCredits) {
  Studio studio(config());
  std::string token = studio.anonymous_token("client-1");
  EXPECT_EQ(token.size(), 64u);
  EXPECT_FALSE(studio.store().token_get(token));  // the token itself is not stored
  Caller c = studio.authenticate("Bearer " + token);
  EXPECT_EQ(c.token_hash, sha256_hex(token));
  EXPECT_EQ(studio.credits_balance(c)["available"], 100);
  auto ledger = studio.store().ledger_list(c.account_id);
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, store::LedgerKind::grant);
  EXPECT_THROW(studio.anonymous_token(""), Error);
  EXPECT_THROW(studio.anonymous_token(std::string(200, 'x')), Error);
  EXPECT_THROW(studio.authenticate("Bearer "), Error);
}

TEST_F(StudioTest, SignedUrlsExpireAndSurviveRestarts) {
  std::string url;
  std::string media_id;
  {
    Studio studio(config());
    Caller c = studio.authenticate("Bearer " + studio.anonymous_token("c"));
    std::string sid = studio.session_create(c, Json::object())["session_id"];
    auto png = dir / "a.png";
    media::write_test_image(png, 64, 48);
    auto temp = studio.upload_temp_path();
    std::filesystem::copy_file(png, temp);
    media_id = studio.upload_add(c, sid, temp, "a.png")["media_id"];
    url = studio.signed_url("http://h", "media", media_id);
  }
  Studio studio(config());  // the secret is kept in the data folder
  auto q = url.find('?');
  auto exp = url.substr(q + 5, url.find('&') - q - 5);
  auto sig = url.substr(url.find("sig=") + 4);
  EXPECT_EQ(studio.download("media", media_id, exp, sig).content_type, "image/png");
  EXPECT_THROW(studio.download("media", media_id, "1", sig), Error);  // other expiry
  EXPECT_THROW(studio.download("renders", media_id, exp, sig), Error);
  // An expired link with a valid signature is refused too.
  ServiceConfig c = config();
  c.download_url_ttl_ms = -5000;
  Studio expired(c);
  std::string old = expired.signed_url("http://h", "media", media_id);
  auto q2 = old.find('?');
  EXPECT_THROW(expired.download("media", media_id, old.substr(q2 + 5, old.find('&') - q2 - 5),
                                old.substr(old.find("sig=") + 4)),
               Error);
}

TEST_F(StudioTest, DraftSaveValidatesAndKeepsVersions) {
  Studio studio(config());
  Caller c = studio.authenticate("Bearer " + studio.anonymous_token("c"));
  std::string sid = studio.session_create(c, Json{{"language", "zh"}})["session_id"];
  EXPECT_EQ(studio.state(c, sid)["version"], 1);
  EXPECT_THROW(studio.draft_save(c, sid, Json{{"t", "nope"}}, "bad"), Error);
  studio.draft_save(c, sid, Json{{"canvas", {{"w", 320}, {"h", 240}}}}, "edit");
  EXPECT_EQ(studio.state(c, sid)["version"], 2);
  EXPECT_EQ(studio.state(c, sid)["state"]["draft"]["canvas"]["w"], 320);
  EXPECT_THROW(studio.session_create(c, Json{{"language", "../x"}}), Error);
}

}  // namespace
}  // namespace kino::service
