#pragma once
// The Store on PostgreSQL, for API servers and `kino worker` processes on many machines
// sharing one database. Same contract as the SQLite store (store.h); how it keeps it
// when several processes write at once:
// - credits: each ledger change takes a transaction-scoped advisory lock on its account,
//   then checks the balance and inserts, so concurrent freezes never overdraw;
// - drafts: an advisory lock per session numbers versions without gaps or duplicates;
// - jobs: submit is idempotent by a unique key (INSERT ... ON CONFLICT DO NOTHING),
//   claim takes the oldest queued row with FOR UPDATE SKIP LOCKED, and every claimed job
//   records the store's owner key, whose session advisory lock PgNotices holds: a job
//   whose owner's lock is free belongs to a process that is gone (job_requeue_running);
// - notices: submit, re-queue, progress and finish NOTIFY on kPgJobChannel.
// Schema changes are numbered migrations applied under an advisory lock, recorded in
// schema_migrations. Statements are prepared with parameters; no SQL is built from data.
#include <memory>
#include <string>

#include "store/pg_notices.h"
#include "store/pg_pool.h"
#include "store/store.h"

namespace kino::store {

class PgStore final : public Store {
 public:
  PgStore(const std::string& url, int pool_size);
  ~PgStore() override;

  void account_create(const Account& account) override;
  std::optional<Account> account_get(const std::string& id) override;
  void token_create(const TokenRecord& token) override;
  std::optional<TokenRecord> token_get(const std::string& hash_hex) override;
  int64_t token_delete_expired(int64_t now_ms) override;

  void session_create(const Session& session) override;
  std::optional<Session> session_get(const std::string& id) override;

  DraftVersion draft_append(const std::string& session_id, const Json& draft,
                            const std::string& note) override;
  std::optional<DraftVersion> draft_latest(const std::string& session_id) override;
  std::optional<DraftVersion> draft_get(const std::string& session_id, int64_t version) override;
  std::optional<DraftVersion> draft_undo(const std::string& session_id) override;

  void media_create(const MediaRecord& media) override;
  std::optional<MediaRecord> media_get(const std::string& id) override;
  std::vector<MediaRecord> media_list(const std::string& session_id,
                                      std::optional<MediaOrigin> origin) override;

  Job job_submit(const Job& job, bool* created) override;
  std::optional<Job> job_get(const std::string& id) override;
  std::optional<Job> job_find(const std::string& account_id, const std::string& kind,
                              const std::string& client_ref) override;
  std::optional<Job> job_claim(const std::string& kind) override;
  void job_progress(const std::string& id, double progress) override;
  bool job_finish(const std::string& id, JobState state, const Json& result,
                  const std::string& error) override;
  std::vector<Job> job_list(const std::string& session_id, const std::string& kind) override;
  int64_t job_requeue_running() override;
  int64_t job_count(JobState state) override;
  bool job_listen(std::function<void(const JobNotice&)> listener) override;

  LedgerEntry ledger_append(const LedgerEntry& entry) override;
  CreditBalance ledger_balance(const std::string& account_id) override;
  std::vector<LedgerEntry> ledger_list(const std::string& account_id) override;

  void usage_record(const std::string& account_id, const std::string& source,
                    const std::string& version, const std::string& platform,
                    int64_t now_ms) override;
  std::vector<UsageRecord> usage_list(const std::string& account_id) override;

  // The key claimed jobs carry (jobs.owner) and the notices connection locks.
  int64_t owner_key() const { return owner_key_; }

 private:
  void migrate();

  PgPool pool_;
  const int64_t owner_key_;
  std::unique_ptr<PgNotices> notices_;
};

}  // namespace kino::store
