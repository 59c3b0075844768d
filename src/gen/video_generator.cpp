#include "gen/video_generator.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "core/error.h"
#include "gen/camera_presets.h"
#include "gen/clip_writer.h"
#include "gen/flow_sampler.h"
#include "gen/wan_pipeline.h"
#include "media/probe.h"
#include "media/video_decoder.h"

namespace kino::gen {

namespace {

// The 1080p frame a file fits in: 1920x1080 for landscape, 1080x1920 for portrait (the hosted
// service's exports go "up to 1080x1920"; the editor's presets give 1:1 as 1080x1080).
constexpr int64_t kOutputLongSide = 1920;
constexpr int64_t kOutputShortSide = 1080;
constexpr size_t kMaxPromptBytes = 4000;

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

int64_t round_to(double v, int64_t m) {
  return std::max<int64_t>(m, std::llround(v / m) * m);
}

int64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return int64_t(u.ru_maxrss) * 1024;
}

// The first picture of an image (or video) file as rgba at its own size.
media::Frame read_picture(const std::filesystem::path& path, const char* field) {
  const media::MediaInfo info = media::probe(path);
  if (!info.has_video)
    fail_bad_request(std::string(field) + " must be an image or a video, got " + info.format +
                     " audio (" + path.string() + ")");
  media::VideoDecodeParams dp;
  dp.format = media::PixelFormat::rgba;
  media::VideoDecoder decoder(path, dp);
  media::Frame f;
  if (!decoder.read(f)) fail_unsupported(path.string() + ": no picture could be decoded");
  return f.clone();
}

// The last picture of a video.
media::Frame read_last_picture(const std::filesystem::path& path) {
  media::VideoDecodeParams dp;
  dp.format = media::PixelFormat::rgba;
  media::VideoDecoder decoder(path, dp);
  media::Frame f, last;
  while (decoder.read(f)) last = f.clone();
  if (last.empty()) fail_unsupported(path.string() + ": no picture could be decoded");
  return last;
}

// [H, W, 3] uint8 RGB -> the pipeline's image input, [3, H, W] float in [-1, 1] (spec §4.5).
at::Tensor image_input(const at::Tensor& rgb) {
  return rgb.permute({2, 0, 1}).to(at::kFloat).div(127.5).sub(1.0).contiguous();
}

// rgba picture -> image_input.
at::Tensor picture_tensor(const media::Frame& rgba) {
  return image_input(at::from_blob(const_cast<uint8_t*>(rgba.data(0)),
                                   {rgba.height(), rgba.width(), 3}, {rgba.stride(0), 4, 1},
                                   at::kByte));
}

// LibTorch failures (out of memory, a kernel refusing a shape) become Error(internal) with
// LibTorch's message but without its C++ backtrace.
template <typename F>
auto torch_call(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    fail(ErrorCode::internal, std::string("generation failed: ") + e.what_without_backtrace());
  }
}

}  // namespace

double video_aspect_parse(const std::string& aspect) {
  const auto colon = aspect.find(':');
  double w = 0, h = 0;
  if (colon != std::string::npos) {
    try {
      size_t a = 0, b = 0;
      w = std::stod(aspect.substr(0, colon), &a);
      h = std::stod(aspect.substr(colon + 1), &b);
      if (a != colon || b != aspect.size() - colon - 1) w = h = 0;
    } catch (const std::exception&) {
      w = h = 0;
    }
  }
  if (!(w > 0) || !(h > 0) || !std::isfinite(w) || !std::isfinite(h) || w / h > 4 || h / w > 4)
    fail_bad_request("aspect must be W:H between 1:4 and 4:1 (16:9, 9:16, 1:1, ...), got \"" +
                     aspect + "\"");
  return w / h;
}

std::pair<int64_t, int64_t> video_model_size(double aspect, int64_t native_w, int64_t native_h,
                                             int64_t multiple) {
  const double native = double(native_w) / double(native_h);
  // Within 5% of the native aspect (832x480 is 1.73, 16:9 is 1.78): the trained size.
  if (std::abs(std::log(aspect / native)) < 0.05) return {native_w, native_h};
  if (std::abs(std::log(aspect * native)) < 0.05) return {native_h, native_w};
  const double area = double(native_w) * double(native_h);
  const double fw = std::sqrt(area * aspect), fh = std::sqrt(area / aspect);
  const auto m = double(multiple);
  auto down = [&](double v) {
    return std::max<int64_t>(multiple, int64_t(std::floor(v / m)) * multiple);
  };
  // Candidates: width first then height from the area, height first then width, both rounded
  // down; the closest aspect wins, then the larger area.
  const int64_t aw = down(fw), ah = down(area / double(aw));
  const int64_t bh = down(fh), bw = down(area / double(bh));
  const std::pair<int64_t, int64_t> candidates[] = {{aw, ah}, {bw, bh}, {down(fw), down(fh)}};
  std::pair<int64_t, int64_t> best = candidates[0];
  double best_error = 1e9;
  for (const auto& c : candidates) {
    const double error = std::abs(double(c.first) / double(c.second) - aspect);
    if (error < best_error - 1e-12 ||
        (error < best_error + 1e-12 && c.first * c.second > best.first * best.second)) {
      best = c;
      best_error = error;
    }
  }
  return best;
}

int64_t video_frame_count(double seconds, int64_t fps) {
  const int64_t n = std::llround(seconds * double(fps) / 4.0);
  return 4 * std::max<int64_t>(n, 1) + 1;
}

std::pair<int64_t, int64_t> video_output_size(double aspect) {
  auto even = [](double v) { return std::max<int64_t>(2, std::llround(v / 2.0) * 2); };
  const double landscape = std::max(aspect, 1.0 / aspect);  // long side / short side
  const double long_side = std::min(double(kOutputLongSide), double(kOutputShortSide) * landscape);
  const int64_t a = even(long_side), b = even(long_side / landscape);
  return aspect >= 1 ? std::pair<int64_t, int64_t>{a, b} : std::pair<int64_t, int64_t>{b, a};
}

struct VideoGenerator::Impl {
  std::filesystem::path model;
  std::unique_ptr<WanPipeline> pipeline;
  ModelDefaults d;
  int64_t multiple = 16;
};

VideoGenerator::VideoGenerator() : impl_(std::make_unique<Impl>()) {}
VideoGenerator::~VideoGenerator() = default;

std::unique_ptr<VideoGenerator> VideoGenerator::load(const std::filesystem::path& model,
                                                     const PipelineOptions& options) {
  auto g = std::unique_ptr<VideoGenerator>(new VideoGenerator());
  Impl& m = *g->impl_;
  m.model = model;
  m.pipeline = torch_call([&] { return WanPipeline::load(model, options); });
  const WanDitConfig& cfg = m.pipeline->dit_config();
  // The family's conventions (spec §0, §4.5), told apart by the VAE.
  if (m.pipeline->vae().config().version == WanVaeVersion::wan22) {
    m.d.fps = 24;
    m.d.width = 1280;
    m.d.height = 704;
  }
  m.d.frames = video_frame_count(5.0, m.d.fps);
  m.d.negative = wan_default_negative_prompt();
  // A folder's own "kino" block (kino-tiny's) overrides them.
  const std::filesystem::path config = model / "config.json";
  if (std::filesystem::is_directory(model) && std::filesystem::is_regular_file(config))
    model_defaults_apply(config, m.d);
  m.multiple = m.pipeline->vae().spatial_stride() * std::max(cfg.patch_size[1], cfg.patch_size[2]);
  return g;
}

std::string VideoGenerator::model_name() const {
  const std::filesystem::path p = impl_->model.lexically_normal();
  const std::string name = (p.has_filename() ? p : p.parent_path()).filename().string();
  return std::filesystem::is_regular_file(p) ? p.stem().string() : name;
}

bool VideoGenerator::supports_image() const {
  return impl_->pipeline->supports_image();
}
int64_t VideoGenerator::fps() const {
  return impl_->d.fps;
}
const ModelDefaults& VideoGenerator::defaults() const {
  return impl_->d;
}

VideoPlan VideoGenerator::plan(const VideoRequest& r) const {
  const Impl& m = *impl_;
  VideoPlan p;
  if (r.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    fail_bad_request("prompt must not be empty");
  if (r.prompt.size() > kMaxPromptBytes || r.negative.size() > kMaxPromptBytes)
    fail_bad_request("prompt and negative must be at most " + std::to_string(kMaxPromptBytes) +
                     " bytes, got " + std::to_string(std::max(r.prompt.size(), r.negative.size())));
  if (!(r.seconds >= 0) || r.seconds > kVideoMaxSeconds)
    fail_bad_request("seconds must be in (0, " + fmt(kVideoMaxSeconds) + "] (0: the model's " +
                     fmt(m.d.seconds()) + " s), got " + fmt(r.seconds));
  if (r.image && r.extend) fail_bad_request("image and extend cannot both be set");
  if ((r.image || r.extend) && !supports_image())
    fail_bad_request(std::string(r.image ? "image" : "extend") +
                     " needs an image-to-video model (Wan2.2 TI2V-5B, model type ti2v); " +
                     model_name() + " is a text-to-video model");
  if ((r.width == 0) != (r.height == 0))
    fail_bad_request("width and height must both be set or both be 0, got " +
                     std::to_string(r.width) + "x" + std::to_string(r.height));
  if (r.width < 0 || r.height < 0 || r.width > kVideoMaxSide || r.height > kVideoMaxSide)
    fail_bad_request("width and height must be in 1.." + std::to_string(kVideoMaxSide) + ", got " +
                     std::to_string(r.width) + "x" + std::to_string(r.height));
  if (r.steps < 0 || r.steps > kFlowMaxSteps)
    fail_bad_request("steps must be in 1.." + std::to_string(kFlowMaxSteps) +
                     " (0: default), got " + std::to_string(r.steps));
  if (r.cfg >= 0 && (r.cfg < 1 || r.cfg > kVideoMaxCfg))
    fail_bad_request("cfg must be in 1.." + fmt(kVideoMaxCfg) + " (1 turns guidance off), got " +
                     fmt(r.cfg));
  if (r.shift >= 0 && (r.shift == 0 || r.shift > kFlowMaxShift))
    fail_bad_request("shift must be in (0, " + fmt(kFlowMaxShift) + "], got " + fmt(r.shift));
  if (r.seed < -1)
    fail_bad_request("seed must be >= 0 (or -1: random), got " + std::to_string(r.seed));
  if (!sampler_kind_parse(r.sampler))
    fail_bad_request("sampler must be unipc or euler, got \"" + r.sampler + "\"");
  p.prompt = camera_prompt(r.prompt, r.camera);

  double aspect = 0;
  if (r.extend) {
    const media::MediaInfo info = media::probe(*r.extend);
    if (info.kind != media::MediaKind::video || !info.has_video)
      fail_bad_request("extend must be a video clip, got " + info.format + " (" +
                       r.extend->string() + ")");
    if (!(info.fps == Rational{m.d.fps, 1}))
      fail_bad_request("extend needs a clip at the model's " + std::to_string(m.d.fps) +
                       " fps, got " + info.fps.str() + " (" + r.extend->string() + ")");
    p.out_width = info.width;
    p.out_height = info.height;
    aspect = double(info.width) / double(info.height);
  }
  if (r.width > 0) {
    if (aspect == 0) aspect = double(r.width) / double(r.height);
    p.width = round_to(double(r.width), m.multiple);
    p.height = round_to(double(r.height), m.multiple);
  } else {
    if (aspect == 0 && r.aspect.empty() && r.image) {
      // Image-to-video without an aspect: the picture's own, within 1:4..4:1.
      const media::MediaInfo info = media::probe(*r.image);
      if (!info.has_video || info.width <= 0 || info.height <= 0)
        fail_bad_request("image must be a picture, got " + info.format + " (" + r.image->string() +
                         ")");
      aspect = std::clamp(double(info.width) / double(info.height), 0.25, 4.0);
    }
    if (aspect == 0) aspect = video_aspect_parse(r.aspect.empty() ? m.d.aspect : r.aspect);
    std::tie(p.width, p.height) = video_model_size(aspect, m.d.width, m.d.height, m.multiple);
  }
  if ((r.out_width == 0) != (r.out_height == 0) || r.out_width < 0 || r.out_height < 0 ||
      r.out_width % 2 || r.out_height % 2 || r.out_width > 7680 || r.out_height > 7680 ||
      r.out_width * r.out_height > int64_t(7680) * 4320)
    fail_bad_request("out_width and out_height must both be 0 or even sizes up to 7680x4320, got " +
                     std::to_string(r.out_width) + "x" + std::to_string(r.out_height));
  if (r.out_width > 0) {
    p.out_width = r.out_width;
    p.out_height = r.out_height;
  } else if (!r.extend) {
    if (r.native) {
      p.out_width = p.width;
      p.out_height = p.height;
    } else {
      std::tie(p.out_width, p.out_height) = video_output_size(aspect);
    }
  }
  p.fps = m.d.fps;
  p.frames = r.seconds > 0 ? video_frame_count(r.seconds, m.d.fps) : m.d.frames;
  p.pass_frames = p.frames;
  // A one-frame model length (a folder's "frames": 1) adds nothing per pass: one pass then.
  if (supports_image() && m.d.frames >= 5 && p.frames > m.d.frames) {
    // Each pass after the first starts on the previous one's last frame: m.d.frames - 1 new.
    p.pass_frames = m.d.frames;
    p.passes = (p.frames - 1 + m.d.frames - 2) / (m.d.frames - 1);
  }
  p.steps = r.steps > 0 ? r.steps : m.d.steps;
  p.cfg = r.cfg >= 0 ? r.cfg : m.d.cfg;
  p.shift = r.shift >= 0 ? r.shift : m.d.shift;
  p.negative = r.negative.empty() ? m.d.negative : r.negative;
  return p;
}

VideoResult VideoGenerator::generate(const VideoRequest& r, const std::filesystem::path& out,
                                     const ProgressFn& progress, const CancelToken* cancel,
                                     const PreviewFn& preview) const {
  const auto start = std::chrono::steady_clock::now();
  const VideoPlan p = plan(r);
  VideoResult res;
  res.seed = r.seed;
  if (res.seed < 0) {
    std::random_device rd;
    res.seed = int64_t(rd() & 0x7fffffffu);
  }

  GenerateParams g;
  g.prompt = p.prompt;
  g.negative = p.negative;
  g.frames = p.frames;
  g.width = p.width;
  g.height = p.height;
  g.denoise.steps = p.steps;
  g.denoise.shift = p.shift;
  g.denoise.guidance = p.cfg;
  g.denoise.sampler = *sampler_kind_parse(r.sampler);
  g.denoise.seed = uint64_t(res.seed);
  media::Frame seam;
  if (r.image) {
    g.image =
        picture_tensor(fit_cover(read_picture(*r.image, "image"), int(p.width), int(p.height)));
  } else if (r.extend) {
    seam = read_last_picture(*r.extend);
    g.image = picture_tensor(fit_cover(seam, int(p.width), int(p.height)));
  }
  if (preview)
    g.on_step = [&](int64_t step, int64_t steps, const at::Tensor& x0) {
      // The middle latent frame: the one that has moved furthest from an image's first frame.
      const at::Tensor rgb =
          impl_->pipeline->preview_rgb(x0, std::max<int64_t>(1, x0.size(1) / 2));
      GenerationPreview pv;
      pv.step = step;
      pv.steps = steps;
      pv.height = int(rgb.size(0));
      pv.width = int(rgb.size(1));
      pv.rgb.assign(rgb.data_ptr<uint8_t>(), rgb.data_ptr<uint8_t>() + rgb.numel());
      preview(pv);
    };
  // [F, H, W, 3]: the passes joined, each after the first without its first frame (the
  // previous pass's last, which it started from).
  std::vector<at::Tensor> pieces;
  for (int64_t part = 0; part < p.passes; ++part) {
    g.frames = std::min(p.pass_frames, p.frames - part * (p.pass_frames - 1));
    if (part > 0) {
      g.image = image_input(pieces.back()[-1]);
      g.denoise.seed = uint64_t(res.seed + part);
    }
    ProgressFn pass_progress;
    if (progress)
      pass_progress = [&, part](const Progress& q) {
        Progress pq = q;
        pq.part = int(part);
        pq.parts = int(p.passes);
        progress(pq);
      };
    const at::Tensor f =
        torch_call([&] { return impl_->pipeline->generate(g, pass_progress, cancel); });
    pieces.push_back(part == 0 ? f : f.slice(0, 1));
  }
  const at::Tensor frames = pieces.size() == 1 ? pieces.front() : at::cat(pieces);
  pieces.clear();

  ClipWriter writer(out, int(p.out_width), int(p.out_height), Rational{p.fps, 1});
  const auto encode_start = std::chrono::steady_clock::now();
  int64_t total = p.frames;
  int64_t first_new = 0;
  std::optional<ColorDrift> drift;
  MeanColor first_second, last_second;
  int64_t first_n = 0, last_n = 0;
  auto report = [&] {
    if (!progress) return;
    Progress pr;
    pr.done = writer.frames();
    pr.total = total;
    pr.stage = "encode";
    pr.part = int(p.passes - 1);
    pr.parts = int(p.passes);
    pr.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - encode_start).count();
    progress(pr);
  };
  if (r.extend) {
    // The clip as it is, then the new frames without the first (it is the clip's last frame).
    const media::MediaInfo info = media::probe(*r.extend);
    first_new = 1;
    total = info.frame_count + p.frames - 1;
    media::VideoDecodeParams dp;
    dp.format = media::PixelFormat::rgba;
    media::VideoDecoder decoder(*r.extend, dp);
    media::Frame f;
    while (decoder.read(f)) {
      if (cancel) cancel->check("generation");
      if (writer.frames() < p.fps) {
        const MeanColor c = mean_color(f);
        first_second.r += c.r, first_second.g += c.g, first_second.b += c.b;
        ++first_n;
      }
      writer.write(f);
      report();
    }
    total = writer.frames() + p.frames - 1;
    drift.emplace();
  }
  // Mean R, G, B of generated frame i (extension's drift figures only).
  auto frame_mean = [&](int64_t i) {
    const at::Tensor m =
        frames[i].to(at::kFloat).mean(at::IntArrayRef{0, 1}).to(at::kDouble).contiguous();
    const double* d = m.data_ptr<double>();
    return MeanColor{d[0], d[1], d[2]};
  };
  for (int64_t i = first_new; i < p.frames; ++i) {
    if (cancel) cancel->check("generation");
    const at::Tensor f = frames[i].contiguous();
    writer.write_rgb(f.data_ptr<uint8_t>(), int(f.size(1)), int(f.size(0)));
    if (drift && i >= p.frames - p.fps) {
      const MeanColor c = frame_mean(i);
      last_second.r += c.r, last_second.g += c.g, last_second.b += c.b;
      ++last_n;
    }
    report();
  }
  if (drift) {
    const MeanColor before = mean_color(seam);
    const MeanColor first = frame_mean(1);
    const double after[3] = {first.r, first.g, first.b};
    const double b[3] = {before.r, before.g, before.b};
    const double fs[3] = {first_second.r / double(std::max<int64_t>(first_n, 1)),
                          first_second.g / double(std::max<int64_t>(first_n, 1)),
                          first_second.b / double(std::max<int64_t>(first_n, 1))};
    const double ls[3] = {last_second.r / double(std::max<int64_t>(last_n, 1)),
                          last_second.g / double(std::max<int64_t>(last_n, 1)),
                          last_second.b / double(std::max<int64_t>(last_n, 1))};
    for (int c = 0; c < 3; ++c) {
      drift->seam_rgb[c] = after[c] - b[c];
      drift->span_rgb[c] = ls[c] - fs[c];
    }
    auto luma = [](const double* v) { return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
    drift->seam_luma = luma(drift->seam_rgb);
    drift->span_luma = luma(drift->span_rgb);
  }
  writer.finish();

  res.file = out;
  res.width = p.out_width;
  res.height = p.out_height;
  res.frames = writer.frames();
  res.fps = double(p.fps);
  res.model_width = p.width;
  res.model_height = p.height;
  res.steps = p.steps;
  res.passes = p.passes;
  res.drift = drift;
  res.peak_rss_bytes = peak_rss_bytes();
  res.seconds_taken =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace kino::gen
