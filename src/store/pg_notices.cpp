#include "store/pg_notices.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "core/log.h"

namespace kino::store {

std::optional<JobNotice> pg_notice_parse(const std::string& payload) {
  const size_t a = payload.find(' ');
  const size_t b = a == std::string::npos ? a : payload.find(' ', a + 1);
  if (b == std::string::npos || (payload.substr(0, a) != "q" && payload.substr(0, a) != "u"))
    return std::nullopt;
  JobNotice n;
  n.queued = payload[0] == 'q';
  n.kind = payload.substr(a + 1, b - a - 1);
  n.job_id = payload.substr(b + 1);
  if (n.kind.empty() || n.job_id.empty()) return std::nullopt;
  return n;
}

PgNotices::PgNotices(std::string url, int64_t owner_key)
    : url_(std::move(url)), owner_key_(owner_key) {
  open();
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    fail(ErrorCode::internal, "postgres notices: cannot create a pipe");
  thread_ = std::thread([this] { run(); });
}

PgNotices::~PgNotices() {
  if (thread_.joinable()) {
    const char b = 1;
    [[maybe_unused]] auto n = ::write(wake_[1], &b, 1);
    thread_.join();
  }
  if (conn_ && conn_->ok()) {
    try {
      conn_->script("SELECT pg_advisory_unlock_all()");
    } catch (const std::exception&) {
    }
  }
  conn_.reset();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void PgNotices::set_listener(std::function<void(const JobNotice&)> listener) {
  std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

void PgNotices::open() {
  auto c = std::make_unique<PgConnection>(url_);
  // A worker machine that dies without closing its socket is noticed by the server
  // after about a minute (30 s idle, 3 probes 10 s apart); its lock, and so its jobs,
  // are then free. Ignored on Unix sockets.
  c->script(
      "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; "
      "SET tcp_keepalives_count = 3");
  c->query("SELECT pg_advisory_lock($1::bigint)", owner_key_);
  c->script(std::string("LISTEN ") + kPgJobChannel);
  conn_ = std::move(c);
}

bool PgNotices::wait_for_stop(int timeout_ms) {
  pollfd p{wake_[0], POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

void PgNotices::notify(const JobNotice& notice) {
  std::lock_guard lock(listener_mutex_);
  if (!listener_) return;
  try {
    listener_(notice);
  } catch (const std::exception& e) {
    log_error(std::string("job notice listener: ") + e.what());
  }
}

void PgNotices::drain() {
  while (PGnotify* n = PQnotifies(conn_->raw())) {
    auto notice = pg_notice_parse(n->extra ? n->extra : "");
    PQfreemem(n);
    if (notice) notify(*notice);
  }
}

void PgNotices::run() {
  while (true) {
    if (!conn_) {
      if (wait_for_stop(1000)) return;
      try {
        open();
        log_warn(
            "postgres notices: connection re-opened; jobs this process claimed meanwhile "
            "may have been re-queued by another one");
        // Notices sent while disconnected are lost: tell the listener anything may wait.
        notify(JobNotice{true, "", ""});
      } catch (const std::exception& e) {
        log_debug(std::string("postgres notices: ") + e.what());
      }
      continue;
    }
    drain();
    pollfd fds[2] = {{PQsocket(conn_->raw()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log_error("postgres notices: poll failed");
      return;
    }
    if (fds[1].revents) return;
    if (!PQconsumeInput(conn_->raw()) || !conn_->ok()) {
      log_warn("postgres notices: connection lost; re-opening");
      conn_.reset();
    }
  }
}

}  // namespace kino::store
