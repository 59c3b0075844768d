#pragma once
// What a media file is, detected from its content (never from its name).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/rational.h"

namespace kino::media {

enum class MediaKind { video, image, audio };
std::string_view media_kind_name(MediaKind kind);

// Named limits a probe enforces; beyond them the file is refused with Error(too_large)
// (dimensions, duration) or Error(unsupported) (everything unreadable).
struct ProbeLimits {
  int max_width = 8192;
  int max_height = 8192;
  int64_t max_duration_ms = 4 * 3600 * 1000;
  double max_probe_seconds = 10.0;  // wall-clock cap on opening and probing a file
};

struct MediaInfo {
  MediaKind kind = MediaKind::video;
  // The API's spelling of the detected type: mp4 mov avi webm mkv jpg png gif webp mp3 wav
  // m4a aac. Decided by the demuxer FFmpeg picks from the bytes.
  std::string format;
  int64_t size_bytes = 0;
  int64_t duration_ms = 0;  // 0 for still images
  bool has_video = false;
  bool has_audio = false;
  // Video / image
  int width = 0;
  int height = 0;
  Rational fps{0, 1};        // 0/1 for still images
  int64_t frame_count = 0;   // exact when the container says so, else estimated; 1 for stills
  bool animated = false;     // gif / webp with more than one frame
  std::string video_codec;   // "h264", "vp9", "png", ...
  std::string pixel_format;  // the source's, as FFmpeg names it: "yuv420p", "rgba", "pal8"
  // Audio
  std::string audio_codec;
  int sample_rate = 0;
  int channels = 0;
};

// Opens and inspects a file, decoding its first picture and sound. Corrupt, truncated,
// empty or unsupported files throw Error(unsupported, "<file>: <reason>"); files beyond
// `limits` throw Error(too_large); a path that does not exist throws Error(not_found).
// Thread-safe (no shared state); each call opens the file on its own.
MediaInfo probe(const std::filesystem::path& path, const ProbeLimits& limits = {});

}  // namespace kino::media
