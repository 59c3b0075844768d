#pragma once
// The tensors of one model component spread over one or more safetensors files, addressed by
// internal name. Loading is lazy: a tensor is mapped, decoded (fp8 with its scale) and converted
// to the run dtype and device only when asked for.
#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gen/safetensors_file.h"
#include "gen/wan_config.h"

namespace kino::gen {

class WeightSet {
 public:
  using Rename = std::function<std::string(std::string_view)>;

  // Opens the files and indexes their tensors under rename(name). The same internal name in two
  // places is Error(unsupported) unless both have the same dtype and shape (tied copies; the
  // first is kept).
  static WeightSet open(const std::vector<std::filesystem::path>& files, const Rename& rename);
  // The same on files already open (a loader that read their names or metadata first).
  static WeightSet open(const std::vector<std::shared_ptr<const SafetensorsFile>>& files,
                        const Rename& rename);
  // In-memory tensors under internal names (a trainer's parameters). get() hands them back
  // as they are when dtype and device already match: no copy, autograd history intact.
  static WeightSet from_tensors(const std::map<std::string, at::Tensor>& tensors);

  const ShapeMap& shapes() const { return shapes_; }
  std::vector<std::string> original_names() const;
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const TensorInfo& info(const std::string& name) const;
  // Parameters per stored dtype, fp8 companions excluded.
  std::map<TensorDtype, int64_t> dtype_parameters() const;

  // The tensor converted to dtype on device. fp8 weights are multiplied by their scale
  // (`X.scale_weight` or `X.weight_scale`). Missing: Error(unsupported) naming it and the files.
  at::Tensor get(const std::string& name, at::ScalarType dtype, at::Device device) const;

 private:
  struct Entry {
    std::shared_ptr<const SafetensorsFile> file;
    const TensorInfo* info;
    at::Tensor tensor;                        // in-memory entries only
    std::shared_ptr<const TensorInfo> owned;  // their info
  };
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, Entry> entries_;
  ShapeMap shapes_;
};

}  // namespace kino::gen
