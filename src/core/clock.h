#pragma once
// Wall-clock time for records (ms since the Unix epoch) and a monotonic stopwatch for
// measuring work.
#include <chrono>
#include <cstdint>

namespace kino {

int64_t now_unix_ms();

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void reset() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kino
