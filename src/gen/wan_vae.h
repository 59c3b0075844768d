#pragma once
// The Wan2.1 VAE decoder (spec §3.1-3.3): latent un-normalization, `conv2`, then the causal
// decoder run one latent frame at a time with a per-conv cache, so memory stays flat as frames
// grow. Chunk 0 yields 1 frame, every later chunk 4: F = 4 (T - 1) + 1 frames in [-1, 1].
#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/progress.h"
#include "gen/wan_config.h"

namespace kino::gen {

class WeightSet;

struct WanVaeConfig {
  int64_t z_dim = 16;
  int64_t base_dim = 96;  // dims per level: base x [1, 2, 4, 4]
  std::string summary() const;
};

// Reads z_dim and base_dim from shapes (official names: decoder.*, conv2) and checks every
// decoder tensor. Errors: Error(unsupported, "<what>: ...").
WanVaeConfig wan_vae_config_from_shapes(const ShapeMap& shapes, std::string_view what);
ShapeMap wan_vae_decoder_expected_shapes(const WanVaeConfig& cfg);

// Per-channel latent statistics of the Wan2.1 VAE (spec §3.2).
const std::vector<float>& wan21_latent_mean();
const std::vector<float>& wan21_latent_std();

struct WanVaeOptions {
  at::ScalarType dtype = at::kBFloat16;  // convolutions; norms in float32
  at::Device device = at::kCPU;
};

// A loaded decoder: immutable; each decode() call keeps its own cache.
class WanVaeDecoder {
 public:
  WanVaeDecoder(const WanVaeConfig& cfg, const WeightSet& weights, const WanVaeOptions& options);
  const WanVaeConfig& config() const { return cfg_; }

  // z [B, z_dim, T, h, w] as the DiT produces it (normalized). `mean` and `std` (z_dim values
  // each) undo the normalization; empty vectors mean the latent is already in VAE units.
  // Returns frames [B, 3, 4 (T - 1) + 1, 8 h, 8 w] float32 clamped to [-1, 1]. Progress is
  // reported per latent frame (stage "decode"); cancellation is checked between them.
  at::Tensor decode(const at::Tensor& z, const std::vector<float>& mean,
                    const std::vector<float>& std, const ProgressFn& progress = {},
                    const CancelToken* cancel = nullptr) const;

 private:
  struct Conv {
    at::Tensor w, b;
  };
  struct Res {
    at::Tensor gamma1, gamma2;
    Conv conv1, conv2, shortcut;  // shortcut undefined when in == out
  };
  struct Up {
    bool temporal = false;
    Conv time_conv;  // temporal only
    Conv conv;       // 3x3 Conv2d after nearest x2
  };
  struct Chunk;

  at::Tensor causal_conv(Chunk& c, const at::Tensor& x, const Conv& conv) const;
  at::Tensor residual(Chunk& c, const at::Tensor& x, const Res& r) const;
  at::Tensor attention(const at::Tensor& x) const;
  at::Tensor upsample(Chunk& c, const at::Tensor& x, const Up& u) const;
  at::Tensor norm(const at::Tensor& x, const at::Tensor& gamma) const;

  WanVaeConfig cfg_;
  WanVaeOptions options_;
  Conv conv2_, conv_in_, head_conv_;
  at::Tensor head_gamma_;
  Res mid0_, mid2_;
  at::Tensor attn_gamma_;
  Conv attn_qkv_, attn_proj_;
  // Decoder stages in order: residual blocks and upsamplers.
  std::vector<Res> res_;
  std::vector<Up> ups_;
  std::vector<int> order_;  // >= 0: index into res_; < 0: -(index into ups_) - 1
};

// Loads the VAE decoder of a model folder (or single VAE .safetensors file).
std::unique_ptr<WanVaeDecoder> wan_vae_decoder_load(const std::filesystem::path& model,
                                                    const WanVaeOptions& options);

}  // namespace kino::gen
