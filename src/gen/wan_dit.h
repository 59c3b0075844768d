#pragma once
// The Wan DiT ("WanModel", spec §1) on LibTorch: patch embedding, time and text embeddings,
// transformer blocks with 3D RoPE self-attention, cross-attention and a modulated FFN, the head
// and unpatchify; per-token timesteps for Wan2.2 TI2V. Device and dtype are parameters.
#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "gen/wan_config.h"

namespace kino::gen {

class WeightSet;

struct WanDitOptions {
  // Matmul and attention dtype. The residual stream, modulation, norms, time embedding and head
  // stay float32 whatever this is (spec §1.9).
  at::ScalarType dtype = at::kBFloat16;
  at::Device device = at::kCPU;
  // Attention runs over chunks of queries so no chunk's score matrix exceeds this many bytes
  // (no L x L matrix is held for long sequences).
  int64_t attention_chunk_bytes = int64_t(256) << 20;
};

// The prompt-dependent part of every block (cross-attention keys and values of the embedded
// context), computed once per prompt and reused for every step.
struct WanDitText {
  std::vector<at::Tensor> k, v;  // per block [B, heads, text_len, head_dim], run dtype
  int64_t batch = 0;
};

// A loaded model: immutable after construction, so one instance may serve several runs at once.
class WanDit {
 public:
  // Takes every tensor of `cfg` from `weights` (internal names), converted once to the run dtype
  // (float32 for the parts that run in float32). Missing tensors: Error(unsupported).
  WanDit(const WanDitConfig& cfg, const WeightSet& weights, const WanDitOptions& options);

  const WanDitConfig& config() const { return cfg_; }
  const WanDitOptions& options() const { return options_; }

  // Encodes a context [B, N <= text_len, text_dim] (zero rows appended up to text_len first, as
  // the reference does): the text embedding MLP, then every block's cross-attention keys and
  // values. Bad shapes: Error(bad_request).
  WanDitText encode_text(const at::Tensor& context) const;

  // x [B, in_dim, T, H, W] latent; t [B] (one timestep per sample) or [B, L] (one per token,
  // L = tokens of x, frame-major) in the model's 0..1000 units; text from encode_text.
  // Returns the flow velocity [B, out_dim, T, H, W], float32. Bad shapes: Error(bad_request).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const WanDitText& text) const;

 private:
  struct Linear {
    at::Tensor w, b;
  };
  struct Attention {
    Linear q, k, v, o;
    at::Tensor norm_q, norm_k;  // float32
  };
  struct Block {
    at::Tensor modulation;  // [1, 6, dim] float32
    Attention self_attn, cross_attn;
    at::Tensor norm3_w, norm3_b;  // float32
    Linear ffn0, ffn2;
  };

  at::Tensor linear(const at::Tensor& x, const Linear& l) const;
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w) const;
  at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const;
  at::Tensor rope_tables(int64_t frames, int64_t rows, int64_t cols) const;

  WanDitConfig cfg_;
  WanDitOptions options_;
  Linear patch_embedding_;  // weight [dim, in, pt, ph, pw]
  Linear text0_, text2_;
  Linear time0_, time2_, time_proj_;  // float32
  std::vector<Block> blocks_;
  at::Tensor head_modulation_;  // [1, 2, dim] float32
  Linear head_;                 // float32
};

// Scans a model folder (or single file), reads and cross-checks the configuration, and loads the
// DiT. Errors name the folder and what is wrong with it.
std::unique_ptr<WanDit> wan_dit_load(const std::filesystem::path& model,
                                     const WanDitOptions& options);

}  // namespace kino::gen
