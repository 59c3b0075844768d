#include "gen/tensor_io.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace kino::gen {
namespace {

// 256-entry decode tables for the two fp8 formats (OCP FP8: E4M3 "fn" has no infinities and
// one NaN pattern per sign; E5M2 is IEEE-like).
std::array<float, 256> fp8_table(TensorDtype dtype) {
  std::array<float, 256> t{};
  const bool e4m3 = dtype == TensorDtype::f8_e4m3;
  const int mant_bits = e4m3 ? 3 : 2;
  const int bias = e4m3 ? 7 : 15;
  const int exp_max = e4m3 ? 15 : 31;
  for (int b = 0; b < 256; ++b) {
    const int sign = b >> 7;
    const int exp = (b >> mant_bits) & exp_max;
    const int mant = b & ((1 << mant_bits) - 1);
    float v;
    if (e4m3 && exp == 15 && mant == 7) {
      v = NAN;
    } else if (!e4m3 && exp == 31) {
      v = mant == 0 ? INFINITY : NAN;
    } else if (exp == 0) {
      v = std::ldexp(float(mant) / float(1 << mant_bits), 1 - bias);
    } else {
      v = std::ldexp(1.0f + float(mant) / float(1 << mant_bits), exp - bias);
    }
    t[b] = sign ? -v : v;
  }
  return t;
}

at::Tensor decode_fp8(const std::byte* data, const TensorInfo& info) {
  static const std::array<float, 256> e4m3 = fp8_table(TensorDtype::f8_e4m3);
  static const std::array<float, 256> e5m2 = fp8_table(TensorDtype::f8_e5m2);
  const float* table = info.dtype == TensorDtype::f8_e4m3 ? e4m3.data() : e5m2.data();
  at::Tensor out = at::empty(info.shape, at::kFloat);
  float* dst = out.data_ptr<float>();
  const auto* src = reinterpret_cast<const uint8_t*>(data);
  for (int64_t i = 0, n = info.numel(); i < n; ++i) dst[i] = table[src[i]];
  return out;
}

}  // namespace

at::ScalarType tensor_dtype_scalar_type(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::f64: return at::kDouble;
    case TensorDtype::f32: return at::kFloat;
    case TensorDtype::f16: return at::kHalf;
    case TensorDtype::bf16: return at::kBFloat16;
    case TensorDtype::f8_e4m3:
    case TensorDtype::f8_e5m2: return at::kFloat;
    case TensorDtype::i64: return at::kLong;
    case TensorDtype::i32: return at::kInt;
    case TensorDtype::i16: return at::kShort;
    case TensorDtype::i8: return at::kChar;
    case TensorDtype::u8: return at::kByte;
    case TensorDtype::boolean: return at::kBool;
  }
  return at::kFloat;
}

std::optional<TensorDtype> tensor_dtype_from_scalar_type(at::ScalarType type) {
  switch (type) {
    case at::kDouble: return TensorDtype::f64;
    case at::kFloat: return TensorDtype::f32;
    case at::kHalf: return TensorDtype::f16;
    case at::kBFloat16: return TensorDtype::bf16;
    case at::kLong: return TensorDtype::i64;
    case at::kInt: return TensorDtype::i32;
    case at::kShort: return TensorDtype::i16;
    case at::kChar: return TensorDtype::i8;
    case at::kByte: return TensorDtype::u8;
    case at::kBool: return TensorDtype::boolean;
    default: return std::nullopt;
  }
}

at::Tensor safetensors_tensor(const std::shared_ptr<const SafetensorsFile>& file,
                              const TensorInfo& info) {
  const std::byte* data = file->data(info);
  if (info.dtype == TensorDtype::f8_e4m3 || info.dtype == TensorDtype::f8_e5m2)
    return decode_fp8(data, info);
  const at::ScalarType type = tensor_dtype_scalar_type(info.dtype);
  const size_t elem = tensor_dtype_size(info.dtype);
  if (reinterpret_cast<uintptr_t>(data) % elem != 0 || info.nbytes == 0) {
    at::Tensor out = at::empty(info.shape, type);
    if (info.nbytes) std::memcpy(out.data_ptr(), data, info.nbytes);
    return out;
  }
  // The deleter holds the file, so the mapping outlives every view on it.
  auto keep = new std::shared_ptr<const SafetensorsFile>(file);
  return at::from_blob(
      const_cast<std::byte*>(data), info.shape, [keep](void*) { delete keep; },
      at::TensorOptions().dtype(type));
}

at::Tensor safetensors_tensor(const std::shared_ptr<const SafetensorsFile>& file,
                              const TensorInfo& info, at::ScalarType dtype, at::Device device) {
  return safetensors_tensor(file, info).to(device, dtype);
}

std::map<std::string, at::Tensor> safetensors_read_all(const std::filesystem::path& path) {
  auto file = SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& info : file->tensors()) out[info.name] = safetensors_tensor(file, info);
  return out;
}

void safetensors_write(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == "__metadata__" || !names.insert(name).second)
      fail(ErrorCode::internal,
           path.string() + ": tensor name '" + name + "' is empty, reserved or repeated");
    auto dtype = tensor_dtype_from_scalar_type(tensor.scalar_type());
    if (!dtype)
      fail(ErrorCode::internal, path.string() + ": tensor '" + name + "' has type " +
                                    std::string(c10::toString(tensor.scalar_type())) +
                                    ", which safetensors cannot store");
    at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const uint64_t nbytes = uint64_t(t.numel()) * t.element_size();
    header[name] = {{"dtype", tensor_dtype_name(*dtype)},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(std::move(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  const std::filesystem::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    unsigned char len[8];
    uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const auto& t : data)
      out.write(static_cast<const char*>(t.data_ptr()),
                std::streamsize(t.numel() * t.element_size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      fail(ErrorCode::internal, path.string() + ": cannot write the file");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(ErrorCode::internal, path.string() + ": cannot rename into place: " + ec.message());
}

}  // namespace kino::gen
