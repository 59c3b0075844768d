#pragma once
// Configuration of the Wan VAEs (spec §3): Wan2.1 (z 16, stride 4x8x8) and Wan2.2 (z 48, 2x2
// pixel patches, residual level shortcuts, stride 4x16x16), read from tensor shapes, and the
// layer plan both the shape check and the model are built from.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gen/wan_config.h"

namespace kino::gen {

enum class WanVaeVersion { wan21, wan22 };

// "wan2.1", "wan2.2"
std::string_view wan_vae_version_name(WanVaeVersion version);

struct WanVaeConfig {
  WanVaeVersion version = WanVaeVersion::wan21;
  int64_t z_dim = 16;
  int64_t base_dim = 96;          // encoder dims per level: base x [1, 2, 4, 4]
  int64_t decoder_base_dim = 96;  // decoder dims per level: x [4, 4, 2, 1] (Wan2.2: 256)
  bool encoder = true;            // false: a decoder-only weight set (decode only)

  int64_t patch() const { return version == WanVaeVersion::wan22 ? 2 : 1; }
  int64_t spatial_stride() const { return 8 * patch(); }
  int64_t temporal_stride() const { return 4; }
  // Channels at the encoder's input and the decoder's output (after pixel patchify).
  int64_t pixel_channels() const { return 3 * patch() * patch(); }
  std::string summary() const;
};

// The released configurations.
WanVaeConfig wan21_vae_config();
WanVaeConfig wan22_vae_config();

// Reads version, z_dim and base dims from shapes (official names: conv1, conv2, encoder.*,
// decoder.*) and checks every tensor of the encoder (when present) and the decoder. Errors:
// Error(unsupported, "<what>: ...") naming the tensor, its shape and what was expected.
WanVaeConfig wan_vae_config_from_shapes(const ShapeMap& shapes, std::string_view what);
ShapeMap wan_vae_expected_shapes(const WanVaeConfig& cfg);

// The official name of a diffusers `AutoencoderKLWan` tensor (spec §5.3); official names and
// unknown names come back unchanged. Diffusers spells the two versions' blocks differently
// (Wan2.2 nests `resnets.j` in every level); `diffusers_wan22` says which spelling a file uses,
// as wan_vae_diffusers_wan22 finds from all its names.
std::string wan_vae_internal_name(std::string_view name, bool diffusers_wan22);
bool wan_vae_diffusers_wan22(const std::vector<std::string>& names);

// Per-channel latent statistics (spec §3.2, §3.4): z_model = (mu - mean) / std.
const std::vector<float>& wan21_latent_mean();
const std::vector<float>& wan21_latent_std();
const std::vector<float>& wan22_latent_mean();
const std::vector<float>& wan22_latent_std();
// The statistics of a configuration: the released ones for Wan2.1 z 16 and Wan2.2 z 48; mean 0
// and std 1 for other (test-sized) latent widths, which have no published statistics.
std::vector<float> wan_vae_latent_mean(const WanVaeConfig& cfg);
std::vector<float> wan_vae_latent_std(const WanVaeConfig& cfg);

// The layer plan: every block in execution order with its weight prefix and channel counts.
enum class WanVaeResample { none, down2d, down3d, up2d, up3d };

struct WanVaeResBlockPlan {
  std::string prefix;  // e.g. "encoder.downsamples.3."
  int64_t in = 0, out = 0;
};

struct WanVaeLevelPlan {
  std::vector<WanVaeResBlockPlan> res;
  WanVaeResample resample = WanVaeResample::none;
  std::string resample_prefix;
  int64_t resample_in = 0, resample_out = 0;  // the resample's Conv2d
  // Wan2.2 level shortcut (AvgDown3D in the encoder, DupUp3D in the decoder): added to the
  // level's output when `shortcut`; factors in time and space.
  bool shortcut = false;
  int64_t shortcut_in = 0, shortcut_out = 0, shortcut_t = 1, shortcut_s = 1;
};

struct WanVaeHalfPlan {
  std::string prefix;                                        // "encoder." or "decoder."
  int64_t in = 0, first = 0, middle = 0, last = 0, out = 0;  // conv1 in/out, middle, head in/out
  std::vector<WanVaeLevelPlan> levels;
};

WanVaeHalfPlan wan_vae_encoder_plan(const WanVaeConfig& cfg);
WanVaeHalfPlan wan_vae_decoder_plan(const WanVaeConfig& cfg);

}  // namespace kino::gen
