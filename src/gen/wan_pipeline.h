#pragma once
// Text-to-video with a Wan2.1-family model folder (spec §4.6): tokenize the prompt and the
// negative prompt, encode them with umT5 (loaded for the encoding only and freed before the DiT
// runs), denoise with the DiT, decode with the VAE, and return 8-bit RGB frames at the model's
// resolution.
#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/progress.h"
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
};

struct PipelineOptions {
  at::ScalarType dtype = at::kBFloat16;
  at::Device device = at::kCPU;
};

// A loaded model (DiT and VAE resident; text encoder loaded per run). generate() may run from
// several threads at once: each call has its own state.
class WanPipeline {
 public:
  // Missing parts of the folder are Error(unsupported) naming what is missing.
  static std::unique_ptr<WanPipeline> load(const std::filesystem::path& model,
                                           const PipelineOptions& options);

  // Frames [F, H, W, 3] uint8 RGB. Progress stages: "text", "denoise", "decode". Bad sizes or
  // frame counts: Error(bad_request); cancellation: Error(cancelled).
  at::Tensor generate(const GenerateParams& params, const ProgressFn& progress = {},
                      const CancelToken* cancel = nullptr) const;

  const WanDit& dit() const { return *dit_; }

 private:
  std::filesystem::path model_;
  PipelineOptions options_;
  std::unique_ptr<WanDit> dit_;
  std::unique_ptr<WanVaeDecoder> vae_;
};

}  // namespace kino::gen
