#include "store/pg_test_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kino::testing {
namespace fs = std::filesystem;

namespace {

constexpr int kPort = 5432;  // only names the socket file inside the private folder
constexpr const char* kDatabase = "kino";

// The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres (or
// $KINO_PG_BIN).
fs::path find_bin_dir() {
  if (const char* env = std::getenv("KINO_PG_BIN")) return env;
  fs::path best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = e.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "postgres")) continue;
    const int v = std::atoi(e.path().filename().c_str());
    if (v > best_version) {
      best_version = v;
      best = bin;
    }
  }
  if (best.empty())
    throw std::runtime_error(
        "PostgreSQL server binaries (initdb, postgres) not found under "
        "/usr/lib/postgresql/<version>/bin: install the Debian package postgresql-15 "
        "(scripts/install-deps does), or point KINO_PG_BIN at a bin folder");
  return best;
}

std::string read_tail(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
}

struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  RunAs r;
  if (::geteuid() != 0) return r;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw)
    throw std::runtime_error(
        "tests run as root but there is no `postgres` user to run the server as (the Debian "
        "package postgresql-15 creates it)");
  r.switch_user = true;
  r.uid = pw->pw_uid;
  r.gid = pw->pw_gid;
  return r;
}

// Starts argv[0] with stdout and stderr to `log`, as `who`. With die_with_parent the
// child gets SIGQUIT (postgres: immediate shutdown) when this process ends.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log, const RunAs& who,
            bool die_with_parent) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + log.string());
  if (who.switch_user && ::fchown(fd, who.uid, who.gid) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot chown " + log.string());
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (who.switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)
        ::_exit(126);
    }
    // After the user switch, which clears the parent-death signal.
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (::getppid() != parent) ::_exit(1);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

void chown_to(const fs::path& p, const RunAs& who) {
  if (who.switch_user && ::chown(p.c_str(), who.uid, who.gid) != 0)
    throw std::runtime_error("cannot chown " + p.string() + " to postgres");
}

}  // namespace

PgTestServer::PgTestServer() {
  const fs::path bin = find_bin_dir();
  const RunAs who = run_as();
  const fs::path data = dir_ / "data";
  socket_dir_ = dir_ / "run";
  const fs::path log = dir_ / "server.log";
  fs::permissions(dir_.path(), fs::perms(0755));
  fs::create_directories(socket_dir_);
  chown_to(dir_.path(), who);
  chown_to(socket_dir_, who);

  const pid_t init =
      spawn({(bin / "initdb").string(), "-D", data.string(), "-A", "trust", "-U", "postgres", "-E",
             "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            log, who, false);
  int status = 0;
  ::waitpid(init, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("initdb failed:\n" + read_tail(log));

  pid_ =
      spawn({(bin / "postgres").string(), "-D", data.string(), "-k", socket_dir_.string(), "-p",
             std::to_string(kPort), "-F", "-c", "listen_addresses=", "-c", "max_connections=200"},
            log, who, true);
  const std::string ping = "host=" + socket_dir_.string() + " port=" + std::to_string(kPort) +
                           " user=postgres dbname=postgres";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (PQping(ping.c_str()) != PQPING_OK) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres exited at start:\n" + read_tail(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGQUIT);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("postgres did not accept connections within 30 s:\n" +
                               read_tail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  exec("postgres", std::string("CREATE DATABASE ") + kDatabase);
}

PgTestServer::~PgTestServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: ends sessions, no checkpoint wait for clients
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
}

std::string PgTestServer::url(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + socket_dir_.string() +
         "&port=" + std::to_string(kPort) + "&user=postgres";
}

void PgTestServer::exec(const std::string& database, const std::string& sql) {
  PGconn* c = PQconnectdb(url(database).c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("test server: cannot connect: " + why);
  }
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string why = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("test server: " + sql + ": " + why);
}

std::string PgTestServer::create_schema(const std::string& name) {
  // Test-chosen names only: [a-z0-9_].
  for (char ch : name)
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
      throw std::runtime_error("test schema names are [a-z0-9_], got " + name);
  exec(kDatabase, "CREATE SCHEMA " + name);
  return url(kDatabase) + "&options=-c%20search_path%3D" + name;
}

void PgTestServer::terminate_sessions() {
  // Waits (up to 5 s each) until the sessions are gone, so their sockets are closed.
  exec("postgres",
       "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
       "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
}

PgTestServer& PgTestServer::shared() {
  static std::string failure;
  static std::unique_ptr<PgTestServer> server;
  if (!failure.empty()) throw std::runtime_error(failure);
  if (!server) {
    try {
      server = std::make_unique<PgTestServer>();
    } catch (const std::exception& e) {
      failure = e.what();
      throw;
    }
  }
  return *server;
}

}  // namespace kino::testing
