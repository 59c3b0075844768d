#pragma once
// The model catalog: named models kino can download (`kino models pull NAME`), each a list of
// files in public hub repositories plus the config.json kino writes beside them, and where
// installed models live. Plain data and file checks; no LibTorch.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace kino::gen {

struct CatalogFile {
  std::string repo;          // "Comfy-Org/Wan_2.1_ComfyUI_repackaged"
  std::string path;          // path inside the repository
  std::string name;          // file name in the model folder (default: the path's last part)
  int64_t bytes = 0;         // size; exact only when bytes_exact
  bool bytes_exact = false;  // false: an estimate (display and disk-space check only)
  std::string sha256;        // lower-case hex; empty when not published in the catalog
};

struct CatalogModel {
  std::string name;         // "wan2.1-t2v-1.3b"
  std::string description;  // one line
  std::vector<CatalogFile> files;
  Json config;  // written as config.json in the model folder after the files; null: none
  int64_t total_bytes() const;
};

// The built-in catalog, in preference order (the first installed one is the default model).
const std::vector<CatalogModel>& model_catalog();
const CatalogModel* model_catalog_find(std::string_view name);
// Parses a catalog in the wire form (a JSON array of models; see docs/MODELS.md). Bad entries:
// Error(bad_request) naming the field path ("models[1].files[0].sha256 must be ...").
std::vector<CatalogModel> model_catalog_parse(const Json& catalog);

// $KINO_MODELS_DIR, else $XDG_DATA_HOME/kino/models, else ~/.local/share/kino/models.
std::filesystem::path models_dir();
// A model to use when none is named: an installed catalog model (first in catalog order) under
// models_dir(), else nullopt.
std::optional<std::filesystem::path> default_model_path();
// kino-tiny, the model that ships with kino (models/kino-tiny in the source tree), used when no
// model is named or installed: $KINO_BUILTIN_MODEL when set ("none": no built-in model), else
// share/kino/models/kino-tiny beside the executable's bin/ folder, else models/kino-tiny in a
// folder above the executable (a build inside the source tree). nullopt when none holds a
// config.json.
std::optional<std::filesystem::path> builtin_model_path();
// The model a command uses when none is named: default_model_path(), else builtin_model_path().
std::optional<std::filesystem::path> model_to_use();

// The manifest kino writes into a model folder: every downloaded file's size and sha256.
inline constexpr const char* kModelManifestName = "kino-manifest.json";

// The manifest of a model folder as an object; a missing or damaged one is {} (its files then
// count as unverified, never an exception).
Json model_manifest_read(const std::filesystem::path& dir);

enum class ModelState { installed, partial, absent };
std::string_view model_state_name(ModelState state);

struct CatalogFileStatus {
  const CatalogFile* file = nullptr;
  int64_t bytes_present = 0;  // final file, else the .part file, else 0
  bool complete = false;      // final file present and matching the manifest (and catalog size)
  bool partial = false;       // only a .part file is present
  std::string problem;        // why a present final file does not count as complete
};

struct CatalogModelStatus {
  ModelState state = ModelState::absent;
  std::filesystem::path dir;
  std::vector<CatalogFileStatus> files;
  int64_t bytes_present = 0;
};

// State of `model` in folder `dir` (the model's own folder). With `verify`, complete files are
// re-hashed and compared with the manifest and the catalog (slow for big files).
CatalogModelStatus model_catalog_status(const CatalogModel& model, const std::filesystem::path& dir,
                                        bool verify = false);

}  // namespace kino::gen
