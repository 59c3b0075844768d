#include "store/blob_dir.h"

#include "core/error.h"
#include "core/id.h"

namespace kino::store {
namespace fs = std::filesystem;

namespace {

void require_safe(const std::string& id) {
  if (!id_is_safe(id)) fail_bad_request("blob id must be [A-Za-z0-9_-]{1,128}, got \"" + id + "\"");
}

}  // namespace

BlobDir::BlobDir(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  for (const char* sub : {"media", "renders", "tmp"}) {
    fs::create_directories(root_ / sub, ec);
    if (ec)
      fail(ErrorCode::internal, "cannot create " + (root_ / sub).string() + ": " + ec.message());
  }
}

fs::path BlobDir::media_path(const std::string& id) const {
  require_safe(id);
  return root_ / "media" / id;
}

fs::path BlobDir::render_path(const std::string& id, const std::string& ext) const {
  require_safe(id);
  require_safe(ext);
  return root_ / "renders" / (id + "." + ext);
}

fs::path BlobDir::temp_path(const std::string& suffix) const {
  return root_ / "tmp" / (make_id("tmp_", 12) + suffix);
}

void BlobDir::commit(const fs::path& temp, const fs::path& final_path) const {
  std::error_code ec;
  fs::rename(temp, final_path, ec);
  if (ec)
    fail(ErrorCode::internal, "cannot move " + temp.string() + " into place: " + ec.message());
}

void BlobDir::clear_temp(std::chrono::seconds older_than) const {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - older_than;
  for (const auto& entry : fs::directory_iterator(root_ / "tmp", ec)) {
    std::error_code ec2;
    if (older_than.count() > 0 && entry.last_write_time(ec2) > cutoff && !ec2) continue;
    fs::remove_all(entry.path(), ec2);
  }
}

}  // namespace kino::store
