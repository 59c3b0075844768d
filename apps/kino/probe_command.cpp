#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "core/error.h"
#include "core/json.h"
#include "media/media.h"
#include "progress_bar.h"

namespace kino::cli {

namespace {

Json info_json(const std::string& file, const media::MediaInfo& m) {
  Json j = {{"file", file},
            {"kind", media::media_kind_name(m.kind)},
            {"format", m.format},
            {"size_bytes", m.size_bytes},
            {"duration_ms", m.duration_ms}};
  if (m.has_video) {
    j["width"] = m.width;
    j["height"] = m.height;
    j["video_codec"] = m.video_codec;
    if (m.fps.valid()) j["fps"] = m.fps.str();
    j["frames"] = m.frame_count;
    if (m.animated) j["animated"] = true;
  }
  if (m.has_audio) {
    j["audio_codec"] = m.audio_codec;
    j["sample_rate"] = m.sample_rate;
    j["channels"] = m.channels;
  }
  return j;
}

void print_human(const std::string& file, const media::MediaInfo& m) {
  std::printf("%s: %s %s, %s", file.c_str(), std::string(m.format).c_str(),
              std::string(media::media_kind_name(m.kind)).c_str(), format_bytes(m.size_bytes).c_str());
  if (m.duration_ms > 0) std::printf(", %.3f s", double(m.duration_ms) / 1000.0);
  if (m.has_video) {
    std::printf(", %s %dx%d", m.video_codec.c_str(), m.width, m.height);
    if (m.fps.valid()) std::printf(" @ %s fps", m.fps.str().c_str());
    if (m.animated) std::printf(" (animated, %lld frames)", (long long)m.frame_count);
  }
  if (m.has_audio)
    std::printf(", %s %d Hz %d ch", m.audio_codec.c_str(), m.sample_rate, m.channels);
  std::printf("\n");
}

}  // namespace

void add_probe_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> files;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "probe", "Tell what media files are (type detected from content, not from the name)");
  cmd->add_option("files", o->files, "Media files")->required();
  cmd->add_flag("--json", o->json, "Print one JSON object per file");
  cmd->callback([o] {
    int failures = 0;
    for (const auto& f : o->files) {
      try {
        media::MediaInfo m = media::probe(f);
        if (o->json) std::printf("%s\n", info_json(f, m).dump().c_str());
        else print_human(f, m);
      } catch (const Error& e) {
        ++failures;
        if (o->json) {
          Json j = {{"file", f}, {"code", int(e.code())}, {"error", e.what()}};
          std::printf("%s\n", j.dump().c_str());
        } else {
          std::printf("%s: error %d (%s): %s\n", f.c_str(), int(e.code()),
                      std::string(error_code_name(e.code())).c_str(), e.what());
        }
      }
    }
    if (failures) throw CLI::RuntimeError(1);
  });
}

}  // namespace kino::cli
