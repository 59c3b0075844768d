#pragma once
// Public header of the render module: a draft becomes a finished video file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/progress.h"
#include "core/rational.h"
#include "media/encoder.h"
#include "timeline/timeline.h"

namespace kino::render {

// Turns a segment's `source` into a readable file. The CLI resolves paths relative to
// the draft's folder; the service resolves media ids inside the caller's own library.
// Unknown references throw Error(not_found) naming the reference.
using MediaResolver = std::function<std::filesystem::path(const std::string& source)>;

struct RenderParams {
  media::ContainerFormat format = media::ContainerFormat::mp4;
  media::Quality quality = media::Quality::high;
  int width = 0;   // 0: the draft's canvas size
  int height = 0;
  std::optional<Rational> fps;           // default: the draft's
  const char* x264_preset = "veryfast";  // libx264 speed preset
  int threads = 0;                       // 0 = all cores
  ProgressFn progress;                   // frames done / total, from the render thread
  CancelToken cancel;
};

struct RenderResult {
  std::filesystem::path path;
  int width = 0;
  int height = 0;
  Rational fps;
  int64_t frames = 0;
  int64_t duration_ms = 0;
  int64_t size_bytes = 0;
  double seconds = 0;  // wall-clock time spent
};

// Validates the draft, renders it and writes `out` (written to a temporary name first,
// renamed on success: a failed or cancelled render never leaves a partial file).
// Throws kino::Error: bad_request (invalid draft), not_found (unknown media), unsupported
// (unreadable media), cancelled.
RenderResult render(const timeline::Draft& draft, const MediaResolver& resolve,
                    const std::filesystem::path& out, const RenderParams& params = {});

}  // namespace kino::render
