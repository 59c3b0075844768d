#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/error.h"
#include "store/store.h"
#include "support/test_dir.h"

namespace kino::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  kino::testing::TestDir dir{"store"};
  std::unique_ptr<Store> store = sqlite_store_open(dir / "kino.db");

  void add_account(const std::string& id) {
    store->account_create({id, "client-" + id, "anonymous", 1});
    store->session_create({"ses_" + id, id, "task_" + id, "project", "en", 1});
  }
};

TEST_F(StoreTest, TokensAreFoundByHashAndExpire) {
  add_account("a");
  store->token_create({"hash1", "a", 10, 100});
  store->token_create({"hash2", "a", 10, 1000});
  ASSERT_TRUE(store->token_get("hash1"));
  EXPECT_EQ(store->token_get("hash1")->account_id, "a");
  EXPECT_FALSE(store->token_get("nope"));
  EXPECT_EQ(store->token_delete_expired(500), 1);
  EXPECT_FALSE(store->token_get("hash1"));
  EXPECT_TRUE(store->token_get("hash2"));
}

TEST_F(StoreTest, DraftVersionsAppendAndUndo) {
  add_account("a");
  EXPECT_FALSE(store->draft_latest("ses_a"));
  store->draft_append("ses_a", Json{{"v", 1}}, "created");
  store->draft_append("ses_a", Json{{"v", 2}}, "edit");
  store->draft_append("ses_a", Json{{"v", 3}}, "edit");
  EXPECT_EQ(store->draft_latest("ses_a")->version, 3);
  auto u1 = store->draft_undo("ses_a");
  ASSERT_TRUE(u1);
  EXPECT_EQ(u1->version, 4);
  EXPECT_EQ(u1->draft["v"], 2);
  auto u2 = store->draft_undo("ses_a");
  ASSERT_TRUE(u2);
  EXPECT_EQ(u2->draft["v"], 1);
  EXPECT_FALSE(store->draft_undo("ses_a"));                // nothing before the first version
  EXPECT_EQ(store->draft_get("ses_a", 3)->draft["v"], 3);  // history is kept
}

TEST_F(StoreTest, LedgerBalanceIsTheSumOfEntries) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 100, "", "welcome", 0});
  store->ledger_append({0, "a", LedgerKind::freeze, 30, "job1", "", 0});
  store->ledger_append({0, "a", LedgerKind::freeze, 20, "job2", "", 0});
  auto b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 50);
  EXPECT_EQ(b.frozen, 50);
  EXPECT_EQ(b.total, 100);
  store->ledger_append({0, "a", LedgerKind::settle, 30, "job1", "", 0});
  store->ledger_append({0, "a", LedgerKind::release, 20, "job2", "", 0});
  b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 70);
  EXPECT_EQ(b.frozen, 0);
  EXPECT_EQ(b.total, 70);
  EXPECT_EQ(store->ledger_list("a").size(), 5u);
}

TEST_F(StoreTest, LedgerRefusesOverdraftsAndDoubleSettles) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 10, "", "", 0});
  try {
    store->ledger_append({0, "a", LedgerKind::freeze, 11, "j", "", 0});
    FAIL() << "overdraft accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::no_credits);
    EXPECT_NE(std::string(e.what()).find("kino admin credits grant"), std::string::npos);
  }
  store->ledger_append({0, "a", LedgerKind::freeze, 10, "j", "", 0});
  store->ledger_append({0, "a", LedgerKind::settle, 10, "j", "", 0});
  EXPECT_THROW(store->ledger_append({0, "a", LedgerKind::settle, 10, "j", "", 0}), Error);
  EXPECT_THROW(store->ledger_append({0, "a", LedgerKind::release, 1, "j", "", 0}), Error);
  EXPECT_THROW(store->ledger_append({0, "a", LedgerKind::grant, -5, "", "", 0}), Error);
  EXPECT_EQ(store->ledger_balance("a").total, 0);
}

TEST_F(StoreTest, ConcurrentFreezesNeverOverdraw) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 100, "", "", 0});
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        try {
          store->ledger_append(
              {0, "a", LedgerKind::freeze, 3, "j" + std::to_string(t * 100 + i), "", 0});
          ++ok;
        } catch (const Error& e) {
          if (e.code() == ErrorCode::no_credits) ++refused;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 33);  // 33 * 3 = 99 <= 100 < 34 * 3
  EXPECT_EQ(refused, 80 - 33);
  auto b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 1);
  EXPECT_GE(b.available, 0);
}

TEST_F(StoreTest, JobsAreIdempotentClaimedOnceAndRequeued) {
  add_account("a");
  add_account("b");
  Job j;
  j.id = "job_1";
  j.client_ref = "render_1";
  j.account_id = "a";
  j.session_id = "ses_a";
  j.kind = "render";
  bool created = false;
  store->job_submit(j, &created);
  EXPECT_TRUE(created);
  j.id = "job_2";
  Job again = store->job_submit(j, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id, "job_1");
  // The same client id under another account is another job.
  j.account_id = "b";
  j.session_id = "ses_b";
  store->job_submit(j, &created);
  EXPECT_TRUE(created);

  auto c1 = store->job_claim("render");
  auto c2 = store->job_claim("render");
  ASSERT_TRUE(c1 && c2);
  EXPECT_NE(c1->id, c2->id);
  EXPECT_FALSE(store->job_claim("render"));
  EXPECT_EQ(c1->state, JobState::running);
  EXPECT_EQ(c1->attempts, 1);
  store->job_progress("job_1", 0.5);
  EXPECT_DOUBLE_EQ(store->job_get("job_1")->progress, 0.5);
  store->job_finish("job_2", JobState::completed, Json{{"size", 5}}, "");
  EXPECT_EQ(store->job_requeue_running(), 1);
  auto back = store->job_get("job_1");
  EXPECT_EQ(back->state, JobState::queued);
  EXPECT_EQ(store->job_claim("render")->attempts, 2);
  EXPECT_EQ(store->job_get("job_2")->result["size"], 5);
  EXPECT_THROW(store->job_finish("job_x", JobState::failed, {}, "x"), Error);
}

TEST_F(StoreTest, JobCreditsFreezeWithTheSubmitAndSettleOrReleaseWithTheFinish) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 10, "", "", 0});
  Job j;
  j.account_id = "a";
  j.session_id = "ses_a";
  j.kind = "generate";
  j.credits = 4;
  auto submit = [&](const std::string& id, bool* created) {
    j.id = "job_" + id;
    j.client_ref = "gen_" + id;
    return store->job_submit(j, created);
  };
  bool created = false;
  EXPECT_EQ(submit("1", &created).credits, 4);
  EXPECT_TRUE(created);
  EXPECT_EQ(store->ledger_balance("a").frozen, 4);
  submit("1", &created);  // the same client id again: nothing frozen twice
  EXPECT_FALSE(created);
  EXPECT_EQ(store->ledger_balance("a").frozen, 4);
  submit("2", &created);
  EXPECT_EQ(store->ledger_balance("a").available, 2);
  // Too few credits: neither the job nor a freeze is stored.
  try {
    submit("3", &created);
    ADD_FAILURE() << "expected no_credits";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::no_credits);
    EXPECT_NE(std::string(e.what()).find("kino admin credits grant"), std::string::npos);
  }
  EXPECT_FALSE(store->job_get("job_3"));
  EXPECT_EQ(store->ledger_balance("a").frozen, 8);

  // Completed settles what the job holds; failed or cancelled releases it; a second
  // finish (a cancel racing the worker) changes nothing.
  EXPECT_TRUE(store->job_finish("job_1", JobState::completed, Json::object(), ""));
  EXPECT_FALSE(store->job_finish("job_1", JobState::cancelled, Json::object(), "late"));
  EXPECT_EQ(store->job_get("job_1")->state, JobState::completed);
  EXPECT_TRUE(store->job_finish("job_2", JobState::cancelled, Json::object(), "cancelled"));
  EXPECT_FALSE(store->job_finish("job_2", JobState::completed, Json::object(), ""));
  CreditBalance b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 6);
  EXPECT_EQ(b.frozen, 0);
  EXPECT_EQ(b.total, 6);
  int settles = 0, releases = 0;
  for (const auto& e : store->ledger_list("a")) {
    settles += e.kind == LedgerKind::settle;
    releases += e.kind == LedgerKind::release;
  }
  EXPECT_EQ(settles, 1);
  EXPECT_EQ(releases, 1);
  EXPECT_THROW(store->job_finish("job_2", JobState::running, Json::object(), ""), Error);

  auto list = store->job_list("ses_a", "generate");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "job_1");
  EXPECT_EQ(list[1].id, "job_2");
  EXPECT_TRUE(store->job_list("ses_a", "render").empty());
}

TEST_F(StoreTest, ReopeningKeepsDataAndSchemaVersion) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 7, "", "", 0});
  store.reset();
  store = sqlite_store_open(dir / "kino.db");
  EXPECT_EQ(store->ledger_balance("a").available, 7);
  EXPECT_TRUE(store->session_get("ses_a"));
}

TEST_F(StoreTest, MediaAndUsage) {
  add_account("a");
  MediaRecord m;
  m.id = "med_1";
  m.account_id = "a";
  m.session_id = "ses_a";
  m.kind = "image";
  m.format = "png";
  m.name = "../../etc/passwd";
  m.info = Json{{"width", 64}};
  store->media_create(m);
  m.id = "med_2";
  m.origin = MediaOrigin::generated;
  store->media_create(m);
  EXPECT_EQ(store->media_get("med_1")->name, "../../etc/passwd");
  EXPECT_EQ(store->media_list("ses_a", MediaOrigin::upload).size(), 1u);
  EXPECT_EQ(store->media_list("ses_a", std::nullopt).size(), 2u);
  store->usage_record("a", "skill", "1.0", "cursor", 5);
  store->usage_record("a", "skill", "1.0", "cursor", 6);
  auto u = store->usage_list("a");
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].count, 2);
}

TEST(BlobDirTest, PathsAreByIdOnly) {
  kino::testing::TestDir dir("blob");
  BlobDir blobs(dir.path());
  EXPECT_EQ(blobs.media_path("med_1"), dir.path() / "media" / "med_1");
  EXPECT_THROW(blobs.media_path("../x"), Error);
  EXPECT_THROW(blobs.media_path(""), Error);
  EXPECT_THROW(blobs.render_path("r", "mp4/../x"), Error);
}

}  // namespace
}  // namespace kino::store
