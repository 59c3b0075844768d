#include "gen/wan_pipeline.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "gen/model_folder.h"
#include "gen/run_options.h"
#include "gen/safetensors_file.h"
#include "gen/umt5_encoder.h"
#include "gen/umt5_tokenizer.h"

namespace kino::gen {

const std::string& wan_default_negative_prompt() {
  static const std::string s =
      "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，"
      "低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，"
      "毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走";
  return s;
}

std::unique_ptr<WanPipeline> WanPipeline::load(const std::filesystem::path& model,
                                               const PipelineOptions& options) {
  auto p = std::unique_ptr<WanPipeline>(new WanPipeline());
  p->model_ = model;
  p->dtype_ = run_dtype_scalar_type(options.dtype);
  p->device_ = run_device_parse(options.device);
  p->dit_options_.dtype = p->dtype_;
  p->dit_options_.device = p->device_;
  if (options.resident_dit) {
    p->dit_ = wan_dit_load(model, p->dit_options_);
    p->dit_config_ = p->dit_->config();
  } else {
    // Headers only: the configuration is read and every tensor's shape checked now.
    p->dit_config_ = model_folder_describe_dit(model_folder_scan(model)).config;
  }
  const WanDitConfig& cfg = p->dit_config_;
  if (cfg.model_type == WanModelType::i2v || cfg.model_type == WanModelType::flf2v)
    fail_unsupported(model.string() + ": " + cfg.summary() +
                     ": the Wan2.1 I2V/FLF2V image branch is not supported; use a t2v or ti2v "
                     "model");
  WanVaeOptions vae_options;
  vae_options.dtype = p->dtype_;
  vae_options.device = p->device_;
  p->vae_ = wan_vae_load(model, vae_options);
  if (p->vae_->z_dim() != cfg.out_dim || p->vae_->z_dim() != cfg.in_dim)
    fail_unsupported(model.string() + ": the VAE has " + std::to_string(p->vae_->z_dim()) +
                     " latent channels but the DiT takes " + std::to_string(cfg.in_dim) +
                     " and produces " + std::to_string(cfg.out_dim));
  if (p->supports_image() && !p->vae_->has_encoder())
    fail_unsupported(model.string() +
                     ": image-to-video needs the VAE encoder, but the VAE "
                     "weights hold only the decoder");
  umt5_tokenizer_load(model);  // fail early when the tokenizer is missing
  return p;
}

std::shared_ptr<const WanDit> WanPipeline::run_dit() const {
  if (dit_) return dit_;
  return wan_dit_load(model_, dit_options_);
}

at::Tensor WanPipeline::encode_image(const at::Tensor& image) const {
  at::NoGradGuard no_grad;
  // A one-frame video; the VAE is causal, so this is latent frame 0 of a full encode (spec §4.7).
  const at::Tensor frames = image.to(device_, at::kFloat).unsqueeze(0).unsqueeze(2);
  return vae_->encode(frames)[0].select(1, 0).to(at::kFloat);  // [C, h, w]
}

at::Tensor WanPipeline::denoise(const GenerateParams& params, const ProgressFn& progress,
                                const CancelToken* cancel) const {
  at::NoGradGuard no_grad;
  const WanDitConfig& cfg = dit_config_;
  const auto shape =
      wan_latent_shape(cfg, params.frames, params.height, params.width, vae_->spatial_stride());
  const bool guided = params.denoise.guidance != 1.0;
  at::Tensor first_frame;
  if (params.image.defined()) {
    if (!supports_image())
      fail_bad_request("image-to-video needs a TI2V model (Wan2.2 TI2V-5B); " + model_.string() +
                       " is " + std::string(wan_model_type_name(cfg.model_type)));
    if (params.image.sizes() != at::IntArrayRef({3, params.height, params.width}))
      fail_bad_request("image must be [3, " + std::to_string(params.height) + ", " +
                       std::to_string(params.width) + "], got " +
                       shape_string(params.image.sizes().vec()));
    if (cancel) cancel->check("generation");
    first_frame = encode_image(params.image);
  }

  at::Tensor positive_context, negative_context;  // [1, N, text_dim]
  {
    // The text encoder lives only while prompts are encoded.
    UMT5Options te_options;
    te_options.dtype = dtype_;
    te_options.device = device_;
    const UMT5Tokenizer tokenizer = umt5_tokenizer_load(model_);
    const auto encoder = umt5_encoder_load(model_, te_options);
    if (encoder->config().d_model != cfg.text_dim)
      fail_unsupported(model_.string() + ": the text encoder's width " +
                       std::to_string(encoder->config().d_model) +
                       " does not match the DiT's text_dim " + std::to_string(cfg.text_dim));
    auto encode = [&](const std::string& text) {
      TokenizedText t = tokenizer.encode(text, cfg.text_len);
      at::Tensor ids = at::tensor(t.ids, at::kLong).view({1, -1});
      at::Tensor mask = at::tensor(t.mask, at::kLong).view({1, -1});
      // Real rows, then exact zero rows up to text_len (spec §2.4).
      return encoder->encode(ids, mask);
    };
    if (cancel) cancel->check("generation");
    positive_context = encode(params.prompt);
    if (guided) negative_context = encode(params.negative);
    if (progress) {
      Progress p;
      p.done = 1;
      p.total = 1;
      p.stage = "text";
      progress(p);
    }
  }
  if (cancel) cancel->check("generation");
  const std::shared_ptr<const WanDit> dit = run_dit();  // after the text encoder is freed
  const WanDitText positive = dit->encode_text(positive_context);
  WanDitText negative;
  if (guided) negative = dit->encode_text(negative_context);
  return wan_denoise(*dit, positive, guided ? &negative : nullptr, shape, params.denoise,
                     first_frame, progress, cancel, params.on_step);
}

at::Tensor WanPipeline::preview_rgb(const at::Tensor& x0, int64_t frame) const {
  at::NoGradGuard no_grad;
  std::call_once(preview_fit_, [&] {
    // 16 smooth random colour fields (a 3 x 3 grid of colours, bilinear in between) of 8 x 8
    // latent pixels, held still for 9 frames; every pixel of latent frame 2 is one sample, its
    // target the mean colour of the image block it covers. Smooth fields look like what a
    // clip's latent holds (flat patches alone do not). The causal encoder's latent frames
    // differ in distribution until its cache has seen two chunks (frame 0 is one image, frame
    // 1 the first four frames after it): fitted on frame 1, kino-tiny's map read a clip's
    // latent frame 2 60 levels too green, fitted on frame 2 within 25 of the decoded frames.
    const int64_t stride = vae_->spatial_stride(), side = 8 * stride;
    at::Generator gen = at::detail::createCPUGenerator(7);
    const at::Tensor grid = at::rand({16, 3, 3, 3}, gen) * 2 - 1;
    const at::Tensor images =
        at::upsample_bilinear2d(grid, {side, side}, /*align_corners=*/true);  // [16, 3, S, S]
    const at::Tensor clips = images.unsqueeze(2).expand({16, 3, 9, side, side}).contiguous();
    const at::Tensor z = vae_->encode(clips.to(device_))
                             .select(2, 2)
                             .to(at::kCPU, at::kDouble);  // [16, C, 8, 8]
    const at::Tensor target = at::avg_pool2d(images, {stride, stride}).to(at::kDouble);
    const int64_t C = z.size(1);
    const at::Tensor zf = z.permute({0, 2, 3, 1}).reshape({-1, C});  // [1024, C]
    const at::Tensor y = target.permute({0, 2, 3, 1}).reshape({-1, 3});
    const at::Tensor zm = zf.mean(0, true), ym = y.mean(0, true);
    const at::Tensor zc = zf - zm;
    // Ridge with the strength of latent noise of std 0.1 on every channel: a channel the VAE
    // barely uses gets a small weight, so the noise a half-denoised latent still holds in it
    // does not flood the picture.
    const double ridge = double(zf.size(0)) * 0.01;
    const at::Tensor w = at::linalg_solve(zc.t().mm(zc) + ridge * at::eye(C, at::kDouble),
                                          zc.t().mm(y - ym));  // [C, 3]
    preview_map_ = at::cat({w, ym - zm.mm(w)}, 0).to(at::kFloat);  // [C + 1, 3]
  });
  const at::Tensor f = x0.select(1, frame).to(at::kCPU, at::kFloat);  // [C, h, w]
  const int64_t C = f.size(0);
  const at::Tensor flat = f.reshape({C, -1}).t();  // [h*w, C]
  const at::Tensor out = flat.mm(preview_map_.narrow(0, 0, C)) + preview_map_[C];
  return out.add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).view({f.size(1), f.size(2), 3}).contiguous();
}

at::Tensor WanPipeline::decode(const at::Tensor& latent, const ProgressFn& progress,
                               const CancelToken* cancel) const {
  at::NoGradGuard no_grad;
  const at::Tensor video =
      vae_->decode(latent.unsqueeze(0), progress, cancel);  // [1, 3, F, H, W] in [-1, 1]
  // In place: a 5 s 720p video is 1.3 GB of float32, no room for temporaries of that size.
  at::Tensor v = video[0];
  v.add_(1.0).mul_(127.5).round_().clamp_(0, 255);
  return v.to(at::kByte).permute({1, 2, 3, 0}).contiguous().to(at::kCPU);  // [F, H, W, 3]
}

at::Tensor WanPipeline::generate(const GenerateParams& params, const ProgressFn& progress,
                                 const CancelToken* cancel) const {
  return decode(denoise(params, progress, cancel), progress, cancel);
}

}  // namespace kino::gen
