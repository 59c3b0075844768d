#pragma once
// Public header of the store module: persistence behind one interface (SQLite is the
// embedded implementation, PostgreSQL the one many machines share) plus the blob
// directory that holds files by id.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/blob_dir.h"
#include "store/records.h"

namespace kino::store {

// All methods are thread-safe. Lookups return nullopt for unknown ids; writes that
// break a rule throw kino::Error (no_credits for a freeze beyond the balance, not_found
// for unknown rows, bad_request for duplicates).
class Store {
 public:
  virtual ~Store() = default;

  // Accounts and tokens
  virtual void account_create(const Account& account) = 0;
  virtual std::optional<Account> account_get(const std::string& id) = 0;
  virtual void token_create(const TokenRecord& token) = 0;
  // The token row for a hash, expired or not (the caller checks expiry).
  virtual std::optional<TokenRecord> token_get(const std::string& hash_hex) = 0;
  virtual int64_t token_delete_expired(int64_t now_ms) = 0;

  // Sessions
  virtual void session_create(const Session& session) = 0;
  virtual std::optional<Session> session_get(const std::string& id) = 0;

  // Drafts: append-only versions per session.
  // Appends a version (number = latest + 1) and returns it.
  virtual DraftVersion draft_append(const std::string& session_id, const Json& draft,
                                    const std::string& note) = 0;
  virtual std::optional<DraftVersion> draft_latest(const std::string& session_id) = 0;
  virtual std::optional<DraftVersion> draft_get(const std::string& session_id, int64_t version) = 0;
  // Undo: appends a copy of the version before the latest; nullopt when there is none.
  virtual std::optional<DraftVersion> draft_undo(const std::string& session_id) = 0;

  // Media
  virtual void media_create(const MediaRecord& media) = 0;
  virtual std::optional<MediaRecord> media_get(const std::string& id) = 0;
  virtual std::vector<MediaRecord> media_list(const std::string& session_id,
                                              std::optional<MediaOrigin> origin) = 0;

  // Jobs
  // Inserts a queued job and, when job.credits > 0, a freeze of that many credits in the
  // same transaction: too few available throws Error(no_credits) and stores nothing. If
  // (account, kind, client_ref) already exists, returns the existing job instead
  // (idempotent submit, nothing frozen again); `created` tells which.
  virtual Job job_submit(const Job& job, bool* created) = 0;
  virtual std::optional<Job> job_get(const std::string& id) = 0;
  virtual std::optional<Job> job_find(const std::string& account_id, const std::string& kind,
                                      const std::string& client_ref) = 0;
  // Atomically moves the oldest queued job of `kind` to running and returns it.
  virtual std::optional<Job> job_claim(const std::string& kind) = 0;
  virtual void job_progress(const std::string& id, double progress) = 0;
  // Moves a job that is not final yet to a final state with its result or error, and in
  // the same transaction settles (completed) or releases (failed, cancelled) all credits
  // the job still holds frozen. Returns false and changes nothing when the job is already
  // final (a cancel racing a finish: the first one wins). Unknown id: Error(not_found).
  virtual bool job_finish(const std::string& id, JobState state, const Json& result,
                          const std::string& error) = 0;
  // A session's jobs of one kind, oldest first.
  virtual std::vector<Job> job_list(const std::string& session_id, const std::string& kind) = 0;
  // Puts running jobs whose worker has gone back in the queue; returns how many.
  // SQLite: every running job (called at start, when no other process runs them).
  // PostgreSQL: the jobs claimed by stores (processes) no longer connected to the
  // database; jobs this store or another live one claimed stay running.
  virtual int64_t job_requeue_running() = 0;
  virtual int64_t job_count(JobState state) = 0;

  // Change notices from every process sharing the store. The listener is called on a
  // store thread when a job is queued (submitted or re-queued) or its progress or state
  // changes; it must be quick and must not call job_listen. Returns false when this store
  // sends no notices (SQLite: its callers poll). nullptr removes the listener; after
  // job_listen returns, the previous listener is no longer running or called.
  virtual bool job_listen(std::function<void(const JobNotice&)> listener) { return false; }

  // Credits ledger
  // Appends an entry. A freeze beyond the available balance throws Error(no_credits);
  // settle / release beyond what the job froze throw Error(bad_request). Atomic.
  virtual LedgerEntry ledger_append(const LedgerEntry& entry) = 0;
  virtual CreditBalance ledger_balance(const std::string& account_id) = 0;
  virtual std::vector<LedgerEntry> ledger_list(const std::string& account_id) = 0;

  // Usage by client attribution
  virtual void usage_record(const std::string& account_id, const std::string& source,
                            const std::string& version, const std::string& platform,
                            int64_t now_ms) = 0;
  virtual std::vector<UsageRecord> usage_list(const std::string& account_id) = 0;
};

// Opens (creating when absent) a SQLite database and migrates its schema to the
// newest version. Throws Error(internal) naming the file when it cannot.
std::unique_ptr<Store> sqlite_store_open(const std::filesystem::path& file);

// Connects to a PostgreSQL database ("postgresql://user:pass@host:5432/kino", or any
// libpq connection string) with a pool of up to `pool_size` connections and migrates its
// schema. Throws Error(internal) naming the server (password masked) when it cannot.
std::unique_ptr<Store> pg_store_open(const std::string& url, int pool_size = 8);

// True for the URLs pg_store_open takes: "postgresql://..." or "postgres://...".
bool store_url_is_postgres(const std::string& database_url);
// The URL with any password replaced by "***", for messages and logs.
std::string store_url_redacted(const std::string& database_url);

// The store a server is configured with: a PostgreSQL URL opens PostgreSQL; empty opens
// SQLite at `default_sqlite_file`; "sqlite:PATH" or a plain path opens SQLite at PATH.
// Another "scheme://" throws Error(bad_request) naming the URL.
std::unique_ptr<Store> store_open(const std::string& database_url,
                                  const std::filesystem::path& default_sqlite_file);

}  // namespace kino::store
