#include <cstdio>
#include <fstream>
#include <string>

#include "commands.h"
#include "draft_file.h"
#include "media/media.h"
#include "progress_bar.h"

namespace kino::cli {

namespace {

namespace fs = std::filesystem;

timeline::Segment segment(std::string id, int64_t start, int64_t duration, std::string src,
                          std::string name) {
  timeline::Segment s;
  s.id = std::move(id);
  s.start_ms = start;
  s.duration_ms = duration;
  s.source = std::move(src);
  s.name = std::move(name);
  s.meta = Json{{"name", s.name}};
  return s;
}

timeline::Track track(std::string id, timeline::TrackType type, std::string name) {
  timeline::Track t;
  t.id = std::move(id);
  t.type = type;
  t.name = std::move(name);
  t.meta = Json{{"name", t.name}};
  return t;
}

// A 10-second vertical short: a 16:9 clip blur-padded into 9:16, cross-fading into a
// photo with a slow zoom, a title for the first 3 seconds, and music at 35%.
timeline::Draft demo_draft() {
  timeline::Draft d;
  d.canvas.width = 1080;
  d.canvas.height = 1920;
  d.canvas.fps = {30, 1};

  auto video = track("tr_video", timeline::TrackType::video, "Main");
  auto clip = segment("sg_clip", 0, 6000, "clip.mp4", "test pattern");
  clip.fit = timeline::FitMode::blur_pad;
  auto photo = segment("sg_photo", 5000, 5000, "photo.png", "photo");
  photo.fit = timeline::FitMode::cover;
  photo.motion = {timeline::MotionKind::zoom_in, 0.15};
  photo.transition = {timeline::TransitionKind::crossfade, 1000};
  video.segments = {clip, photo};

  auto music = track("tr_music", timeline::TrackType::audio, "Lo-fi");
  auto bgm = segment("sg_bgm", 0, 10000, "music.wav", "Lo-fi");
  bgm.volume = 0.35;
  bgm.loop = true;
  bgm.fade_out_ms = 1500;
  music.segments = {bgm};

  auto titles = track("tr_title", timeline::TrackType::text, "Title");
  auto title = segment("sg_title", 0, 3000, "", "Urban Dreams");
  title.text = "Urban Dreams";
  title.style.size = 110;
  title.style.bold = true;
  title.style.outline = 4;
  title.style.shadow = true;
  title.style.position = timeline::TextPosition::top;
  title.fade_in_ms = 300;
  title.fade_out_ms = 300;
  titles.segments = {title};

  d.tracks = {video, music, titles};
  return d;
}

void run(const fs::path& dir) {
  fs::create_directories(dir);
  std::printf("Making demo media in %s ...\n", dir.c_str());
  media::TestClipParams clip;
  clip.width = 1280;
  clip.height = 720;
  clip.duration_ms = 6000;
  clip.tone_amplitude = 0.3;
  media::write_test_clip(dir / "clip.mp4", clip);
  media::write_test_image(dir / "photo.png", 1600, 1200);
  media::write_test_tone(dir / "music.wav", 4000, 220.0, 0.6);

  timeline::Draft draft = demo_draft();
  {
    std::ofstream out(dir / "draft.json");
    out << timeline::draft_to_json(draft).dump(2) << "\n";
  }
  std::printf("%s\n", timeline::draft_summary(draft).c_str());

  ProgressBar bar("render");
  render::RenderParams params;
  params.progress = [&bar](const Progress& p) { bar.update(p); };
  render::RenderResult r = render::render(draft, file_resolver(dir), dir / "demo.mp4", params);
  bar.finish();
  std::printf("Rendered %dx%d, %.1f s in %s: %s\n", r.width, r.height,
              double(r.duration_ms) / 1000.0, format_seconds(r.seconds).c_str(),
              fs::absolute(r.path).c_str());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>("demo");
  CLI::App* cmd = app.add_subcommand(
      "demo", "Make test media and a demo draft, render it, print where the MP4 is");
  cmd->add_option("--out", *dir, "Folder for the media, draft.json and demo.mp4")
      ->capture_default_str();
  cmd->callback([dir] { run(*dir); });
}

}  // namespace kino::cli
