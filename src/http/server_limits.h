#pragma once
// Every limit of the HTTP server, named, with its default. The per-file upload cap is
// the service's (ServiceConfig::upload_max_bytes).
#include <cstddef>
#include <cstdint>

namespace kino::http {

struct ServerLimits {
  int io_threads = 2;       // threads running the sockets
  int handler_threads = 4;  // threads running route handlers (store, probe)
  int max_connections = 4096;
  size_t header_max_bytes = 16 * 1024;
  size_t json_body_max_bytes = 4 * 1024 * 1024;  // drafts and other JSON bodies
  size_t small_body_max_bytes = 64 * 1024;       // routes without a meaningful body
  int upload_max_files = 10;                     // file parts per upload request
  // Whole multipart body: upload_max_files * the per-file cap + this much for headers.
  int64_t upload_overhead_bytes = 1024 * 1024;
  int64_t header_timeout_ms = 15000;  // also the keep-alive idle time
  int64_t body_timeout_ms = 120000;   // reading one request body
  int64_t write_timeout_ms = 60000;   // writing one chunk of a reply
  size_t file_chunk_bytes = 64 * 1024;
  int64_t sse_poll_ms = 100;            // how often an idle stream asks its source
  int64_t sse_heartbeat_ms = 15000;     // comment line when nothing was sent this long
  int64_t sse_max_ms = 15 * 60 * 1000;  // a stream is closed after this long
  int64_t shutdown_wait_ms = 10000;     // graceful stop waits this long for replies
};

}  // namespace kino::http
