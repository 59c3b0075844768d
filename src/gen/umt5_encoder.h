#pragma once
// The umT5 encoder (spec §2.2-2.4) on LibTorch: token embedding, pre-norm layers with per-layer
// relative position bias (no 1/sqrt(d) scaling), gated-GELU FFN, final RMSNorm. Its output, cut
// to the real tokens and re-padded with zero rows, is the DiT's context.
#include <ATen/ATen.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "gen/umt5_config.h"

namespace kino::gen {

class WeightSet;

struct UMT5Options {
  at::ScalarType dtype = at::kBFloat16;  // matmuls and attention; norms and softmax in float32
  at::Device device = at::kCPU;
};

// A loaded encoder: immutable after construction.
class UMT5Encoder {
 public:
  UMT5Encoder(const UMT5Config& cfg, const WeightSet& weights, const UMT5Options& options);

  const UMT5Config& config() const { return cfg_; }

  // ids [B, L] token ids (any integer dtype), mask [B, L] (1 real, 0 padding). Returns the
  // hidden states [B, L, d_model] float32 with the rows of padding positions set to exactly 0,
  // which is the DiT context the reference builds. Bad shapes or ids: Error(bad_request).
  at::Tensor encode(const at::Tensor& ids, const at::Tensor& mask) const;

 private:
  struct Layer {
    at::Tensor norm1, q, k, v, o, rel_bias, norm2, wi0, wi1, wo;
  };
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w) const;
  at::Tensor position_buckets(int64_t length) const;  // [L, L] int64

  UMT5Config cfg_;
  UMT5Options options_;
  at::Tensor embedding_;
  std::vector<Layer> layers_;
  at::Tensor final_norm_;
};

// Loads the umT5 encoder of a model folder (or a single umT5 .safetensors file).
std::unique_ptr<UMT5Encoder> umt5_encoder_load(const std::filesystem::path& model,
                                               const UMT5Options& options);

}  // namespace kino::gen
