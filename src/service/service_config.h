#pragma once
// Everything the service can be told, with its defaults. Every limit has a name here.
#include <cstdint>
#include <filesystem>
#include <string>

#include "service/generation_cost.h"
#include "service/rate_limiter.h"

namespace kino::service {

struct ServiceConfig {
  std::filesystem::path data_dir = "kino-data";  // database, server secret, files by id
  // Empty: SQLite in data_dir (one machine). "postgresql://...": a database shared with
  // other servers and `kino worker` processes; data_dir is then the shared blob store
  // (the same folder on every machine). See store_open().
  std::string database_url;
  // Absolute base for links in replies ("https://studio.example"); empty: the http layer
  // derives it from the request's Host header.
  std::string public_url;

  int64_t token_ttl_ms = 7LL * 24 * 3600 * 1000;  // anonymous tokens live 7 days
  int64_t starting_credits = 100;                 // granted to each new account
  int64_t upload_max_bytes = 20LL * 1024 * 1024;  // per uploaded file
  int upload_max_urls = 10;                       // URLs per upload-by-URL request
  int64_t url_fetch_timeout_ms = 60000;           // one URL's whole transfer
  bool url_fetch_allow_private = false;           // fetch from private/loopback hosts (tests only)
  int64_t download_url_ttl_ms = 24LL * 3600 * 1000;  // signed download links
  bool require_skill_headers = false;  // exports need X-Skill-Source/-Version/-Platform (402)

  RateLimit token_rate{20, 60};  // per bearer token
  RateLimit ip_rate{50, 150};    // per client address

  int render_workers = 1;  // jobs rendered at once
  int render_threads = 0;  // threads per render (0 = all cores)
  const char* x264_preset = "veryfast";
  int64_t job_poll_ms = 200;            // how often idle workers look for queued jobs
  int64_t job_poll_notified_ms = 5000;  // the same when the store wakes them (PostgreSQL)
  int callback_attempts = 4;            // POSTs of a final job status to callback_url
  int64_t callback_backoff_ms = 500;    // first retry delay; doubles each time
  int64_t callback_timeout_ms = 5000;

  // Generation (one worker; a ClipGenerator must be plugged in, else requests answer 503).
  GenerationCosts generation_costs;             // credits per second of output
  std::string generation_resolution = "1080p";  // when a request names none
  int generation_min_seconds = 1;
  int generation_max_seconds = 10;
  int generation_max_attempts = 3;  // a job interrupted this often is failed, credits returned
  int generation_list_max = 20;     // generation jobs listed in a session's state
  // Accept generation requests with no model plugged in here: on a shared store,
  // `kino worker --model` processes run them (an API server need not load the weights).
  bool generation_remote = false;
};

}  // namespace kino::service
