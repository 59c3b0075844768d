// The Store contract, run against both stores (SQLite and a private PostgreSQL server),
// plus what only the PostgreSQL store promises: owners of claimed jobs, notices across
// processes, concurrent migrations, lost connections.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/id.h"
#include "store/pg_test_server.h"
#include "store/store.h"
#include "support/test_dir.h"

namespace kino::store {
namespace {

using kino::testing::PgTestServer;

std::string fresh_schema(PgTestServer& server) {
  return server.create_schema("t" + make_id("", 8));
}

// A store per backend; open() gives another handle on the same database, as another
// process would have.
class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (postgres()) {
      try {
        url_ = fresh_schema(PgTestServer::shared());
      } catch (const std::exception& e) {
        FAIL() << e.what();
      }
    }
    store = open();
  }

  bool postgres() const { return GetParam() == "postgres"; }
  std::unique_ptr<Store> open() {
    return postgres() ? pg_store_open(url_) : sqlite_store_open(dir / "kino.db");
  }

  void add_account(const std::string& id) {
    store->account_create({id, "client-" + id, "anonymous", 1});
    store->session_create({"ses_" + id, id, "task_" + id, "project", "en", 1});
  }

  Job make_job(const std::string& id, const std::string& ref, const std::string& account,
               int64_t credits = 0) {
    Job j;
    j.id = id;
    j.client_ref = ref;
    j.account_id = account;
    j.session_id = "ses_" + account;
    j.kind = "render";
    j.params = Json{{"draft", {{"v", 1}}}, {"name", "片段 ✓"}};
    j.credits = credits;
    return j;
  }

  kino::testing::TestDir dir{"storec"};
  std::string url_;
  std::unique_ptr<Store> store;
};

TEST_P(StoreContract, AccountsTokensAndSessions) {
  add_account("a");
  EXPECT_EQ(store->account_get("a")->client_id, "client-a");
  EXPECT_FALSE(store->account_get("zz"));
  try {
    store->account_create({"a", "again", "anonymous", 2});
    FAIL() << "duplicate account accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request) << e.what();
  }
  store->token_create({"hash1", "a", 10, 100});
  store->token_create({"hash2", "a", 10, 1000});
  EXPECT_EQ(store->token_get("hash1")->account_id, "a");
  EXPECT_EQ(store->token_get("hash2")->expires_ms, 1000);
  EXPECT_FALSE(store->token_get("nope"));
  EXPECT_EQ(store->token_delete_expired(500), 1);
  EXPECT_FALSE(store->token_get("hash1"));
  EXPECT_TRUE(store->token_get("hash2"));
  // A token for an account that does not exist breaks a reference.
  EXPECT_THROW(store->token_create({"hash3", "ghost", 1, 2}), Error);
  auto s = store->session_get("ses_a");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->task_id, "task_a");
  EXPECT_EQ(s->language, "en");
  EXPECT_FALSE(store->session_get("ses_zz"));
}

TEST_P(StoreContract, DraftVersionsAppendAndUndo) {
  add_account("a");
  EXPECT_FALSE(store->draft_latest("ses_a"));
  store->draft_append("ses_a", Json{{"v", 1}, {"title", "Urban Dreams 城市之梦"}}, "created");
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
  EXPECT_EQ(u2->draft["title"], "Urban Dreams 城市之梦");
  EXPECT_FALSE(store->draft_undo("ses_a"));  // nothing before the first version
  EXPECT_EQ(store->draft_get("ses_a", 3)->draft["v"], 3);
  EXPECT_EQ(store->draft_get("ses_a", 3)->note, "edit");
  EXPECT_FALSE(store->draft_get("ses_a", 99));
  EXPECT_FALSE(store->draft_undo("ses_zz"));
  // A version for a session that does not exist breaks a reference.
  EXPECT_THROW(store->draft_append("ses_zz", Json::object(), "x"), Error);
}

TEST_P(StoreContract, ConcurrentDraftAppendsNumberWithoutGaps) {
  add_account("a");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto mine = open();  // another process's handle
      for (int i = 0; i < 10; ++i) mine->draft_append("ses_a", Json{{"t", t}, {"i", i}}, "edit");
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store->draft_latest("ses_a")->version, 40);
  for (int v = 1; v <= 40; ++v) EXPECT_TRUE(store->draft_get("ses_a", v)) << v;
}

TEST_P(StoreContract, LedgerBalanceIsTheSumOfEntries) {
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
  auto list = store->ledger_list("a");
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].note, "welcome");
  EXPECT_EQ(list[4].kind, LedgerKind::release);
  EXPECT_LT(list[0].id, list[4].id);
  EXPECT_EQ(store->ledger_balance("nobody").total, 0);
}

TEST_P(StoreContract, LedgerRefusesOverdraftsAndDoubleSettles) {
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
  EXPECT_THROW(store->ledger_append({0, "a", LedgerKind::grant, 0, "", "", 0}), Error);
  EXPECT_EQ(store->ledger_balance("a").total, 0);
}

TEST_P(StoreContract, ConcurrentFreezesFromManyHandlesNeverOverdraw) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 100, "", "", 0});
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto mine = open();
      for (int i = 0; i < 10; ++i) {
        try {
          mine->ledger_append(
              {0, "a", LedgerKind::freeze, 3, "j" + std::to_string(t * 100 + i), "", 0});
          ++ok;
        } catch (const Error& e) {
          ++(e.code() == ErrorCode::no_credits ? refused : other);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 33);  // 33 * 3 = 99 <= 100 < 34 * 3
  EXPECT_EQ(refused, 80 - 33);
  EXPECT_EQ(other, 0);
  auto b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 1);
  EXPECT_EQ(b.frozen, 99);
}

TEST_P(StoreContract, JobsAreIdempotentClaimedOnceAndRequeuedAfterTheirWorkerGoes) {
  add_account("a");
  add_account("b");
  bool created = false;
  Job first = store->job_submit(make_job("job_1", "render_1", "a"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(first.state, JobState::queued);
  Job again = store->job_submit(make_job("job_2", "render_1", "a"), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id, "job_1");
  EXPECT_EQ(again.params["name"], "片段 ✓");
  // The same client id under another account is another job.
  store->job_submit(make_job("job_3", "render_1", "b"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(store->job_count(JobState::queued), 2);

  auto worker = open();  // a worker process
  auto c1 = worker->job_claim("render");
  auto c2 = worker->job_claim("render");
  ASSERT_TRUE(c1 && c2);
  EXPECT_EQ(c1->id, "job_1");  // oldest first
  EXPECT_EQ(c2->id, "job_3");
  EXPECT_FALSE(worker->job_claim("render"));
  EXPECT_FALSE(worker->job_claim("generate"));
  EXPECT_EQ(c1->state, JobState::running);
  EXPECT_EQ(c1->attempts, 1);
  worker->job_progress("job_1", 0.5);
  EXPECT_DOUBLE_EQ(store->job_get("job_1")->progress, 0.5);
  EXPECT_TRUE(worker->job_finish("job_3", JobState::completed, Json{{"size", 5}}, ""));
  EXPECT_EQ(store->job_get("job_3")->progress, 1.0);
  EXPECT_EQ(store->job_find("b", "render", "render_1")->id, "job_3");
  EXPECT_FALSE(store->job_find("b", "render", "render_2"));
  EXPECT_EQ(store->job_count(JobState::running), 1);

  worker.reset();  // the worker stops with job_1 in flight
  EXPECT_EQ(store->job_requeue_running(), 1);
  auto back = store->job_get("job_1");
  EXPECT_EQ(back->state, JobState::queued);
  EXPECT_EQ(back->progress, 0);
  EXPECT_EQ(store->job_claim("render")->attempts, 2);
  EXPECT_EQ(store->job_get("job_3")->result["size"], 5);
  EXPECT_THROW(store->job_finish("job_x", JobState::failed, {}, "x"), Error);
  EXPECT_THROW(store->job_finish("job_1", JobState::running, {}, ""), Error);
  EXPECT_FALSE(store->job_get("job_x"));
}

TEST_P(StoreContract, JobsHoldCreditsUntilTheyFinish) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 100, "", "", 0});
  bool created = false;
  store->job_submit(make_job("job_1", "gen_1", "a", 30), &created);
  store->job_submit(make_job("job_1b", "gen_1", "a", 30), &created);  // repeated: no new freeze
  EXPECT_FALSE(created);
  store->job_submit(make_job("job_2", "gen_2", "a", 50), &created);
  auto b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 20);
  EXPECT_EQ(b.frozen, 80);
  try {
    store->job_submit(make_job("job_3", "gen_3", "a", 21), &created);
    FAIL() << "job beyond the balance accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::no_credits);
  }
  EXPECT_FALSE(store->job_get("job_3"));  // nothing stored
  EXPECT_THROW(store->job_submit(make_job("job_4", "gen_4", "a", -1), &created), Error);

  EXPECT_TRUE(store->job_finish("job_1", JobState::completed, Json::object(), ""));
  EXPECT_FALSE(store->job_finish("job_1", JobState::failed, Json::object(), "late"));
  EXPECT_TRUE(store->job_finish("job_2", JobState::cancelled, Json::object(), "by user"));
  b = store->ledger_balance("a");
  EXPECT_EQ(b.available, 70);
  EXPECT_EQ(b.frozen, 0);
  EXPECT_EQ(b.total, 70);
  EXPECT_EQ(store->job_get("job_1")->state, JobState::completed);
  EXPECT_EQ(store->job_get("job_2")->error, "by user");
  EXPECT_EQ(store->job_get("job_2")->credits, 50);
}

TEST_P(StoreContract, ConcurrentClaimsFromManyHandlesNeverShareAJob) {
  add_account("a");
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i)
    store->job_submit(make_job("job_" + std::to_string(i), "r" + std::to_string(i), "a"), nullptr);
  std::mutex m;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      auto worker = open();
      std::vector<std::thread> inner;
      for (int k = 0; k < 3; ++k) {
        inner.emplace_back([&] {
          while (auto j = worker->job_claim("render")) {
            std::lock_guard lock(m);
            claimed.push_back(j->id);
          }
        });
      }
      for (auto& th : inner) th.join();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(claimed.size(), size_t(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), size_t(kJobs));
  EXPECT_EQ(store->job_count(JobState::running), kJobs);
}

TEST_P(StoreContract, JobListIsPerSessionOldestFirst) {
  add_account("a");
  add_account("b");
  store->job_submit(make_job("job_1", "r1", "a"), nullptr);
  store->job_submit(make_job("job_2", "r2", "b"), nullptr);
  store->job_submit(make_job("job_3", "r3", "a"), nullptr);
  auto list = store->job_list("ses_a", "render");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "job_1");
  EXPECT_EQ(list[1].id, "job_3");
  EXPECT_TRUE(store->job_list("ses_a", "generate").empty());
}

TEST_P(StoreContract, MediaAndUsage) {
  add_account("a");
  MediaRecord m;
  m.id = "med_1";
  m.account_id = "a";
  m.session_id = "ses_a";
  m.kind = "image";
  m.format = "png";
  m.name = "../../etc/passwd";
  m.size_bytes = int64_t(3) << 33;
  m.width = 64;
  m.info = Json{{"width", 64}, {"fps", "30000/1001"}};
  m.created_ms = 5;
  store->media_create(m);
  m.id = "med_2";
  m.origin = MediaOrigin::generated;
  store->media_create(m);
  EXPECT_THROW(store->media_create(m), Error);  // duplicate id
  auto got = store->media_get("med_1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "../../etc/passwd");
  EXPECT_EQ(got->size_bytes, int64_t(3) << 33);
  EXPECT_EQ(got->info["fps"], "30000/1001");
  EXPECT_EQ(got->origin, MediaOrigin::upload);
  EXPECT_FALSE(store->media_get("med_9"));
  EXPECT_EQ(store->media_list("ses_a", MediaOrigin::upload).size(), 1u);
  auto all = store->media_list("ses_a", std::nullopt);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "med_1");  // same time: insertion order
  store->usage_record("a", "skill", "1.0", "cursor", 5);
  store->usage_record("a", "skill", "1.0", "cursor", 6);
  store->usage_record("a", "skill", "1.1", "cursor", 7);
  auto u = store->usage_list("a");
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].count, 2);
  EXPECT_EQ(u[0].last_ms, 6);
}

TEST_P(StoreContract, ReopeningKeepsData) {
  add_account("a");
  store->ledger_append({0, "a", LedgerKind::grant, 7, "", "", 0});
  store.reset();
  store = open();
  EXPECT_EQ(store->ledger_balance("a").available, 7);
  EXPECT_TRUE(store->session_get("ses_a"));
}

TEST_P(StoreContract, OnlyASharedStoreSendsNotices) {
  EXPECT_EQ(store->job_listen([](const JobNotice&) {}), postgres());
  store->job_listen(nullptr);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// ---- PostgreSQL only ----

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      server = &PgTestServer::shared();
      url = fresh_schema(*server);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }
  Job make_job(const std::string& id) {
    Job j;
    j.id = id;
    j.client_ref = id;
    j.account_id = "a";
    j.session_id = "ses_a";
    j.kind = "render";
    return j;
  }

  PgTestServer* server = nullptr;
  std::string url;
};

// Collects notices; wait_for() waits until one matches.
class NoticeLog {
 public:
  void add(const JobNotice& n) {
    std::lock_guard lock(m_);
    seen_.push_back(n);
    cv_.notify_all();
  }
  bool wait_for(bool queued, const std::string& kind, const std::string& id) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::any_of(seen_.begin(), seen_.end(), [&](const JobNotice& n) {
        return n.queued == queued && n.kind == kind && n.job_id == id;
      });
    });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<JobNotice> seen_;
};

TEST_F(PgStoreTest, RequeueLeavesJobsOfLiveWorkers) {
  auto api = pg_store_open(url);
  auto worker = pg_store_open(url);
  api->job_submit(make_job("job_1"), nullptr);
  ASSERT_TRUE(worker->job_claim("render"));
  EXPECT_EQ(api->job_requeue_running(), 0);     // the worker is alive
  EXPECT_EQ(worker->job_requeue_running(), 0);  // its own job is still running
  EXPECT_EQ(api->job_get("job_1")->state, JobState::running);
  worker.reset();
  EXPECT_EQ(api->job_requeue_running(), 1);
  EXPECT_EQ(api->job_get("job_1")->state, JobState::queued);
}

TEST_F(PgStoreTest, JobsOfAWorkerWhoseConnectionDiedAreRequeued) {
  auto api = pg_store_open(url);
  api->job_submit(make_job("job_1"), nullptr);
  // A worker that crashes: it holds its owner lock on a connection that simply closes.
  PGconn* crashed = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(crashed), CONNECTION_OK);
  PGresult* r = PQexec(crashed,
                       "SELECT pg_advisory_lock(4242); UPDATE jobs SET state = 'running', "
                       "owner = 4242 WHERE id = 'job_1'");
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
  PQclear(r);
  EXPECT_EQ(api->job_requeue_running(), 0);
  PQfinish(crashed);  // no unlock: the server frees the lock when the session ends
  int64_t requeued = 0;
  for (int i = 0; i < 100 && requeued == 0; ++i) {
    requeued = api->job_requeue_running();
    if (requeued == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(requeued, 1);
  EXPECT_EQ(api->job_get("job_1")->state, JobState::queued);
}

TEST_F(PgStoreTest, ListenersHearOtherProcessesQueueAndFinishJobs) {
  auto worker = pg_store_open(url);
  auto api = pg_store_open(url);
  NoticeLog log;
  ASSERT_TRUE(worker->job_listen([&](const JobNotice& n) { log.add(n); }));
  api->job_submit(make_job("job_1"), nullptr);
  EXPECT_TRUE(log.wait_for(true, "render", "job_1"));
  ASSERT_TRUE(api->job_claim("render"));
  api->job_progress("job_1", 0.25);
  EXPECT_TRUE(log.wait_for(false, "render", "job_1"));
  api.reset();  // the claimer goes: re-queued, and the worker hears it
  EXPECT_EQ(worker->job_requeue_running(), 1);
  worker->job_listen(nullptr);
}

TEST_F(PgStoreTest, NoticesAndPoolSurviveLostConnections) {
  auto worker = pg_store_open(url);
  auto api = pg_store_open(url);
  NoticeLog log;
  worker->job_listen([&](const JobNotice& n) { log.add(n); });
  api->job_submit(make_job("job_1"), nullptr);
  ASSERT_TRUE(log.wait_for(true, "render", "job_1"));
  server->terminate_sessions();
  // The pools drop their dead connections before use; the notice connection re-opens and
  // says anything may be waiting.
  EXPECT_TRUE(api->job_get("job_1"));
  EXPECT_TRUE(log.wait_for(true, "", ""));
  api->job_submit(make_job("job_2"), nullptr);
  EXPECT_TRUE(log.wait_for(true, "render", "job_2"));
  // The worker's owner lock is back: its claimed job is not taken from it.
  ASSERT_TRUE(worker->job_claim("render"));
  EXPECT_EQ(api->job_requeue_running(), 0);
  worker->job_listen(nullptr);
}

TEST_F(PgStoreTest, ProcessesStartingTogetherMigrateOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        pg_store_open(url)->account_get("x");
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, "SELECT count(*), max(version) FROM schema_migrations");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));  // one row per version
  PQclear(r);
  PQfinish(c);
}

TEST_F(PgStoreTest, BadServerNamesItWithoutThePassword) {
  try {
    pg_store_open("postgresql://kino:s3cret@127.0.0.1:1/kino?connect_timeout=2");
    FAIL() << "connected to nothing";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
    EXPECT_NE(msg.find("postgresql://kino:***@127.0.0.1:1/kino"), std::string::npos) << msg;
  }
}

TEST_F(PgStoreTest, TextThePostgresColumnsCannotHoldIsABadRequest) {
  auto store = pg_store_open(url);
  try {
    store->account_create({"a", std::string("nul\0byte", 8), "anonymous", 1});
    FAIL() << "NUL byte stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
  }
  try {
    store->account_create({"b", "\xff\xfe", "anonymous", 1});
    FAIL() << "invalid UTF-8 stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request) << e.what();
  }
  EXPECT_FALSE(store->account_get("b"));
}

TEST(StoreOpenTest, UrlsChooseTheStore) {
  kino::testing::TestDir dir("storeopen");
  auto sqlite = store_open("", dir / "default.db");
  EXPECT_TRUE(std::filesystem::exists(dir / "default.db"));
  EXPECT_FALSE(sqlite->job_listen(nullptr));
  store_open("sqlite:" + (dir / "other.db").string(), dir / "default.db");
  EXPECT_TRUE(std::filesystem::exists(dir / "other.db"));
  store_open((dir / "plain.db").string(), dir / "default.db");
  EXPECT_TRUE(std::filesystem::exists(dir / "plain.db"));
  EXPECT_TRUE(store_url_is_postgres("postgresql://h/db"));
  EXPECT_TRUE(store_url_is_postgres("postgres://h/db"));
  EXPECT_FALSE(store_url_is_postgres("postgresq://h/db"));
  try {
    store_open("mysql://root:pw@h/db", dir / "default.db");
    FAIL() << "unknown scheme accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_EQ(std::string(e.what()).find(":pw@"), std::string::npos) << e.what();
  }
  try {
    auto pg = store_open(fresh_schema(PgTestServer::shared()), "");
    EXPECT_TRUE(pg->job_listen(nullptr));
  } catch (const std::runtime_error& e) {
    FAIL() << e.what();
  }
}

}  // namespace
}  // namespace kino::store
