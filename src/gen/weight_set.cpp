#include "gen/weight_set.h"

#include "core/error.h"
#include "gen/tensor_io.h"
#include "gen/wan_names.h"

namespace kino::gen {

WeightSet WeightSet::open(const std::vector<std::filesystem::path>& files, const Rename& rename) {
  std::vector<std::shared_ptr<const SafetensorsFile>> open_files;
  for (const auto& path : files) open_files.push_back(SafetensorsFile::open(path));
  return open(open_files, rename);
}

WeightSet WeightSet::open(const std::vector<std::shared_ptr<const SafetensorsFile>>& files,
                          const Rename& rename) {
  WeightSet set;
  for (const auto& file : files) {
    const std::filesystem::path& path = file->path();
    for (const auto& info : file->tensors()) {
      std::string name = rename(info.name);
      auto [it, inserted] = set.entries_.emplace(name, Entry{file, &info, {}, {}});
      // Tied copies (diffusers keeps shared.weight and encoder.embed_tokens.weight) are aliases.
      const TensorInfo& first = *it->second.info;
      if (!inserted && first.shape == info.shape && first.dtype == info.dtype) continue;
      if (!inserted)
        fail_unsupported(path.string() + ": tensor '" + info.name + "' (" + name + ") is also in " +
                         it->second.file->path().string());
      set.shapes_[name] = info.shape;
    }
    set.files_.push_back(file);
  }
  return set;
}

WeightSet WeightSet::from_tensors(const std::map<std::string, at::Tensor>& tensors) {
  WeightSet set;
  for (const auto& [name, t] : tensors) {
    auto info = std::make_shared<TensorInfo>();
    info->name = name;
    info->dtype = tensor_dtype_from_scalar_type(t.scalar_type()).value_or(TensorDtype::f32);
    info->shape = t.sizes().vec();
    info->nbytes = uint64_t(t.numel()) * t.element_size();
    set.entries_[name] = Entry{nullptr, info.get(), t, info};
    set.shapes_[name] = info->shape;
  }
  return set;
}

std::vector<std::string> WeightSet::original_names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(e.info->name);
  return out;
}

const TensorInfo& WeightSet::info(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::string where =
        files_.empty() ? std::string("in-memory weights") : files_.front()->path().string();
    fail_unsupported(where + ": no tensor " + name);
  }
  return *it->second.info;
}

std::map<TensorDtype, int64_t> WeightSet::dtype_parameters() const {
  std::map<TensorDtype, int64_t> out;
  for (const auto& [name, e] : entries_)
    if (!is_companion_tensor(name)) out[e.info->dtype] += e.info->numel();
  return out;
}

at::Tensor WeightSet::get(const std::string& name, at::ScalarType dtype, at::Device device) const {
  const TensorInfo& meta = info(name);
  const Entry& e = entries_.at(name);
  if (e.tensor.defined()) return e.tensor.to(device, dtype);
  at::Tensor t = safetensors_tensor(e.file, meta);
  if (meta.dtype == TensorDtype::f8_e4m3 || meta.dtype == TensorDtype::f8_e5m2) {
    std::string module = name;
    const std::string leaf = ".weight";
    if (module.size() > leaf.size() &&
        module.compare(module.size() - leaf.size(), leaf.size(), leaf) == 0)
      module.resize(module.size() - leaf.size());
    for (const char* scale_leaf : {".scale_weight", ".weight_scale"}) {
      auto it = entries_.find(module + scale_leaf);
      if (it == entries_.end()) continue;
      at::Tensor scale = safetensors_tensor(it->second.file, *it->second.info).to(at::kFloat);
      if (scale.numel() == 1) {
        t = t * scale.reshape({});
      } else if (scale.dim() >= 1 && scale.size(0) == t.size(0)) {
        std::vector<int64_t> view(size_t(t.dim()), 1);
        view[0] = t.size(0);
        t = t * scale.reshape(view);
      } else {
        fail_unsupported(it->second.file->path().string() + ": scale tensor " + module +
                         scale_leaf + " has shape " + shape_string(it->second.info->shape) +
                         ", which does not fit " + name + " " + shape_string(meta.shape));
      }
      break;
    }
  }
  return t.to(device, dtype);
}

}  // namespace kino::gen
