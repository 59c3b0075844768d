#include "draft_file.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace kino::cli {

namespace fs = std::filesystem;

timeline::Draft read_draft_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail(ErrorCode::not_found, path.string() + ": no such file");
  constexpr uintmax_t kMaxDraftBytes = 16 * 1024 * 1024;
  if (fs::file_size(path, ec) > kMaxDraftBytes)
    fail(ErrorCode::too_large, path.string() + ": a draft may be at most 16 MB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return timeline::draft_parse(text.str());
}

render::MediaResolver file_resolver(fs::path base) {
  return [base = std::move(base)](const std::string& source) {
    fs::path p(source);
    if (p.is_relative()) p = base / p;
    std::error_code ec;
    if (source.empty() || !fs::is_regular_file(p, ec))
      fail(ErrorCode::not_found, "media \"" + source + "\" not found (looked for " +
                                     p.lexically_normal().string() + ")");
    return p;
  };
}

}  // namespace kino::cli
