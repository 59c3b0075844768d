#pragma once
// A PostgreSQL store's own connection, apart from the pool, for two things that live as
// long as the store: it holds a session advisory lock on the store's owner key (the
// database itself then knows which claimed jobs belong to a live process: the lock goes
// when the process or its connection does), and it LISTENs on the job channel and hands
// notices to a listener from its own thread. A lost connection is re-opened (lock and
// LISTEN again) once a second until it succeeds, and the listener then hears a queued
// notice with an empty kind (anything may be waiting: notices sent meanwhile are lost).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/pg_connection.h"
#include "store/records.h"

namespace kino::store {

// The channel job changes are announced on; payload "q <kind> <job id>" (queued) or
// "u <kind> <job id>" (progress or state).
inline constexpr const char* kPgJobChannel = "kino_jobs";

class PgNotices {
 public:
  // Connects and takes the lock before returning (so no job is claimed unowned); throws
  // Error(internal) when it cannot.
  PgNotices(std::string url, int64_t owner_key);
  // Releases the lock at once (not when the server notices the closed socket) and stops.
  ~PgNotices();
  PgNotices(const PgNotices&) = delete;
  PgNotices& operator=(const PgNotices&) = delete;

  void set_listener(std::function<void(const JobNotice&)> listener);

 private:
  void open();
  void run();
  void drain();
  void notify(const JobNotice& notice);
  bool wait_for_stop(int timeout_ms);

  const std::string url_;
  const int64_t owner_key_;
  std::unique_ptr<PgConnection> conn_;  // touched by the constructor, then only by run()
  int wake_[2] = {-1, -1};              // a pipe; the destructor writes to stop run()
  std::mutex listener_mutex_;           // held while the listener runs
  std::function<void(const JobNotice&)> listener_;
  std::thread thread_;
};

// Reads a notice payload; nullopt for anything else.
std::optional<JobNotice> pg_notice_parse(const std::string& payload);

}  // namespace kino::store
