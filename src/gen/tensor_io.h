#pragma once
// LibTorch side of safetensors: tensors as views on a file's mapping, and the writer.
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gen/safetensors_file.h"

namespace kino::gen {

// The LibTorch type holding a file dtype. fp8 has none in this LibTorch: it is decoded to kFloat.
at::ScalarType tensor_dtype_scalar_type(TensorDtype dtype);
std::optional<TensorDtype> tensor_dtype_from_scalar_type(at::ScalarType type);

// The tensor as stored, on the CPU. When its dtype is native and its bytes are aligned this is a
// view on the mapping (no copy; it keeps the file mapped) and must be treated as read-only;
// otherwise (fp8, misaligned) a decoded copy.
at::Tensor safetensors_tensor(const std::shared_ptr<const SafetensorsFile>& file,
                              const TensorInfo& info);
// The same converted to `dtype` on `device`; no copy when it already matches.
at::Tensor safetensors_tensor(const std::shared_ptr<const SafetensorsFile>& file,
                              const TensorInfo& info, at::ScalarType dtype, at::Device device);

// Every tensor of a file by name (views as above).
std::map<std::string, at::Tensor> safetensors_read_all(const std::filesystem::path& path);

// Writes the tensors (any device or layout) in the given order, through a temporary file that is
// renamed into place. Types without a safetensors spelling, or I/O failures, throw Error.
void safetensors_write(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace kino::gen
