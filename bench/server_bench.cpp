// Server benchmark: requests/s and latency of the state and credits endpoints over
// keep-alive connections on loopback, then N concurrent SSE streams held open with
// heartbeats and the server's memory per stream. The server runs in a child process so
// its memory is measured alone.
//   kino_server_bench [seconds per endpoint = 5] [connections = 64] [streams = 500]
// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange
// clang-format on
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "http/http.h"
#include "service/service.h"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

int64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

struct Setup {
  uint16_t port = 0;
  std::string token, session;
};

// Child: a studio without render workers (exports stay queued, so chat streams stay open).
[[noreturn]] void run_server(int fd, const std::string& data, int streams) {
  kino::service::ServiceConfig config;
  config.data_dir = data;
  config.token_rate = {1e9, 1e9};
  config.ip_rate = {1e9, 1e9};
  kino::service::Studio studio(config);
  kino::http::ServerOptions options;
  options.port = 0;
  options.limits.sse_heartbeat_ms = 1000;
  options.limits.sse_poll_ms = 250;
  options.limits.max_connections = streams + 1000;
  kino::http::Server server(studio, options);
  server.start();
  const std::string token = studio.anonymous_token("bench-client");
  auto caller = studio.authenticate("Bearer " + token);
  const std::string sid = studio.session_create(caller, kino::Json::object())["session_id"];
  // A text-only draft: an export of it is valid and waits in the queue.
  studio.draft_save(caller, sid,
                    kino::Json::parse(R"({"canvas":{"w":320,"h":240},"t":[{"id":"t","tt":7,
                      "sg":[{"id":"s","start":0,"d":1000,"text":"bench"}]}]})"),
                    "bench");
  std::string msg = std::to_string(server.port()) + " " + token + " " + sid + "\n";
  if (write(fd, msg.data(), msg.size()) < 0) _exit(1);
  close(fd);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  _exit(0);
}

// Keep-alive GET loop on one connection until the deadline; latencies in microseconds.
class Getter : public std::enable_shared_from_this<Getter> {
 public:
  Getter(net::io_context& ioc, const Setup& s, std::string target, Clock::time_point deadline,
         std::vector<int64_t>& lat)
      : stream_(ioc), deadline_(deadline), lat_(lat) {
    req_.method(bhttp::verb::get);
    req_.target(target);
    req_.version(11);
    req_.set(bhttp::field::host, "127.0.0.1");
    req_.set(bhttp::field::authorization, "Bearer " + s.token);
    req_.keep_alive(true);
    port_ = s.port;
  }
  void start() {
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_),
                          [self = shared_from_this()](beast::error_code ec) {
                            if (!ec) self->send();
                          });
  }
  int errors = 0;

 private:
  void send() {
    if (Clock::now() >= deadline_) return;
    t0_ = Clock::now();
    bhttp::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->res_ = {};
      bhttp::async_read(
          self->stream_, self->buf_, self->res_, [self](beast::error_code ec, size_t) {
            if (ec) return;
            if (self->res_.result_int() != 200) ++self->errors;
            self->lat_.push_back(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - self->t0_)
                    .count());
            self->send();
          });
    });
  }
  beast::tcp_stream stream_;
  uint16_t port_ = 0;
  Clock::time_point deadline_, t0_;
  bhttp::request<bhttp::empty_body> req_;
  bhttp::response<bhttp::string_body> res_;
  beast::flat_buffer buf_;
  std::vector<int64_t>& lat_;
};

void load(const Setup& s, const std::string& name, const std::string& target, int seconds,
          int connections) {
  net::io_context ioc;
  std::vector<int64_t> lat;
  lat.reserve(2'000'000);
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::shared_ptr<Getter>> getters;
  for (int i = 0; i < connections; ++i) {
    getters.push_back(std::make_shared<Getter>(ioc, s, target, deadline, lat));
    getters.back()->start();
  }
  auto t0 = Clock::now();
  ioc.run();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  int errors = 0;
  for (auto& g : getters) errors += g->errors;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : double(lat[size_t(p * double(lat.size() - 1))]) / 1000.0;
  };
  std::printf("%-8s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%zu requests, %d errors, %d conns)\n",
              name.c_str(), double(lat.size()) / secs, pct(0.5), pct(0.99), lat.size(), errors,
              connections);
}

// Opens `n` chat streams that wait on a queued export; returns how many got a heartbeat.
int hold_streams(const Setup& s, int n, pid_t server, int64_t base_kib) {
  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> socks;
  std::string body = kino::Json{{"app_name", "nemo_agent"},
                                {"user_id", "me"},
                                {"session_id", s.session},
                                {"new_message", {{"parts", {{{"text", "export"}}}}}}}
                         .dump();
  std::string req = "POST /run_sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                    s.token +
                    "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
                    "Content-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  for (int i = 0; i < n; ++i) {
    auto sock = std::make_unique<tcp::socket>(ioc);
    sock->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port));
    net::write(*sock, net::buffer(req));
    socks.push_back(std::move(sock));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // > one heartbeat period
  int with_heartbeat = 0;
  char buf[65536];
  for (auto& sock : socks) {
    sock->non_blocking(true);
    std::string got;
    beast::error_code ec;
    for (;;) {
      size_t k = sock->read_some(net::buffer(buf), ec);
      if (ec) break;
      got.append(buf, k);
    }
    if (got.find(": heartbeat") != std::string::npos) ++with_heartbeat;
  }
  int64_t kib = rss_kib(server);
  std::printf(
      "streams  %d open, %d with heartbeats; server RSS %.1f MiB (+%.1f MiB, %.1f KiB "
      "per stream)\n",
      n, with_heartbeat, double(kib) / 1024.0, double(kib - base_kib) / 1024.0,
      double(kib - base_kib) / double(n));
  return with_heartbeat;
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  const int connections = argc > 2 ? std::atoi(argv[2]) : 64;
  const int streams = argc > 3 ? std::atoi(argv[3]) : 500;
  char tmpl[] = "/tmp/kino-server-bench-XXXXXX";
  const std::string data = mkdtemp(tmpl);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    run_server(fds[1], data, streams);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  Setup s;
  {
    size_t a = line.find(' '), b = line.find(' ', a + 1);
    s.port = uint16_t(std::stoi(line.substr(0, a)));
    s.token = line.substr(a + 1, b - a - 1);
    s.session = line.substr(b + 1);
  }
  std::printf("== kino server benchmark (%u cores, loopback, client in the same machine)\n",
              std::thread::hardware_concurrency());
  load(s, "state", "/api/state/nemo_agent/me/" + s.session + "/latest", seconds, connections);
  load(s, "credits", "/api/credits/balance/simple", seconds, connections);
  const int64_t base = rss_kib(child);
  hold_streams(s, streams, child, base);
  std::printf("goals: 20k req/s on 2 cores for state reads, p99 < 20 ms, %d streams < 200 MB\n",
              streams);
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
  return 0;
}
