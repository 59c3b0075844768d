#include "video_clip_generator.h"

#include <optional>

#include "core/error.h"
#include "gen/pipeline_options.h"
#include "gen/model_catalog.h"
#include "service/generation_cost.h"

namespace kino::cli {
namespace {

class VideoClipGenerator final : public service::ClipGenerator {
 public:
  VideoClipGenerator(std::unique_ptr<gen::VideoGenerator> generator, int64_t steps)
      : generator_(std::move(generator)), steps_(steps) {}

  std::string model_name() const override { return generator_->model_name(); }
  bool supports_image() const override { return generator_->supports_image(); }
  std::vector<std::string> unknown_words(const std::string& prompt) const override {
    return gen::model_unknown_words(generator_->defaults(), prompt);
  }

  service::ClipResult generate(const service::ClipRequest& request,
                               const std::filesystem::path& out, const ProgressFn& progress,
                               const CancelToken& cancel) override {
    gen::VideoRequest r;
    r.prompt = request.prompt;
    r.negative = request.negative;
    if (!request.image.empty()) r.image = request.image;
    r.seconds = double(request.seconds);
    r.aspect = request.aspect;
    r.seed = request.seed;
    r.steps = steps_;
    const auto [w, h] = service::generation_output_size(request.resolution, request.aspect);
    r.out_width = w;
    r.out_height = h;
    const gen::VideoResult v = generator_->generate(r, out, progress, &cancel);
    return {v.width, v.height, v.frames, v.fps, v.seed, v.seconds_taken};
  }

 private:
  std::unique_ptr<gen::VideoGenerator> generator_;
  int64_t steps_;
};

}  // namespace

std::unique_ptr<service::ClipGenerator> video_clip_generator(
    std::unique_ptr<gen::VideoGenerator> generator, int64_t steps) {
  return std::make_unique<VideoClipGenerator>(std::move(generator), steps);
}

std::unique_ptr<service::ClipGenerator> load_clip_generator(const std::string& model,
                                                            const std::string& dtype,
                                                            const std::string& device,
                                                            int64_t steps) {
  if (steps < 0) fail_bad_request("--steps must be >= 0, got " + std::to_string(steps));
  std::optional<std::filesystem::path> folder;
  if (!model.empty())
    folder = std::filesystem::path(model);
  else
    folder = gen::model_to_use();
  if (!folder) return nullptr;
  gen::PipelineOptions options;
  const auto d = gen::run_dtype_parse(dtype);
  if (!d) fail_bad_request("--dtype must be bf16, f32 or f16, got \"" + dtype + "\"");
  options.dtype = *d;
  options.device = device;
  options.resident_dit = true;  // a server runs many jobs: keep the DiT loaded
  gen::set_compute_threads(0);
  return video_clip_generator(gen::VideoGenerator::load(*folder, options), steps);
}

}  // namespace kino::cli
