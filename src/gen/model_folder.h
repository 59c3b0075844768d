#pragma once
// What a model folder (or a single weight file) holds: which safetensors files carry the DiT, the
// VAE and the text encoder, the DiT's config.json, the tokenizer, and what is missing. Only file
// headers are read.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gen/wan_config.h"
#include "gen/wan_names.h"

namespace kino::gen {

struct ModelFolder {
  std::filesystem::path root;
  WeightLayout layout = WeightLayout::official;
  std::vector<std::filesystem::path> dit_files;  // one file, or the shards of one set
  std::optional<std::filesystem::path> dit_config;
  std::vector<std::filesystem::path> vae_files;
  std::vector<std::filesystem::path> text_encoder_files;
  std::optional<std::filesystem::path> tokenizer;  // spiece.model, or a file embedding spiece_model
  std::vector<std::filesystem::path> unsupported_files;  // .pth / .bin / .gguf
};

// Limits of the folder walk.
inline constexpr int kModelFolderMaxDepth = 3;
inline constexpr int kModelFolderMaxFiles = 10000;

// Scans a folder or a single .safetensors file. A path that does not exist is Error(not_found);
// ambiguous DiT sets (two different DiT files, a shard listed in an index but absent) are
// Error(unsupported) naming the files.
ModelFolder model_folder_scan(const std::filesystem::path& path);

struct DitDescription {
  WanDitConfig config;
  WeightLayout layout = WeightLayout::official;
  int64_t parameters = 0;
  std::vector<std::pair<std::string, int64_t>> dtype_parameters;  // "BF16" -> count
  std::vector<std::string> unused_tensors;
  bool config_json_checked = false;
};

// Reads the DiT configuration of a scanned folder from tensor shapes and cross-checks it with
// config.json. A folder without DiT weights is Error(unsupported, "<dir>: no Wan DiT weights ...").
DitDescription model_folder_describe_dit(const ModelFolder& folder);

// `kino models inspect`: a human-readable report of the folder (architecture, sizes, dtypes,
// parameter count, what is missing).
std::string model_folder_report(const std::filesystem::path& path);

}  // namespace kino::gen
