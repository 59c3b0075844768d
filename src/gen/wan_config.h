#pragma once
// The Wan DiT configuration (spec §1.1), read once from tensor shapes and cross-checked with the
// folder's config.json (official or diffusers key names). A mismatch is a named error here, never
// a crash deep in a matmul.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace kino::gen {

// Spelled as the official config.json spells model_type.
enum class WanModelType { t2v, ti2v, i2v, flf2v };

std::string_view wan_model_type_name(WanModelType type);
std::optional<WanModelType> wan_model_type_parse(std::string_view name);

struct WanDitConfig {
  int64_t dim = 0;
  int64_t ffn_dim = 0;
  int64_t num_heads = 0;
  int64_t num_layers = 0;
  int64_t in_dim = 0;
  int64_t out_dim = 0;
  int64_t text_dim = 4096;
  int64_t freq_dim = 256;
  int64_t text_len = 512;  // context rows the DiT attends to (prompt rows, then zero rows)
  int64_t image_dim = 0;   // CLIP feature width of the I2V image branch; 0 when absent
  std::array<int64_t, 3> patch_size{1, 2, 2};  // (t, h, w)
  double eps = 1e-6;
  WanModelType model_type = WanModelType::t2v;

  int64_t head_dim() const { return num_heads > 0 ? dim / num_heads : 0; }
  bool has_image_branch() const { return image_dim > 0; }
  // "t2v dim 1536, 12 heads x 128, 30 layers, ffn 8960, in 16, out 16, text 4096, patch 1x2x2"
  std::string summary() const;
};

// Internal (official) tensor name -> shape.
using ShapeMap = std::map<std::string, std::vector<int64_t>>;

// Reads the configuration from shapes (spec §5.7: dim from head.modulation, ffn from
// blocks.0.ffn.0, layers by counting, in/out from patch_embedding and head.head, image branch
// from img_emb) and checks that every tensor the configuration needs is present with its shape.
// num_heads defaults to dim / 128 (every released Wan model has head_dim 128). `what` names the
// weights in messages. Errors: Error(unsupported, "<what>: ...").
WanDitConfig wan_dit_config_from_shapes(const ShapeMap& shapes, std::string_view what);

// Cross-checks `cfg` with a config.json object and takes from it what shapes cannot tell
// (num_heads, text_len, eps, model_type). Any field that contradicts the shapes is
// Error(unsupported, "<what>: dim is 3072 but the weights have 1536 (head.modulation)").
void wan_dit_config_check_json(WanDitConfig& cfg, const Json& config, std::string_view what);

// Validates the head split for RoPE: dim divisible by num_heads, even head_dim of at least 6.
void wan_dit_config_validate(const WanDitConfig& cfg, std::string_view what);

// Every tensor a configuration needs, with its shape.
ShapeMap wan_dit_expected_shapes(const WanDitConfig& cfg);

// Tensors in `shapes` that the configuration does not use (fp8 companions excluded).
std::vector<std::string> wan_dit_unused_tensors(const ShapeMap& shapes, const WanDitConfig& cfg);

}  // namespace kino::gen
