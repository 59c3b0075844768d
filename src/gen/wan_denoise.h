#pragma once
// The denoising loop of text-to-video and TI2V image-to-video (spec §4.3, §4.6, §4.7): seeded
// noise, the shifted schedule, the DiT with classifier-free guidance, the solver, and for
// image-to-video a clean first latent frame (timestep 0 on its tokens, re-imposed every step).
// Per run: its own sampler state, progress callback and cancel token; nothing process-global.
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <functional>

#include "core/progress.h"
#include "gen/flow_sampler.h"
#include "gen/wan_dit.h"

namespace kino::gen {

struct DenoiseParams {
  int64_t steps = 50;
  double shift = 5.0;
  double guidance = 5.0;  // 1 (or no negative text) runs the conditional pass only
  SamplerKind sampler = SamplerKind::unipc;
  uint64_t seed = 0;  // same seed, same settings, same device type -> same latent
};

// Latent shape [C, T, H, W] for `frames` pixel frames of height x width: frames must be 4n + 1
// and the sizes multiples of spatial_stride * patch (16 for Wan2.1, 32 for Wan2.2 TI2V).
// Violations: Error(bad_request) naming the value and the rule.
std::array<int64_t, 4> wan_latent_shape(const WanDitConfig& cfg, int64_t frames, int64_t height,
                                        int64_t width, int64_t spatial_stride);

// Called after each step (1-based, of `steps`) with the current estimate of the clean latent,
// x0 = x_t - sigma * v, [C, T, H, W] float32 (what a preview shows).
using LatentStepFn = std::function<void(int64_t step, int64_t steps, const at::Tensor& x0)>;

// Runs the loop and returns the final latent [C, T, H, W] float32. `negative` may be null (no
// guidance). `first_frame`, when defined, is a clean latent frame [C, H, W] held fixed in frame
// 0. Progress is reported after every step (stage "denoise"); cancellation is checked between
// steps and throws Error(cancelled).
at::Tensor wan_denoise(const WanDit& dit, const WanDitText& positive, const WanDitText* negative,
                       const std::array<int64_t, 4>& latent_shape, const DenoiseParams& params,
                       const at::Tensor& first_frame = {}, const ProgressFn& progress = {},
                       const CancelToken* cancel = nullptr, const LatentStepFn& on_step = {});

}  // namespace kino::gen
