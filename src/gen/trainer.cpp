#include "gen/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "gen/model_folder.h"
#include "gen/pipeline_options.h"
#include "gen/safetensors_file.h"
#include "gen/tensor_io.h"
#include "gen/train_tokenizer.h"
#include "gen/umt5_encoder.h"
#include "gen/umt5_tokenizer.h"
#include "gen/wan_dit.h"
#include "gen/wan_vae.h"
#include "gen/weight_set.h"
#include "scenes/scenes.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// CPU autocast to bfloat16 for one forward pass, put back as it was when the scope ends. The
// autograd graph remembers the casts, so backward runs after the scope and still in bf16.
class CpuBf16Autocast {
 public:
  explicit CpuBf16Autocast(bool on) : on_(on) {
    if (!on_) return;
    was_enabled_ = at::autocast::is_cpu_enabled();
    was_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  ~CpuBf16Autocast() {
    if (!on_) return;
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(was_dtype_);
    if (!was_enabled_) at::autocast::clear_cache();
  }
  CpuBf16Autocast(const CpuBf16Autocast&) = delete;
  CpuBf16Autocast& operator=(const CpuBf16Autocast&) = delete;

 private:
  bool on_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kBFloat16;
};

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) fail(ErrorCode::internal, "cannot write " + path.string());
}

void copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    fail(ErrorCode::internal,
         "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
}

// Scales all gradients down together when their joint L2 norm exceeds max_norm.
void clip_grad_norm(const std::vector<at::Tensor>& params, double max_norm) {
  double total = 0;
  for (const auto& p : params)
    if (p.grad().defined()) total += p.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(total);
  if (norm > max_norm)
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(max_norm / (norm + 1e-6));
}

}  // namespace

std::string_view train_stage_name(TrainStage s) {
  return s == TrainStage::vae ? "vae" : "dit";
}
std::optional<TrainStage> train_stage_parse(std::string_view n) {
  if (n == "vae") return TrainStage::vae;
  if (n == "dit") return TrainStage::dit;
  return std::nullopt;
}

void train_options_validate(const TrainOptions& o) {
  auto bad = [](const std::string& m) { fail_bad_request(m); };
  if (o.run_dir.empty()) bad("train: the run folder (--out) must be given");
  if (o.steps < 0 || o.steps > 100000000)
    bad("steps must be 0..100000000, got " + std::to_string(o.steps));
  if (o.batch < 1 || o.batch > 256) bad("batch must be 1..256, got " + std::to_string(o.batch));
  if (!(o.lr > 0 && o.lr < 1)) bad("lr must be in (0, 1), got " + std::to_string(o.lr));
  if (!(o.weight_decay >= 0 && o.weight_decay < 1))
    bad("weight_decay must be in [0, 1), got " + std::to_string(o.weight_decay));
  if (o.warmup < 0) bad("warmup must be >= 0, got " + std::to_string(o.warmup));
  if (o.train_shift < 0 || o.train_shift > 100)
    bad("train_shift must be 0..100, got " + std::to_string(o.train_shift));
  if (!(o.object_weight >= 0 && o.object_weight <= 100))
    bad("object_weight must be 0..100, got " + std::to_string(o.object_weight));
  if (!(o.first_frame_weight >= 1 && o.first_frame_weight <= 100))
    bad("first_frame_weight must be 1..100, got " + std::to_string(o.first_frame_weight));
  if (o.first_frame_weight != 1 && o.stage != TrainStage::vae)
    bad("first_frame_weight is for the vae stage only");
  if (!(o.ema >= 0 && o.ema < 1)) bad("ema must be in [0, 1), got " + std::to_string(o.ema));
  if (o.decay_from < 0) bad("decay_from must be >= 0, got " + std::to_string(o.decay_from));
  if (!(o.clip_grad > 0)) bad("clip_grad must be > 0, got " + std::to_string(o.clip_grad));
  if (o.scenes < 0) bad("scenes must be >= 0, got " + std::to_string(o.scenes));
  if (o.checkpoint_every < 1)
    bad("checkpoint_every must be >= 1, got " + std::to_string(o.checkpoint_every));
  for (auto [name, p] :
       {std::pair{"caption_dropout", o.caption_dropout}, std::pair{"first_frame", o.first_frame}})
    if (!(p >= 0 && p <= 1))
      bad(std::string(name) + " must be in [0, 1], got " + std::to_string(p));
  if (o.vae_frames < 1 || (o.vae_frames - 1) % 4)
    bad("vae_frames must be 4n + 1, got " + std::to_string(o.vae_frames));
  if (!(o.latent_penalty >= 0))
    bad("latent_penalty must be >= 0, got " + std::to_string(o.latent_penalty));
  if (!(o.latent_noise >= 0))
    bad("latent_noise must be >= 0, got " + std::to_string(o.latent_noise));
  if (o.vae_dtype != at::kFloat && o.vae_dtype != at::kBFloat16)
    bad("vae_dtype must be float32 or bfloat16, got " + std::string(c10::toString(o.vae_dtype)));
  if (!o.init_vae.empty() && o.stage != TrainStage::vae) bad("init_vae is for the vae stage only");
  if (o.stage == TrainStage::dit && o.vae.empty())
    bad("train dit: --vae must name the trained VAE (a vae run's checkpoint folder)");
  tiny_model_config_validate(o.model);
}

struct Trainer::State {
  TrainOptions o;
  TinyModelConfig cfg;
  ParamMap dit_p, umt5_p, vae_p;  // trainable parameters of the stage
  ParamMap dit_ema, umt5_ema, vae_ema;  // with o.ema > 0: the stage's moving averages
  std::unique_ptr<WanVae> vae;
  std::unique_ptr<WanDit> dit;
  std::unique_ptr<UMT5Encoder> umt5;
  std::optional<UMT5Tokenizer> tokenizer;
  fs::path tokenizer_path, vae_file;
  std::vector<std::string> names;  // "dit/...", "umt5/...", "vae/..." aligned with params
  std::vector<at::Tensor> params;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  int64_t done = 0;
  int64_t warm_from = 0;  // the learning-rate warm-up counts from this step
  // dit stage with scenes > 0: the frozen VAE's latents of scenes 0 .. scenes - 1, float32
  // [N, z, T, h, w], encoded once. Rendering and encoding 17 frames per clip costs several
  // times the DiT step itself, so a run over a fixed scene set pays it only once.
  at::Tensor latents;
  // dit stage: per-channel mean and std [z] of the VAE's latents over the first kStatsScenes
  // scenes. The DiT learns x0 = (z - mean) / std, unit variance per channel as the flow-matching
  // noise assumes (the tiny VAE's latents come out with std 0.15-0.7, which hid the objects
  // under the noise at all but the lowest sigmas); the checkpoint's VAE file carries the
  // combined statistics in its metadata, so the pipeline encodes and decodes in the same units.
  at::Tensor lat_mean, lat_std;
  static constexpr int64_t kStatsScenes = 64;

  fs::path checkpoint() const { return o.run_dir / "checkpoint"; }
  int vae_frames() const { return int(std::min<int64_t>(o.vae_frames, cfg.clip.frames)); }
  fs::path log_path() const { return o.run_dir / "log.csv"; }

  Json trainer_json() const {
    Json j{{"stage", std::string(train_stage_name(o.stage))},
           {"step", done},
           {"seed", o.seed},
           {"batch", o.batch},
           {"scenes", o.scenes},
           {"lr", o.lr},
           {"weight_decay", o.weight_decay},
           {"warmup", o.warmup},
           {"decay_from", o.decay_from},
           {"train_shift", o.train_shift},
           {"ema", o.ema},
           {"caption_dropout", o.caption_dropout},
           {"first_frame", o.first_frame},
           {"latent_penalty", o.latent_penalty},
           {"latent_noise", o.latent_noise},
           {"vae_frames", o.vae_frames},
           {"freeze_encoder", o.freeze_encoder},
           {"object_weight", o.object_weight},
           {"first_frame_weight", o.first_frame_weight},
           {"bf16", o.bf16},
           {"vae_dtype", std::string(c10::toString(o.vae_dtype))},
           {"model", tiny_model_config_json(cfg)}};
    if (lat_mean.defined()) {
      j["latent_mean"] = tensor_values(lat_mean);
      j["latent_std"] = tensor_values(lat_std);
    }
    return j;
  }

  static std::vector<double> tensor_values(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kDouble).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
  }

  // The frozen VAE's latents of train scenes first .. first + n - 1, float32 [n, z, T, h, w],
  // encoded 16 clips at a time (the cache and the statistics encode the same way, so a cached
  // and an uncached run agree).
  at::Tensor encode_scenes(int64_t first, int64_t n) const {
    constexpr int64_t kChunk = 16;
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> chunks;
    for (int64_t i = 0; i < n; i += kChunk) {
      std::vector<std::vector<scenes::RgbImage>> clips;
      for (int64_t j = i; j < std::min(n, i + kChunk); ++j)
        clips.push_back(render(scenes::scene_sample(o.seed, first + j, scenes::SceneSplit::train)));
      chunks.push_back(vae->encode(tiny_clips_tensor(clips)).to(at::kFloat));
    }
    return at::cat(chunks);
  }

  // The latent statistics of a new dit run, over scenes 0 .. kStatsScenes - 1.
  void compute_latent_stats() {
    const at::Tensor z =
        encode_scenes(0, kStatsScenes).transpose(0, 1).reshape({cfg.vae.z_dim, -1});
    lat_mean = z.mean(1);
    lat_std = z.std(1).clamp_min(1e-3);
  }

  // The VAE as the DiT sees it: the loaded file's tensors with the statistics of its own
  // normalization combined with the run's, z_dit = (mu - mean0 - std0 m) / (std0 s).
  void write_vae_for_dit(const fs::path& to) const {
    const auto file = SafetensorsFile::open(vae_file);
    std::map<std::string, std::string> metadata = file->metadata();
    WanVaeLatentStats stats;
    for (int64_t c = 0; c < cfg.vae.z_dim; ++c) {
      const double m0 = vae->latent_mean()[size_t(c)], s0 = vae->latent_std()[size_t(c)];
      stats.mean.push_back(float(m0 + s0 * lat_mean[c].item<double>()));
      stats.std.push_back(float(s0 * lat_std[c].item<double>()));
    }
    for (auto& [k, v] : wan_vae_latent_stats_metadata(stats)) metadata[k] = v;
    std::vector<std::pair<std::string, at::Tensor>> list;
    for (auto& [name, t] : safetensors_read_all(vae_file)) list.emplace_back(name, t);
    safetensors_write(to, list, metadata);
  }

  void build_modules() {
    names.clear();
    params.clear();
    auto collect = [&](const char* prefix, const ParamMap& m) {
      for (const auto& [n, t] : m) {
        names.push_back(std::string(prefix) + n);
        params.push_back(t);
      }
    };
    if (o.stage == TrainStage::vae) {
      vae = std::make_unique<WanVae>(cfg.vae, WeightSet::from_tensors(vae_p),
                                     WanVaeOptions{at::kFloat, at::kCPU});
      ParamMap trained;
      for (const auto& [n, t] : vae_p) {
        const bool frozen = o.freeze_encoder && tiny_vae_encoder_side(n);
        t.requires_grad_(!frozen);
        if (!frozen) trained.emplace(n, t);
      }
      collect("vae/", trained);
    } else {
      dit = std::make_unique<WanDit>(cfg.dit, WeightSet::from_tensors(dit_p),
                                     WanDitOptions{at::kFloat, at::kCPU});
      umt5 = std::make_unique<UMT5Encoder>(cfg.umt5, WeightSet::from_tensors(umt5_p),
                                           UMT5Options{at::kFloat, at::kCPU});
      collect("dit/", dit_p);
      collect("umt5/", umt5_p);
    }
    optimizer = std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(o.lr).betas({0.9, 0.99}).weight_decay(o.weight_decay));
  }

  // The batch of step `step` (1-based): scenes (step - 1) * batch ... of the train split
  // (modulo o.scenes when set).
  struct Batch {
    at::Tensor frames;
    std::vector<int64_t> scene_indices;
    std::vector<std::string> captions;
  };
  // With a latent cache, `frames` stays undefined and `scene_indices` pick the cached latents.
  // The caption is chosen from the position in the data stream, not the scene, so a cycled
  // scene is seen with each of its captions in turn.
  Batch batch(int64_t step) const {
    std::vector<std::vector<scenes::RgbImage>> clips;
    Batch b;
    for (int64_t i = 0; i < o.batch; ++i) {
      const int64_t position = (step - 1) * o.batch + i;
      const int64_t index = o.scenes > 0 ? position % o.scenes : position;
      const scenes::Scene scene = scenes::scene_sample(o.seed, index, scenes::SceneSplit::train);
      b.scene_indices.push_back(index);
      if (!latents.defined()) clips.push_back(render(scene));
      const auto captions = scenes::scene_captions(scene);
      b.captions.push_back(captions[mix(o.seed, uint64_t(position)) % captions.size()]);
    }
    if (!clips.empty()) b.frames = tiny_clips_tensor(clips);
    return b;
  }

  std::vector<scenes::RgbImage> render(const scenes::Scene& scene) const {
    std::vector<scenes::RgbImage> frames;
    const int n = o.stage == TrainStage::vae ? vae_frames() : cfg.clip.frames;
    for (int f = 0; f < n; ++f) frames.push_back(scenes::scene_render_frame(scene, cfg.clip, f));
    return frames;
  }

  // A fingerprint of the VAE's encoder side (FNV-1a over names and float32 values): the latents
  // depend on nothing else, so a decoder trained further with --freeze-encoder keeps the cache
  // valid while any change to the encoder, even one that keeps the file's size, voids it.
  std::string encoder_fingerprint() const {
    uint64_t h = 1469598103934665603ull;
    auto add = [&h](const void* data, size_t n) {
      const auto* b = static_cast<const unsigned char*>(data);
      for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    for (const auto& [name, t] : safetensors_read_all(vae_file)) {  // a std::map: sorted names
      if (!tiny_vae_encoder_side(name)) continue;
      const at::Tensor v = t.to(at::kFloat).contiguous();
      add(name.data(), name.size());
      add(v.data_ptr<float>(), size_t(v.numel()) * sizeof(float));
    }
    // The cache holds z in the VAE's own normalization, which its file may set.
    add(vae->latent_mean().data(), vae->latent_mean().size() * sizeof(float));
    add(vae->latent_std().data(), vae->latent_std().size() * sizeof(float));
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
  }

  // Fills `latents`: blocks of 256 scenes under run_dir/latents, each written once (through a
  // temporary name), so an interrupted run keeps what it encoded. A block made by another VAE
  // encoder, seed or dtype is encoded again.
  void load_latents(const ProgressFn& progress, const CancelToken* cancel) {
    constexpr int64_t kBlock = 256;
    const fs::path dir = o.run_dir / "latents";
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::map<std::string, std::string> stamp = {
        {"kino", "latent cache"},
        {"seed", std::to_string(o.seed)},
        {"vae_encoder", encoder_fingerprint()},
        {"vae_dtype", std::string(c10::toString(o.vae_dtype))}};
    std::vector<at::Tensor> blocks;
    const auto start = std::chrono::steady_clock::now();
    for (int64_t first = 0; first < o.scenes; first += kBlock) {
      if (cancel) cancel->check("training");
      const int64_t n = std::min(kBlock, o.scenes - first);
      const fs::path file =
          dir / ("scenes-" + std::to_string(first) + "-" + std::to_string(n) + ".safetensors");
      at::Tensor block;
      if (fs::exists(file)) {
        auto st = SafetensorsFile::open(file);
        const TensorInfo* info = st->find("latents");
        bool same = info != nullptr;
        for (const auto& [k, v] : stamp)
          same = same && st->metadata().count(k) && st->metadata().at(k) == v;
        if (same) block = safetensors_tensor(st, *info).to(at::kFloat).clone();
      }
      if (!block.defined()) {
        block = encode_scenes(first, n);
        safetensors_write(file, {{"latents", block}}, stamp);
      }
      blocks.push_back(block);
      if (progress) {
        Progress p;
        p.done = first + n;
        p.total = o.scenes;
        p.stage = "latents";
        p.elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress(p);
      }
    }
    latents = at::cat(blocks);
  }

  at::Tensor loss(int64_t step) const {
    const Batch b = batch(step);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix(o.seed ^ 0x7472, step));
    if (o.stage == TrainStage::vae) {
      at::Tensor z;
      at::Tensor rec;
      {
        CpuBf16Autocast bf16(o.bf16);
        {
          std::optional<at::NoGradGuard> frozen;
          if (o.freeze_encoder) frozen.emplace();
          z = vae->encode(b.frames).to(at::kFloat);
        }
        const at::Tensor zn = z + o.latent_noise * at::randn(z.sizes(), gen);
        rec = vae->decode(zn).to(at::kFloat);
      }
      const at::Tensor err = rec - b.frames;
      at::Tensor w = object_weights(b.frames);
      if (o.first_frame_weight != 1) w.select(2, 0).mul_(o.first_frame_weight);
      return ((err.abs() + err.pow(2)) * w).sum() / (w.sum() * double(err.size(1))) +
             o.latent_penalty * z.pow(2).mean();
    }
    const int64_t B = o.batch;
    at::Tensor x0;
    if (latents.defined()) {
      x0 = latents.index_select(0, at::tensor(b.scene_indices, at::kLong));
    } else {
      at::NoGradGuard no_grad;
      x0 = vae->encode(b.frames).to(at::kFloat);
    }
    x0 = (x0 - lat_mean.view({1, -1, 1, 1, 1})) / lat_std.view({1, -1, 1, 1, 1});
    const at::Tensor drop = at::rand({B}, gen) < o.caption_dropout;
    const int64_t len = cfg.dit.text_len;
    at::Tensor ids = at::zeros({B, len}, at::kLong), mask = at::zeros({B, len}, at::kLong);
    for (int64_t i = 0; i < B; ++i) {
      const TokenizedText t = tokenizer->encode(drop[i].item<bool>() ? "" : b.captions[i], len);
      std::memcpy(ids[i].data_ptr<int64_t>(), t.ids.data(), sizeof(int64_t) * size_t(len));
      std::memcpy(mask[i].data_ptr<int64_t>(), t.mask.data(), sizeof(int64_t) * size_t(len));
    }

    const double shift = o.train_shift > 0 ? o.train_shift : cfg.sampling.shift;
    const at::Tensor u = at::rand({B}, gen);
    const at::Tensor sigma = shift * u / (1 + (shift - 1) * u);
    const at::Tensor eps = at::randn(x0.sizes(), gen);
    const at::Tensor first = (at::rand({B}, gen) < o.first_frame).to(at::kFloat);
    const int64_t T = x0.size(2);
    // keep[b, 0, f, 0, 0] = 0 where latent frame f of sample b is the clean conditioning frame.
    at::Tensor keep = at::ones({B, 1, T, 1, 1});
    keep.select(2, 0).copy_((1 - first).view({B, 1, 1, 1}));
    const at::Tensor sig = sigma.view({B, 1, 1, 1, 1});
    const at::Tensor xt = keep * ((1 - sig) * x0 + sig * eps) + (1 - keep) * x0;
    const int64_t per_frame =
        (x0.size(3) / cfg.dit.patch_size[1]) * (x0.size(4) / cfg.dit.patch_size[2]);
    const at::Tensor t = (1000.0 * sigma.view({B, 1, 1}) * keep.view({B, T, 1}))
                             .expand({B, T, per_frame})
                             .reshape({B, T * per_frame});
    at::Tensor v;
    {
      CpuBf16Autocast bf16(o.bf16);
      const WanDitText text = dit->encode_text(umt5->encode(ids, mask));
      v = dit->forward(xt, t, text).to(at::kFloat);
    }
    const at::Tensor w = (keep * latent_object_weights(x0)).expand_as(v);
    return ((v - (eps - x0)).pow(2) * w).sum() / w.sum();
  }

  // The dit stage's loss weights, [B, 1, T, h, w]: 1, plus up to object_weight on latent
  // pixels that stand out from their 3 x 3 neighbourhood in the same frame. On the run-4
  // encoder's unit-variance latents the mean |x0 - blur| over channels is 0.1-0.4 on
  // backgrounds (gradients included) and 0.8-1.8 on and around objects, which cover 2 x 2 of
  // the 8 x 8 latent pixels: with equal weights the DiT's loss is mostly backgrounds.
  at::Tensor latent_object_weights(const at::Tensor& x0) const {
    const at::Tensor ones = at::ones_like(x0.select(1, 0).unsqueeze(1));
    if (o.object_weight <= 0) return ones;
    at::NoGradGuard no_grad;
    const at::Tensor blur = at::avg_pool3d(x0, {1, 3, 3}, {1, 1, 1}, {0, 1, 1},
                                           /*ceil_mode=*/false, /*count_include_pad=*/false);
    const at::Tensor stand_out = (x0 - blur).abs().mean(1, /*keepdim=*/true);
    return ones + o.object_weight * ((stand_out - 0.4) / 0.6).clamp(0, 1);
  }

  // Per-pixel weights of the vae stage's reconstruction loss, [B, 1, F, H, W]: 1, plus
  // object_weight where the frame differs from its 17 x 17 box blur (a shape of about 15 px
  // stands out from it, a smooth gradient does not). Objects are a few percent of the pixels;
  // with equal weights the VAE learnt backgrounds and returned objects as blobs.
  at::Tensor object_weights(const at::Tensor& frames) const {
    const at::Tensor ones = at::ones_like(frames.select(1, 0).unsqueeze(1));
    if (o.object_weight <= 0) return ones;
    at::NoGradGuard no_grad;
    const at::Tensor blur = at::avg_pool3d(frames, {1, 17, 17}, {1, 1, 1}, {0, 8, 8},
                                           /*ceil_mode=*/false, /*count_include_pad=*/false);
    const at::Tensor edge = (frames - blur).abs().sum(1, /*keepdim=*/true).mul(2.0).clamp(0, 1);
    return ones + o.object_weight * edge;
  }

  // Linear warm-up, then constant; from decay_from on, a cosine down to lr / 10 at `steps`.
  double lr_at(int64_t step) const {
    double lr =
        o.warmup > 0 ? o.lr * std::min(1.0, double(step - warm_from) / double(o.warmup)) : o.lr;
    if (o.decay_from > 0 && step > o.decay_from && o.steps > o.decay_from) {
      const double x = std::min(1.0, double(step - o.decay_from) / double(o.steps - o.decay_from));
      lr *= 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * x));
    }
    return lr;
  }

  void save_optimizer(const fs::path& file) const {
    std::vector<std::pair<std::string, at::Tensor>> list;
    const auto& state = optimizer->state();
    for (size_t i = 0; i < params.size(); ++i) {
      auto it = state.find(c10::guts::to_string(params[i].unsafeGetTensorImpl()));
      if (it == state.end()) continue;
      const auto& st = static_cast<const torch::optim::AdamWParamState&>(*it->second);
      list.emplace_back("exp_avg/" + names[i], st.exp_avg());
      list.emplace_back("exp_avg_sq/" + names[i], st.exp_avg_sq());
      list.emplace_back("step/" + names[i], at::full({1}, st.step(), at::kLong));
    }
    safetensors_write(file, list, {{"kino", "adamw state"}});
  }

  void load_optimizer(const fs::path& file) {
    auto st = SafetensorsFile::open(file);
    auto& state = optimizer->state();
    for (size_t i = 0; i < params.size(); ++i) {
      const TensorInfo* a = st->find("exp_avg/" + names[i]);
      const TensorInfo* b = st->find("exp_avg_sq/" + names[i]);
      const TensorInfo* s = st->find("step/" + names[i]);
      if (!a || !b || !s) continue;  // no step taken yet for this parameter
      auto ps = std::make_unique<torch::optim::AdamWParamState>();
      ps->exp_avg(safetensors_tensor(st, *a).to(at::kFloat).clone());
      ps->exp_avg_sq(safetensors_tensor(st, *b).to(at::kFloat).clone());
      ps->step(safetensors_tensor(st, *s).to(at::kLong).item<int64_t>());
      if (!ps->exp_avg().sizes().equals(params[i].sizes()))
        fail_unsupported(file.string() + ": optimizer state of " + names[i] +
                         " has another shape than the parameter");
      state[c10::guts::to_string(params[i].unsafeGetTensorImpl())] = std::move(ps);
    }
  }

  void write_model(const fs::path& dir, at::ScalarType dtype) const {
    if (o.stage == TrainStage::vae) {
      tiny_write_model(dir, cfg, {}, {}, o.ema > 0 ? vae_ema : vae_p, dtype);
      return;
    }
    if (o.ema > 0)
      tiny_write_model(dir, cfg, dit_ema, umt5_ema, {}, dtype);
    else
      tiny_write_model(dir, cfg, dit_p, umt5_p, {}, dtype);
    write_vae_for_dit(dir / kTinyVaeFile);
    copy_into(tokenizer_path, dir / "spiece.model");
  }

  static constexpr const char* kWeightsState = "weights.state";

  // The parameters of o.init_vae, their decoder widened to this run's width.
  ParamMap widened_init_vae() const {
    fs::path file = o.init_vae;
    if (fs::is_directory(file)) {
      const ModelFolder f = model_folder_scan(file);
      if (f.vae_files.size() != 1)
        fail_bad_request("train vae: " + file.string() + " must hold exactly one VAE file");
      file = f.vae_files.front();
    }
    ShapeMap shapes;
    const auto st = SafetensorsFile::open(file);
    for (const TensorInfo& t : st->tensors()) shapes[t.name] = t.shape;
    const WanVaeConfig from = wan_vae_config_from_shapes(shapes, file.string());
    return tiny_widen_vae_decoder(tiny_read_params(file, wan_vae_expected_shapes(from)), from,
                                  cfg.vae, kWidenNoise, mix(o.seed, 0x77));
  }
  // Of each widened weight's std. The run-6 decoder widened from 16 to 32 with it decoded a
  // held-out image at 24.61 dB against its own 24.66 dB (docs/TRAINING.md).
  static constexpr double kWidenNoise = 0.02;

  // The stage's trainable parameters and their averages, under the prefixes weights.state uses.
  struct Averaged {
    const char* prefix;
    ParamMap* weights;
    ParamMap* average;
  };
  std::vector<Averaged> averaged() {
    if (o.stage == TrainStage::vae) return {{"vae/", &vae_p, &vae_ema}};
    return {{"dit/", &dit_p, &dit_ema}, {"umt5/", &umt5_p, &umt5_ema}};
  }

  // The optimizer's weights, beside model files that hold their averages.
  void save_weights(const fs::path& file) {
    std::vector<std::pair<std::string, at::Tensor>> list;
    for (const auto& a : averaged())
      for (const auto& [n, t] : *a.weights) list.emplace_back(a.prefix + n, t.detach());
    safetensors_write(file, list, {{"kino", "weights the averages in the model files follow"}});
  }

  // After the stage's parameters were read from a checkpoint's model files: where the
  // checkpoint has weights.state, the model files held averages and the optimizer's weights
  // are there.
  void load_weights(const fs::path& ck) {
    const fs::path file = ck / kWeightsState;
    if (fs::exists(file)) {
      for (const auto& a : averaged()) *a.average = *a.weights;
      auto st = SafetensorsFile::open(file);
      auto read = [&](const std::string& prefix, ParamMap& m) {
        for (auto& [n, t] : m) {
          const TensorInfo* info = st->find(prefix + n);
          if (!info || info->shape != t.sizes().vec())
            fail_unsupported(file.string() + ": " + prefix + n +
                             " is missing or has another shape than in the model files");
          t = safetensors_tensor(st, *info).to(at::kFloat).clone().requires_grad_(true);
        }
      };
      for (const auto& a : averaged()) {
        read(a.prefix, *a.weights);
        for (auto& [n, t] : *a.average) t = t.detach();
      }
    }
    start_ema_where_missing();
  }

  // An average not yet started (a new run, or --ema added on resume) starts at the weights.
  void start_ema_where_missing() {
    if (o.ema <= 0) return;
    for (const auto& a : averaged())
      if (a.average->empty())
        for (const auto& [n, t] : *a.weights) a.average->emplace(n, t.detach().clone());
  }

  void update_ema() {
    if (o.ema <= 0) return;
    at::NoGradGuard no_grad;
    for (const auto& a : averaged())
      for (auto& [n, e] : *a.average) {
        const at::Tensor& w = a.weights->at(n);
        // A frozen part (--freeze-encoder) is its own average, bit for bit: rounding in the
        // update would drift it, and export checks the encoder is the DiT's.
        if (!w.requires_grad()) {
          e.copy_(w.detach());
          continue;
        }
        e.mul_(o.ema).add_(w.detach(), 1 - o.ema);
      }
  }

  void truncate_log() const {
    std::ifstream in(log_path());
    std::string line, kept;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (line.rfind("step,", 0) == 0 || std::stoll(line.substr(0, line.find(','))) <= done)
        kept += line + "\n";
    }
    in.close();
    if (kept.empty()) kept = "step,loss,lr,seconds\n";
    write_text(log_path(), kept);
  }
};

Trainer::Trainer(const TrainOptions& options, const ProgressFn& progress, const CancelToken* cancel)
    : s_(std::make_unique<State>()) {
  train_options_validate(options);
  if (options.threads > 0) set_compute_threads(options.threads);
  State& s = *s_;
  s.o = options;
  s.cfg = options.model;
  std::error_code ec;
  fs::create_directories(options.run_dir, ec);
  if (ec) fail(ErrorCode::internal, "cannot create " + options.run_dir.string());

  if (options.stage == TrainStage::dit) {
    s.tokenizer_path = options.tokenizer;
    if (s.tokenizer_path.empty()) {
      s.tokenizer_path = options.run_dir / "tokenizer" / "spiece.model";
      if (!fs::exists(s.tokenizer_path)) {
        TrainTokenizerOptions t;
        t.seed = options.seed;
        train_tokenizer(s.tokenizer_path.parent_path(), t);
      }
    }
    s.tokenizer = UMT5Tokenizer::load_file(s.tokenizer_path);
    s.cfg.umt5.vocab = s.tokenizer->vocab_size();
    const ModelFolder vf = model_folder_scan(options.vae);
    if (vf.vae_files.size() != 1)
      fail_bad_request("train dit: " + options.vae.string() + " must hold exactly one VAE file");
    s.vae_file = vf.vae_files.front();
    s.vae = wan_vae_load(s.vae_file, WanVaeOptions{options.vae_dtype, at::kCPU});
    if (s.vae->z_dim() != s.cfg.vae.z_dim || s.vae->spatial_stride() != 8)
      fail_bad_request("train dit: the VAE in " + s.vae_file.string() + " has z_dim " +
                       std::to_string(s.vae->z_dim()) + " and stride " +
                       std::to_string(s.vae->spatial_stride()) + "; the model needs z_dim " +
                       std::to_string(s.cfg.vae.z_dim) + " and stride 8");
    s.cfg.vae = s.vae->config();
    if (options.scenes > 0) s.load_latents(progress, cancel);
  }

  const fs::path ck = s.checkpoint();
  if (fs::exists(ck / "trainer.json")) {
    const Json saved = json_read_file(ck / "trainer.json");
    const Json now = s.trainer_json();
    for (const char* key : {"stage", "seed", "batch", "scenes", "model"})
      if (saved.value(key, Json()) != now[key])
        fail_bad_request("cannot resume " + ck.string() + ": " + key + " was " +
                         json_brief(saved.value(key, Json())) + ", now " + json_brief(now[key]));
    s.done = json_require_int(saved, "step", (ck / "trainer.json").string());
    if (options.stage == TrainStage::vae) {
      s.vae_p = tiny_read_params(ck / kTinyVaeFile, wan_vae_expected_shapes(s.cfg.vae));
      s.load_weights(ck);
    } else {
      s.dit_p = tiny_read_params(ck / kTinyDitFile, wan_dit_expected_shapes(s.cfg.dit));
      s.umt5_p = tiny_read_params(ck / kTinyUmt5File, umt5_expected_shapes(s.cfg.umt5));
      s.load_weights(ck);
    }
    if (options.stage == TrainStage::dit) {
      // A run from before the statistics existed trained on the VAE's latents as they were.
      const int64_t z = s.cfg.vae.z_dim;
      s.lat_mean = at::zeros({z}, at::kFloat);
      s.lat_std = at::ones({z}, at::kFloat);
      if (saved.contains("latent_mean") || saved.contains("latent_std")) {
        const auto m = saved.value("latent_mean", std::vector<double>());
        const auto sd = saved.value("latent_std", std::vector<double>());
        if (int64_t(m.size()) != z || int64_t(sd.size()) != z)
          fail_unsupported((ck / "trainer.json").string() +
                           ": latent_mean and latent_std must have " + std::to_string(z) +
                           " values each");
        s.lat_mean = at::tensor(m, at::kDouble).to(at::kFloat);
        s.lat_std = at::tensor(sd, at::kDouble).to(at::kFloat);
      }
    }
    s.build_modules();
    // A checkpoint kept without its optimizer state (the model files alone, e.g. in fp16, which
    // is how a run in progress is kept in the repository) goes on with fresh AdamW moments,
    // warming up again as a new run would, since the first steps of fresh moments are large.
    if (fs::exists(ck / "optimizer.state"))
      s.load_optimizer(ck / "optimizer.state");
    else
      s.warm_from = s.done;
  } else {
    if (options.stage == TrainStage::vae) {
      s.vae_p = options.init_vae.empty() ? tiny_init_vae(s.cfg.vae, options.seed)
                                         : s.widened_init_vae();
      s.start_ema_where_missing();
    } else {
      s.dit_p = tiny_init_dit(s.cfg.dit, options.seed);
      s.umt5_p = tiny_init_umt5(s.cfg.umt5, mix(options.seed, 5));
      s.start_ema_where_missing();
      s.compute_latent_stats();
    }
    s.build_modules();
  }
  s.truncate_log();
  // In bf16 the products go through oneDNN on LibTorch's own threads, set above.
  if (options.threads > 0 && options.stage == TrainStage::dit && options.scenes > 0 && !options.bf16)
    set_matmul_threads(options.threads);
}

Trainer::~Trainer() = default;

int64_t Trainer::steps_done() const {
  return s_->done;
}
const TinyModelConfig& Trainer::model_config() const {
  return s_->cfg;
}

int64_t Trainer::parameters() const {
  int64_t n = 0;
  for (const auto& p : s_->params) n += p.numel();
  return n;
}

TrainStepResult Trainer::step() {
  State& s = *s_;
  const auto start = std::chrono::steady_clock::now();
  const int64_t step = s.done + 1;
  const double lr = s.lr_at(step);
  for (auto& group : s.optimizer->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  s.optimizer->zero_grad();
  at::Tensor loss = s.loss(step);
  const double value = loss.item<double>();
  if (!std::isfinite(value))
    fail(ErrorCode::internal, "train: the loss of step " + std::to_string(step) +
                                  " is not finite; lower --lr or resume from the checkpoint");
  loss.backward();
  clip_grad_norm(s.params, s.o.clip_grad);
  s.optimizer->step();
  s.update_ema();
  s.done = step;
  TrainStepResult r;
  r.step = step;
  r.loss = value;
  r.lr = lr;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ofstream log(s.log_path(), std::ios::app);
  char line[128];
  std::snprintf(line, sizeof line, "%lld,%.6f,%.3g,%.3f\n", static_cast<long long>(step), value, lr,
                r.seconds);
  log << line;
  return r;
}

double Trainer::loss_at(int64_t step) const {
  at::NoGradGuard no_grad;
  return s_->loss(step).item<double>();
}

void Trainer::write_model(const fs::path& dir, at::ScalarType dtype) const {
  s_->write_model(dir, dtype);
}

double Trainer::reconstruction_psnr(int64_t clips) const {
  const State& s = *s_;
  if (s.o.stage != TrainStage::vae)
    fail_bad_request("reconstruction_psnr is measured in the vae stage only");
  at::NoGradGuard no_grad;
  std::vector<std::vector<scenes::RgbImage>> list;
  for (int64_t i = 0; i < clips; ++i) {
    const auto scene = scenes::scene_sample(s.o.seed, i, scenes::SceneSplit::held_out);
    std::vector<scenes::RgbImage> frames;
    for (int f = 0; f < s.cfg.clip.frames; ++f)
      frames.push_back(scenes::scene_render_frame(scene, s.cfg.clip, f));
    list.push_back(std::move(frames));
  }
  const at::Tensor x = tiny_clips_tensor(list);
  const at::Tensor rec = s.vae->decode(s.vae->encode(x));
  const double mse = (rec - x).pow(2).mean().item<double>() / 4.0;  // in [0, 1] units
  return 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
}

void Trainer::save_checkpoint() {
  State& s = *s_;
  const fs::path ck = s.checkpoint(), part = s.o.run_dir / "checkpoint.part",
                 old = s.o.run_dir / "checkpoint.old";
  std::error_code ec;
  fs::remove_all(part, ec);
  s.write_model(part, at::kFloat);
  s.save_optimizer(part / "optimizer.state");
  if (s.o.ema > 0) s.save_weights(part / State::kWeightsState);
  write_text(part / "trainer.json", s.trainer_json().dump(2) + "\n");
  fs::remove_all(old, ec);
  if (fs::exists(ck)) fs::rename(ck, old);
  fs::rename(part, ck);
  fs::remove_all(old, ec);

  // The loss curve: mean loss per tenth of the steps logged so far.
  std::ifstream in(s.log_path());
  std::vector<std::pair<int64_t, double>> rows;
  std::vector<double> secs;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.rfind("step,", 0) == 0) continue;
    int64_t st = 0;
    double loss = 0, lr = 0, sec = 0;
    if (std::sscanf(line.c_str(), "%ld,%lf,%lf,%lf", &st, &loss, &lr, &sec) == 4) {
      rows.emplace_back(st, loss);
      secs.push_back(sec);
    }
  }
  std::ostringstream out;
  out << "stage " << train_stage_name(s.o.stage) << ", " << s.done << " steps, batch " << s.o.batch
      << ", seed " << s.o.seed << ", " << parameters() << " trainable parameters\n";
  if (s.o.stage == TrainStage::vae)
    out << "reconstruction PSNR of 4 held-out clips (" << s.cfg.clip.frames
        << " frames): " << reconstruction_psnr() << " dB\n";
  if (!rows.empty()) {
    double total = 0;
    for (double v : secs) total += v;
    out << "seconds per step: " << total / double(secs.size()) << "\n";
    out << "steps           mean loss\n";
    const size_t buckets = std::min<size_t>(10, rows.size());
    for (size_t k = 0; k < buckets; ++k) {
      const size_t a = rows.size() * k / buckets, b = rows.size() * (k + 1) / buckets;
      double sum = 0;
      for (size_t i = a; i < b; ++i) sum += rows[i].second;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%6lld-%-6lld  %.5f\n", static_cast<long long>(rows[a].first),
                    static_cast<long long>(rows[b - 1].first), sum / double(b - a));
      out << buf;
    }
  }
  write_text(s.o.run_dir / "summary.txt", out.str());
}

TrainReport train_run(const TrainOptions& options, const ProgressFn& progress,
                      const CancelToken* cancel, const TrainStepFn& on_step) {
  Trainer trainer(options, progress, cancel);
  TrainReport r;
  r.first_step = trainer.steps_done() + 1;
  std::vector<double> losses;
  double seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  while (trainer.steps_done() < options.steps) {
    if (cancel && cancel->cancelled()) {
      trainer.save_checkpoint();
      cancel->check("training");
    }
    const TrainStepResult s = trainer.step();
    losses.push_back(s.loss);
    seconds += s.seconds;
    if (on_step) on_step(s);
    if (s.step % options.checkpoint_every == 0) trainer.save_checkpoint();
    if (progress) {
      Progress p;
      p.done = s.step;
      p.total = options.steps;
      p.stage = "train";
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress(p);
    }
  }
  trainer.save_checkpoint();
  r.last_step = trainer.steps_done();
  r.checkpoint = options.run_dir / "checkpoint";
  if (!losses.empty()) {
    const size_t n = std::min<size_t>(10, losses.size());
    for (size_t i = 0; i < n; ++i) {
      r.first_loss += losses[i] / double(n);
      r.last_loss += losses[losses.size() - 1 - i] / double(n);
    }
    r.seconds_per_step = seconds / double(losses.size());
  }
  return r;
}

}  // namespace kino::gen
