#pragma once
// Token buckets keyed by a string (a token hash, an IP address). Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kino::service {

struct RateLimit {
  double per_second = 20;  // refill rate
  double burst = 60;       // bucket size
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimit limit, size_t max_keys = 100000);

  // Takes one token for `key`. Returns 0 when allowed, else the whole seconds to wait
  // (>= 1) before a token is available: the Retry-After value.
  int64_t take(const std::string& key, Clock::time_point now = Clock::now());
  size_t key_count();  // buckets held now (at most max_keys, plus one while trimming)

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  RateLimit limit_;
  size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace kino::service
