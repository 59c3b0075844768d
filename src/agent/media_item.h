#pragma once
// The session's media library as the agent sees it: uploads and generated clips.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kino::agent {

enum class MediaKind { video, image, audio };
std::string_view media_kind_name(MediaKind kind);  // "video", "image", "audio"
std::optional<MediaKind> media_kind_parse(std::string_view s);

struct MediaItem {
  std::string id;  // the media id a segment's source refers to
  MediaKind kind = MediaKind::video;
  std::string name;         // the file name as uploaded ("city.mp4"), or a label
  int64_t duration_ms = 0;  // 0 for images
  int width = 0, height = 0;
};

// Libraries are ordered oldest first: the most recent item is the last one.
const MediaItem* media_latest(std::span<const MediaItem> library, MediaKind kind);
// By name, case-insensitively: the whole name ("City.MP4") or its stem ("city"); the
// most recent match wins. `kind` narrows the search when given.
const MediaItem* media_named(std::span<const MediaItem> library, std::string_view name,
                             std::optional<MediaKind> kind = std::nullopt);
const MediaItem* media_by_id(std::span<const MediaItem> library, std::string_view id);

// The file name's stem: "lofi beats.mp3" -> "lofi beats".
std::string_view media_stem(std::string_view name);

}  // namespace kino::agent
