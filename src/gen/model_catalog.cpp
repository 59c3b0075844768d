#include "gen/model_catalog.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "gen/model_download.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

// The built-in catalog. Files are the ComfyUI repackaged single files: the official Wan folders
// ship the text encoder and the VAE as torch pickles (.pth), which kino does not read. Sizes and
// sha256 are the hub's published values for these files (the same at every revision of the two
// repositories since the files were uploaded): a download of another length or digest is
// refused, so a file changed upstream needs a catalog update, never a silent mismatch.
// The umT5 text encoder is the fp8-scaled file (6.7 GB instead of 11.4 GB at fp16); it is the
// one ComfyUI's own Wan workflows use.
constexpr const char* kCatalogJson = R"json([
  {
    "name": "wan2.1-t2v-1.3b",
    "description": "Wan2.1 text-to-video 1.3B (832x480, 16 fps): DiT fp16, umT5-XXL fp8, Wan2.1 VAE",
    "files": [
      {"repo": "Comfy-Org/Wan_2.1_ComfyUI_repackaged",
       "path": "split_files/diffusion_models/wan2.1_t2v_1.3B_fp16.safetensors",
       "bytes": 2838303560, "bytes_exact": true,
       "sha256": "be531024cd9018cb5b48c40cfbb6a6191645b1c792eb8bf4f8c1c6e10f924dc5"},
      {"repo": "Comfy-Org/Wan_2.1_ComfyUI_repackaged",
       "path": "split_files/text_encoders/umt5_xxl_fp8_e4m3fn_scaled.safetensors",
       "bytes": 6735906897, "bytes_exact": true,
       "sha256": "c3355d30191f1f066b26d93fba017ae9809dce6c627dda5f6a66eaa651204f68"},
      {"repo": "Comfy-Org/Wan_2.1_ComfyUI_repackaged",
       "path": "split_files/vae/wan_2.1_vae.safetensors",
       "bytes": 253815318, "bytes_exact": true,
       "sha256": "2fc39d31359a4b0a64f55876d8ff7fa8d780956ae2cb13463b0223e15148976b"}
    ],
    "config": {"_class_name": "WanModel", "model_type": "t2v", "dim": 1536, "ffn_dim": 8960,
               "freq_dim": 256, "in_dim": 16, "out_dim": 16, "num_heads": 12, "num_layers": 30,
               "patch_size": [1, 2, 2], "text_len": 512, "text_dim": 4096, "eps": 1e-6}
  },
  {
    "name": "wan2.2-ti2v-5b",
    "description": "Wan2.2 text/image-to-video 5B (1280x704, 24 fps): DiT fp16, umT5-XXL fp8, Wan2.2 VAE",
    "files": [
      {"repo": "Comfy-Org/Wan_2.2_ComfyUI_Repackaged",
       "path": "split_files/diffusion_models/wan2.2_ti2v_5B_fp16.safetensors",
       "bytes": 9999658848, "bytes_exact": true,
       "sha256": "456f901338bd9eadbded3828b819109a9b68e8a525ca5cf8d0049a69fcfeca1e"},
      {"repo": "Comfy-Org/Wan_2.1_ComfyUI_repackaged",
       "path": "split_files/text_encoders/umt5_xxl_fp8_e4m3fn_scaled.safetensors",
       "bytes": 6735906897, "bytes_exact": true,
       "sha256": "c3355d30191f1f066b26d93fba017ae9809dce6c627dda5f6a66eaa651204f68"},
      {"repo": "Comfy-Org/Wan_2.2_ComfyUI_Repackaged",
       "path": "split_files/vae/wan2.2_vae.safetensors",
       "bytes": 1409400960, "bytes_exact": true,
       "sha256": "e40321bd36b9709991dae2530eb4ac303dd168276980d3e9bc4b6e2b75fed156"}
    ],
    "config": {"_class_name": "WanModel", "model_type": "ti2v", "dim": 3072, "ffn_dim": 14336,
               "freq_dim": 256, "in_dim": 48, "out_dim": 48, "num_heads": 24, "num_layers": 30,
               "patch_size": [1, 2, 2], "text_len": 512, "text_dim": 4096, "eps": 1e-6}
  }
])json";

bool valid_model_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || s[0] == '.' || s[0] == '-') return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

bool valid_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A path inside a repository: relative, no "..", no empty parts.
bool valid_repo_path(const std::string& s) {
  if (s.empty() || s.front() == '/' || s.back() == '/' || s.find('\\') != std::string::npos)
    return false;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (part.empty() || part == "." || part == "..") return false;
  return true;
}

}  // namespace

Json model_manifest_read(const fs::path& dir) {
  std::ifstream in(dir / kModelManifestName, std::ios::binary);
  if (!in) return Json::object();
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    Json j = json_parse(ss.str(), kModelManifestName);
    return j.is_object() ? j : Json::object();
  } catch (const Error&) {
    return Json::object();
  }
}

int64_t CatalogModel::total_bytes() const {
  int64_t n = 0;
  for (const auto& f : files) n += f.bytes;
  return n;
}

std::vector<CatalogModel> model_catalog_parse(const Json& catalog) {
  if (!catalog.is_array()) fail_bad_request("models must be an array, got " + json_brief(catalog));
  std::vector<CatalogModel> out;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const Json& m = catalog[i];
    const std::string where = json_path("models", i);
    if (!m.is_object()) fail_bad_request(where + " must be an object, got " + json_brief(m));
    CatalogModel model;
    model.name = json_require_string(m, "name", json_path(where, "name"));
    if (!valid_model_name(model.name))
      fail_bad_request(json_path(where, "name") +
                       " must be 1-64 letters, digits, '.', '-' or '_' (not starting with '.' or "
                       "'-'), got \"" +
                       model.name + "\"");
    for (const auto& other : out)
      if (other.name == model.name)
        fail_bad_request(json_path(where, "name") + " \"" + model.name + "\" is listed twice");
    model.description = json_string(m, "description", json_path(where, "description"), "");
    if (!m.contains("files") || !m["files"].is_array() || m["files"].empty())
      fail_bad_request(json_path(where, "files") + " must be a non-empty array");
    const Json& files = m["files"];
    for (size_t k = 0; k < files.size(); ++k) {
      const std::string fw = json_path(json_path(where, "files"), k);
      if (!files[k].is_object())
        fail_bad_request(fw + " must be an object, got " + json_brief(files[k]));
      CatalogFile f;
      f.repo = json_require_string(files[k], "repo", json_path(fw, "repo"));
      f.path = json_require_string(files[k], "path", json_path(fw, "path"));
      if (!valid_repo_path(f.repo))
        fail_bad_request(json_path(fw, "repo") + " must be owner/name, got \"" + f.repo + "\"");
      if (!valid_repo_path(f.path))
        fail_bad_request(json_path(fw, "path") +
                         " must be a relative path without '.' or '..' parts, got \"" + f.path +
                         "\"");
      f.name = json_string(files[k], "name", json_path(fw, "name"),
                           fs::path(f.path).filename().string());
      if (!valid_model_name(f.name))
        fail_bad_request(json_path(fw, "name") + " must be a plain file name, got \"" + f.name +
                         "\"");
      f.bytes = json_require_int(files[k], "bytes", json_path(fw, "bytes"));
      if (f.bytes < 0)
        fail_bad_request(json_path(fw, "bytes") + " must be >= 0, got " + std::to_string(f.bytes));
      f.bytes_exact = json_bool(files[k], "bytes_exact", json_path(fw, "bytes_exact"), true);
      f.sha256 = json_string(files[k], "sha256", json_path(fw, "sha256"), "");
      if (!f.sha256.empty() && !valid_sha256(f.sha256))
        fail_bad_request(json_path(fw, "sha256") +
                         " must be 64 lower-case hex digits or empty, got \"" + f.sha256 + "\"");
      for (const auto& g : model.files)
        if (g.name == f.name)
          fail_bad_request(json_path(fw, "name") + " \"" + f.name + "\" is listed twice");
      if (f.name == kModelManifestName || f.name == "config.json")
        fail_bad_request(json_path(fw, "name") + " \"" + f.name + "\" is reserved");
      model.files.push_back(std::move(f));
    }
    if (m.contains("config") && !m["config"].is_null()) {
      if (!m["config"].is_object())
        fail_bad_request(json_path(where, "config") + " must be an object, got " +
                         json_brief(m["config"]));
      model.config = m["config"];
    }
    out.push_back(std::move(model));
  }
  return out;
}

const std::vector<CatalogModel>& model_catalog() {
  static const std::vector<CatalogModel> catalog =
      model_catalog_parse(json_parse(kCatalogJson, "built-in model catalog"));
  return catalog;
}

const CatalogModel* model_catalog_find(std::string_view name) {
  for (const auto& m : model_catalog())
    if (m.name == name) return &m;
  return nullptr;
}

fs::path models_dir() {
  if (const char* d = std::getenv("KINO_MODELS_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "kino" / "models";
  if (const char* h = std::getenv("HOME"); h && *h)
    return fs::path(h) / ".local" / "share" / "kino" / "models";
  return fs::path(".kino") / "models";
}

std::optional<fs::path> default_model_path() {
  const fs::path root = models_dir();
  for (const auto& m : model_catalog()) {
    const fs::path dir = root / m.name;
    if (model_catalog_status(m, dir).state == ModelState::installed) return dir;
  }
  return std::nullopt;
}

std::optional<fs::path> builtin_model_path() {
  auto usable = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "config.json", ec);
  };
  if (const char* env = std::getenv("KINO_BUILTIN_MODEL"); env && *env) {
    if (std::string_view(env) == "none" || !usable(env)) return std::nullopt;
    return fs::path(env);
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  const fs::path bin = exe.parent_path();
  if (const fs::path installed = bin.parent_path() / "share" / "kino" / "models" / "kino-tiny";
      usable(installed))
    return installed;
  fs::path dir = bin;
  for (int up = 0; up < 5 && dir.has_relative_path(); ++up, dir = dir.parent_path())
    if (usable(dir / "models" / "kino-tiny")) return dir / "models" / "kino-tiny";
  return std::nullopt;
}

std::optional<fs::path> model_to_use() {
  if (auto p = default_model_path()) return p;
  return builtin_model_path();
}

std::string_view model_state_name(ModelState state) {
  switch (state) {
    case ModelState::installed: return "installed";
    case ModelState::partial: return "partial";
    case ModelState::absent: return "absent";
  }
  return "absent";
}

CatalogModelStatus model_catalog_status(const CatalogModel& model, const fs::path& dir,
                                        bool verify) {
  CatalogModelStatus st;
  st.dir = dir;
  const Json manifest = model_manifest_read(dir);
  const Json* recorded =
      manifest.contains("files") && manifest["files"].is_object() ? &manifest["files"] : nullptr;
  bool all = true, any = false;
  for (const auto& f : model.files) {
    CatalogFileStatus fst;
    fst.file = &f;
    std::error_code ec;
    const fs::path final_path = dir / f.name;
    const fs::path part = dir / (f.name + ".part");
    if (fs::is_regular_file(final_path, ec)) {
      fst.bytes_present = int64_t(fs::file_size(final_path, ec));
      const Json* entry = recorded && recorded->contains(f.name) ? &(*recorded)[f.name] : nullptr;
      if (!entry || !entry->is_object() || !(*entry)["bytes"].is_number_integer()) {
        fst.problem = "not in " + std::string(kModelManifestName);
      } else if ((*entry)["bytes"].get<int64_t>() != fst.bytes_present) {
        fst.problem = "size " + std::to_string(fst.bytes_present) + " differs from the " +
                      std::to_string((*entry)["bytes"].get<int64_t>()) + " recorded";
      } else if (f.bytes_exact && f.bytes != fst.bytes_present) {
        fst.problem = "size " + std::to_string(fst.bytes_present) + " differs from the catalog's " +
                      std::to_string(f.bytes);
      } else if (verify) {
        const std::string sum = sha256_file(final_path);
        const std::string want =
            !f.sha256.empty() ? f.sha256 : json_string(*entry, "sha256", "sha256", "");
        if (sum != want) fst.problem = "sha256 " + sum + " differs from " + want;
      }
      fst.complete = fst.problem.empty();
    } else if (fs::is_regular_file(part, ec)) {
      fst.bytes_present = int64_t(fs::file_size(part, ec));
      fst.partial = true;
    }
    if (fst.bytes_present > 0 || fst.complete) any = true;
    if (!fst.complete) all = false;
    st.bytes_present += fst.bytes_present;
    st.files.push_back(std::move(fst));
  }
  const bool config_ok = model.config.is_null() || fs::is_regular_file(dir / "config.json");
  if (all && config_ok)
    st.state = ModelState::installed;
  else if (any)
    st.state = ModelState::partial;
  return st;
}

}  // namespace kino::gen
