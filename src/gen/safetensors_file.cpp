#include "gen/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"

namespace kino::gen {
namespace {

struct DtypeRow {
  TensorDtype dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array<DtypeRow, 12> kDtypes{{
    {TensorDtype::f64, "F64", 8},
    {TensorDtype::f32, "F32", 4},
    {TensorDtype::f16, "F16", 2},
    {TensorDtype::bf16, "BF16", 2},
    {TensorDtype::f8_e4m3, "F8_E4M3", 1},
    {TensorDtype::f8_e5m2, "F8_E5M2", 1},
    {TensorDtype::i64, "I64", 8},
    {TensorDtype::i32, "I32", 4},
    {TensorDtype::i16, "I16", 2},
    {TensorDtype::i8, "I8", 1},
    {TensorDtype::u8, "U8", 1},
    {TensorDtype::boolean, "BOOL", 1},
}};

[[noreturn]] void corrupt(std::string_view what, const std::string& problem) {
  fail_unsupported(std::string(what) + ": " + problem);
}

std::string brief(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// nlohmann's parser recurses per nesting level: refuse deep nesting before parsing, so a hostile
// header cannot exhaust the stack. A valid header nests 4 levels.
bool nesting_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::string_view tensor_dtype_name(TensorDtype dtype) {
  for (const auto& row : kDtypes)
    if (row.dtype == dtype) return row.name;
  return "F32";
}

std::optional<TensorDtype> tensor_dtype_parse(std::string_view name) {
  for (const auto& row : kDtypes)
    if (row.name == name) return row.dtype;
  return std::nullopt;
}

size_t tensor_dtype_size(TensorDtype dtype) {
  for (const auto& row : kDtypes)
    if (row.dtype == dtype) return row.size;
  return 4;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::vector<TensorInfo> safetensors_parse_header(std::string_view header, uint64_t data_size,
                                                 std::string_view what,
                                                 std::map<std::string, std::string>* metadata) {
  if (!nesting_within(header, kSafetensorsMaxHeaderDepth))
    corrupt(what,
            "header nests deeper than " + std::to_string(kSafetensorsMaxHeaderDepth) + " levels");
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(header.begin(), header.end());
  } catch (const nlohmann::json::parse_error& e) {
    corrupt(what, "header is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
  if (!root.is_object()) corrupt(what, "header must be a JSON object, got " + brief(root));

  std::vector<TensorInfo> out;
  out.reserve(root.size());
  for (const auto& [name, entry] : root.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) corrupt(what, "__metadata__ must be an object, got " + brief(entry));
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string())
          corrupt(what, "__metadata__." + k + " must be a string, got " + brief(v));
        if (metadata) (*metadata)[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string field = "tensor '" + name + "'";
    if (name.empty()) corrupt(what, "a tensor has an empty name");
    if (!entry.is_object()) corrupt(what, field + " must be an object, got " + brief(entry));
    TensorInfo info;
    info.name = name;

    auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string())
      corrupt(what, field + ": dtype must be a string, got " +
                        (dt == entry.end() ? std::string("nothing") : brief(*dt)));
    auto parsed = tensor_dtype_parse(dt->get<std::string>());
    if (!parsed) corrupt(what, field + ": unknown dtype " + brief(*dt));
    info.dtype = *parsed;

    auto sh = entry.find("shape");
    if (sh == entry.end() || !sh->is_array() || sh->size() > kSafetensorsMaxRank)
      corrupt(what, field + ": shape must be an array of at most " +
                        std::to_string(kSafetensorsMaxRank) + " sizes, got " +
                        (sh == entry.end() ? std::string("nothing") : brief(*sh)));
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned())
        corrupt(what, field + ": shape entries must be non-negative integers, got " + brief(*sh));
      info.shape.push_back(int64_t(std::min<uint64_t>(d.get<uint64_t>(), uint64_t(1) << 62)));
    }
    // A non-empty tensor cannot hold more elements than the data section has bytes, so checking
    // each partial product against it keeps the product from overflowing.
    uint64_t numel = 1;
    if (std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end()) numel = 0;
    for (int64_t d : info.shape) {
      if (numel == 0) break;
      if (numel > data_size / uint64_t(d))
        corrupt(what, field + ": shape " + shape_string(info.shape) +
                          " is larger than the file's data section (" + std::to_string(data_size) +
                          " bytes)");
      numel *= uint64_t(d);
    }

    auto off = entry.find("data_offsets");
    if (off == entry.end() || !off->is_array() || off->size() != 2 ||
        !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      corrupt(what, field + ": data_offsets must be [begin, end], got " +
                        (off == entry.end() ? std::string("nothing") : brief(*off)));
    uint64_t begin = (*off)[0].get<uint64_t>();
    uint64_t end = (*off)[1].get<uint64_t>();
    if (begin > end || end > data_size)
      corrupt(what, field + ": data_offsets [" + std::to_string(begin) + ", " +
                        std::to_string(end) + "] lie outside the data section of " +
                        std::to_string(data_size) + " bytes (file truncated?)");
    uint64_t expect = numel * tensor_dtype_size(info.dtype);
    if (numel > data_size || end - begin != expect)
      corrupt(what, field + ": " + std::string(tensor_dtype_name(info.dtype)) + " " +
                        shape_string(info.shape) + " needs " + std::to_string(expect) +
                        " bytes but data_offsets span " + std::to_string(end - begin));
    info.offset = begin;
    info.nbytes = end - begin;
    out.push_back(std::move(info));
  }

  std::sort(out.begin(), out.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.nbytes < b.nbytes;
  });
  for (size_t i = 1; i < out.size(); ++i) {
    const TensorInfo& prev = out[i - 1];
    if (prev.nbytes > 0 && out[i].nbytes > 0 && prev.offset + prev.nbytes > out[i].offset)
      corrupt(what, "tensors '" + prev.name + "' and '" + out[i].name + "' overlap");
  }
  return out;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string what = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) fail(ErrorCode::not_found, what + ": no such file");
    corrupt(what, std::string("cannot open: ") + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    corrupt(what, "not a regular file");
  }
  uint64_t size = uint64_t(st.st_size);
  if (size < 8) {
    ::close(fd);
    corrupt(what, "file is " + std::to_string(size) +
                      " bytes, shorter than the 8-byte header length (truncated?)");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int map_err = errno;
  ::close(fd);
  if (map == MAP_FAILED) corrupt(what, std::string("cannot map: ") + std::strerror(map_err));

  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->map_ = map;
  file->file_size_ = size;
  const auto* bytes = static_cast<const unsigned char*>(map);
  uint64_t header_len = read_u64_le(bytes);
  if (header_len > kSafetensorsMaxHeaderBytes || header_len > size - 8)
    corrupt(what, "header length " + std::to_string(header_len) + " exceeds the file size " +
                      std::to_string(size) + " (truncated or not a safetensors file)");
  std::string_view header(reinterpret_cast<const char*>(bytes + 8), header_len);
  file->data_ = reinterpret_cast<const std::byte*>(bytes + 8 + header_len);
  file->tensors_ = safetensors_parse_header(header, size - 8 - header_len, what, &file->metadata_);
  for (size_t i = 0; i < file->tensors_.size(); ++i) file->index_[file->tensors_[i].name] = i;
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, file_size_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& SafetensorsFile::at(std::string_view name) const {
  const TensorInfo* info = find(name);
  if (!info) corrupt(path_.string(), "no tensor named '" + std::string(name) + "'");
  return *info;
}

}  // namespace kino::gen
