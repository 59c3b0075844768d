#pragma once
// Small Wan DiT models with random weights, written in the layouts kino reads, for the gen and
// reference tests. Nothing here is downloaded.
#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "gen/umt5_config.h"
#include "gen/wan_config.h"
#include "gen/wan_vae.h"

namespace kino::gen::testing {

enum class TestLayout {
  official,         // config.json (official keys) + diffusion_pytorch_model.safetensors
  official_shards,  // the same split over two shards with an index.json
  comfy,            // one file, keys prefixed model.diffusion_model., no config.json
  diffusers,        // model_index.json + transformer/{config.json, weights} with diffusers names
};

// dim 64, 4 heads of 16, 2 layers, ffn 128, text 32, freq 32, in/out 4, text_len 24.
WanDitConfig tiny_wan_config();

// Random float32 weights for every tensor of `cfg` (official names), reproducible per seed.
std::vector<std::pair<std::string, at::Tensor>> random_wan_weights(const WanDitConfig& cfg,
                                                                   uint64_t seed);

// The diffusers spelling of an official DiT name (the test's own table, spec §5.3).
std::string diffusers_name(const std::string& official);

// Writes a model folder (or, for comfy, `dir`/wan_dit.safetensors) and returns the path to pass
// as --model. Weights are stored in `dtype`.
std::filesystem::path write_wan_model(const std::filesystem::path& dir, const WanDitConfig& cfg,
                                      uint64_t seed, TestLayout layout,
                                      at::ScalarType dtype = at::kFloat);

// Reproducible standard-normal tensor.
at::Tensor test_randn(const std::vector<int64_t>& shape, uint64_t seed);

// vocab 97, d_model 32, 4 heads x 8, d_ff 48, 2 layers, 32 buckets, max distance 128.
UMT5Config tiny_umt5_config();

// Writes `dir`/umt5.safetensors with random weights under HF names (or the official Wan names)
// and returns the file's path.
std::filesystem::path write_umt5_model(const std::filesystem::path& dir, const UMT5Config& cfg,
                                       uint64_t seed, bool official_names = false);

// Writes `dir`/vae.safetensors: a random Wan2.1 VAE (encoder and decoder, official names) of
// base dim `base` and `z` latent channels; returns the file's path.
std::filesystem::path write_wan_vae(const std::filesystem::path& dir, int64_t base, int64_t z,
                                    uint64_t seed);
// The same for any configuration (Wan2.2, decoder only, ...), with official or diffusers names.
std::filesystem::path write_wan_vae(const std::filesystem::path& dir, const WanVaeConfig& cfg,
                                    uint64_t seed, bool diffusers_names = false);
// The diffusers spelling of an official VAE tensor name (the test's own table, spec §5.3).
std::string diffusers_vae_name(const std::string& official, WanVaeVersion version);

// A small SentencePiece unigram model (20 pieces: pad 0, eos 1, bos 2, unk 3, then "▁a" 4,
// "▁fox" 5, "▁red" 6, "▁at" 7, "▁dawn" 8, ...) as the bytes of its protobuf.
std::string tiny_spm_model();

}  // namespace kino::gen::testing
