// `kino train`: the kino-tiny data set, tokenizer and training stages (docs/TRAINING.md).
#include <ATen/Parallel.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "commands.h"
#include "core/error.h"
#include "gen/pipeline_options.h"
#include "gen/tiny_eval.h"
#include "gen/train_export.h"
#include "gen/train_tokenizer.h"
#include "gen/trainer.h"
#include "gen/wan_vae.h"
#include "progress_bar.h"
#include "scenes/scenes.h"

namespace kino::cli {
namespace {

namespace fs = std::filesystem;

// Ctrl-C stops training after the current step, with a checkpoint.
const CancelToken* g_train_cancel = nullptr;
extern "C" void on_train_interrupt(int) {
  if (g_train_cancel) g_train_cancel->cancel();
}

struct TrainArgs {
  gen::TrainOptions o;
  std::string stage;
  bool micro = false;
  int threads = 0;
  int64_t log_every = 10;
  std::string vae_dtype = "bf16";
  int64_t decoder_dim = 0;  // 0: the model's
};

void run_training(TrainArgs& a) {
  if (a.micro) a.o.model = gen::tiny_model_micro_config();
  if (a.decoder_dim > 0) a.o.model.vae.decoder_base_dim = a.decoder_dim;
  if (a.vae_dtype == "bf16")
    a.o.vae_dtype = at::kBFloat16;
  else if (a.vae_dtype == "f32")
    a.o.vae_dtype = at::kFloat;
  else
    fail_bad_request("--vae-dtype must be bf16 or f32, got \"" + a.vae_dtype + "\"");
  a.o.threads = a.threads > 0 ? a.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  CancelToken cancel;
  g_train_cancel = &cancel;
  std::signal(SIGINT, on_train_interrupt);
  std::signal(SIGTERM, on_train_interrupt);
  std::fprintf(stderr, "kino train %s: run folder %s, %lld steps, batch %lld, seed %llu\n",
               std::string(gen::train_stage_name(a.o.stage)).c_str(), a.o.run_dir.c_str(),
               static_cast<long long>(a.o.steps), static_cast<long long>(a.o.batch),
               static_cast<unsigned long long>(a.o.seed));
  // A line every log_every steps: the mean loss since the last line, seconds per step, ETA.
  double loss_sum = 0, sec_sum = 0;
  int64_t n = 0;
  // The only progress before the first step is the dit stage's latent cache.
  const ProgressFn progress = [](const Progress& p) {
    if (p.stage != "latents") return;
    std::fprintf(stderr, "encoding latents: %lld/%lld scenes  %s\n", static_cast<long long>(p.done),
                 static_cast<long long>(p.total), format_seconds(p.elapsed_s).c_str());
  };
  const auto report = gen::train_run(a.o, progress, &cancel, [&](const gen::TrainStepResult& r) {
    loss_sum += r.loss, sec_sum += r.seconds, ++n;
    if (r.step % a.log_every != 0 && r.step != a.o.steps) return;
    const double eta = sec_sum / double(n) * double(a.o.steps - r.step);
    std::fprintf(stderr, "step %lld/%lld  loss %.5f  lr %.3g  %.2f s/step  ETA %s\n",
                 static_cast<long long>(r.step), static_cast<long long>(a.o.steps),
                 loss_sum / double(n), r.lr, sec_sum / double(n), format_seconds(eta).c_str());
    loss_sum = sec_sum = 0;
    n = 0;
  });
  g_train_cancel = nullptr;
  std::printf("steps %lld..%lld: loss %.5f -> %.5f (means of the first and last 10), %.3f s/step\n",
              static_cast<long long>(report.first_step), static_cast<long long>(report.last_step),
              report.first_loss, report.last_loss, report.seconds_per_step);
  std::printf("checkpoint: %s\nlog: %s\nsummary: %s\n", report.checkpoint.c_str(),
              (a.o.run_dir / "log.csv").c_str(), (a.o.run_dir / "summary.txt").c_str());
}

void add_stage(CLI::App& train, gen::TrainStage stage, const char* help) {
  auto args = std::make_shared<TrainArgs>();
  args->o.stage = stage;
  if (stage == gen::TrainStage::vae) {
    // 1e-3 spiked (loss near its maximum) by step 70 of a real run: the VAE wants less.
    args->o.lr = 3e-4;
    args->o.warmup = 200;
    args->o.batch = 4;
  }
  CLI::App* cmd = train.add_subcommand(std::string(gen::train_stage_name(stage)), help);
  cmd->add_option("--out", args->o.run_dir,
                  "Run folder: checkpoint/, log.csv, summary.txt (resumed when it exists)")
      ->required();
  cmd->add_option("--steps", args->o.steps, "Stop when this many steps are done")
      ->capture_default_str();
  cmd->add_option("--batch", args->o.batch, "Clips per step")->capture_default_str();
  cmd->add_option("--lr", args->o.lr, "AdamW learning rate")->capture_default_str();
  cmd->add_option("--scenes", args->o.scenes,
                  "Cycle through this many scenes (0: a fresh scene every time); dit: their "
                  "latents are encoded once, into RUN/latents")
      ->capture_default_str();
  cmd->add_option("--warmup", args->o.warmup, "Linear warm-up steps")->capture_default_str();
  cmd->add_option("--decay-from", args->o.decay_from,
                  "From this step, a cosine decay of the learning rate to a tenth at --steps "
                  "(0: constant)")
      ->capture_default_str();
  cmd->add_option("--seed", args->o.seed, "Initialisation, data order and noise")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", args->o.checkpoint_every, "Steps between checkpoints")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "LibTorch threads (0: all cores)");
  cmd->add_option("--log-every", args->log_every, "Steps between progress lines")
      ->capture_default_str();
  cmd->add_flag("--bf16", args->o.bf16,
                "The model in bfloat16 (CPU autocast; weights and optimizer stay float32)");
  cmd->add_flag("--micro", args->micro, "The small test configuration (32 x 32, 5 frames)");
  cmd->add_option("--ema", args->o.ema,
                  "Decay of a moving average of the stage's weights that the checkpoint's model "
                  "files hold (0: none; 0.999: about the last thousand steps)")
      ->capture_default_str();
  if (stage == gen::TrainStage::dit) {
    cmd->add_option("--vae", args->o.vae, "The trained VAE (a vae run's checkpoint folder)")
        ->required();
    cmd->add_option("--tokenizer", args->o.tokenizer,
                    "spiece.model (default: trained into RUN/tokenizer with spm_train)");
    cmd->add_option("--vae-dtype", args->vae_dtype, "Encode dtype of the frozen VAE: bf16 or f32")
        ->capture_default_str();
    cmd->add_option("--caption-dropout", args->o.caption_dropout,
                    "Probability of an empty caption (CFG)")
        ->capture_default_str();
    cmd->add_option("--train-shift", args->o.train_shift,
                    "Shift of the training sigmas (0: the model's sampling shift; higher trains "
                    "more near pure noise, where only the caption tells the colours)")
        ->capture_default_str();
    cmd->add_option("--first-frame", args->o.first_frame,
                    "Probability of a clean first latent frame (image-to-video)")
        ->capture_default_str();
    cmd->add_option("--object-weight", args->o.object_weight,
                    "Extra loss weight on latent pixels that stand out from their 3 x 3 "
                    "neighbourhood (small objects); 0: all alike")
        ->capture_default_str();
  } else {
    cmd->add_option("--vae-frames", args->o.vae_frames,
                    "Frames per clip (4n + 1, at most the clip's; fewer train faster, but the "
                    "chunks never trained drift)")
        ->capture_default_str();
    cmd->add_option("--latent-penalty", args->o.latent_penalty, "Weight of mean(z^2)")
        ->capture_default_str();
    cmd->add_option("--latent-noise", args->o.latent_noise, "Noise added to z before decoding")
        ->capture_default_str();
    cmd->add_option("--object-weight", args->o.object_weight,
                    "Extra reconstruction weight on pixels that stand out from a 17 x 17 blur "
                    "(small objects); 0: all pixels alike")
        ->capture_default_str();
    cmd->add_option("--first-frame-weight", args->o.first_frame_weight,
                    "Loss weight of each clip's first frame, the one image-to-video keeps from "
                    "the input image (1: like the others)")
        ->capture_default_str();
    cmd->add_option("--init-vae", args->o.init_vae,
                    "Start a new run from this VAE (a checkpoint folder) instead of random "
                    "weights, its decoder widened to --decoder-dim");
    cmd->add_option("--decoder-dim", args->decoder_dim,
                    "Decoder width in base channels (default: the encoder's, 16; 4 with --micro). "
                    "With --init-vae, a whole multiple of that VAE's");
    cmd->add_flag("--freeze-encoder", args->o.freeze_encoder,
                  "Train the decoder only, so latents a DiT was trained on stay valid");
  }
  cmd->callback([args] { run_training(*args); });
}

}  // namespace

void add_train_command(CLI::App& app) {
  CLI::App* train =
      app.add_subcommand("train",
                         "Train kino-tiny: the data set, the tokenizer, the VAE and the DiT (see "
                         "docs/TRAINING.md)");
  train->require_subcommand(1);

  struct DataArgs {
    fs::path out;
    scenes::DatasetWriteOptions o;
    std::string split = "train";
  };
  auto data = std::make_shared<DataArgs>();
  CLI::App* d = train->add_subcommand("data", "Write sample clips (MP4) and captions to look at");
  d->add_option("--out", data->out, "Output folder")->required();
  d->add_option("--count", data->o.count, "Number of samples")->capture_default_str();
  d->add_option("--seed", data->o.seed, "Data set seed")->capture_default_str();
  d->add_option("--split", data->split, "train or held_out")->capture_default_str();
  d->add_option("--scale", data->o.scale, "Pixel scale of the MP4s (1..16)")->capture_default_str();
  d->callback([data] {
    auto split = scenes::scene_split_parse(data->split);
    if (!split) fail_bad_request("--split must be train or held_out, got \"" + data->split + "\"");
    data->o.split = *split;
    const auto files = scenes::dataset_write(data->out, data->o);
    std::printf("wrote %zu clips with captions to %s (index: captions.txt)\n", files.size(),
                data->out.c_str());
  });

  struct TokArgs {
    fs::path out;
    gen::TrainTokenizerOptions o;
  };
  auto tok = std::make_shared<TokArgs>();
  CLI::App* t =
      train->add_subcommand("tokenizer", "Train spiece.model on the captions (spm_train)");
  t->add_option("--out", tok->out, "Output folder")->required();
  t->add_option("--seed", tok->o.seed, "Data set seed")->capture_default_str();
  t->add_option("--scenes", tok->o.scenes, "Scenes whose captions form the corpus")
      ->capture_default_str();
  t->add_option("--vocab", tok->o.vocab_size, "Vocabulary size")->capture_default_str();
  t->callback([tok] { std::printf("wrote %s\n", gen::train_tokenizer(tok->out, tok->o).c_str()); });

  add_stage(*train, gen::TrainStage::vae, "Train the VAE on scene clips");
  add_stage(*train, gen::TrainStage::dit,
            "Train the DiT and the text encoder on latents of the trained VAE");

  struct EvalArgs {
    std::string model;
    gen::TinyEvalOptions o;
    bool image = false;
    bool vae_only = false;
    int threads = 0;
  };
  auto ev = std::make_shared<EvalArgs>();
  ev->o.work_dir = "kino-eval";
  CLI::App* v = train->add_subcommand(
      "eval",
      "Measure prompt adherence on held-out prompts (image-to-video with --image, the VAE "
      "alone with --vae-only)");
  v->add_option("--model", ev->model, "Model folder (a dit checkpoint or an exported model)")
      ->required();
  v->add_option("--cases", ev->o.cases, "Held-out prompts to generate")->capture_default_str();
  v->add_option("--seed", ev->o.seed, "Held-out scene seed (clip i uses seed + i)")
      ->capture_default_str();
  v->add_option("--steps", ev->o.steps, "Denoising steps (0: the model's)")->capture_default_str();
  v->add_option("--out", ev->o.work_dir, "Folder for the clips")->capture_default_str();
  v->add_flag("--image", ev->image, "Image-to-video from each scene's first frame");
  v->add_flag("--vae-only", ev->vae_only,
              "The held-out clips themselves through the model's VAE: what it keeps of colour "
              "and motion bounds the other scores");
  v->add_option("--threads", ev->threads, "CPU threads (0: one per core)");
  v->callback([ev] {
    gen::set_compute_threads(ev->threads);
    if (ev->vae_only) {
      const auto vae = gen::wan_vae_load(ev->model, gen::WanVaeOptions{});
      const auto report = gen::tiny_eval_reconstruction(*vae, scenes::ClipFormat{}, ev->o);
      double psnr = 0;
      for (const auto& c : report.cases) {
        psnr += c.clip_psnr / double(report.cases.size());
        std::printf("%-4s %-60s hue %5.1f (%s) move %+.2f %+.2f %.1f dB, first frame %.1f dB\n",
                    c.ok() ? "ok" : "FAIL", c.prompt.c_str(), c.hue,
                    std::string(scenes::colour_name(scenes::colour_nearest_hue(c.hue))).c_str(),
                    c.dx, c.dy, c.clip_psnr, c.first_frame_psnr);
      }
      std::printf("reconstruction: %lld/%zu cases keep colour and motion (%.0f %%), %.1f dB\n",
                  static_cast<long long>(report.passed()), report.cases.size(),
                  100.0 * report.score(), psnr);
      return;
    }
    gen::PipelineOptions po;
    const auto g = gen::VideoGenerator::load(ev->model, po);
    const auto report = ev->image ? gen::tiny_eval_image(*g, ev->o) : gen::tiny_eval_adherence(*g, ev->o);
    for (size_t i = 0; i < report.cases.size(); ++i) {
      const auto& c = report.cases[i];
      std::printf("%-4s %-60s hue %5.1f (%s) move %+.2f %+.2f%s\n", c.ok() ? "ok" : "FAIL",
                  c.prompt.c_str(), c.hue,
                  c.found ? std::string(scenes::colour_name(scenes::colour_nearest_hue(c.hue))).c_str()
                          : "none",
                  c.dx, c.dy,
                  ev->image ? (" first frame " + std::to_string(c.first_frame_psnr) + " dB").c_str()
                            : "");
    }
    std::printf("%s: %lld/%zu cases pass (%.0f %%), %.2f s per clip\n",
                ev->image ? "image-to-video" : "adherence", static_cast<long long>(report.passed()),
                report.cases.size(), 100.0 * report.score(), report.seconds_per_clip);
  });

  auto ex = std::make_shared<gen::TrainExportOptions>();
  CLI::App* e = train->add_subcommand(
      "export", "Write the shippable model folder (fp16, with the caption vocabulary) of a dit run");
  e->add_option("--dit", ex->dit, "The dit run's checkpoint folder")->required();
  e->add_option("--vae", ex->vae,
                "A VAE to ship instead of the dit run's (a `train vae --freeze-encoder` "
                "checkpoint of the same encoder)");
  e->add_option("--out", ex->out, "Model folder to write (replaced)")->required();
  e->callback([ex] {
    const gen::TrainExportReport r = gen::train_export(*ex);
    std::printf("wrote %s: %s, %lld words in the vocabulary\n", ex->out.c_str(),
                format_bytes(r.bytes).c_str(), static_cast<long long>(r.words));
  });

  struct KeepArgs {
    std::filesystem::path run, out;
  };
  auto kp = std::make_shared<KeepArgs>();
  CLI::App* k = train->add_subcommand(
      "keep", "Copy a run as a small folder to keep (fp16 model files, no optimizer state); "
              "copied back, the same train command resumes from it");
  k->add_option("--run", kp->run, "The run folder (a train vae/dit --out)")->required();
  k->add_option("--out", kp->out, "Folder to write (replaced)")->required();
  k->callback([kp] {
    const gen::TrainKeepReport r = gen::train_keep(kp->run, kp->out);
    std::printf("kept step %lld of %s in %s: %s\n", static_cast<long long>(r.step),
                kp->run.c_str(), kp->out.c_str(), format_bytes(r.bytes).c_str());
  });
}

}  // namespace kino::cli
