#include "store/pg_pool.h"

#include <poll.h>

namespace kino::store {

PgPool::PgPool(std::string url, int max_size) : url_(std::move(url)), max_size_(max_size) {
  if (max_size_ < 1)
    fail_bad_request("database pool size must be >= 1, got " + std::to_string(max_size_));
  idle_.push_back(std::make_unique<PgConnection>(url_));
  open_ = 1;
}

PgPool::~PgPool() = default;

PgPool::Lease PgPool::acquire() {
  {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [this] { return !idle_.empty() || open_ < max_size_; });
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      // Reads what the server sent while the connection sat idle: a server that restarted
      // or ended the session has closed it, and libpq then reports it bad. Such a
      // connection is dropped here, before any statement could half-run on it.
      for (int i = 0; i < 4 && c->ok(); ++i) {
        pollfd p{PQsocket(c->raw()), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || !PQconsumeInput(c->raw())) break;
      }
      if (c->ok()) return Lease(*this, std::move(c));
      --open_;
    }
    ++open_;  // reserve the slot, connect without holding the lock
  }
  try {
    return Lease(*this, std::make_unique<PgConnection>(url_));
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    freed_.notify_one();
    throw;
  }
}

void PgPool::give_back(std::unique_ptr<PgConnection> c) {
  if (c && c->ok() && c->in_transaction()) {
    // A statement failed outside a Transaction guard; never hand out a half-open one.
    try {
      c->script("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
  std::lock_guard lock(mutex_);
  if (c && c->ok() && !c->in_transaction()) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  freed_.notify_one();
}

}  // namespace kino::store
