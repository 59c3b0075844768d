#include "gen/component_run.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "gen/flow_sampler.h"
#include "gen/run_options.h"
#include "gen/safetensors_file.h"
#include "gen/tensor_io.h"
#include "gen/umt5_encoder.h"
#include "gen/umt5_tokenizer.h"
#include "gen/wan_dit.h"
#include "gen/wan_vae.h"

namespace kino::gen {
namespace {

const at::Tensor& input(const std::map<std::string, at::Tensor>& in, const std::string& name,
                        const ComponentRunParams& p, const std::string& meaning) {
  auto it = in.find(name);
  if (it == in.end())
    fail_bad_request(p.in.string() + ": tensor '" + name + "' is required (" + meaning + ")");
  return it->second;
}

void run_dit(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in) {
  const at::Tensor& x = input(in, "x", p, "latent [B, C, T, H, W]");
  const at::Tensor& t = input(in, "t", p, "timesteps [B] or [B, L] in 0..1000");
  const at::Tensor& context = input(in, "context", p, "text encoder output [B, N, text_dim]");
  WanDitOptions options;
  options.dtype = run_dtype_scalar_type(p.dtype);
  options.device = run_device_parse(p.device);
  auto dit = wan_dit_load(p.model, options);
  at::Tensor v = dit->forward(x.to(at::kFloat), t, dit->encode_text(context.to(at::kFloat)));
  safetensors_write(p.out, {{"v", v}});
}

double scalar_input(const std::map<std::string, at::Tensor>& in, const std::string& name,
                    const ComponentRunParams& p, const std::string& meaning) {
  const at::Tensor& t = input(in, name, p, meaning);
  if (t.numel() != 1)
    fail_bad_request(p.in.string() + ": tensor '" + name + "' must hold one value (" + meaning +
                     "), got shape " + shape_string(t.sizes().vec()));
  return t.to(at::kDouble).item<double>();
}

void run_text_encoder(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in) {
  const at::Tensor& ids = input(in, "ids", p, "token ids [B, L]");
  auto it = in.find("mask");
  const at::Tensor mask = it != in.end() ? it->second : at::ones_like(ids);
  UMT5Options options;
  options.dtype = run_dtype_scalar_type(p.dtype);
  options.device = run_device_parse(p.device);
  auto encoder = umt5_encoder_load(p.model, options);
  safetensors_write(p.out, {{"context", encoder->encode(ids, mask)}});
}

std::unique_ptr<WanVae> load_vae(const ComponentRunParams& p) {
  WanVaeOptions options;
  options.dtype = run_dtype_scalar_type(p.dtype);
  options.device = run_device_parse(p.device);
  return wan_vae_load(p.model, options);
}

void run_vae_decode(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in) {
  if (in.count("latent")) {
    const at::Tensor& latent = in.at("latent");
    safetensors_write(p.out, {{"video", load_vae(p)->decode(latent.to(at::kFloat))}});
    return;
  }
  const at::Tensor& z =
      input(in, "z", p, "latent [B, z_dim, T, h, w] in VAE units (or 'latent', normalized)");
  safetensors_write(p.out, {{"video", load_vae(p)->decode_raw(z.to(at::kFloat))}});
}

void run_vae_encode(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in) {
  const at::Tensor& video = input(in, "video", p, "frames [B, 3, 4n+1, H, W] in [-1, 1]");
  auto vae = load_vae(p);
  const at::Tensor mu = vae->encode_raw(video.to(at::kFloat)).cpu();
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor latent = (mu - at::tensor(vae->latent_mean(), opts).view({1, -1, 1, 1, 1})) /
                            at::tensor(vae->latent_std(), opts).view({1, -1, 1, 1, 1});
  safetensors_write(p.out, {{"mu", mu}, {"latent", latent}});
}

void run_tokenize(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in) {
  const at::Tensor& text = input(in, "text", p, "UTF-8 bytes of the prompt, U8 [n]");
  if (text.scalar_type() != at::kByte || text.dim() != 1)
    fail_bad_request(p.in.string() + ": tensor 'text' must be U8 [n] (UTF-8 bytes), got " +
                     shape_string(text.sizes().vec()));
  int64_t max_length = kUmt5TextLength;
  if (in.count("max_length")) {
    const double v = scalar_input(in, "max_length", p, "tokens after padding");
    max_length = std::isfinite(v) ? int64_t(v) : -1;
  }
  const at::Tensor bytes = text.contiguous();
  const std::string_view s(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                           size_t(bytes.numel()));
  TokenizedText t = umt5_tokenizer_load(p.model).encode(s, max_length);
  safetensors_write(p.out, {{"ids", at::tensor(t.ids, at::kLong).view({1, -1})},
                            {"mask", at::tensor(t.mask, at::kLong).view({1, -1})}});
}

// Runs the solver over the velocities v[0..K-1] from x, recording every sample.
void run_sampler(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in,
                 SamplerKind kind) {
  const double steps = scalar_input(in, "steps", p, "number of steps, 1..1000");
  const double shift = scalar_input(in, "shift", p, "sigma shift, e.g. 5");
  if (steps != std::floor(steps))
    fail_bad_request(p.in.string() + ": steps must be an integer, got " + std::to_string(steps));
  const at::Tensor& x0 = input(in, "x", p, "starting latent at the first sigma");
  const at::Tensor& v = input(in, "v", p, "velocities [K, ...x's shape], one per step");
  FlowSampler sampler(kind, flow_schedule(int64_t(steps), shift));
  if (v.dim() != x0.dim() + 1 || v.sizes().slice(1) != x0.sizes() || v.size(0) < 1 ||
      v.size(0) > sampler.steps())
    fail_bad_request(p.in.string() + ": v must be [K, " + shape_string(x0.sizes().vec()).substr(1) +
                     " with 1 <= K <= steps " + std::to_string(sampler.steps()) + ", got " +
                     shape_string(v.sizes().vec()));
  std::vector<at::Tensor> trajectory{x0.to(at::kFloat)};
  for (int64_t i = 0; i < v.size(0); ++i)
    trajectory.push_back(sampler.step(v[i], trajectory.back()));
  const FlowSchedule& s = sampler.schedule();
  safetensors_write(p.out, {{"x", trajectory.back()},
                            {"trajectory", at::stack(trajectory)},
                            {"sigmas", at::tensor(s.sigmas, at::kDouble)},
                            {"timesteps", at::tensor(s.timesteps, at::kLong)}});
}

}  // namespace

std::string_view run_dtype_name(RunDtype dtype) {
  switch (dtype) {
    case RunDtype::f32: return "f32";
    case RunDtype::bf16: return "bf16";
    case RunDtype::f16: return "f16";
  }
  return "f32";
}

std::optional<RunDtype> run_dtype_parse(std::string_view name) {
  for (auto d : {RunDtype::f32, RunDtype::bf16, RunDtype::f16})
    if (run_dtype_name(d) == name) return d;
  return std::nullopt;
}

const std::vector<std::string>& component_run_names() {
  static const std::vector<std::string> names{
      "dit", "text_encoder", "tokenize", "vae_decode", "vae_encode", "euler", "unipc"};
  return names;
}

void component_run(const ComponentRunParams& p) {
  const auto& names = component_run_names();
  if (std::find(names.begin(), names.end(), p.component) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fail_bad_request("component must be one of " + list + ", got \"" + p.component + "\"");
  }
  at::NoGradGuard no_grad;
  const auto in = safetensors_read_all(p.in);
  if (p.component != "euler" && p.component != "unipc" && p.model.empty())
    fail_bad_request("component " + p.component + " needs --model");
  if (p.component == "dit") {
    run_dit(p, in);
  } else if (p.component == "text_encoder") {
    run_text_encoder(p, in);
  } else if (p.component == "tokenize") {
    run_tokenize(p, in);
  } else if (p.component == "vae_decode") {
    run_vae_decode(p, in);
  } else if (p.component == "vae_encode") {
    run_vae_encode(p, in);
  } else {
    run_sampler(p, in, *sampler_kind_parse(p.component));
  }
}

}  // namespace kino::gen
