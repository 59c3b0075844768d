#pragma once
// A private PostgreSQL server for tests: initdb into a temporary folder and postgres
// listening only on a Unix socket in that folder (no TCP port to collide on). Run as the
// `postgres` user when the tests run as root. The destructor stops the server and
// removes the folder; if the test process dies first, the kernel's parent-death signal
// stops the server.
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "support/test_dir.h"

namespace kino::testing {

class PgTestServer {
 public:
  // Throws std::runtime_error naming the Debian package when the server binaries are
  // missing, or with the server's log when it does not start.
  PgTestServer();
  ~PgTestServer();
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  // Creates an empty schema in the server's database and returns a postgresql:// URL
  // whose sessions work in it (search_path): a fresh store per test in milliseconds,
  // where a database per test would take a second.
  std::string create_schema(const std::string& name);
  std::string url(const std::string& database) const;
  // Ends every session of the server except the caller's (as a crash or restart would).
  void terminate_sessions();

  // One server per test process, started on first use.
  static PgTestServer& shared();

 private:
  void exec(const std::string& database, const std::string& sql);

  TestDir dir_{"pg"};
  std::filesystem::path socket_dir_;
  pid_t pid_ = -1;
};

}  // namespace kino::testing
