#include "service/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace kino::service {

RateLimiter::RateLimiter(RateLimit limit, size_t max_keys) : limit_(limit), max_keys_(max_keys) {}

size_t RateLimiter::key_count() {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

int64_t RateLimiter::take(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // Bounded memory: drop buckets that have refilled completely (they hold no state).
      for (auto i = buckets_.begin(); i != buckets_.end();) {
        double secs = std::chrono::duration<double>(now - i->second.updated).count();
        if (i->second.tokens + secs * limit_.per_second >= limit_.burst)
          i = buckets_.erase(i);
        else
          ++i;
      }
    }
    it = buckets_.emplace(key, Bucket{limit_.burst, now}).first;
  }
  Bucket& b = it->second;
  double secs = std::max(0.0, std::chrono::duration<double>(now - b.updated).count());
  b.tokens = std::min(limit_.burst, b.tokens + secs * limit_.per_second);
  b.updated = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  double wait = limit_.per_second > 0 ? (1.0 - b.tokens) / limit_.per_second : 3600.0;
  return std::max<int64_t>(1, int64_t(std::ceil(wait)));
}

}  // namespace kino::service
