#include "agent/media_item.h"

#include <algorithm>

namespace kino::agent {

namespace {

bool same_ascii_case_insensitive(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string_view media_kind_name(MediaKind kind) {
  switch (kind) {
    case MediaKind::video: return "video";
    case MediaKind::image: return "image";
    case MediaKind::audio: return "audio";
  }
  return "video";
}

std::optional<MediaKind> media_kind_parse(std::string_view s) {
  for (MediaKind k : {MediaKind::video, MediaKind::image, MediaKind::audio})
    if (media_kind_name(k) == s) return k;
  return std::nullopt;
}

std::string_view media_stem(std::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  return dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot);
}

const MediaItem* media_latest(std::span<const MediaItem> library, MediaKind kind) {
  for (auto it = library.rbegin(); it != library.rend(); ++it)
    if (it->kind == kind) return &*it;
  return nullptr;
}

const MediaItem* media_named(std::span<const MediaItem> library, std::string_view name,
                             std::optional<MediaKind> kind) {
  if (name.empty()) return nullptr;
  for (auto it = library.rbegin(); it != library.rend(); ++it) {
    if (kind && it->kind != *kind) continue;
    if (same_ascii_case_insensitive(it->name, name) ||
        same_ascii_case_insensitive(media_stem(it->name), name) ||
        same_ascii_case_insensitive(media_stem(it->name), media_stem(name)))
      return &*it;
  }
  return nullptr;
}

const MediaItem* media_by_id(std::span<const MediaItem> library, std::string_view id) {
  auto it =
      std::find_if(library.begin(), library.end(), [&](const MediaItem& m) { return m.id == id; });
  return it == library.end() ? nullptr : &*it;
}

}  // namespace kino::agent
