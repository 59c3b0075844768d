#pragma once
// A ClipGenerator for tests: writes a real small H.264 MP4 with media's test source and
// reports progress like the engine ("text", "denoise" i/N, "decode", "encode"). It can
// fail, be held mid-denoise until released (to test cancels, restarts and credits while a
// job is in flight) or run slowly. Thread-safe controls.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

#include "service/clip_generator.h"

namespace kino::testing {

class TestClipGenerator final : public service::ClipGenerator {
 public:
  std::string model_name() const override { return "test-clip"; }
  service::ClipResult generate(const service::ClipRequest& request,
                               const std::filesystem::path& out, const ProgressFn& progress,
                               const CancelToken& cancel) override;

  // The next runs fail with Error(internal, message); empty: they succeed again.
  void set_failure(const std::string& message);
  // Milliseconds each denoise step sleeps (0: none).
  void set_step_ms(int64_t ms) { step_ms_ = ms; }
  // While held, runs wait at their first denoise step until released or cancelled.
  void hold();
  void release();
  // Waits until `n` runs have started (true) or timeout_ms passed (false).
  bool wait_started(int n, int64_t timeout_ms = 20000);
  int started() const { return started_; }
  int finished() const { return finished_; }
  int cancelled() const { return cancelled_; }
  service::ClipRequest last_request() const;

  static constexpr int kSteps = 8;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool held_ = false;
  std::string failure_;
  service::ClipRequest last_;
  std::atomic<int64_t> step_ms_{0};
  std::atomic<int> started_{0}, finished_{0}, cancelled_{0};
};

}  // namespace kino::testing
