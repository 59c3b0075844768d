#include "gen/wan_denoise.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <string>

#include "core/error.h"
#include "gen/safetensors_file.h"

namespace kino::gen {

std::array<int64_t, 4> wan_latent_shape(const WanDitConfig& cfg, int64_t frames, int64_t height,
                                        int64_t width, int64_t spatial_stride) {
  if (frames < 1 || frames > 4097 || (frames - 1) % 4 != 0)
    fail_bad_request("frames must be 4n + 1 (1, 5, ..., 81, 121), got " + std::to_string(frames));
  const int64_t mh = spatial_stride * cfg.patch_size[1], mw = spatial_stride * cfg.patch_size[2];
  if (height < mh || height % mh != 0 || height > 8192)
    fail_bad_request("height must be a positive multiple of " + std::to_string(mh) + ", got " +
                     std::to_string(height));
  if (width < mw || width % mw != 0 || width > 8192)
    fail_bad_request("width must be a positive multiple of " + std::to_string(mw) + ", got " +
                     std::to_string(width));
  return {cfg.in_dim, (frames - 1) / 4 + 1, height / spatial_stride, width / spatial_stride};
}

at::Tensor wan_denoise(const WanDit& dit, const WanDitText& positive, const WanDitText* negative,
                       const std::array<int64_t, 4>& shape, const DenoiseParams& params,
                       const at::Tensor& first_frame, const ProgressFn& progress,
                       const CancelToken* cancel, const LatentStepFn& on_step) {
  const WanDitConfig& cfg = dit.config();
  const at::Device dev = dit.options().device;
  const auto& p = cfg.patch_size;
  if (shape[0] != cfg.in_dim || shape[1] % p[0] || shape[2] % p[1] || shape[3] % p[2])
    fail_bad_request("latent shape " + shape_string({shape.begin(), shape.end()}) +
                     " does not fit the model (" + cfg.summary() + ")");
  if (first_frame.defined() &&
      first_frame.sizes() != at::IntArrayRef({shape[0], shape[2], shape[3]}))
    fail_bad_request("first_frame must be [" + std::to_string(shape[0]) + ", " +
                     std::to_string(shape[2]) + ", " + std::to_string(shape[3]) + "], got " +
                     shape_string(first_frame.sizes().vec()));

  // Noise is drawn on the CPU generator so a seed means the same latent on every machine.
  at::Generator gen = at::detail::createCPUGenerator(params.seed);
  at::Tensor x = at::randn({shape[0], shape[1], shape[2], shape[3]}, gen,
                           at::TensorOptions().dtype(at::kFloat))
                     .to(dev);
  at::Tensor frame0;
  if (first_frame.defined()) {
    frame0 = first_frame.to(dev, at::kFloat);
    x.select(1, 0).copy_(frame0);
  }
  const int64_t frame_tokens = (shape[2] / p[1]) * (shape[3] / p[2]);
  const int64_t tokens = (shape[1] / p[0]) * frame_tokens;
  const bool guided = negative != nullptr && params.guidance != 1.0;

  FlowSampler sampler(params.sampler, flow_schedule(params.steps, params.shift));
  const auto start = std::chrono::steady_clock::now();
  while (!sampler.done()) {
    if (cancel) cancel->check("generation");
    const double timestep = double(sampler.timestep());
    at::Tensor t;
    if (frame0.defined()) {
      // TI2V: the clean frame-0 tokens sit at timestep 0 (spec §4.7).
      t = at::full({1, tokens}, timestep, at::TensorOptions().dtype(at::kFloat).device(dev));
      t.narrow(1, 0, frame_tokens * p[0]).zero_();
    } else {
      t = at::full({1}, timestep, at::TensorOptions().dtype(at::kFloat).device(dev));
    }
    const at::Tensor xb = x.unsqueeze(0);
    at::Tensor v = dit.forward(xb, t, positive);
    if (guided) {
      const at::Tensor v_neg = dit.forward(xb, t, *negative);
      v = v_neg + params.guidance * (v - v_neg);
    }
    at::Tensor x0;
    if (on_step) {
      // Flow matching: x_t = (1 - sigma) x0 + sigma noise and v = noise - x0, sigma = t / 1000.
      x0 = x - (timestep / 1000.0) * v.squeeze(0).to(at::kFloat);
      if (frame0.defined()) x0.select(1, 0).copy_(frame0);
    }
    x = sampler.step(v.squeeze(0), x);
    if (frame0.defined()) x.select(1, 0).copy_(frame0);
    if (progress) {
      Progress pr;
      pr.done = sampler.step_index();
      pr.total = sampler.steps();
      pr.elapsed_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      pr.stage = "denoise";
      progress(pr);
    }
    if (on_step) on_step(sampler.step_index(), sampler.steps(), x0);
  }
  return x;
}

}  // namespace kino::gen
