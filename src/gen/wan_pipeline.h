#pragma once
// Text-to-video and TI2V image-to-video with a Wan model folder (spec §4.6, §4.7): tokenize the
// prompt and the negative prompt, encode them with umT5 (loaded for the encoding only and freed
// before the DiT runs), denoise with the DiT (for image-to-video with the image's latent held in
// latent frame 0), decode with the VAE, and return 8-bit RGB frames at the model's resolution.
#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/progress.h"
#include "gen/pipeline_options.h"
#include "gen/wan_denoise.h"
#include "gen/wan_dit.h"
#include "gen/wan_vae.h"

namespace kino::gen {

// The reference's default negative prompt (spec §4.3).
const std::string& wan_default_negative_prompt();

struct GenerateParams {
  std::string prompt;
  std::string negative = wan_default_negative_prompt();
  int64_t frames = 81;  // 4n + 1
  int64_t width = 832;
  int64_t height = 480;
  DenoiseParams denoise;
  // Image-to-video (TI2V models only): the first frame, [3, height, width] float in [-1, 1].
  // Undefined: text-to-video.
  at::Tensor image;
  // Optional: sees the clean-latent estimate after every denoising step (see preview_rgb).
  LatentStepFn on_step;
};

// A loaded model (DiT and VAE resident; text encoder loaded per run). generate() may run from
// several threads at once: each call has its own state.
class WanPipeline {
 public:
  // Missing parts of the folder are Error(unsupported) naming what is missing.
  static std::unique_ptr<WanPipeline> load(const std::filesystem::path& model,
                                           const PipelineOptions& options);

  // Frames [F, H, W, 3] uint8 RGB. Progress stages: "text", "denoise", "decode". Bad sizes,
  // frame counts or an image on a model without image input: Error(bad_request); cancellation:
  // Error(cancelled).
  at::Tensor generate(const GenerateParams& params, const ProgressFn& progress = {},
                      const CancelToken* cancel = nullptr) const;

  // The two halves of generate(): the final normalized latent [C, T, H/s, W/s] float32, and its
  // decoding to frames [F, H, W, 3] uint8.
  at::Tensor denoise(const GenerateParams& params, const ProgressFn& progress = {},
                     const CancelToken* cancel = nullptr) const;
  at::Tensor decode(const at::Tensor& latent, const ProgressFn& progress = {},
                    const CancelToken* cancel = nullptr) const;

  // The normalized latent of one image [3, H, W] in [-1, 1]: [C, H/s, W/s] float32.
  at::Tensor encode_image(const at::Tensor& image) const;

  // A quick picture of latent frame `frame` (> 0: frame 0 is distributed otherwise) of x0
  // [C, T, h, w]: [h, w, 3] uint8 RGB at the latent's resolution, without the VAE decoder. The colours come from a linear map of the
  // latent channels fitted once per pipeline (least squares over colour patches encoded with
  // this VAE), so it works for any VAE without published factors.
  at::Tensor preview_rgb(const at::Tensor& x0, int64_t frame) const;

  const WanDitConfig& dit_config() const { return dit_config_; }
  const WanVae& vae() const { return *vae_; }
  // TI2V DiTs take a clean first frame (spec §1.10).
  bool supports_image() const { return dit_config_.model_type == WanModelType::ti2v; }

 private:
  // The resident DiT, or one loaded for this run (PipelineOptions::resident_dit).
  std::shared_ptr<const WanDit> run_dit() const;

  std::filesystem::path model_;
  WanDitOptions dit_options_;
  at::ScalarType dtype_ = at::kBFloat16;
  at::Device device_ = at::kCPU;
  WanDitConfig dit_config_;
  std::shared_ptr<const WanDit> dit_;  // null when not resident
  std::unique_ptr<WanVae> vae_;
  mutable std::once_flag preview_fit_;
  mutable at::Tensor preview_map_;  // [C + 1, 3]: latent channels and 1 -> RGB in [-1, 1]
};

}  // namespace kino::gen
