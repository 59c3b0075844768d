#include "gen/wan_pipeline.h"

#include "core/error.h"
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
  p->options_ = options;
  WanDitOptions dit_options;
  dit_options.dtype = options.dtype;
  dit_options.device = options.device;
  p->dit_ = wan_dit_load(model, dit_options);
  const WanDitConfig& cfg = p->dit_->config();
  if (cfg.out_dim != 16)
    fail_unsupported(model.string() + ": " + cfg.summary() +
                     " needs the Wan2.2 VAE (z 48), which is not supported yet");
  WanVaeOptions vae_options;
  vae_options.dtype = options.dtype;
  vae_options.device = options.device;
  p->vae_ = wan_vae_decoder_load(model, vae_options);
  if (p->vae_->config().z_dim != cfg.out_dim)
    fail_unsupported(model.string() + ": the VAE has " + std::to_string(p->vae_->config().z_dim) +
                     " latent channels but the DiT produces " + std::to_string(cfg.out_dim));
  umt5_tokenizer_load(model);  // fail early when the tokenizer is missing
  return p;
}

at::Tensor WanPipeline::generate(const GenerateParams& params, const ProgressFn& progress,
                                 const CancelToken* cancel) const {
  at::NoGradGuard no_grad;
  const WanDitConfig& cfg = dit_->config();
  const auto shape = wan_latent_shape(cfg, params.frames, params.height, params.width, 8);
  const bool guided = params.denoise.guidance != 1.0;

  WanDitText positive, negative;
  {
    // The text encoder lives only while prompts are encoded.
    UMT5Options te_options;
    te_options.dtype = options_.dtype;
    te_options.device = options_.device;
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
      return dit_->encode_text(encoder->encode(ids, mask));
    };
    if (cancel) cancel->check("generation");
    positive = encode(params.prompt);
    if (guided) negative = encode(params.negative);
    if (progress) {
      Progress p;
      p.done = 1;
      p.total = 1;
      p.stage = "text";
      progress(p);
    }
  }
  at::Tensor latent = wan_denoise(*dit_, positive, guided ? &negative : nullptr, shape,
                                  params.denoise, {}, progress, cancel);
  at::Tensor video = vae_->decode(latent.unsqueeze(0), wan21_latent_mean(), wan21_latent_std(),
                                  progress, cancel);  // [1, 3, F, H, W] in [-1, 1]
  at::Tensor rgb = ((video[0] + 1.0) * 127.5).round().clamp(0, 255).to(at::kByte);
  return rgb.permute({1, 2, 3, 0}).contiguous().to(at::kCPU);  // [F, H, W, 3]
}

}  // namespace kino::gen
