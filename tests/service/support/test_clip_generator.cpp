#include "service/support/test_clip_generator.h"

#include <chrono>
#include <thread>

#include "core/error.h"
#include "media/media.h"

namespace kino::testing {

service::ClipResult TestClipGenerator::generate(const service::ClipRequest& request,
                                                const std::filesystem::path& out,
                                                const ProgressFn& progress,
                                                const CancelToken& cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Small frames in the request's aspect; the real engine's sizes do not matter here.
  int w = 96, h = 54;
  if (request.aspect == "9:16") std::swap(w, h);
  if (request.aspect == "1:1") w = h = 64;
  if (request.aspect == "4:5") w = 64, h = 80;
  std::string failure;
  {
    std::unique_lock lock(mutex_);
    last_ = request;
    failure = failure_;
  }
  ++started_;
  cv_.notify_all();
  try {
    if (progress) progress({1, 1, elapsed(), "text"});
    for (int i = 1; i <= kSteps; ++i) {
      if (i == 1) {
        std::unique_lock lock(mutex_);
        while (held_ && !cancel.cancelled()) cv_.wait_for(lock, std::chrono::milliseconds(5));
      }
      cancel.check("generation");
      if (step_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_ms_));
      if (progress) progress({i, kSteps, elapsed(), "denoise"});
    }
    if (!failure.empty()) fail(ErrorCode::internal, failure);
    if (progress) progress({1, 1, elapsed(), "decode"});
    media::TestClipParams p;
    p.width = w;
    p.height = h;
    p.fps = Rational{8, 1};
    p.duration_ms = request.seconds * 1000;
    p.audio = false;
    media::write_test_clip(out, p);
    if (progress) progress({1, 1, elapsed(), "encode"});
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) ++cancelled_;
    throw;
  }
  ++finished_;
  return {w, h, request.seconds * 8, 8.0, request.seed >= 0 ? request.seed : 1234, elapsed()};
}

void TestClipGenerator::set_failure(const std::string& message) {
  std::lock_guard lock(mutex_);
  failure_ = message;
}

void TestClipGenerator::hold() {
  std::lock_guard lock(mutex_);
  held_ = true;
}

void TestClipGenerator::release() {
  {
    std::lock_guard lock(mutex_);
    held_ = false;
  }
  cv_.notify_all();
}

bool TestClipGenerator::wait_started(int n, int64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return started_ >= n; });
}

service::ClipRequest TestClipGenerator::last_request() const {
  std::lock_guard lock(mutex_);
  return last_;
}

}  // namespace kino::testing
