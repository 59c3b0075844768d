#pragma once
// The rows the store keeps, as plain structs. Times are ms since the Unix epoch.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"

namespace kino::store {

struct Account {
  std::string id;
  std::string client_id;  // X-Client-Id of an anonymous account
  std::string kind;       // "anonymous"
  int64_t created_ms = 0;
};

// Only the SHA-256 of a token is stored; the token itself is shown once.
struct TokenRecord {
  std::string hash_hex;
  std::string account_id;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
};

struct Session {
  std::string id;
  std::string account_id;
  std::string task_id;
  std::string task_name;
  std::string language;  // "en", "zh", ...
  int64_t created_ms = 0;
};

// One saved state of a session's draft. Every edit appends a version; undo reads the
// one before.
struct DraftVersion {
  std::string session_id;
  int64_t version = 0;  // 1, 2, 3 ... per session
  Json draft;
  std::string note;  // what made this version ("created", "export", an edit summary)
  int64_t created_ms = 0;
};

enum class MediaOrigin { upload, generated, render };
std::string_view media_origin_name(MediaOrigin o);
std::optional<MediaOrigin> media_origin_parse(std::string_view s);

// A file the account owns. The file lives in the blob directory under `id`; `name` is
// the client's original file name, kept for display only.
struct MediaRecord {
  std::string id;
  std::string account_id;
  std::string session_id;
  MediaOrigin origin = MediaOrigin::upload;
  std::string kind;    // "video" "image" "audio"
  std::string format;  // "mp4" "png" ...
  std::string name;
  int64_t size_bytes = 0;
  int64_t duration_ms = 0;
  int width = 0;
  int height = 0;
  Json info = Json::object();  // the full probe result
  int64_t created_ms = 0;
};

// Job states form a small closed set; the wire spells them as here.
enum class JobState { queued, running, completed, failed, cancelled };
std::string_view job_state_name(JobState s);
std::optional<JobState> job_state_parse(std::string_view s);
inline bool job_state_final(JobState s) {
  return s == JobState::completed || s == JobState::failed || s == JobState::cancelled;
}

struct Job {
  std::string id;          // server id ("job_...")
  std::string client_ref;  // client-chosen id ("render_<ts>"), unique per account and kind
  std::string account_id;
  std::string session_id;
  std::string kind;  // "render", "generate"
  JobState state = JobState::queued;
  double progress = 0;  // 0..1
  Json params = Json::object();
  Json result = Json::object();
  std::string error;  // words, for failed jobs
  std::string callback_url;
  // Credits the job holds frozen: job_submit freezes them with the insert, job_finish
  // settles them (completed) or releases them (failed, cancelled). 0 for free jobs.
  int64_t credits = 0;
  int attempts = 0;  // times a worker picked it up
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// A change to the job queue, as stores shared by several processes announce it.
struct JobNotice {
  bool queued = false;  // true: a job of `kind` waits to be claimed; false: progress or state
  std::string kind;     // empty with queued: jobs of any kind may wait (notices were lost)
  std::string job_id;
};

// Credits move only through ledger entries (amounts are positive):
//   grant   +available          freeze  available -> frozen
//   settle  -frozen (spent)     release frozen -> available
// Balances are sums over the entries, never a stored counter.
enum class LedgerKind { grant, freeze, settle, release };
std::string_view ledger_kind_name(LedgerKind k);
std::optional<LedgerKind> ledger_kind_parse(std::string_view s);

struct LedgerEntry {
  int64_t id = 0;
  std::string account_id;
  LedgerKind kind = LedgerKind::grant;
  int64_t amount = 0;
  std::string job_id;  // for freeze / settle / release
  std::string note;
  int64_t created_ms = 0;
};

struct CreditBalance {
  int64_t available = 0;
  int64_t frozen = 0;
  int64_t total = 0;  // available + frozen
};

// Requests counted per account and client attribution (X-Skill-* headers).
struct UsageRecord {
  std::string account_id;
  std::string source;
  std::string version;
  std::string platform;
  int64_t count = 0;
  int64_t last_ms = 0;
};

}  // namespace kino::store
