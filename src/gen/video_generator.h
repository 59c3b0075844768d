#pragma once
// The one high-level entry to video generation, used by `kino generate` and the server's
// generation jobs: a request in (prompt, optional image, length, aspect, sampling settings), an
// H.264 MP4 out. Sizes, frame counts and sampling defaults come from the model family (spec §4):
//   Wan2.1-type (Wan2.1 VAE, z 16): 16 fps, native 832x480, multiple 16;
//   Wan2.2-type (Wan2.2 VAE, z 48): 24 fps, native 1280x704, multiple 32;
//   both: 50 steps, shift 5, CFG 5, UniPC, the official negative prompt.
// No LibTorch in this header.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "gen/model_defaults.h"
#include "gen/pipeline_options.h"

namespace kino::gen {

// Named limits of a request.
inline constexpr double kVideoMaxSeconds = 30.0;
inline constexpr int64_t kVideoMaxSide = 4096;  // model resolution, either side
inline constexpr double kVideoMaxCfg = 30.0;

struct VideoRequest {
  std::string prompt;
  std::string negative;                        // empty: the model's (Wan: the official one)
  std::optional<std::filesystem::path> image;  // image-to-video (TI2V models) when set
  // Extension: continue this clip from its last frame (image-to-video) and write the clip
  // followed by the new frames, the duplicated seam frame skipped. Excludes `image`.
  std::optional<std::filesystem::path> extend;
  // Of new video; frames = 4n + 1 at the model fps; 0: the model's length. Longer than the
  // model's length on an image-to-video model: generations of that length chained, each one
  // continuing the last from its final frame (pass i seeded seed + i), as the models were
  // trained on clips of about that length. Text-to-video models run one pass.
  double seconds = 0;
  // "W:H"; "": the image's own aspect for image-to-video, else the model's (16:9 for Wan,
  // kino-tiny's 1:1). Or an explicit size:
  std::string aspect;
  int64_t width = 0, height = 0;  // 0: from aspect and the model's default area
  int64_t steps = 0;              // <= 0: the model's default
  double cfg = -1, shift = -1;    // < 0: the model's default
  int64_t seed = -1;              // -1: random, reported in the result
  std::string sampler = "unipc";  // or "euler"
  std::string camera;             // "" or a preset name (camera_presets.h)
  bool native = false;            // false: scale to fit 1920x1080 or 1080x1920 (Lanczos)
  // An explicit file size (even, up to 7680x4320), overriding native and the 1080p frame; 0:
  // unset. The model's picture is centre-cropped to its aspect and scaled (Lanczos).
  int64_t out_width = 0, out_height = 0;
};

// Mean colour difference between two stretches of frames of an extended clip, 0..255 units.
struct ColorDrift {
  double seam_rgb[3] = {0, 0, 0};  // first new frame minus the clip's last frame (R, G, B)
  double seam_luma = 0;            // the same in BT.709 luma
  double span_rgb[3] = {0, 0, 0};  // last second of the result minus its first second
  double span_luma = 0;
};

struct VideoResult {
  std::filesystem::path file;
  int64_t width = 0, height = 0;  // of the written file
  int64_t frames = 0;             // in the written file
  double fps = 0;
  int64_t seed = 0;
  int64_t model_width = 0, model_height = 0;  // the size the model generated at
  int64_t steps = 0;
  int64_t passes = 1;  // chained generations
  double seconds_taken = 0;
  int64_t peak_rss_bytes = 0;       // the process's peak resident memory so far (getrusage)
  std::optional<ColorDrift> drift;  // extension only
};

// Resolved settings of a request against a model: what generate() will run. Exposed so callers
// (the CLI, cost estimates) can show them before a long run.
struct VideoPlan {
  int64_t width = 0, height = 0;  // model resolution
  int64_t frames = 0;             // 4n + 1
  int64_t passes = 1;             // chained generations (see VideoRequest::seconds)
  int64_t pass_frames = 0;        // frames of each generation, the last one's may be fewer
  int64_t fps = 0;
  int64_t steps = 0;
  double cfg = 0, shift = 0;
  std::string negative;
  int64_t out_width = 0, out_height = 0;  // of the file (extension: the clip's size)
  std::string prompt;                     // with the camera phrase
};

// A picture of the clip while it is being denoised: the middle latent frame of the current
// clean-latent estimate, at latent resolution (1/8 or 1/16 of the clip's), without the decoder.
struct GenerationPreview {
  int64_t step = 0, steps = 0;  // after step `step` of `steps`
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
};
using PreviewFn = std::function<void(const GenerationPreview&)>;

// A loaded model: immutable after load, so generate() may run from several threads at once (each
// call has its own RNG, latents, progress and cancel).
class VideoGenerator {
 public:
  // Missing or inconsistent model parts: Error(unsupported / not_found) naming what is wrong.
  static std::unique_ptr<VideoGenerator> load(const std::filesystem::path& model,
                                              const PipelineOptions& options);
  ~VideoGenerator();

  std::string model_name() const;  // the folder's name
  bool supports_image() const;     // TI2V models
  int64_t fps() const;             // 16 (Wan2.1 family), 24 (Wan2.2), or the folder's own
  // What requests default to: the family's conventions or the folder's "kino" block.
  const ModelDefaults& defaults() const;

  // Validates the request (Error(bad_request) naming the field, the rule and the value).
  VideoPlan plan(const VideoRequest& request) const;

  // Writes an H.264 MP4 at `out` (via out.part + rename). Progress stages "text", "denoise" (i/N;
  // elapsed_s gives seconds per step), "decode" for each pass (Progress::part of parts), then
  // "encode". Bad input: Error(bad_request); cancel: Error(cancelled).
  // `preview`, when set, sees a GenerationPreview after every denoising step.
  VideoResult generate(const VideoRequest& request, const std::filesystem::path& out,
                       const ProgressFn& progress = {}, const CancelToken* cancel = nullptr,
                       const PreviewFn& preview = {}) const;

 private:
  VideoGenerator();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The model resolution for an aspect "W:H" (or W x H as given) on a model whose native size is
// native_w x native_h and whose sizes are multiples of `multiple`: the native size (or its
// transpose) when the aspect matches it, else the largest multiple-aligned size of about the
// native area with the closest aspect (spec §4.7 best_output_size).
std::pair<int64_t, int64_t> video_model_size(double aspect, int64_t native_w, int64_t native_h,
                                             int64_t multiple);

// "16:9" -> 1.777...; bad text or ratios outside 1:4..4:1: Error(bad_request).
double video_aspect_parse(const std::string& aspect);

// Frames for `seconds` at `fps`: 4n + 1 closest to seconds * fps + 1, at least 5.
int64_t video_frame_count(double seconds, int64_t fps);

// The 1080p output size: the largest even size of `aspect` that fits 1920x1080 (landscape) or
// 1080x1920 (portrait); 16:9 gives 1920x1080, 1:1 1080x1080, 4:3 1440x1080, 21:9 1920x822.
std::pair<int64_t, int64_t> video_output_size(double aspect);

}  // namespace kino::gen
