#pragma once
// The Wan VAEs (spec §3): Wan2.1 (z 16, stride 4x8x8) and Wan2.2 (z 48, stride 4x16x16), one
// class for both, the version read from tensor shapes. Encode and decode run causally chunk by
// chunk with a cache per causal conv (spec §3.3), so memory stays flat as frames grow; frames
// larger than a threshold are processed in overlapping spatial tiles blended linearly, so memory
// is bounded by the tile size. Encode/decode stay differentiable: nothing inside disables
// autograd (callers set NoGradGuard / InferenceMode when they do not train).
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/progress.h"
#include "gen/wan_vae_config.h"

namespace kino::gen {

class WeightSet;

enum class WanVaeTiling { automatic, off, on };

// "automatic", "off", "on"
std::string_view wan_vae_tiling_name(WanVaeTiling tiling);
std::optional<WanVaeTiling> wan_vae_tiling_parse(std::string_view name);

struct WanVaeOptions {
  at::ScalarType dtype = at::kBFloat16;  // convolutions and attention; norms in float32
  at::Device device = at::kCPU;
  // automatic: frames whose area (output pixels) exceeds tile_above_pixels are tiled.
  WanVaeTiling tiling = WanVaeTiling::automatic;
  // 512 x 512: 832 x 480 (Wan2.1's native size) decodes in two tiles of 448 x 480 with about
  // half the memory and 8 % more work than whole.
  int64_t tile_above_pixels = 512 * 512;
  // Tiles of at most tile_size output pixels a side, neighbours sharing tile_overlap pixels;
  // both multiples of the spatial stride (8 or 16), 0 <= tile_overlap < tile_size. Along each
  // axis the tiles are as few as tile_size allows and of one balanced length
  // (wan_vae_tile_length), so no tile is wasted on a sliver.
  int64_t tile_size = 512;
  int64_t tile_overlap = 64;
  // Most attention scores (float32) the middle block holds at once; queries run in blocks.
  int64_t attention_scores = int64_t(1) << 26;
};

// The length of the tiles over an extent: the extent itself when it fits in `tile`, else the
// shortest length for which as few windows of at most `tile` as possible cover the extent with
// consecutive windows sharing `overlap` (e.g. 104 with tile 64, overlap 8: two windows of 56).
int64_t wan_vae_tile_length(int64_t extent, int64_t tile, int64_t overlap);

// Tiles over an extent: start offsets of windows of `tile` (the last ending at `extent`) with
// consecutive windows sharing at least `overlap`. One window {0} when extent <= tile.
std::vector<int64_t> wan_vae_tile_starts(int64_t extent, int64_t tile, int64_t overlap);

// The per-channel statistics that normalize latents, z = (mu - mean) / std (spec §3.2, §3.4).
struct WanVaeLatentStats {
  std::vector<float> mean, std;
};

// A VAE file may carry its own statistics in its safetensors metadata, as JSON arrays of z_dim
// numbers under these keys (kino-tiny does: they are what its DiT was trained on). Without them
// the family's published statistics apply (wan_vae_latent_mean / _std).
inline constexpr const char* kVaeLatentMeanKey = "latents_mean";
inline constexpr const char* kVaeLatentStdKey = "latents_std";

// The statistics in a file's metadata, if it has both keys. Malformed values (not z_dim finite
// numbers, a std <= 0): Error(unsupported) naming the file and key.
std::optional<WanVaeLatentStats> wan_vae_file_latent_stats(
    const std::map<std::string, std::string>& metadata, int64_t z_dim, const std::string& file);
// The metadata entries that store `stats`.
std::map<std::string, std::string> wan_vae_latent_stats_metadata(const WanVaeLatentStats& stats);

// A loaded VAE: immutable and shareable between threads; every call keeps its own caches.
class WanVae {
 public:
  // `stats`: the latent statistics; unset: the family's published ones.
  WanVae(const WanVaeConfig& cfg, const WeightSet& weights, const WanVaeOptions& options,
         const std::optional<WanVaeLatentStats>& stats = std::nullopt);
  ~WanVae();
  const WanVaeConfig& config() const { return cfg_; }
  const WanVaeOptions& options() const { return options_; }
  int64_t z_dim() const { return cfg_.z_dim; }
  int64_t spatial_stride() const { return cfg_.spatial_stride(); }
  int64_t temporal_stride() const { return cfg_.temporal_stride(); }
  bool has_encoder() const { return cfg_.encoder; }
  const std::vector<float>& latent_mean() const { return mean_; }
  const std::vector<float>& latent_std() const { return std_; }

  // frames [B, 3, F = 4n+1, H, W] in [-1, 1] (H, W multiples of spatial_stride()) -> normalized
  // latent [B, z, n+1, H/s, W/s] float32: (mu - mean) / std. Progress stage "encode", one unit
  // per chunk and tile. Bad shapes: Error(bad_request); no encoder: Error(unsupported);
  // cancel: Error(cancelled).
  at::Tensor encode(const at::Tensor& frames, const ProgressFn& progress = {},
                    const CancelToken* cancel = nullptr) const;
  // normalized latent [B, z, T, h, w] -> frames [B, 3, 4(T-1)+1, h s, w s] float32 in [-1, 1].
  // Progress stage "decode", one unit per latent frame and tile.
  at::Tensor decode(const at::Tensor& z, const ProgressFn& progress = {},
                    const CancelToken* cancel = nullptr) const;

  // The same with the latent in the VAE's own units (mu; no mean/std normalization).
  at::Tensor encode_raw(const at::Tensor& frames, const ProgressFn& progress = {},
                        const CancelToken* cancel = nullptr) const;
  at::Tensor decode_raw(const at::Tensor& z, const ProgressFn& progress = {},
                        const CancelToken* cancel = nullptr) const;

  // Whether frames of h x w output pixels are processed in tiles under the options.
  bool tiled(int64_t height, int64_t width) const;

 private:
  struct Model;
  struct Run;
  at::Tensor encode_tile(const at::Tensor& frames, Run& run) const;
  at::Tensor decode_tile(const at::Tensor& x, Run& run) const;

  WanVaeConfig cfg_;
  WanVaeOptions options_;
  std::vector<float> mean_, std_;
  std::unique_ptr<const Model> model_;
};

// Loads the VAE of a model folder (or a single VAE .safetensors file; official or diffusers
// names). Errors: Error(unsupported / not_found) naming the file and the problem; bad tiling
// options: Error(bad_request).
std::unique_ptr<WanVae> wan_vae_load(const std::filesystem::path& model,
                                     const WanVaeOptions& options);

// The decoder alone as the text-to-video pipeline used it first; kept until callers move to
// WanVae. decode(): `mean` and `std` (z_dim values each) undo a normalization; empty vectors mean
// the latent is already in VAE units.
class WanVaeDecoder {
 public:
  explicit WanVaeDecoder(std::unique_ptr<WanVae> vae) : vae_(std::move(vae)) {}
  const WanVaeConfig& config() const { return vae_->config(); }
  const WanVae& vae() const { return *vae_; }
  at::Tensor decode(const at::Tensor& z, const std::vector<float>& mean,
                    const std::vector<float>& std, const ProgressFn& progress = {},
                    const CancelToken* cancel = nullptr) const;

 private:
  std::unique_ptr<WanVae> vae_;
};

std::unique_ptr<WanVaeDecoder> wan_vae_decoder_load(const std::filesystem::path& model,
                                                    const WanVaeOptions& options);

}  // namespace kino::gen
