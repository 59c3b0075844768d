#include "store/pg_connection.h"

#include <array>
#include <cstdlib>

namespace kino::store {

std::string pg_url_redacted(const std::string& url) {
  std::string out = url;
  if (size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = std::min(out.find_first_of("/?", start), out.size());
    const size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const size_t v = p + 9;
    const size_t end = std::min(out.find_first_of("& ", v), out.size());
    out.replace(v, end - v, "***");
  }
  return out;
}

PGconn* pg_connect(const std::string& url) {
  // Keywords before "dbname" are defaults the URL's own settings override. Keepalives
  // notice a server that went away within about a minute instead of hours.
  const std::array<const char*, 7> keys{"fallback_application_name",
                                        "connect_timeout",
                                        "keepalives_idle",
                                        "keepalives_interval",
                                        "keepalives_count",
                                        "dbname",
                                        nullptr};
  const std::array<const char*, 7> values{"kino", "10", "30", "10", "3", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 1);
  if (!c) fail(ErrorCode::internal, "postgres: out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c);
    PQfinish(c);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    fail(ErrorCode::internal,
         "cannot connect to PostgreSQL at " + pg_url_redacted(url) + ": " + why);
  }
  return c;
}

int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

int64_t PgResult::integer(int row, int col) const {
  const char* p = PQgetvalue(r_, row, col);
  const char* end = p + PQgetlength(r_, row, col);
  int64_t v = 0;
  if (p == end) return 0;
  auto [ptr, ec] = std::from_chars(p, end, v);
  if (ec != std::errc() || ptr != end)
    fail(ErrorCode::internal,
         "postgres: column " + std::to_string(col) + " is not an integer: " + std::string(p, end));
  return v;
}

double PgResult::real(int row, int col) const {
  const char* p = PQgetvalue(r_, row, col);
  return *p ? std::strtod(p, nullptr) : 0.0;
}

Json PgResult::json(int row, int col) const {
  std::string t = text(row, col);
  if (t.empty()) return Json::object();
  Json j = Json::parse(t, nullptr, false);
  return j.is_discarded() ? Json::object() : j;
}

PgParam pg_param(double v) {
  std::array<char, 32> buf{};
  auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), ptr);
}

PgConnection::PgConnection(const std::string& url) : conn_(pg_connect(url)) {
  // Notices (e.g. "relation already exists, skipping") are not errors; keep stderr quiet.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

PgResult PgConnection::check(PGresult* r, const std::string& sql) {
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return PgResult(r);
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = code ? code : "";
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  PQclear(r);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // Class 23: integrity constraint violations; class 22: data the column cannot hold.
  const bool refused = state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0;
  if (!ok()) msg = "connection lost: " + msg;
  throw PgError(refused ? ErrorCode::bad_request : ErrorCode::internal,
                "postgres: " + msg + (refused ? "" : " (in: " + sql.substr(0, 60) + ")"), state);
}

PgResult PgConnection::exec(const std::string& sql, const std::vector<PgParam>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "k";
    name += std::to_string(prepared_.size() + 1);
    check(PQprepare(conn_, name.c_str(), sql.c_str(), int(params.size()), nullptr), sql);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    if (p && p->find('\0') != std::string::npos)
      throw PgError(ErrorCode::bad_request, "postgres: text must not contain NUL bytes", "22021");
    values.push_back(p ? p->c_str() : nullptr);
  }
  return check(PQexecPrepared(conn_, it->second.c_str(), int(values.size()), values.data(), nullptr,
                              nullptr, 0),
               sql);
}

void PgConnection::script(const std::string& sql) {
  check(PQexec(conn_, sql.c_str()), sql);
}

}  // namespace kino::store
