#include <cstdio>
#include <string>

#include "commands.h"
#include "draft_file.h"
#include "progress_bar.h"

namespace kino::cli {

namespace {

struct RenderOptions {
  std::string draft;
  std::string out;
  std::string format;
  std::string quality = "high";
  std::string aspect;
  std::string size;
  std::string fps;
  std::string preset = "veryfast";
  bool quiet = false;
};

media::ContainerFormat format_for(const RenderOptions& o) {
  std::string name = o.format;
  if (name.empty()) {
    std::string ext = std::filesystem::path(o.out).extension().string();
    name = ext.empty() ? "mp4" : ext.substr(1);
  }
  auto f = media::container_format_parse(name);
  if (!f) fail_bad_request("--format must be mp4, webm or gif, got \"" + name + "\"");
  return *f;
}

void run(const RenderOptions& o) {
  timeline::Draft draft = read_draft_file(o.draft);
  render::RenderParams params;
  params.format = format_for(o);
  auto quality = media::quality_parse(o.quality);
  if (!quality) fail_bad_request("--quality must be high, medium or low, got \"" + o.quality + "\"");
  params.quality = *quality;
  if (!o.aspect.empty()) {
    auto preset = timeline::canvas_preset(o.aspect);
    if (!preset) fail_bad_request("--aspect must be 16:9, 9:16, 1:1, 4:5 or 720p, got \"" + o.aspect + "\"");
    params.width = preset->width;
    params.height = preset->height;
  }
  if (!o.size.empty()) {
    int w = 0, h = 0;
    if (std::sscanf(o.size.c_str(), "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0)
      fail_bad_request("--size must be WIDTHxHEIGHT, got \"" + o.size + "\"");
    params.width = w;
    params.height = h;
  }
  if (!o.fps.empty()) {
    Rational fps = rational_parse(o.fps);
    if (!fps.valid()) fail_bad_request("--fps must be a positive rate like 30 or 30000/1001, got \"" + o.fps + "\"");
    params.fps = fps;
  }
  params.x264_preset = o.preset.c_str();

  ProgressBar bar("render");
  if (!o.quiet) params.progress = [&bar](const Progress& p) { bar.update(p); };
  auto base = std::filesystem::absolute(o.draft).parent_path();
  render::RenderResult r = render::render(draft, file_resolver(base), o.out, params);
  bar.finish();
  std::printf("%s: %dx%d, %s fps, %lld frames, %.2f s, %s, rendered in %s (%.1f fps)\n",
              r.path.c_str(), r.width, r.height, r.fps.str().c_str(), (long long)r.frames,
              double(r.duration_ms) / 1000.0, format_bytes(r.size_bytes).c_str(),
              format_seconds(r.seconds).c_str(), r.seconds > 0 ? double(r.frames) / r.seconds : 0.0);
}

}  // namespace

void add_render_command(CLI::App& app) {
  auto o = std::make_shared<RenderOptions>();
  CLI::App* cmd = app.add_subcommand("render", "Render a timeline draft (JSON) to a video file");
  cmd->add_option("draft", o->draft, "Draft JSON file (see docs/TIMELINE.md)")->required();
  cmd->add_option("-o,--out", o->out, "Output file")->required();
  cmd->add_option("-f,--format", o->format, "mp4 (H.264/AAC), webm (VP9/Opus) or gif; default: from the output's extension");
  cmd->add_option("-q,--quality", o->quality, "high, medium or low (H.264 CRF 18/23/28)")->capture_default_str();
  cmd->add_option("--aspect", o->aspect, "Output preset instead of the draft's canvas: 16:9, 9:16, 1:1, 4:5, 720p");
  cmd->add_option("--size", o->size, "Output size WIDTHxHEIGHT instead of the draft's canvas");
  cmd->add_option("--fps", o->fps, "Output frame rate instead of the draft's (30, 25, 30000/1001)");
  cmd->add_option("--preset", o->preset, "libx264 speed preset (ultrafast .. veryslow)")->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->callback([o] { run(*o); });
}

}  // namespace kino::cli
