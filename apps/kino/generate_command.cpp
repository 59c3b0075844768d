// `kino generate "prompt" -o out.mp4`: text-to-video, image-to-video (--image) and extension
// (--extend) with a Wan model folder, a progress bar per stage and a summary line.
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "agent/reply.h"
#include "core/error.h"
#include "gen/gen.h"
#include "gen/model_catalog.h"
#include "media/frame.h"
#include "media/image_writer.h"
#include "progress_bar.h"

namespace kino::cli {

namespace {

struct GenerateOptions {
  gen::VideoRequest request;
  std::string image, extend, model, size, dtype = "bf16", device = "cpu", out, preview;
  int threads = 0;
  bool quiet = false;
};

// Ctrl-C cancels between steps (the .part file is removed); a second Ctrl-C exits at once.
CancelToken* g_cancel = nullptr;
void on_interrupt(int) {
  if (g_cancel && !g_cancel->cancelled()) {
    g_cancel->cancel();
    return;
  }
  std::_Exit(130);
}

std::filesystem::path model_path(const GenerateOptions& o) {
  if (!o.model.empty()) return o.model;
  if (auto p = gen::model_to_use()) return *p;
  fail(ErrorCode::unavailable,
       "no model installed: download one with `kino models pull wan2.1-t2v-1.3b` (text-to-video) "
       "or `kino models pull wan2.2-ti2v-5b` (text- and image-to-video), or pass --model DIR "
       "(models are looked for in " +
           gen::models_dir().string() + ")");
}

std::string signed_triple(const double* v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1f, %+.1f, %+.1f", v[0], v[1], v[2]);
  return buf;
}

// One bar per stage; denoising shows seconds per step.
class StageBars {
 public:
  explicit StageBars(bool quiet) : quiet_(quiet) {}
  void update(const Progress& p) {
    if (quiet_) return;
    // A long clip's passes each get their bars, labelled "denoise 2/3".
    const std::string label =
        p.parts > 1 && p.stage != "encode"
            ? p.stage + " " + std::to_string(p.part + 1) + "/" + std::to_string(p.parts)
            : p.stage;
    if (label != stage_) {
      if (bar_) bar_->finish();
      stage_ = label;
      const char* unit = p.stage == "denoise" ? "steps" : p.stage == "text" ? "prompts" : "frames";
      if (p.stage == "decode") unit = "latent frames";
      bar_ = std::make_unique<ProgressBar>(label, unit);
    }
    bar_->update(p);
  }
  void finish() {
    if (bar_) bar_->finish();
    bar_.reset();
  }

 private:
  bool quiet_;
  std::string stage_;
  std::unique_ptr<ProgressBar> bar_;
};

// The preview picture, scaled up (nearest) to at least 256 pixels on its long side, replaced
// atomically so an image viewer watching the file never reads half of it.
void write_preview(const std::filesystem::path& file, const gen::GenerationPreview& pv) {
  const int k = std::max(1, 256 / std::max(1, std::max(pv.width, pv.height)));
  const std::filesystem::path part = file.parent_path() / (".part-" + file.filename().string());
  media::write_image_rgb(part, pv.rgb.data(), pv.width, pv.height, k);
  std::filesystem::rename(part, file);
}

void run(GenerateOptions& o) {
  gen::VideoRequest& r = o.request;
  if (!o.image.empty()) r.image = o.image;
  if (!o.extend.empty()) r.extend = o.extend;
  if (!o.size.empty()) {
    long long w = 0, h = 0;
    char tail = 0;
    if (std::sscanf(o.size.c_str(), "%lldx%lld%c", &w, &h, &tail) != 2 || w <= 0 || h <= 0)
      fail_bad_request("--size must be WIDTHxHEIGHT, got \"" + o.size + "\"");
    r.width = w;
    r.height = h;
  }
  gen::PipelineOptions options;
  const auto dtype = gen::run_dtype_parse(o.dtype);
  if (!dtype) fail_bad_request("--dtype must be bf16, f32 or f16, got \"" + o.dtype + "\"");
  options.dtype = *dtype;
  options.device = o.device;
  options.resident_dit = false;  // one run: the DiT is loaded after the text encoder is freed
  gen::set_compute_threads(o.threads);

  const std::filesystem::path model = model_path(o);
  if (!o.quiet) std::fprintf(stderr, "loading %s\n", model.string().c_str());
  const auto generator = gen::VideoGenerator::load(model, options);
  const gen::VideoPlan plan = generator->plan(r);
  if (const auto unknown = gen::model_unknown_words(generator->defaults(), r.prompt);
      !unknown.empty())
    std::fprintf(stderr, "%s\n",
                 agent::unknown_words_note(agent::Language::en, generator->model_name(), unknown)
                     .c_str());
  if (!o.quiet) {
    std::fprintf(stderr, "%s: %lldx%lld, %lld frames at %lld fps, %lld steps, cfg %g, shift %g\n",
                 generator->model_name().c_str(), (long long)plan.width, (long long)plan.height,
                 (long long)plan.frames, (long long)plan.fps, (long long)plan.steps, plan.cfg,
                 plan.shift);
    if (plan.passes > 1)
      std::fprintf(stderr,
                   "longer than the model's %lld frames: %lld generations, each continuing the "
                   "last from its final frame\n",
                   (long long)plan.pass_frames, (long long)plan.passes);
  }

  CancelToken cancel;
  g_cancel = &cancel;
  std::signal(SIGINT, on_interrupt);
  StageBars bars(o.quiet);
  gen::VideoResult res;
  try {
    gen::PreviewFn preview;
    if (!o.preview.empty()) preview = [&](const gen::GenerationPreview& pv) { write_preview(o.preview, pv); };
    res = generator->generate(
        r, o.out, [&](const Progress& p) { bars.update(p); }, &cancel, preview);
  } catch (...) {
    bars.finish();
    g_cancel = nullptr;
    throw;
  }
  bars.finish();
  g_cancel = nullptr;
  std::signal(SIGINT, SIG_DFL);

  std::printf(
      "%s: %lldx%lld (model %lldx%lld), %lld frames at %g fps (%.2f s), seed %lld, "
      "%lld steps, took %s, peak memory %s\n",
      res.file.c_str(), (long long)res.width, (long long)res.height, (long long)res.model_width,
      (long long)res.model_height, (long long)res.frames, res.fps, double(res.frames) / res.fps,
      (long long)res.seed, (long long)res.steps, format_seconds(res.seconds_taken).c_str(),
      format_bytes(res.peak_rss_bytes).c_str());
  if (res.drift)
    std::printf(
        "colour drift: seam (first new frame - clip's last) RGB %s, luma %+.1f; "
        "last second - first second RGB %s, luma %+.1f (0..255 units)\n",
        signed_triple(res.drift->seam_rgb).c_str(), res.drift->seam_luma,
        signed_triple(res.drift->span_rgb).c_str(), res.drift->span_luma);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  gen::VideoRequest& r = o->request;
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Generate a video clip from a prompt (text-to-video), a prompt and an image "
      "(image-to-video), or continue a clip (--extend); see docs/MODELS.md");
  cmd->add_option("prompt", r.prompt, "What the clip shows")->required();
  cmd->add_option("-o,--out", o->out, "Output MP4 file")->required();
  cmd->add_option("--image", o->image,
                  "First frame for image-to-video (TI2V models); fit to the aspect by a centre "
                  "crop");
  cmd->add_option("--extend", o->extend,
                  "Continue this clip from its last frame (TI2V models) and write the clip "
                  "followed by the new frames");
  cmd->add_option("--model", o->model,
                  "Model folder or weight file (default: the first installed catalog model, else "
                  "the built-in kino-tiny)");
  cmd->add_option("--seconds", r.seconds,
                  "Length of the new video (default: the model's: 5 s for Wan models, 2 s for "
                  "kino-tiny)");
  r.aspect.clear();
  cmd->add_option("--aspect", r.aspect,
                  "16:9, 9:16, 1:1 (or any W:H from 1:4 to 4:1); default: the image's own with "
                  "--image, else the model's (16:9 for Wan, 1:1 for kino-tiny)");
  cmd->add_option("--size", o->size,
                  "Model resolution WIDTHxHEIGHT (rounded to the model's multiple); overrides "
                  "--aspect");
  cmd->add_option("--steps", r.steps, "Denoising steps (default: the model's: 50 for Wan, 20 for kino-tiny)");
  cmd->add_option("--cfg", r.cfg, "Classifier-free guidance scale, 1 = off (default: the model's: 5 for Wan, 4 for kino-tiny)");
  cmd->add_option("--shift", r.shift, "Sigma schedule shift (default: the model's: 5 for Wan, 3 for kino-tiny)");
  cmd->add_option("--seed", r.seed, "Random seed; -1 picks one (printed)")->capture_default_str();
  cmd->add_option("--sampler", r.sampler, "unipc or euler")->capture_default_str();
  cmd->add_option("--negative", r.negative, "Negative prompt (default: the model's; Wan: the official one)");
  cmd->add_option("--camera", r.camera,
                  "Camera move, appended to the prompt: " + gen::camera_preset_names());
  cmd->add_flag("--native", r.native,
                "Keep the model's resolution (default: scale to fit 1920x1080, or 1080x1920 for portrait, Lanczos)");
  cmd->add_option("--dtype", o->dtype, "Matmul dtype: bf16, f32 or f16")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: one per core)")->capture_default_str();
  cmd->add_option("--preview", o->preview,
                  "Write a picture of the clip after every denoising step to this .png or .jpg "
                  "(the middle frame, from the latent, at 1/8 or 1/16 of the clip's size)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress bars");
  cmd->callback([o] { run(*o); });
}

}  // namespace kino::cli
