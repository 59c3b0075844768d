#pragma once
// Read-only, memory-mapped .safetensors files: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, "__metadata__": {..}}, then the raw tensor bytes.
// Every offset, size and dtype is checked against the file length when the file is opened, so a
// corrupt or truncated file is Error(unsupported, "<file>: <what is wrong>"), never a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kino::gen {

// Element types, spelled on the wire as the safetensors format spells them ("F32", "BF16").
enum class TensorDtype { f64, f32, f16, bf16, f8_e4m3, f8_e5m2, i64, i32, i16, i8, u8, boolean };

std::string_view tensor_dtype_name(TensorDtype dtype);
std::optional<TensorDtype> tensor_dtype_parse(std::string_view name);
size_t tensor_dtype_size(TensorDtype dtype);

struct TensorInfo {
  std::string name;
  TensorDtype dtype = TensorDtype::f32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // bytes from the start of the data section
  uint64_t nbytes = 0;

  int64_t numel() const;
};

// "[1536, 16, 1, 2, 2]"
std::string shape_string(const std::vector<int64_t>& shape);

// Parses and validates a header against a data section of `data_size` bytes; `what` names the
// file in error messages. Entries come back sorted by offset; "__metadata__" goes to `metadata`.
std::vector<TensorInfo> safetensors_parse_header(std::string_view header, uint64_t data_size,
                                                 std::string_view what,
                                                 std::map<std::string, std::string>* metadata);

// Limits on what a header may claim (a hostile header must not make us allocate gigabytes).
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100ull << 20;
inline constexpr size_t kSafetensorsMaxRank = 8;
inline constexpr int kSafetensorsMaxHeaderDepth = 16;

class SafetensorsFile {
 public:
  // Maps the file and validates its header. Missing file: Error(not_found); unreadable, corrupt
  // or truncated: Error(unsupported).
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(std::string_view name) const;
  // Error(unsupported, "<file>: no tensor named <name>") when absent.
  const TensorInfo& at(std::string_view name) const;
  // First byte of a tensor inside the mapping; valid while this object lives.
  const std::byte* data(const TensorInfo& info) const { return data_ + info.offset; }

 private:
  SafetensorsFile() = default;

  std::filesystem::path path_;
  void* map_ = nullptr;
  uint64_t file_size_ = 0;
  const std::byte* data_ = nullptr;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace kino::gen
