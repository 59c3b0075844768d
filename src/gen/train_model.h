#pragma once
// The kino-tiny model family as trainable parameters: sizes, initialisation, and the model folder
// it is written as (config.json, DiT, VAE and umT5 safetensors with the names the ordinary
// loaders read, spiece.model). Parameters are plain float32 leaf tensors by internal name; the
// ordinary WanDit / WanVae / UMT5Encoder classes run on them through WeightSet::from_tensors.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "gen/umt5_config.h"
#include "gen/wan_config.h"
#include "gen/wan_vae_config.h"
#include "scenes/scene_render.h"

namespace kino::gen {

using ParamMap = std::map<std::string, at::Tensor>;

// Sampling defaults the model was trained for, written into config.json under "kino".
struct TinySampling {
  int64_t steps = 20;
  double shift = 3.0;
  double cfg = 4.0;
};

struct TinyModelConfig {
  WanDitConfig dit;  // in/out = vae.z_dim, text_dim = umt5.d_model
  UMT5Config umt5;   // vocab = the tokenizer's size (set when the tokenizer is known)
  WanVaeConfig vae;
  scenes::ClipFormat clip;
  TinySampling sampling;
};

// The shipped size: 64 x 64 x 17 frames at 8 fps; Wan2.1-style VAE (z 32, base 16); DiT dim 192,
// 3 heads, 6 layers (about 3.5 M parameters); umT5 d_model 128, 2 layers. z is twice Wan2.1's
// 16: with 16 latent channels this small VAE blurred small objects (a ring's hole, a star's
// points) however long its decoder trained, and the latent is cheap to widen.
TinyModelConfig tiny_model_config();
// A small version for tests (DiT about 25 k, VAE about 230 k parameters): 32 x 32 x 5 frames.
TinyModelConfig tiny_model_micro_config();

// Checks the parts fit together (z widths, text width, clip size a multiple of stride x patch,
// frames 4n + 1): Error(bad_request) naming the field.
void tiny_model_config_validate(const TinyModelConfig& cfg);

// The configuration as JSON and back (the trainer keeps it beside its checkpoints).
Json tiny_model_config_json(const TinyModelConfig& cfg);
TinyModelConfig tiny_model_config_from_json(const Json& j, std::string_view what);

// Fresh parameters (float32, requires_grad), reproducible per seed.
ParamMap tiny_init_dit(const WanDitConfig& cfg, uint64_t seed);
ParamMap tiny_init_umt5(const UMT5Config& cfg, uint64_t seed);
ParamMap tiny_init_vae(const WanVaeConfig& cfg, uint64_t seed);

// File names inside a model folder.
inline constexpr const char* kTinyDitFile = "diffusion_pytorch_model.safetensors";
inline constexpr const char* kTinyVaeFile = "Wan2.1_VAE.safetensors";
inline constexpr const char* kTinyUmt5File = "umt5.safetensors";

// Writes the non-empty parts into `dir` in `dtype` (float32 for checkpoints, float16 to ship):
// config.json (official DiT keys plus "kino": clip format and sampling) with the DiT.
void tiny_write_model(const std::filesystem::path& dir, const TinyModelConfig& cfg,
                      const ParamMap& dit, const ParamMap& umt5, const ParamMap& vae,
                      at::ScalarType dtype);

// The VAE parameters `from` (of config `from_cfg`) as parameters of `to_cfg`, whose decoder is
// k times as wide (k = to / from decoder_base_dim, a whole number; the encoder and z alike).
// Each decoder channel becomes k copies and inputs read from copies are divided by k, so the
// wider decoder computes the same frames: RMS norms are unchanged by copies, and attention's
// queries are scaled by 1 / sqrt(k) to keep its logits. Copies would get identical gradients
// and stay copies, so `noise` (a fraction of each widened weight's std) then tells them apart.
// Error(bad_request) when the configurations do not fit.
ParamMap tiny_widen_vae_decoder(const ParamMap& from, const WanVaeConfig& from_cfg,
                                const WanVaeConfig& to_cfg, double noise, uint64_t seed);

// Reads parameters back (float32, requires_grad) from a file written by tiny_write_model, by
// internal name. Missing file or tensors of other shapes than `expected`: Error(unsupported).
ParamMap tiny_read_params(const std::filesystem::path& file, const ShapeMap& expected);

int64_t param_count(const ParamMap& params);

// Rendered clips of one size as the VAE takes them: float32 [B, 3, F, H, W] in [-1, 1].
at::Tensor tiny_clips_tensor(const std::vector<std::vector<scenes::RgbImage>>& clips);
// One clip [1, 3, F, H, W] in [-1, 1] (any device and dtype) back as 8-bit frames, rounded.
std::vector<scenes::RgbImage> tiny_clip_frames(const at::Tensor& clip);

// Whether a VAE parameter makes the latent (the encoder and the conv after it): what
// `kino train vae --freeze-encoder` holds fixed and what `kino train export` requires to match.
bool tiny_vae_encoder_side(const std::string& name);

}  // namespace kino::gen
