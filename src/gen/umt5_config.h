#pragma once
// The umT5 text encoder configuration (spec §2.2), read from tensor shapes. Internal names are
// the Hugging Face / ComfyUI / diffusers ones (`encoder.block.N.layer.0.SelfAttention.q.weight`);
// the official Wan names (`blocks.N.attn.q.weight`) are mapped onto them.
#include <cstdint>
#include <string>
#include <string_view>

#include "gen/wan_config.h"

namespace kino::gen {

struct UMT5Config {
  int64_t vocab = 0;
  int64_t d_model = 0;
  int64_t num_heads = 0;
  int64_t d_kv = 0;  // per-head width; q/k/v project to num_heads * d_kv
  int64_t d_ff = 0;
  int64_t num_layers = 0;
  int64_t num_buckets = 32;
  int64_t max_distance = 128;
  double eps = 1e-6;

  // "umT5 d_model 4096, 64 heads x 64, 24 layers, ffn 10240, vocab 256384"
  std::string summary() const;
};

// The internal (HF) name of a umT5 tensor written with HF or official Wan names.
std::string umt5_internal_name(std::string_view name);

// Reads the configuration from shapes (heads from the relative-bias table [buckets, heads]) and
// checks every tensor it needs. Errors: Error(unsupported, "<what>: ...").
UMT5Config umt5_config_from_shapes(const ShapeMap& shapes, std::string_view what);

ShapeMap umt5_expected_shapes(const UMT5Config& cfg);

}  // namespace kino::gen
