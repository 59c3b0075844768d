#include "gen/tiny_eval.h"

#include <chrono>
#include <cmath>
#include <functional>

#include <ATen/ATen.h>

#include "core/error.h"
#include "gen/train_model.h"
#include "gen/wan_vae.h"
#include "media/frame.h"
#include "media/image_writer.h"
#include "media/video_decoder.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

// The held-out scene of case i: one object whose colour x shape x motion was never trained.
scenes::Scene held_out_scene(uint64_t seed, int64_t i) {
  return scenes::scene_sample(seed, i, scenes::SceneSplit::held_out);
}

// An English caption of the scene, a different template for each case.
std::string caption(const scenes::Scene& scene, int64_t i) {
  const auto en = scenes::scene_captions(scene, scenes::Language::en);
  return en[size_t(i) % en.size()];
}

void measure(const std::vector<scenes::RgbImage>& frames, TinyEvalCase& c) {
  const scenes::RgbImage bg = scenes::clip_background(frames);
  std::vector<scenes::ObjectMeasure> found;
  for (const auto& f : frames)
    if (auto m = scenes::scene_measure_object(f, bg); m.found) found.push_back(m);
  if (found.size() < 2) return;
  c.found = true;
  double hx = 0, hy = 0;
  for (const auto& m : found) {
    hx += m.area * std::cos(m.hue * M_PI / 180);
    hy += m.area * std::sin(m.hue * M_PI / 180);
  }
  c.hue = std::fmod(std::atan2(hy, hx) * 180 / M_PI + 360, 360);
  c.colour_ok = scenes::colour_nearest_hue(c.hue) == c.colour;
  // Centroids of the first and last third of the frames that show the object.
  const size_t k = std::max<size_t>(1, found.size() / 3);
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  for (size_t i = 0; i < k; ++i) {
    x0 += found[i].x / double(k), y0 += found[i].y / double(k);
    x1 += found[found.size() - 1 - i].x / double(k), y1 += found[found.size() - 1 - i].y / double(k);
  }
  c.dx = x1 - x0;
  c.dy = y1 - y0;
  const double along = c.motion == scenes::Motion::left    ? -c.dx
                       : c.motion == scenes::Motion::right ? c.dx
                       : c.motion == scenes::Motion::up    ? -c.dy
                       : c.motion == scenes::Motion::down  ? c.dy
                                                           : 0;
  const double across = (c.motion == scenes::Motion::left || c.motion == scenes::Motion::right)
                            ? std::abs(c.dy)
                            : std::abs(c.dx);
  c.motion_ok = along > 0.05 && along > across;
}

void check_cases(const TinyEvalOptions& o) {
  if (o.cases < 1 || o.cases > 1000)
    fail_bad_request("cases must be 1..1000, got " + std::to_string(o.cases));
}

// Case i of every evaluation: held-out scene i, its caption, colour and motion, filled in by
// `run` (the clip and its measures), progress per case under `stage`, the time per clip.
TinyEvalReport each_case(const TinyEvalOptions& o, const char* stage, const ProgressFn& progress,
                         const std::function<void(int64_t, const scenes::Scene&, TinyEvalCase&)>& run) {
  TinyEvalReport report;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < o.cases; ++i) {
    const scenes::Scene scene = held_out_scene(o.seed, i);
    TinyEvalCase c;
    c.prompt = caption(scene, i);
    c.colour = scene.objects.front().colour;
    c.motion = scene.objects.front().motion;
    run(i, scene, c);
    report.cases.push_back(c);
    if (progress) {
      Progress p;
      p.done = i + 1;
      p.total = o.cases;
      p.stage = stage;
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress(p);
    }
  }
  report.seconds_per_clip =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
      double(o.cases);
  return report;
}

TinyEvalReport run_cases(const VideoGenerator& g, const TinyEvalOptions& o, bool image,
                         const ProgressFn& progress) {
  check_cases(o);
  std::error_code ec;
  fs::create_directories(o.work_dir, ec);
  if (ec) fail(ErrorCode::internal, "cannot create " + o.work_dir.string() + ": " + ec.message());
  const ModelDefaults& d = g.defaults();
  scenes::ClipFormat format;
  format.width = int(d.width);
  format.height = int(d.height);
  format.frames = int(d.frames);
  format.fps = Rational{d.fps, 1};
  return each_case(o, image ? "image" : "adherence", progress,
                   [&](int64_t i, const scenes::Scene& scene, TinyEvalCase& c) {
    VideoRequest r;
    r.prompt = c.prompt;
    r.seed = int64_t(o.seed) + i;
    r.steps = o.steps;
    r.native = true;
    const std::string stem = (image ? "image-" : "text-") + std::to_string(i);
    scenes::RgbImage first;
    if (image) {
      first = scenes::scene_render_frame(scene, format, 0);
      r.image = o.work_dir / (stem + ".png");
      media::write_image_rgb(*r.image, first.rgb.data(), first.width, first.height);
    }
    const fs::path clip = o.work_dir / (stem + ".mp4");
    g.generate(r, clip);
    const std::vector<scenes::RgbImage> frames = tiny_eval_read_clip(clip);
    measure(frames, c);
    if (image && !frames.empty()) c.first_frame_psnr = rgb_psnr(frames.front(), first);
  });
}

}  // namespace

int64_t TinyEvalReport::passed() const {
  int64_t n = 0;
  for (const auto& c : cases) n += c.ok();
  return n;
}

double TinyEvalReport::score() const {
  return cases.empty() ? 0.0 : double(passed()) / double(cases.size());
}

TinyEvalReport tiny_eval_adherence(const VideoGenerator& g, const TinyEvalOptions& o,
                                   const ProgressFn& progress) {
  return run_cases(g, o, false, progress);
}

TinyEvalReport tiny_eval_image(const VideoGenerator& g, const TinyEvalOptions& o,
                               const ProgressFn& progress) {
  if (!g.supports_image())
    fail_bad_request("image evaluation needs an image-to-video model; " + g.model_name() +
                     " is text-to-video");
  return run_cases(g, o, true, progress);
}

TinyEvalReport tiny_eval_reconstruction(const WanVae& vae, const scenes::ClipFormat& format,
                                        const TinyEvalOptions& o, const ProgressFn& progress) {
  check_cases(o);
  scenes::clip_format_validate(format);
  at::NoGradGuard no_grad;
  const int64_t F = format.frames;
  return each_case(o, "reconstruction", progress,
                   [&](int64_t, const scenes::Scene& scene, TinyEvalCase& c) {
    const std::vector<scenes::RgbImage> frames = scenes::scene_render(scene, format);
    const at::Tensor x = tiny_clips_tensor({frames});
    const std::vector<scenes::RgbImage> rec =
        tiny_clip_frames(vae.decode(vae.encode(x.to(vae.options().device))));
    double psnr_sum = 0;
    for (int64_t f = 0; f < F; ++f) psnr_sum += rgb_psnr(rec[size_t(f)], frames[size_t(f)]);
    c.clip_psnr = psnr_sum / double(F);
    c.first_frame_psnr = rgb_psnr(rec.front(), frames.front());
    measure(rec, c);
  });
}

std::vector<scenes::RgbImage> tiny_eval_read_clip(const fs::path& file) {
  media::VideoDecodeParams p;
  p.format = media::PixelFormat::rgba;
  media::VideoDecoder d(file, p);
  std::vector<scenes::RgbImage> frames;
  media::Frame f;
  while (d.read(f)) {
    scenes::RgbImage img;
    img.width = f.width();
    img.height = f.height();
    img.rgb.resize(size_t(img.width) * size_t(img.height) * 3);
    for (int y = 0; y < img.height; ++y) {
      const uint8_t* s = f.row(0, y);
      for (int x = 0; x < img.width; ++x, s += 4) {
        uint8_t* q = img.pixel(x, y);
        q[0] = s[0], q[1] = s[1], q[2] = s[2];
      }
    }
    frames.push_back(std::move(img));
  }
  return frames;
}

double rgb_psnr(const scenes::RgbImage& a, const scenes::RgbImage& b) {
  if (a.width != b.width || a.height != b.height || a.rgb.size() != b.rgb.size())
    fail_bad_request("psnr needs images of one size, got " + std::to_string(a.width) + "x" +
                     std::to_string(a.height) + " and " + std::to_string(b.width) + "x" +
                     std::to_string(b.height));
  double se = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) {
    const double d = double(a.rgb[i]) - double(b.rgb[i]);
    se += d * d;
  }
  if (se == 0) return 99.0;
  const double mse = se / double(a.rgb.size());
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace kino::gen
