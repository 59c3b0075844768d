#include <sqlite3.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/error.h"
#include "store/draft_undo.h"
#include "store/store.h"

namespace kino::store {
namespace {

// Schema history: entry i is migration version i + 1. Never edit a released entry; append.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY, client_id TEXT NOT NULL, kind TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
CREATE INDEX tokens_expiry ON tokens(expires_ms);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), task_id TEXT NOT NULL,
  task_name TEXT NOT NULL, language TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE drafts (
  session_id TEXT NOT NULL REFERENCES sessions(id), version INTEGER NOT NULL,
  draft TEXT NOT NULL, note TEXT NOT NULL, created_ms INTEGER NOT NULL,
  PRIMARY KEY (session_id, version));
CREATE TABLE media (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, session_id TEXT NOT NULL, origin TEXT NOT NULL,
  kind TEXT NOT NULL, format TEXT NOT NULL, name TEXT NOT NULL, size_bytes INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
  info TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE INDEX media_session ON media(session_id, created_ms);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, client_ref TEXT NOT NULL, account_id TEXT NOT NULL,
  session_id TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL,
  params TEXT NOT NULL, result TEXT NOT NULL, error TEXT NOT NULL, callback_url TEXT NOT NULL,
  attempts INTEGER NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  UNIQUE (account_id, kind, client_ref));
CREATE INDEX jobs_queue ON jobs(kind, state, created_ms);
CREATE TABLE ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL, kind TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0), job_id TEXT NOT NULL, note TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE INDEX ledger_account ON ledger(account_id);
CREATE INDEX ledger_job ON ledger(job_id);
CREATE TABLE usage (
  account_id TEXT NOT NULL, source TEXT NOT NULL, version TEXT NOT NULL, platform TEXT NOT NULL,
  count INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, source, version, platform));
)sql",
    R"sql(
ALTER TABLE jobs ADD COLUMN credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0);
CREATE INDEX jobs_session ON jobs(session_id, kind, created_ms);
)sql",
};

[[noreturn]] void fail_sqlite(sqlite3* db, const std::string& what) {
  fail(ErrorCode::internal, "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// A cached prepared statement in use: binds by position, steps rows, resets when done.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(const std::string& v) {
    check(sqlite3_bind_text(stmt_, ++index_, v.data(), int(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Query& bind(const char* v) { return bind(std::string(v)); }
  Query& bind(int64_t v) {
    check(sqlite3_bind_int64(stmt_, ++index_, v));
    return *this;
  }
  Query& bind(int v) { return bind(int64_t(v)); }
  Query& bind(double v) {
    check(sqlite3_bind_double(stmt_, ++index_, v));
    return *this;
  }
  template <typename... T>
  Query& bind_all(const T&... v) {
    (bind(v), ...);
    return *this;
  }
  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT)
      fail(ErrorCode::bad_request, std::string("sqlite: ") + sqlite3_errmsg(db_));
    fail_sqlite(db_, "step");
  }
  void run() {
    while (step()) {
    }
  }
  std::string text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  Json json(int col) const {
    std::string t = text(col);
    return t.empty() ? Json::object() : Json::parse(t, nullptr, false);
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail_sqlite(db_, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

constexpr const char* kJobColumns =
    "id, client_ref, account_id, session_id, kind, state, progress, params, result, error, "
    "callback_url, attempts, created_ms, updated_ms, credits";

Job read_job(const Query& q) {
  Job j;
  j.id = q.text(0);
  j.client_ref = q.text(1);
  j.account_id = q.text(2);
  j.session_id = q.text(3);
  j.kind = q.text(4);
  j.state = job_state_parse(q.text(5)).value_or(JobState::failed);
  j.progress = q.real(6);
  j.params = q.json(7);
  j.result = q.json(8);
  j.error = q.text(9);
  j.callback_url = q.text(10);
  j.attempts = int(q.integer(11));
  j.created_ms = q.integer(12);
  j.updated_ms = q.integer(13);
  j.credits = q.integer(14);
  return j;
}

constexpr const char* kMediaColumns =
    "id, account_id, session_id, origin, kind, format, name, size_bytes, duration_ms, width, "
    "height, info, created_ms";

MediaRecord read_media(const Query& q) {
  MediaRecord m;
  m.id = q.text(0);
  m.account_id = q.text(1);
  m.session_id = q.text(2);
  m.origin = media_origin_parse(q.text(3)).value_or(MediaOrigin::upload);
  m.kind = q.text(4);
  m.format = q.text(5);
  m.name = q.text(6);
  m.size_bytes = q.integer(7);
  m.duration_ms = q.integer(8);
  m.width = int(q.integer(9));
  m.height = int(q.integer(10));
  m.info = q.json(11);
  m.created_ms = q.integer(12);
  return m;
}

// One connection guarded by a mutex. SQLite admits one writer at a time anyway and every
// statement here takes microseconds, so a single connection costs little throughput while
// it keeps each prepared statement compiled once and makes read-check-write sequences
// (a freeze that must not overdraw, an idempotent submit) atomic inside this process;
// BEGIN IMMEDIATE plus the busy timeout covers other processes on the same file.
class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      fail(ErrorCode::internal, "cannot open database " + file.string() + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    migrate();
  }
  ~SqliteStore() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  void account_create(const Account& a) override {
    std::lock_guard lock(mutex_);
    query("INSERT INTO accounts (id, client_id, kind, created_ms) VALUES (?, ?, ?, ?)")
        .bind_all(a.id, a.client_id, a.kind, a.created_ms)
        .run();
  }

  std::optional<Account> account_get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto q = query("SELECT id, client_id, kind, created_ms FROM accounts WHERE id = ?");
    q.bind(id);
    if (!q.step()) return std::nullopt;
    return Account{q.text(0), q.text(1), q.text(2), q.integer(3)};
  }

  void token_create(const TokenRecord& t) override {
    std::lock_guard lock(mutex_);
    query("INSERT INTO tokens (hash, account_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)")
        .bind_all(t.hash_hex, t.account_id, t.created_ms, t.expires_ms)
        .run();
  }

  std::optional<TokenRecord> token_get(const std::string& hash_hex) override {
    std::lock_guard lock(mutex_);
    auto q = query("SELECT hash, account_id, created_ms, expires_ms FROM tokens WHERE hash = ?");
    q.bind(hash_hex);
    if (!q.step()) return std::nullopt;
    return TokenRecord{q.text(0), q.text(1), q.integer(2), q.integer(3)};
  }

  int64_t token_delete_expired(int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    query("DELETE FROM tokens WHERE expires_ms <= ?").bind(now_ms).run();
    return sqlite3_changes(db_);
  }

  void session_create(const Session& s) override {
    std::lock_guard lock(mutex_);
    query(
        "INSERT INTO sessions (id, account_id, task_id, task_name, language, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)")
        .bind_all(s.id, s.account_id, s.task_id, s.task_name, s.language, s.created_ms)
        .run();
  }

  std::optional<Session> session_get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto q = query(
        "SELECT id, account_id, task_id, task_name, language, created_ms FROM sessions "
        "WHERE id = ?");
    q.bind(id);
    if (!q.step()) return std::nullopt;
    return Session{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.integer(5)};
  }

  DraftVersion draft_append(const std::string& session_id, const Json& draft,
                            const std::string& note) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    DraftVersion v = append_locked(session_id, draft, note);
    tx.commit();
    return v;
  }

  std::optional<DraftVersion> draft_latest(const std::string& session_id) override {
    std::lock_guard lock(mutex_);
    return draft_read_locked(session_id, -1);
  }

  std::optional<DraftVersion> draft_get(const std::string& session_id, int64_t version) override {
    std::lock_guard lock(mutex_);
    return draft_read_locked(session_id, version);
  }

  std::optional<DraftVersion> draft_undo(const std::string& session_id) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    auto latest = draft_read_locked(session_id, -1);
    if (!latest || latest->version <= 1) return std::nullopt;
    // The version the latest one replaced: undo of an undo walks further back.
    const int64_t target =
        draft_undo_target(latest->version, [&](int64_t v) -> std::optional<std::string> {
          auto d = draft_read_locked(session_id, v);
          return d ? std::optional<std::string>(d->note) : std::nullopt;
        });
    auto prev = draft_read_locked(session_id, target);
    if (!prev) return std::nullopt;
    DraftVersion v = append_locked(session_id, prev->draft, draft_undo_note(prev->version));
    tx.commit();
    return v;
  }

  void media_create(const MediaRecord& m) override {
    std::lock_guard lock(mutex_);
    query(std::string("INSERT INTO media (") + kMediaColumns +
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(m.id, m.account_id, m.session_id, std::string(media_origin_name(m.origin)),
                  m.kind, m.format, m.name, m.size_bytes, m.duration_ms, m.width, m.height,
                  m.info.dump(), m.created_ms)
        .run();
  }

  std::optional<MediaRecord> media_get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto q = query(std::string("SELECT ") + kMediaColumns + " FROM media WHERE id = ?");
    q.bind(id);
    if (!q.step()) return std::nullopt;
    return read_media(q);
  }

  std::vector<MediaRecord> media_list(const std::string& session_id,
                                      std::optional<MediaOrigin> origin) override {
    std::lock_guard lock(mutex_);
    auto q = query(std::string("SELECT ") + kMediaColumns +
                   " FROM media WHERE session_id = ? AND (? = '' OR origin = ?) "
                   "ORDER BY created_ms, rowid");
    std::string o = origin ? std::string(media_origin_name(*origin)) : std::string();
    q.bind_all(session_id, o, o);
    std::vector<MediaRecord> out;
    while (q.step()) out.push_back(read_media(q));
    return out;
  }

  Job job_submit(const Job& job, bool* created) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    if (auto existing = job_find_locked(job.account_id, job.kind, job.client_ref)) {
      if (created) *created = false;
      return *existing;
    }
    Job j = job;
    j.state = JobState::queued;
    j.progress = 0;
    j.attempts = 0;
    j.created_ms = j.updated_ms = now_unix_ms();
    if (j.credits < 0)
      fail_bad_request("job credits must be >= 0, got " + std::to_string(j.credits));
    query(std::string("INSERT INTO jobs (") + kJobColumns +
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(j.id, j.client_ref, j.account_id, j.session_id, j.kind,
                  std::string(job_state_name(j.state)), j.progress, j.params.dump(),
                  j.result.dump(), j.error, j.callback_url, j.attempts, j.created_ms, j.updated_ms,
                  j.credits)
        .run();
    if (j.credits > 0)
      ledger_append_locked(
          {0, j.account_id, LedgerKind::freeze, j.credits, j.id, j.kind + " " + j.client_ref, 0});
    tx.commit();
    if (created) *created = true;
    return j;
  }

  std::optional<Job> job_get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto q = query(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
    q.bind(id);
    if (!q.step()) return std::nullopt;
    return read_job(q);
  }

  std::optional<Job> job_find(const std::string& account_id, const std::string& kind,
                              const std::string& client_ref) override {
    std::lock_guard lock(mutex_);
    return job_find_locked(account_id, kind, client_ref);
  }

  std::optional<Job> job_claim(const std::string& kind) override {
    std::lock_guard lock(mutex_);
    auto q = query(std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, ") +
                   "updated_ms = ? WHERE id = (SELECT id FROM jobs WHERE kind = ? AND " +
                   "state = 'queued' ORDER BY created_ms, rowid LIMIT 1) RETURNING " + kJobColumns);
    q.bind_all(now_unix_ms(), kind);
    if (!q.step()) return std::nullopt;
    Job j = read_job(q);
    q.run();
    return j;
  }

  void job_progress(const std::string& id, double progress) override {
    std::lock_guard lock(mutex_);
    query("UPDATE jobs SET progress = ?, updated_ms = ? WHERE id = ? AND state = 'running'")
        .bind_all(progress, now_unix_ms(), id)
        .run();
  }

  bool job_finish(const std::string& id, JobState state, const Json& result,
                  const std::string& error) override {
    std::lock_guard lock(mutex_);
    if (!job_state_final(state))
      fail_bad_request("job_finish needs a final state, got " + std::string(job_state_name(state)));
    Transaction tx(*this);
    std::string account;
    {
      auto q = query("SELECT state, account_id FROM jobs WHERE id = ?");
      q.bind(id);
      if (!q.step()) fail(ErrorCode::not_found, "job " + id + " does not exist");
      if (job_state_final(job_state_parse(q.text(0)).value_or(JobState::failed))) return false;
      account = q.text(1);
    }
    query(
        "UPDATE jobs SET state = ?, result = ?, error = ?, updated_ms = ?, "
        "progress = CASE WHEN ? = 'completed' THEN 1.0 ELSE progress END WHERE id = ?")
        .bind_all(std::string(job_state_name(state)), result.dump(), error, now_unix_ms(),
                  std::string(job_state_name(state)), id)
        .run();
    if (int64_t held = held_locked(id, account); held > 0) {
      const LedgerKind kind =
          state == JobState::completed ? LedgerKind::settle : LedgerKind::release;
      ledger_append_locked(
          {0, account, kind, held, id, "job " + std::string(job_state_name(state)), 0});
    }
    tx.commit();
    return true;
  }

  std::vector<Job> job_list(const std::string& session_id, const std::string& kind) override {
    std::lock_guard lock(mutex_);
    auto q = query(std::string("SELECT ") + kJobColumns +
                   " FROM jobs WHERE session_id = ? AND kind = ? ORDER BY created_ms, rowid");
    q.bind_all(session_id, kind);
    std::vector<Job> out;
    while (q.step()) out.push_back(read_job(q));
    return out;
  }

  int64_t job_requeue_running() override {
    std::lock_guard lock(mutex_);
    query("UPDATE jobs SET state = 'queued', progress = 0, updated_ms = ? WHERE state = 'running'")
        .bind(now_unix_ms())
        .run();
    return sqlite3_changes(db_);
  }

  int64_t job_count(JobState state) override {
    std::lock_guard lock(mutex_);
    auto q = query("SELECT COUNT(*) FROM jobs WHERE state = ?");
    q.bind(std::string(job_state_name(state)));
    q.step();
    return q.integer(0);
  }

  LedgerEntry ledger_append(const LedgerEntry& entry) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    LedgerEntry e = ledger_append_locked(entry);
    tx.commit();
    return e;
  }

  CreditBalance ledger_balance(const std::string& account_id) override {
    std::lock_guard lock(mutex_);
    return balance_locked(account_id);
  }

  std::vector<LedgerEntry> ledger_list(const std::string& account_id) override {
    std::lock_guard lock(mutex_);
    auto q = query(
        "SELECT id, account_id, kind, amount, job_id, note, created_ms FROM ledger "
        "WHERE account_id = ? ORDER BY id");
    q.bind(account_id);
    std::vector<LedgerEntry> out;
    while (q.step()) {
      out.push_back(LedgerEntry{q.integer(0), q.text(1),
                                ledger_kind_parse(q.text(2)).value_or(LedgerKind::grant),
                                q.integer(3), q.text(4), q.text(5), q.integer(6)});
    }
    return out;
  }

  void usage_record(const std::string& account_id, const std::string& source,
                    const std::string& version, const std::string& platform,
                    int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    query(
        "INSERT INTO usage (account_id, source, version, platform, count, last_ms) "
        "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (account_id, source, version, platform) "
        "DO UPDATE SET count = count + 1, last_ms = excluded.last_ms")
        .bind_all(account_id, source, version, platform, now_ms)
        .run();
  }

  std::vector<UsageRecord> usage_list(const std::string& account_id) override {
    std::lock_guard lock(mutex_);
    auto q = query(
        "SELECT account_id, source, version, platform, count, last_ms FROM usage "
        "WHERE account_id = ? ORDER BY source, version, platform");
    q.bind(account_id);
    std::vector<UsageRecord> out;
    while (q.step())
      out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.integer(4), q.integer(5)});
    return out;
  }

 private:
  // Inside a transaction: checks the entry against the balance or the job's frozen
  // credits, then inserts it.
  LedgerEntry ledger_append_locked(const LedgerEntry& entry) {
    if (entry.amount <= 0)
      fail_bad_request("ledger amount must be > 0, got " + std::to_string(entry.amount));
    if (entry.kind == LedgerKind::freeze) {
      CreditBalance b = balance_locked(entry.account_id);
      if (b.available < entry.amount)
        fail(ErrorCode::no_credits, "not enough credits: " + std::to_string(entry.amount) +
                                        " needed, " + std::to_string(b.available) +
                                        " available; an admin can add more with `kino admin "
                                        "credits grant`");
    } else if (entry.kind == LedgerKind::settle || entry.kind == LedgerKind::release) {
      const int64_t held = held_locked(entry.job_id, entry.account_id);
      if (entry.job_id.empty() || held < entry.amount)
        fail_bad_request("ledger " + std::string(ledger_kind_name(entry.kind)) + " of " +
                         std::to_string(entry.amount) + " for job \"" + entry.job_id +
                         "\" exceeds the " + std::to_string(held) + " it holds frozen");
    }
    LedgerEntry e = entry;
    e.created_ms = now_unix_ms();
    query(
        "INSERT INTO ledger (account_id, kind, amount, job_id, note, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)")
        .bind_all(e.account_id, std::string(ledger_kind_name(e.kind)), e.amount, e.job_id, e.note,
                  e.created_ms)
        .run();
    e.id = sqlite3_last_insert_rowid(db_);
    return e;
  }

  // Credits a job holds frozen: its freezes minus its settles and releases.
  int64_t held_locked(const std::string& job_id, const std::string& account_id) {
    auto q = query(
        "SELECT COALESCE(SUM(CASE kind WHEN 'freeze' THEN amount ELSE -amount END), 0) "
        "FROM ledger WHERE job_id = ? AND account_id = ? AND kind != 'grant'");
    q.bind_all(job_id, account_id);
    q.step();
    return q.integer(0);
  }

  // BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted (an exception).
  class Transaction {
   public:
    explicit Transaction(SqliteStore& s) : s_(s) { s_.exec("BEGIN IMMEDIATE"); }
    ~Transaction() {
      if (!done_) sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }

   private:
    SqliteStore& s_;
    bool done_ = false;
  };

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      fail(ErrorCode::internal, "sqlite: " + msg + " in: " + sql.substr(0, 60));
    }
  }

  Query query(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql.c_str(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                             nullptr) != SQLITE_OK)
        fail_sqlite(db_, "prepare " + sql.substr(0, 60));
      it = cache_.emplace(sql, stmt).first;
    }
    return Query(db_, it->second);
  }

  void migrate() {
    exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_ms INTEGER NOT NULL)");
    int64_t current = 0;
    {
      auto q = query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      q.step();
      current = q.integer(0);
    }
    const int64_t newest = int64_t(std::size(kMigrations));
    if (current > newest)
      fail(ErrorCode::internal, "database schema version " + std::to_string(current) +
                                    " is newer than this kino (" + std::to_string(newest) + ")");
    for (int64_t v = current + 1; v <= newest; ++v) {
      Transaction tx(*this);
      exec(kMigrations[v - 1]);
      query("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)")
          .bind_all(v, now_unix_ms())
          .run();
      tx.commit();
    }
  }

  CreditBalance balance_locked(const std::string& account_id) {
    auto q = query(
        "SELECT COALESCE(SUM(CASE kind WHEN 'grant' THEN amount WHEN 'freeze' THEN -amount "
        "WHEN 'release' THEN amount ELSE 0 END), 0), "
        "COALESCE(SUM(CASE kind WHEN 'freeze' THEN amount WHEN 'settle' THEN -amount "
        "WHEN 'release' THEN -amount ELSE 0 END), 0) FROM ledger WHERE account_id = ?");
    q.bind(account_id);
    q.step();
    CreditBalance b;
    b.available = q.integer(0);
    b.frozen = q.integer(1);
    b.total = b.available + b.frozen;
    return b;
  }

  std::optional<Job> job_find_locked(const std::string& account_id, const std::string& kind,
                                     const std::string& client_ref) {
    auto q = query(std::string("SELECT ") + kJobColumns +
                   " FROM jobs WHERE account_id = ? AND kind = ? AND client_ref = ?");
    q.bind_all(account_id, kind, client_ref);
    if (!q.step()) return std::nullopt;
    return read_job(q);
  }

  DraftVersion append_locked(const std::string& session_id, const Json& draft,
                             const std::string& note) {
    int64_t next = 1;
    {
      auto q = query("SELECT COALESCE(MAX(version), 0) FROM drafts WHERE session_id = ?");
      q.bind(session_id);
      q.step();
      next = q.integer(0) + 1;
    }
    DraftVersion v{session_id, next, draft, note, now_unix_ms()};
    query(
        "INSERT INTO drafts (session_id, version, draft, note, created_ms) VALUES (?, ?, ?, ?, ?)")
        .bind_all(session_id, next, draft.dump(), note, v.created_ms)
        .run();
    return v;
  }

  std::optional<DraftVersion> draft_read_locked(const std::string& session_id, int64_t version) {
    auto q = query(
        "SELECT session_id, version, draft, note, created_ms FROM drafts WHERE session_id = ? "
        "AND (? < 0 OR version = ?) ORDER BY version DESC LIMIT 1");
    q.bind_all(session_id, version, version);
    if (!q.step()) return std::nullopt;
    return DraftVersion{q.text(0), q.integer(1), q.json(2), q.text(3), q.integer(4)};
  }

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<Store> sqlite_store_open(const std::filesystem::path& file) {
  return std::make_unique<SqliteStore>(file);
}

}  // namespace kino::store
