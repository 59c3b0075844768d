#pragma once
// Temporary files removed when the guard leaves scope, unless released (moved into place).
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace kino::service {

class TempFiles {
 public:
  TempFiles() = default;
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths_) std::filesystem::remove(p, ec);
  }
  void add(std::filesystem::path p) { paths_.push_back(std::move(p)); }
  void release() { paths_.clear(); }

 private:
  std::vector<std::filesystem::path> paths_;
};

}  // namespace kino::service
