#pragma once
// Progress reporting and cancellation for long work (renders, generations, downloads).
// Both are per run: a job owns its CancelToken and passes its own callback; nothing is
// process-global.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace kino {

struct Progress {
  int64_t done = 0;       // units finished (frames, steps, bytes)
  int64_t total = 0;      // 0 when unknown
  double elapsed_s = 0;   // since the work started
  std::string stage;      // "render", "encode", "denoise", "decode", ...
  // Work done in several passes (a long clip's chained generations): this pass, 0-based, of
  // `parts`. Each pass goes through its stages again.
  int part = 0, parts = 1;

  double fraction() const { return total > 0 ? double(done) / double(total) : 0.0; }
  // Seconds left at the rate so far; negative when unknown.
  double eta_s() const {
    return (done > 0 && total > 0) ? elapsed_s * double(total - done) / double(done) : -1.0;
  }
};

// Called from the worker thread doing the work; must be cheap and must not throw.
using ProgressFn = std::function<void(const Progress&)>;

// Shared flag: the owner calls cancel(), the work polls cancelled() between units and
// then throws Error(ErrorCode::cancelled). Thread-safe.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  // Throws Error(cancelled) when cancelled; `what` names the work in the message.
  void check(const char* what) const;

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace kino
