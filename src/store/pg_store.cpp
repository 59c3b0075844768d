#include "store/pg_store.h"

#include <random>
#include <type_traits>

#include "core/clock.h"
#include "store/draft_undo.h"

namespace kino::store {
namespace {

// Schema history: entry i is migration version i + 1. Never edit a released entry; append.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY, client_id TEXT NOT NULL, kind TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
  created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL);
CREATE INDEX tokens_expiry ON tokens(expires_ms);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), task_id TEXT NOT NULL,
  task_name TEXT NOT NULL, language TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE drafts (
  session_id TEXT NOT NULL REFERENCES sessions(id), version BIGINT NOT NULL,
  draft TEXT NOT NULL, note TEXT NOT NULL, created_ms BIGINT NOT NULL,
  PRIMARY KEY (session_id, version));
CREATE TABLE media (
  seq BIGINT GENERATED ALWAYS AS IDENTITY, id TEXT PRIMARY KEY, account_id TEXT NOT NULL,
  session_id TEXT NOT NULL, origin TEXT NOT NULL, kind TEXT NOT NULL, format TEXT NOT NULL,
  name TEXT NOT NULL, size_bytes BIGINT NOT NULL, duration_ms BIGINT NOT NULL,
  width INTEGER NOT NULL, height INTEGER NOT NULL, info TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE INDEX media_session ON media(session_id, created_ms, seq);
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY, id TEXT PRIMARY KEY, client_ref TEXT NOT NULL,
  account_id TEXT NOT NULL, session_id TEXT NOT NULL, kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  progress DOUBLE PRECISION NOT NULL, params TEXT NOT NULL, result TEXT NOT NULL,
  error TEXT NOT NULL, callback_url TEXT NOT NULL, attempts INTEGER NOT NULL,
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
  credits BIGINT NOT NULL DEFAULT 0 CHECK (credits >= 0),
  owner BIGINT NOT NULL DEFAULT 0,
  UNIQUE (account_id, kind, client_ref));
CREATE INDEX jobs_queue ON jobs(kind, created_ms, seq) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs(owner) WHERE state = 'running';
CREATE INDEX jobs_session ON jobs(session_id, kind, created_ms, seq);
CREATE INDEX jobs_state ON jobs(state);
CREATE TABLE ledger (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id TEXT NOT NULL,
  kind TEXT NOT NULL, amount BIGINT NOT NULL CHECK (amount > 0), job_id TEXT NOT NULL,
  note TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE INDEX ledger_account ON ledger(account_id, id);
CREATE INDEX ledger_job ON ledger(job_id);
CREATE TABLE usage (
  account_id TEXT NOT NULL, source TEXT NOT NULL, version TEXT NOT NULL, platform TEXT NOT NULL,
  count BIGINT NOT NULL, last_ms BIGINT NOT NULL,
  PRIMARY KEY (account_id, source, version, platform));
)sql",
};

// Advisory lock classes (the two-int4 key space; owner keys use the bigint one, which
// never overlaps it).
constexpr int kLockMigrations = 1;
constexpr int kLockAccountLedger = 2;
constexpr int kLockSessionDrafts = 3;

constexpr const char* kJobColumns =
    "id, client_ref, account_id, session_id, kind, state, progress, params, result, error, "
    "callback_url, attempts, created_ms, updated_ms, credits";

Job read_job(const PgResult& r, int row) {
  Job j;
  j.id = r.text(row, 0);
  j.client_ref = r.text(row, 1);
  j.account_id = r.text(row, 2);
  j.session_id = r.text(row, 3);
  j.kind = r.text(row, 4);
  j.state = job_state_parse(r.text(row, 5)).value_or(JobState::failed);
  j.progress = r.real(row, 6);
  j.params = r.json(row, 7);
  j.result = r.json(row, 8);
  j.error = r.text(row, 9);
  j.callback_url = r.text(row, 10);
  j.attempts = int(r.integer(row, 11));
  j.created_ms = r.integer(row, 12);
  j.updated_ms = r.integer(row, 13);
  j.credits = r.integer(row, 14);
  return j;
}

std::vector<Job> read_jobs(const PgResult& r) {
  std::vector<Job> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_job(r, i));
  return out;
}

constexpr const char* kMediaColumns =
    "id, account_id, session_id, origin, kind, format, name, size_bytes, duration_ms, width, "
    "height, info, created_ms";

MediaRecord read_media(const PgResult& r, int row) {
  MediaRecord m;
  m.id = r.text(row, 0);
  m.account_id = r.text(row, 1);
  m.session_id = r.text(row, 2);
  m.origin = media_origin_parse(r.text(row, 3)).value_or(MediaOrigin::upload);
  m.kind = r.text(row, 4);
  m.format = r.text(row, 5);
  m.name = r.text(row, 6);
  m.size_bytes = r.integer(row, 7);
  m.duration_ms = r.integer(row, 8);
  m.width = int(r.integer(row, 9));
  m.height = int(r.integer(row, 10));
  m.info = r.json(row, 11);
  m.created_ms = r.integer(row, 12);
  return m;
}

std::string notice(bool queued, const std::string& kind, const std::string& id) {
  return std::string(queued ? "q " : "u ") + kind + " " + id;
}

int64_t random_owner_key() {
  std::random_device rd;
  std::uniform_int_distribution<int64_t> d(1, INT64_MAX);
  return d(rd);
}

// Ends a failed transaction; a connection that cannot is dropped by the pool.
void rollback(PgConnection& c) {
  if (!c.ok()) return;
  try {
    c.script("ROLLBACK");
  } catch (const std::exception&) {
  }
}

// Runs f(connection) inside BEGIN ... COMMIT on a pooled connection; rolls back on any
// exception and runs again (up to 5 times) after a serialization failure or deadlock.
template <typename F>
auto transact(PgPool& pool, F&& f) {
  using R = std::invoke_result_t<F&, PgConnection&>;
  for (int attempt = 1;; ++attempt) {
    auto c = pool.acquire();
    c->script("BEGIN");
    try {
      if constexpr (std::is_void_v<R>) {
        f(*c);
        c->script("COMMIT");
        return;
      } else {
        R r = f(*c);
        c->script("COMMIT");
        return r;
      }
    } catch (const PgError& e) {
      rollback(*c);
      if (!e.retryable() || attempt >= 5) throw;
    } catch (...) {
      rollback(*c);
      throw;
    }
  }
}

// One statement outside an explicit transaction.
template <typename... T>
PgResult run(PgPool& pool, const std::string& sql, const T&... args) {
  auto c = pool.acquire();
  return c->query(sql, args...);
}

void lock_account(PgConnection& c, const std::string& account_id) {
  c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", kLockAccountLedger, account_id);
}

CreditBalance balance_of(PgConnection& c, const std::string& account_id) {
  auto r = c.query(
      "SELECT COALESCE(SUM(CASE kind WHEN 'grant' THEN amount WHEN 'freeze' THEN -amount "
      "WHEN 'release' THEN amount ELSE 0 END), 0), "
      "COALESCE(SUM(CASE kind WHEN 'freeze' THEN amount WHEN 'settle' THEN -amount "
      "WHEN 'release' THEN -amount ELSE 0 END), 0) FROM ledger WHERE account_id = $1",
      account_id);
  CreditBalance b;
  b.available = r.integer(0, 0);
  b.frozen = r.integer(0, 1);
  b.total = b.available + b.frozen;
  return b;
}

// Credits a job holds frozen: its freezes minus its settles and releases.
int64_t held_by(PgConnection& c, const std::string& job_id, const std::string& account_id) {
  auto r = c.query(
      "SELECT COALESCE(SUM(CASE kind WHEN 'freeze' THEN amount ELSE -amount END), 0) "
      "FROM ledger WHERE job_id = $1 AND account_id = $2 AND kind != 'grant'",
      job_id, account_id);
  return r.integer(0, 0);
}

// Inside a transaction holding the account's lock: checks the entry against the balance
// or the job's frozen credits, then inserts it.
LedgerEntry ledger_insert(PgConnection& c, const LedgerEntry& entry) {
  if (entry.amount <= 0)
    fail_bad_request("ledger amount must be > 0, got " + std::to_string(entry.amount));
  if (entry.kind == LedgerKind::freeze) {
    CreditBalance b = balance_of(c, entry.account_id);
    if (b.available < entry.amount)
      fail(ErrorCode::no_credits, "not enough credits: " + std::to_string(entry.amount) +
                                      " needed, " + std::to_string(b.available) +
                                      " available; an admin can add more with `kino admin "
                                      "credits grant`");
  } else if (entry.kind == LedgerKind::settle || entry.kind == LedgerKind::release) {
    const int64_t held = held_by(c, entry.job_id, entry.account_id);
    if (entry.job_id.empty() || held < entry.amount)
      fail_bad_request("ledger " + std::string(ledger_kind_name(entry.kind)) + " of " +
                       std::to_string(entry.amount) + " for job \"" + entry.job_id +
                       "\" exceeds the " + std::to_string(held) + " it holds frozen");
  }
  LedgerEntry e = entry;
  e.created_ms = now_unix_ms();
  auto r = c.query(
      "INSERT INTO ledger (account_id, kind, amount, job_id, note, created_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      e.account_id, ledger_kind_name(e.kind), e.amount, e.job_id, e.note, e.created_ms);
  e.id = r.integer(0, 0);
  return e;
}

std::optional<DraftVersion> draft_read(PgConnection& c, const std::string& session_id,
                                       int64_t version) {
  auto r = c.query(
      "SELECT session_id, version, draft, note, created_ms FROM drafts WHERE session_id = $1 "
      "AND ($2::bigint < 0 OR version = $2::bigint) ORDER BY version DESC LIMIT 1",
      session_id, version);
  if (r.rows() == 0) return std::nullopt;
  return DraftVersion{r.text(0, 0), r.integer(0, 1), r.json(0, 2), r.text(0, 3), r.integer(0, 4)};
}

// Inside a transaction holding the session's lock.
DraftVersion draft_insert(PgConnection& c, const std::string& session_id, const Json& draft,
                          const std::string& note) {
  auto r =
      c.query("SELECT COALESCE(MAX(version), 0) FROM drafts WHERE session_id = $1", session_id);
  DraftVersion v{session_id, r.integer(0, 0) + 1, draft, note, now_unix_ms()};
  c.query(
      "INSERT INTO drafts (session_id, version, draft, note, created_ms) "
      "VALUES ($1, $2, $3, $4, $5)",
      session_id, v.version, draft.dump(), note, v.created_ms);
  return v;
}

void lock_session(PgConnection& c, const std::string& session_id) {
  c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", kLockSessionDrafts, session_id);
}

}  // namespace

PgStore::PgStore(const std::string& url, int pool_size)
    : pool_(url, pool_size), owner_key_(random_owner_key()) {
  migrate();
  notices_ = std::make_unique<PgNotices>(url, owner_key_);
}

PgStore::~PgStore() = default;

void PgStore::migrate() {
  transact(pool_, [](PgConnection& c) {
    // Several processes may start at once: one migrates, the others wait and find it done.
    c.query("SELECT pg_advisory_xact_lock($1, 0)", kLockMigrations);
    c.script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_ms BIGINT NOT NULL)");
    const int64_t current =
        c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").integer(0, 0);
    const int64_t newest = int64_t(std::size(kMigrations));
    if (current > newest)
      fail(ErrorCode::internal, "database schema version " + std::to_string(current) +
                                    " is newer than this kino (" + std::to_string(newest) + ")");
    for (int64_t v = current + 1; v <= newest; ++v) {
      c.script(kMigrations[v - 1]);
      c.query("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)", v,
              now_unix_ms());
    }
  });
}

// ---- accounts, tokens, sessions ----

void PgStore::account_create(const Account& a) {
  run(pool_, "INSERT INTO accounts (id, client_id, kind, created_ms) VALUES ($1, $2, $3, $4)", a.id,
      a.client_id, a.kind, a.created_ms);
}

std::optional<Account> PgStore::account_get(const std::string& id) {
  auto r = run(pool_, "SELECT id, client_id, kind, created_ms FROM accounts WHERE id = $1", id);
  if (r.rows() == 0) return std::nullopt;
  return Account{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.integer(0, 3)};
}

void PgStore::token_create(const TokenRecord& t) {
  run(pool_,
      "INSERT INTO tokens (hash, account_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
      t.hash_hex, t.account_id, t.created_ms, t.expires_ms);
}

std::optional<TokenRecord> PgStore::token_get(const std::string& hash_hex) {
  auto r = run(pool_, "SELECT hash, account_id, created_ms, expires_ms FROM tokens WHERE hash = $1",
               hash_hex);
  if (r.rows() == 0) return std::nullopt;
  return TokenRecord{r.text(0, 0), r.text(0, 1), r.integer(0, 2), r.integer(0, 3)};
}

int64_t PgStore::token_delete_expired(int64_t now_ms) {
  return run(pool_, "DELETE FROM tokens WHERE expires_ms <= $1", now_ms).affected();
}

void PgStore::session_create(const Session& s) {
  run(pool_,
      "INSERT INTO sessions (id, account_id, task_id, task_name, language, created_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      s.id, s.account_id, s.task_id, s.task_name, s.language, s.created_ms);
}

std::optional<Session> PgStore::session_get(const std::string& id) {
  auto r = run(pool_,
               "SELECT id, account_id, task_id, task_name, language, created_ms FROM sessions "
               "WHERE id = $1",
               id);
  if (r.rows() == 0) return std::nullopt;
  return Session{r.text(0, 0), r.text(0, 1), r.text(0, 2),
                 r.text(0, 3), r.text(0, 4), r.integer(0, 5)};
}

// ---- drafts ----

DraftVersion PgStore::draft_append(const std::string& session_id, const Json& draft,
                                   const std::string& note) {
  return transact(pool_, [&](PgConnection& c) {
    lock_session(c, session_id);
    return draft_insert(c, session_id, draft, note);
  });
}

std::optional<DraftVersion> PgStore::draft_latest(const std::string& session_id) {
  auto c = pool_.acquire();
  return draft_read(*c, session_id, -1);
}

std::optional<DraftVersion> PgStore::draft_get(const std::string& session_id, int64_t version) {
  auto c = pool_.acquire();
  return draft_read(*c, session_id, version);
}

std::optional<DraftVersion> PgStore::draft_undo(const std::string& session_id) {
  return transact(pool_, [&](PgConnection& c) -> std::optional<DraftVersion> {
    lock_session(c, session_id);
    auto latest = draft_read(c, session_id, -1);
    if (!latest || latest->version <= 1) return std::nullopt;
    const int64_t target =
        draft_undo_target(latest->version, [&](int64_t v) -> std::optional<std::string> {
          auto r = c.query("SELECT note FROM drafts WHERE session_id = $1 AND version = $2",
                           session_id, v);
          if (r.rows() == 0) return std::nullopt;
          return r.text(0, 0);
        });
    auto prev = draft_read(c, session_id, target);
    if (target < 1 || !prev) return std::nullopt;
    return draft_insert(c, session_id, prev->draft, draft_undo_note(prev->version));
  });
}

// ---- media ----

void PgStore::media_create(const MediaRecord& m) {
  run(pool_,
      std::string("INSERT INTO media (") + kMediaColumns +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
      m.id, m.account_id, m.session_id, media_origin_name(m.origin), m.kind, m.format, m.name,
      m.size_bytes, m.duration_ms, m.width, m.height, m.info.dump(), m.created_ms);
}

std::optional<MediaRecord> PgStore::media_get(const std::string& id) {
  auto r = run(pool_, std::string("SELECT ") + kMediaColumns + " FROM media WHERE id = $1", id);
  if (r.rows() == 0) return std::nullopt;
  return read_media(r, 0);
}

std::vector<MediaRecord> PgStore::media_list(const std::string& session_id,
                                             std::optional<MediaOrigin> origin) {
  const std::string o = origin ? std::string(media_origin_name(*origin)) : std::string();
  auto r = run(pool_,
               std::string("SELECT ") + kMediaColumns +
                   " FROM media WHERE session_id = $1 AND ($2::text = '' OR origin = $2::text) "
                   "ORDER BY created_ms, seq",
               session_id, o);
  std::vector<MediaRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_media(r, i));
  return out;
}

// ---- jobs ----

Job PgStore::job_submit(const Job& job, bool* created) {
  if (job.credits < 0)
    fail_bad_request("job credits must be >= 0, got " + std::to_string(job.credits));
  Job j = job;
  j.state = JobState::queued;
  j.progress = 0;
  j.attempts = 0;
  j.created_ms = j.updated_ms = now_unix_ms();
  std::optional<Job> existing;
  transact(pool_, [&](PgConnection& c) {
    existing.reset();
    if (j.credits > 0) lock_account(c, j.account_id);
    auto ins = c.query(std::string("INSERT INTO jobs (") + kJobColumns +
                           ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                           "$14, $15) ON CONFLICT (account_id, kind, client_ref) DO NOTHING",
                       j.id, j.client_ref, j.account_id, j.session_id, j.kind,
                       job_state_name(j.state), j.progress, j.params.dump(), j.result.dump(),
                       j.error, j.callback_url, j.attempts, j.created_ms, j.updated_ms, j.credits);
    if (ins.affected() == 0) {
      // READ COMMITTED: a new snapshot sees the row the conflicting insert committed.
      auto r = c.query(std::string("SELECT ") + kJobColumns +
                           " FROM jobs WHERE account_id = $1 AND kind = $2 AND client_ref = $3",
                       j.account_id, j.kind, j.client_ref);
      if (r.rows() == 0)
        fail(ErrorCode::internal, "job " + j.client_ref + " conflicted but cannot be read");
      existing = read_job(r, 0);
      return;
    }
    if (j.credits > 0)
      ledger_insert(c, {0, j.account_id, LedgerKind::freeze, j.credits, j.id,
                        j.kind + " " + j.client_ref, 0});
    c.query("SELECT pg_notify($1, $2)", kPgJobChannel, notice(true, j.kind, j.id));
  });
  if (created) *created = !existing;
  return existing ? *existing : j;
}

std::optional<Job> PgStore::job_get(const std::string& id) {
  auto r = run(pool_, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = $1", id);
  if (r.rows() == 0) return std::nullopt;
  return read_job(r, 0);
}

std::optional<Job> PgStore::job_find(const std::string& account_id, const std::string& kind,
                                     const std::string& client_ref) {
  auto r = run(pool_,
               std::string("SELECT ") + kJobColumns +
                   " FROM jobs WHERE account_id = $1 AND kind = $2 AND client_ref = $3",
               account_id, kind, client_ref);
  if (r.rows() == 0) return std::nullopt;
  return read_job(r, 0);
}

std::optional<Job> PgStore::job_claim(const std::string& kind) {
  auto r = run(pool_,
               std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                           "updated_ms = $1, owner = $2 WHERE id = (SELECT id FROM jobs "
                           "WHERE kind = $3 AND state = 'queued' ORDER BY created_ms, seq "
                           "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ") +
                   kJobColumns,
               now_unix_ms(), owner_key_, kind);
  if (r.rows() == 0) return std::nullopt;
  return read_job(r, 0);
}

void PgStore::job_progress(const std::string& id, double progress) {
  run(pool_,
      "WITH u AS (UPDATE jobs SET progress = $1, updated_ms = $2 WHERE id = $3 AND "
      "state = 'running' RETURNING kind, id) "
      "SELECT pg_notify($4, 'u ' || kind || ' ' || id) FROM u",
      progress, now_unix_ms(), id, kPgJobChannel);
}

bool PgStore::job_finish(const std::string& id, JobState state, const Json& result,
                         const std::string& error) {
  if (!job_state_final(state))
    fail_bad_request("job_finish needs a final state, got " + std::string(job_state_name(state)));
  return transact(pool_, [&](PgConnection& c) {
    auto r = c.query("SELECT state, account_id, kind FROM jobs WHERE id = $1 FOR UPDATE", id);
    if (r.rows() == 0) fail(ErrorCode::not_found, "job " + id + " does not exist");
    if (job_state_final(job_state_parse(r.text(0, 0)).value_or(JobState::failed))) return false;
    const std::string account = r.text(0, 1);
    const std::string kind = r.text(0, 2);
    const std::string name(job_state_name(state));
    c.query(
        "UPDATE jobs SET state = $1, result = $2, error = $3, updated_ms = $4, "
        "progress = CASE WHEN $1::text = 'completed' THEN 1.0 ELSE progress END WHERE id = $5",
        name, result.dump(), error, now_unix_ms(), id);
    lock_account(c, account);
    if (int64_t held = held_by(c, id, account); held > 0) {
      const LedgerKind lk = state == JobState::completed ? LedgerKind::settle : LedgerKind::release;
      ledger_insert(c, {0, account, lk, held, id, "job " + name, 0});
    }
    c.query("SELECT pg_notify($1, $2)", kPgJobChannel, notice(false, kind, id));
    return true;
  });
}

std::vector<Job> PgStore::job_list(const std::string& session_id, const std::string& kind) {
  return read_jobs(run(pool_,
                       std::string("SELECT ") + kJobColumns +
                           " FROM jobs WHERE session_id = $1 AND kind = $2 "
                           "ORDER BY created_ms, seq",
                       session_id, kind));
}

int64_t PgStore::job_requeue_running() {
  // A claimed job's owner key is locked by its store's notices connection while that
  // store lives; being able to take the lock means the owner is gone.
  auto r = run(pool_,
               "WITH u AS (UPDATE jobs SET state = 'queued', progress = 0, updated_ms = $1, "
               "owner = 0 WHERE state = 'running' AND owner <> $2 AND "
               "pg_try_advisory_xact_lock(owner) RETURNING kind, id) "
               "SELECT count(*) FROM (SELECT pg_notify($3, 'q ' || kind || ' ' || id) FROM u) n",
               now_unix_ms(), owner_key_, kPgJobChannel);
  return r.integer(0, 0);
}

int64_t PgStore::job_count(JobState state) {
  return run(pool_, "SELECT count(*) FROM jobs WHERE state = $1", job_state_name(state))
      .integer(0, 0);
}

bool PgStore::job_listen(std::function<void(const JobNotice&)> listener) {
  notices_->set_listener(std::move(listener));
  return true;
}

// ---- credits ----

LedgerEntry PgStore::ledger_append(const LedgerEntry& entry) {
  if (entry.amount <= 0)
    fail_bad_request("ledger amount must be > 0, got " + std::to_string(entry.amount));
  return transact(pool_, [&](PgConnection& c) {
    lock_account(c, entry.account_id);
    return ledger_insert(c, entry);
  });
}

CreditBalance PgStore::ledger_balance(const std::string& account_id) {
  auto c = pool_.acquire();
  return balance_of(*c, account_id);
}

std::vector<LedgerEntry> PgStore::ledger_list(const std::string& account_id) {
  auto r = run(pool_,
               "SELECT id, account_id, kind, amount, job_id, note, created_ms FROM ledger "
               "WHERE account_id = $1 ORDER BY id",
               account_id);
  std::vector<LedgerEntry> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(LedgerEntry{r.integer(i, 0), r.text(i, 1),
                              ledger_kind_parse(r.text(i, 2)).value_or(LedgerKind::grant),
                              r.integer(i, 3), r.text(i, 4), r.text(i, 5), r.integer(i, 6)});
  return out;
}

// ---- usage ----

void PgStore::usage_record(const std::string& account_id, const std::string& source,
                           const std::string& version, const std::string& platform,
                           int64_t now_ms) {
  run(pool_,
      "INSERT INTO usage (account_id, source, version, platform, count, last_ms) "
      "VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (account_id, source, version, platform) "
      "DO UPDATE SET count = usage.count + 1, last_ms = excluded.last_ms",
      account_id, source, version, platform, now_ms);
}

std::vector<UsageRecord> PgStore::usage_list(const std::string& account_id) {
  auto r = run(pool_,
               "SELECT account_id, source, version, platform, count, last_ms FROM usage "
               "WHERE account_id = $1 ORDER BY source, version, platform",
               account_id);
  std::vector<UsageRecord> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(
        {r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4), r.integer(i, 5)});
  return out;
}

std::unique_ptr<Store> pg_store_open(const std::string& url, int pool_size) {
  return std::make_unique<PgStore>(url, pool_size);
}

}  // namespace kino::store
