// The render benchmark's kino side, driven by bench/run:
//   kino_render_bench prepare DIR          writes DIR/clip.mp4 (1280x720, 10 s, with sound)
//                                          and DIR/bgm.wav (10 s tone)
//   kino_render_bench render DIR SECONDS OUT [PRESET]
//                                          renders a SECONDS-long 1080x1920 timeline: the
//                                          clip blur-padded (looped), a 3 s title, the BGM
//                                          at 35%; prints one RESULT line with the wall time,
//                                          frames per second and this process's peak RSS.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "media/testsrc.h"
#include "render/render.h"
#include "timeline/timeline.h"

namespace {

using namespace kino;

timeline::Draft bench_draft(int64_t seconds) {
  timeline::Draft d;
  d.canvas.width = 1080;
  d.canvas.height = 1920;
  d.canvas.fps = Rational{30, 1};

  timeline::Segment clip;
  clip.id = "clip";
  clip.source = "clip.mp4";
  clip.duration_ms = seconds * 1000;
  clip.fit = timeline::FitMode::blur_pad;
  clip.loop = true;
  timeline::Track video;
  video.id = "video";
  video.type = timeline::TrackType::video;
  video.segments.push_back(clip);

  timeline::Segment title;
  title.id = "title";
  title.duration_ms = 3000;
  title.text = "Urban Dreams";
  title.style.size = 96;
  title.style.bold = true;
  title.style.outline = 4;
  timeline::Track text;
  text.id = "text";
  text.type = timeline::TrackType::text;
  text.segments.push_back(title);

  timeline::Segment bgm;
  bgm.id = "bgm";
  bgm.source = "bgm.wav";
  bgm.duration_ms = seconds * 1000;
  bgm.volume = 0.35;
  bgm.loop = true;
  timeline::Track audio;
  audio.id = "audio";
  audio.type = timeline::TrackType::audio;
  audio.segments.push_back(bgm);

  d.tracks = {video, text, audio};
  return d;
}

int usage() {
  std::fprintf(stderr,
               "usage: kino_render_bench prepare DIR\n"
               "       kino_render_bench render DIR SECONDS OUT [PRESET]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  const std::filesystem::path dir = argv[2];
  try {
    if (mode == "prepare") {
      media::TestClipParams p;
      p.width = 1280;
      p.height = 720;
      p.duration_ms = 10000;
      p.audio = true;
      media::write_test_clip(dir / "clip.mp4", p);
      media::write_test_tone(dir / "bgm.wav", 10000, 220.0, 0.5);
      return 0;
    }
    if (mode == "render" && argc >= 5) {
      const int64_t seconds = std::atoll(argv[3]);
      render::RenderParams params;
      params.quality = media::Quality::high;
      if (argc >= 6) params.x264_preset = argv[5];
      const render::MediaResolver resolve = [&](const std::string& s) { return dir / s; };
      const render::RenderResult r = render::render(bench_draft(seconds), resolve, argv[4], params);
      rusage usage{};
      getrusage(RUSAGE_SELF, &usage);
      std::printf("RESULT seconds=%.3f frames=%lld fps=%.2f peak_rss_kib=%ld size_bytes=%lld\n",
                  r.seconds, static_cast<long long>(r.frames), double(r.frames) / r.seconds,
                  usage.ru_maxrss, static_cast<long long>(r.size_bytes));
      return 0;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "kino_render_bench: %s\n", e.what());
    return 1;
  }
  return usage();
}
