#pragma once
// The service's view of the generation engine: a request in, an MP4 file out. The binary
// adapts gen::VideoGenerator to it (apps/kino); tests plug in a generator that writes
// synthetic clips. This seam keeps the service and its tests free of LibTorch.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/progress.h"

namespace kino::service {

struct ClipRequest {
  std::string prompt;
  std::string negative;         // empty: the model's default negative prompt
  std::filesystem::path image;  // image-to-video from this picture when not empty
  int64_t seconds = 5;
  std::string aspect = "16:9";       // "16:9", "9:16", "1:1", "4:5"
  std::string resolution = "1080p";  // the file's short side: "480p", "720p", "1080p"
                                     // (generation_output_size gives the exact size)
  int64_t seed = -1;                 // -1: the generator picks one and reports it
};

struct ClipResult {
  int64_t width = 0, height = 0, frames = 0;
  double fps = 0;
  int64_t seed = -1;  // the seed used
  double seconds_taken = 0;
};

// Called from the service's one generation worker thread, one request at a time.
class ClipGenerator {
 public:
  virtual ~ClipGenerator() = default;
  virtual std::string model_name() const = 0;
  // False for text-to-video models: requests with an image are refused before charging.
  virtual bool supports_image() const { return true; }
  // The words of `prompt` a closed-vocabulary model (kino-tiny) never saw; empty for models
  // that take any prompt. The request still runs: the caller tells the user.
  virtual std::vector<std::string> unknown_words(const std::string& prompt) const {
    (void)prompt;
    return {};
  }
  // Writes an H.264 MP4 at `out` (the service moves it into the library). Progress
  // stages "text", "denoise" (done/total steps), "decode", "encode". A request the model
  // cannot serve: Error(bad_request); `cancel` set: Error(cancelled).
  virtual ClipResult generate(const ClipRequest& request, const std::filesystem::path& out,
                              const ProgressFn& progress, const CancelToken& cancel) = 0;
};

}  // namespace kino::service
