#pragma once
// The HTTP server: Boost.Beast on Asio, a few I/O threads for every socket (SSE streams
// need no thread of their own) and a small pool running route handlers.
#include <cstdint>
#include <memory>
#include <string>

#include "http/server_limits.h"
#include "http/static_files.h"

namespace kino::service {
class Studio;
}

namespace kino::http {

class Connection;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port())
  ServerLimits limits;
  // The studio page, answered for GET / HEAD of page paths before the API; none: API only.
  std::shared_ptr<const StaticFiles> web;
};

class Server {
 public:
  // The studio must outlive the server.
  Server(service::Studio& studio, ServerOptions options);
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the threads; returns at once. Throws Error(internal) when the
  // address cannot be bound.
  void start();
  uint16_t port() const;
  // Graceful stop: no new connections; replies in flight and SSE streams get up to
  // limits.shutdown_wait_ms to finish, then everything is closed. Idempotent.
  void stop();
  // Blocks until stop() has been called (from another thread or a signal handler).
  void wait();
  int64_t open_connections() const;

 private:
  friend class Connection;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kino::http
