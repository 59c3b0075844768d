#pragma once
// Files on disk under a data directory, named by id only (never by a user-given name):
//   <root>/media/<id>   uploads and generated clips
//   <root>/renders/<id>.<ext>
//   <root>/tmp/         partial uploads and renders, moved into place when complete
#include <chrono>
#include <filesystem>
#include <string>

namespace kino::store {

class BlobDir {
 public:
  // Creates the folders when absent; throws Error(internal) when it cannot.
  explicit BlobDir(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  // Paths for an id; ids that are not id_is_safe throw Error(bad_request).
  std::filesystem::path media_path(const std::string& id) const;
  std::filesystem::path render_path(const std::string& id, const std::string& ext) const;
  // A fresh unique path inside tmp/ (not created).
  std::filesystem::path temp_path(const std::string& suffix = "") const;
  // Moves a finished temporary file to its final path (same filesystem: atomic rename).
  void commit(const std::filesystem::path& temp, const std::filesystem::path& final_path) const;
  // Removes leftovers in tmp/ (after a crash). In a folder several machines share, pass
  // an age: only entries unmodified that long go, files in progress elsewhere stay.
  void clear_temp(std::chrono::seconds older_than = std::chrono::seconds(0)) const;

 private:
  std::filesystem::path root_;
};

}  // namespace kino::store
