#pragma once
// A bounded pool of PostgreSQL connections shared by threads. A lease gives one thread
// one connection; connections found broken are dropped and replaced on demand.
// Thread-safe.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/pg_connection.h"

namespace kino::store {

class PgPool {
 public:
  // Opens one connection at once (so a wrong URL fails here) and at most `max_size`.
  PgPool(std::string url, int max_size);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> c) : pool_(pool), c_(std::move(c)) {}
    ~Lease() { pool_.give_back(std::move(c_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    PgConnection& operator*() { return *c_; }
    PgConnection* operator->() { return c_.get(); }

   private:
    PgPool& pool_;
    std::unique_ptr<PgConnection> c_;
  };

  // Waits for an idle connection or opens a new one while below max_size.
  Lease acquire();
  const std::string& url() const { return url_; }

 private:
  void give_back(std::unique_ptr<PgConnection> c);

  const std::string url_;
  const int max_size_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle + leased
};

}  // namespace kino::store
