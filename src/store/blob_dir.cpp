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

void BlobDir::clear_temp() const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_ / "tmp", ec))
    fs::remove_all(entry.path(), ec);
}

}  // namespace kino::store
