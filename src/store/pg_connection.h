#pragma once
// One libpq connection with its prepared statements, and query results. Not
// thread-safe: a connection is used by one thread at a time (PgPool hands them out).
// Every value travels as a statement parameter; SQL text is never built from data.
#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace kino::store {

// A failed statement: the code is bad_request for data the database refuses (a
// duplicate key, a broken reference, text it cannot store), internal otherwise.
class PgError : public Error {
 public:
  PgError(ErrorCode code, const std::string& message, std::string sqlstate)
      : Error(code, message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // A serialization failure or deadlock: the transaction may simply run again.
  bool retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
};

// The rows of one statement, values in text form. Owns the PGresult.
class PgResult {
 public:
  explicit PgResult(PGresult* r = nullptr) : r_(r) {}
  ~PgResult() { PQclear(r_); }
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const { return r_ ? PQntuples(r_) : 0; }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t affected() const;
  bool null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), size_t(PQgetlength(r_, row, col)));
  }
  int64_t integer(int row, int col) const;
  double real(int row, int col) const;
  bool boolean(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
  // Stored JSON text; empty or unparsable text reads as an empty object.
  Json json(int row, int col) const;

 private:
  PGresult* r_;
};

// A statement parameter in text form; nullopt is SQL NULL.
using PgParam = std::optional<std::string>;

inline PgParam pg_param(const std::string& v) {
  return v;
}
inline PgParam pg_param(const char* v) {
  return std::string(v);
}
inline PgParam pg_param(std::string_view v) {
  return std::string(v);
}
inline PgParam pg_param(bool v) {
  return std::string(v ? "true" : "false");
}
inline PgParam pg_param(int v) {
  return std::to_string(v);
}
inline PgParam pg_param(int64_t v) {
  return std::to_string(v);
}
inline PgParam pg_param(uint64_t v) {
  return std::to_string(v);
}
PgParam pg_param(double v);  // shortest text that reads back as the same double

class PgConnection {
 public:
  // Connects; `url` is a libpq connection URI or key=value string. Throws Error(internal)
  // naming the server (password masked) and libpq's reason.
  explicit PgConnection(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with parameters $1..$n, prepared once per connection.
  PgResult exec(const std::string& sql, const std::vector<PgParam>& params);
  template <typename... T>
  PgResult query(const std::string& sql, const T&... args) {
    return exec(sql, std::vector<PgParam>{pg_param(args)...});
  }
  // Runs fixed SQL text (one or several statements, no parameters): schema scripts,
  // BEGIN / COMMIT.
  void script(const std::string& sql);

  // False once the server connection is gone; the pool then drops this connection.
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  bool in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  PGconn* raw() { return conn_; }

 private:
  PgResult check(PGresult* r, const std::string& sql);

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

// The URL with any password replaced by "***", for messages and logs.
std::string pg_url_redacted(const std::string& url);

// Opens a raw libpq connection (application name "kino", 10 s connect timeout, TCP
// keepalives after 30 s idle, unless the URL says otherwise); throws like PgConnection.
PGconn* pg_connect(const std::string& url);

}  // namespace kino::store
