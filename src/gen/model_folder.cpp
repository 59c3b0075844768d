#include "gen/model_folder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "gen/safetensors_file.h"
#include "gen/umt5_config.h"
#include "gen/wan_vae.h"
#include "gen/weight_set.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

enum class FileKind { dit, vae, text_encoder, other };

bool has_prefix(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

FileKind classify(const SafetensorsFile& file) {
  static const std::regex dit_block(
      R"(^(model\.diffusion_model\.)?blocks\.\d+\.(self_attn|cross_attn|attn1|attn2)\..*)");
  bool decoder = false;
  for (const auto& info : file.tensors()) {
    std::string_view n = info.name;
    if (has_prefix(n, "encoder.block.") || n == "shared.weight" || n == "token_embedding.weight")
      return FileKind::text_encoder;
    if (has_prefix(n, "decoder.")) decoder = true;
  }
  if (decoder) return FileKind::vae;
  for (const auto& info : file.tensors()) {
    const std::string internal = wan_dit_internal_name(info.name);
    if (internal == "head.modulation" || internal == "patch_embedding.weight" ||
        std::regex_match(info.name, dit_block))
      return FileKind::dit;
  }
  return FileKind::other;
}

Json read_json_file(const fs::path& path) {
  try {
    return json_read_file(path);
  } catch (const Error& e) {
    fail_unsupported(e.what());
  }
}

bool looks_like_dit_config(const Json& j) {
  return j.is_object() &&
         (j.contains("num_layers") || j.contains("dim") || j.contains("num_attention_heads"));
}

std::string billions(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f B", double(n) / 1e9);
  return buf;
}

// Sorts shard files "x-00001-of-00003.safetensors" into one set per directory.
std::vector<fs::path> pick_dit_set(const fs::path& root, std::vector<fs::path> files) {
  if (files.size() <= 1) return files;
  std::sort(files.begin(), files.end());
  std::set<fs::path> dirs;
  for (const auto& f : files) dirs.insert(f.parent_path());
  static const std::regex shard(R"(.*-\d+-of-(\d+)\.safetensors$)");
  bool all_shards = dirs.size() == 1;
  for (const auto& f : files)
    if (!std::regex_match(f.filename().string(), shard)) all_shards = false;
  if (!all_shards) {
    std::string list;
    for (const auto& f : files)
      list += (list.empty() ? "" : ", ") + f.lexically_relative(root).string();
    fail_unsupported(root.string() + ": several DiT weight sets found (" + list +
                     "); pass one file or a folder holding one set");
  }
  return files;
}

// Shards listed by an index file must all be there.
void check_index(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::string tail = ".safetensors.index.json";
    if (name.size() <= tail.size() ||
        name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
      continue;
    Json index = read_json_file(entry.path());
    if (!index.contains("weight_map") || !index["weight_map"].is_object()) continue;
    std::set<std::string> needed;
    for (const auto& [tensor, file] : index["weight_map"].items())
      if (file.is_string()) needed.insert(file.get<std::string>());
    for (const auto& f : needed) {
      if (!fs::exists(dir / f))
        fail_unsupported(entry.path().string() + ": lists shard " + f +
                         ", which is missing from the folder");
    }
  }
}

}  // namespace

ModelFolder model_folder_scan(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(ErrorCode::not_found, path.string() + ": no such file or folder");
  ModelFolder folder;
  folder.root = path;
  std::vector<fs::path> candidates;
  if (fs::is_regular_file(path)) {
    candidates.push_back(path);
  } else if (fs::is_directory(path)) {
    int count = 0;
    for (auto it = fs::recursive_directory_iterator(
             path, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (++count > kModelFolderMaxFiles)
        fail_unsupported(path.string() + ": more than " + std::to_string(kModelFolderMaxFiles) +
                         " files; not a model folder");
      if (it.depth() >= kModelFolderMaxDepth) it.disable_recursion_pending();
      if (!it->is_regular_file()) continue;
      const fs::path& p = it->path();
      const std::string name = p.filename().string();
      const std::string ext = p.extension().string();
      if (ext == ".safetensors")
        candidates.push_back(p);
      else if (ext == ".pth" || ext == ".bin" || ext == ".gguf" || ext == ".pt")
        folder.unsupported_files.push_back(p);
      else if (name == "spiece.model" && !folder.tokenizer)
        folder.tokenizer = p;
    }
  } else {
    fail_unsupported(path.string() + ": not a file or folder");
  }
  std::sort(candidates.begin(), candidates.end());
  std::sort(folder.unsupported_files.begin(), folder.unsupported_files.end());

  std::vector<fs::path> dit;
  for (const auto& c : candidates) {
    auto file = SafetensorsFile::open(c);
    switch (classify(*file)) {
      case FileKind::dit: dit.push_back(c); break;
      case FileKind::vae: folder.vae_files.push_back(c); break;
      case FileKind::text_encoder:
        folder.text_encoder_files.push_back(c);
        if (!folder.tokenizer && file->find("spiece_model")) folder.tokenizer = c;
        break;
      case FileKind::other: break;
    }
  }
  folder.dit_files = pick_dit_set(path, dit);
  if (!folder.dit_files.empty()) {
    const fs::path dir = folder.dit_files.front().parent_path();
    if (fs::is_directory(dir)) check_index(dir);
    if (fs::is_directory(path) && fs::exists(dir / "config.json") &&
        looks_like_dit_config(read_json_file(dir / "config.json")))
      folder.dit_config = dir / "config.json";
    std::vector<std::string> names;
    for (const auto& f : folder.dit_files) {
      auto file = SafetensorsFile::open(f);
      for (const auto& info : file->tensors()) names.push_back(info.name);
    }
    folder.layout = wan_dit_layout(names);
  }
  return folder;
}

DitDescription model_folder_describe_dit(const ModelFolder& folder) {
  if (folder.dit_files.empty()) {
    std::string hint;
    if (!folder.unsupported_files.empty())
      hint = " (" + folder.unsupported_files.front().filename().string() +
             " is a format kino does not read; convert it to safetensors)";
    fail_unsupported(folder.root.string() +
                     ": no Wan DiT weights found (no .safetensors file with head.modulation / "
                     "blocks.N.self_attn tensors)" +
                     hint);
  }
  const std::string what =
      folder.dit_files.size() == 1 ? folder.dit_files.front().string() : folder.root.string();
  WeightSet weights = WeightSet::open(folder.dit_files, wan_dit_internal_name);
  DitDescription d;
  d.layout = folder.layout;
  d.config = wan_dit_config_from_shapes(weights.shapes(), what);
  if (folder.dit_config) {
    wan_dit_config_check_json(d.config, read_json_file(*folder.dit_config),
                              folder.dit_config->parent_path().string());
    d.config_json_checked = true;
  } else {
    wan_dit_config_validate(d.config, what);
  }
  for (const auto& [dtype, n] : weights.dtype_parameters()) {
    d.dtype_parameters.emplace_back(std::string(tensor_dtype_name(dtype)), n);
    d.parameters += n;
  }
  d.unused_tensors = wan_dit_unused_tensors(weights.shapes(), d.config);
  return d;
}

std::string model_folder_report(const fs::path& path) {
  ModelFolder folder = model_folder_scan(path);
  std::ostringstream out;
  auto list = [&](const std::vector<fs::path>& files) {
    std::string s;
    for (const auto& f : files)
      s += (s.empty() ? "" : ", ") +
           (fs::is_directory(path) ? f.lexically_relative(path).string() : f.filename().string());
    return s;
  };
  out << "model: " << path.string() << "\n";
  std::vector<std::string> missing;
  if (folder.dit_files.empty()) {
    out << "dit: none\n";
    missing.push_back("DiT weights");
  } else {
    DitDescription d = model_folder_describe_dit(folder);
    out << "dit: " << list(folder.dit_files) << "\n";
    out << "  layout: " << weight_layout_name(d.layout) << "\n";
    out << "  architecture: Wan " << d.config.summary() << "\n";
    out << "  parameters: " << billions(d.parameters) << " (";
    for (size_t i = 0; i < d.dtype_parameters.size(); ++i)
      out << (i ? ", " : "") << d.dtype_parameters[i].first << " "
          << billions(d.dtype_parameters[i].second);
    out << ")\n";
    out << "  config.json: "
        << (d.config_json_checked ? "consistent with the weights" : "absent (shapes only)") << "\n";
    if (!d.unused_tensors.empty())
      out << "  unused tensors: " << d.unused_tensors.size() << " (first: " << d.unused_tensors[0]
          << ")\n";
  }
  out << "vae: " << (folder.vae_files.empty() ? "none" : list(folder.vae_files)) << "\n";
  if (folder.vae_files.empty()) {
    missing.push_back("VAE");
  } else {
    try {
      WeightSet vae =
          WeightSet::open(folder.vae_files, [](std::string_view n) { return std::string(n); });
      out << "  architecture: "
          << wan_vae_config_from_shapes(vae.shapes(), folder.vae_files.front().string()).summary()
          << "\n";
    } catch (const Error& e) {
      out << "  not usable: " << e.what() << "\n";
    }
  }
  out << "text encoder: "
      << (folder.text_encoder_files.empty() ? "none" : list(folder.text_encoder_files)) << "\n";
  if (folder.text_encoder_files.empty()) {
    missing.push_back("umT5 text encoder");
  } else {
    try {
      WeightSet te = WeightSet::open(folder.text_encoder_files, umt5_internal_name);
      out << "  architecture: "
          << umt5_config_from_shapes(te.shapes(), folder.text_encoder_files.front().string())
                 .summary()
          << "\n";
    } catch (const Error& e) {
      out << "  not usable: " << e.what() << "\n";
    }
  }
  out << "tokenizer: " << (folder.tokenizer ? list({*folder.tokenizer}) : "none") << "\n";
  if (!folder.tokenizer) missing.push_back("tokenizer (spiece.model)");
  if (!folder.unsupported_files.empty())
    out << "not readable (convert to safetensors): " << list(folder.unsupported_files) << "\n";
  out << "missing: ";
  for (size_t i = 0; i < missing.size(); ++i) out << (i ? ", " : "") << missing[i];
  out << (missing.empty() ? "nothing" : "") << "\n";
  return out.str();
}

}  // namespace kino::gen
