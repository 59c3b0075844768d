#include "gen/train_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "gen/safetensors_file.h"
#include "gen/tensor_io.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

int64_t fan_in(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return std::max<int64_t>(n, 1);
}

// Fills every tensor of `shapes` with init(name, shape, generator), then marks it trainable.
template <typename Init>
ParamMap init_params(const ShapeMap& shapes, uint64_t seed, Init init) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  ParamMap out;
  for (const auto& [name, shape] : shapes) {
    at::Tensor t = init(name, shape, gen).to(at::kFloat).contiguous();
    out[name] = t.set_requires_grad(true);
  }
  return out;
}

at::Tensor normal(const std::vector<int64_t>& shape, double std, at::Generator& gen) {
  return at::normal(0.0, std, shape, gen);
}

}  // namespace

TinyModelConfig tiny_model_config() {
  TinyModelConfig c;
  c.vae = wan21_vae_config();
  c.vae.z_dim = 32;
  c.vae.base_dim = 16;
  c.vae.decoder_base_dim = 16;
  c.umt5.vocab = 0;
  c.umt5.d_model = 128;
  c.umt5.num_heads = 4;
  c.umt5.d_kv = 32;
  c.umt5.d_ff = 256;
  c.umt5.num_layers = 2;
  c.dit.dim = 192;
  c.dit.num_heads = 3;
  c.dit.num_layers = 6;
  c.dit.ffn_dim = 768;
  c.dit.in_dim = c.dit.out_dim = c.vae.z_dim;
  c.dit.text_dim = c.umt5.d_model;
  c.dit.freq_dim = 256;
  c.dit.text_len = 48;
  c.dit.model_type = WanModelType::ti2v;
  c.clip = scenes::ClipFormat{};
  return c;
}

TinyModelConfig tiny_model_micro_config() {
  TinyModelConfig c = tiny_model_config();
  c.vae.z_dim = 4;
  c.vae.base_dim = 4;
  c.vae.decoder_base_dim = 4;
  c.umt5.d_model = 16;
  c.umt5.num_heads = 2;
  c.umt5.d_kv = 8;
  c.umt5.d_ff = 32;
  c.umt5.num_layers = 1;
  c.dit.dim = 32;
  c.dit.num_heads = 2;
  c.dit.num_layers = 1;
  c.dit.ffn_dim = 64;
  c.dit.in_dim = c.dit.out_dim = c.vae.z_dim;
  c.dit.text_dim = c.umt5.d_model;
  c.dit.freq_dim = 32;
  c.dit.text_len = 32;
  c.clip.width = c.clip.height = 32;
  c.clip.frames = 5;
  return c;
}

void tiny_model_config_validate(const TinyModelConfig& c) {
  auto bad = [](const std::string& m) { fail_bad_request("tiny model config: " + m); };
  scenes::clip_format_validate(c.clip);
  if (c.vae.version != WanVaeVersion::wan21) bad("vae must be a Wan2.1-style VAE");
  if (c.vae.z_dim < 1 || c.vae.base_dim < 1 || c.vae.decoder_base_dim < 1)
    bad("vae z_dim, base_dim and decoder_base_dim must be > 0");
  if (c.dit.in_dim != c.vae.z_dim || c.dit.out_dim != c.vae.z_dim)
    bad("dit in_dim and out_dim must equal vae z_dim " + std::to_string(c.vae.z_dim) + ", got " +
        std::to_string(c.dit.in_dim) + " and " + std::to_string(c.dit.out_dim));
  if (c.dit.text_dim != c.umt5.d_model)
    bad("dit text_dim must equal umt5 d_model " + std::to_string(c.umt5.d_model) + ", got " +
        std::to_string(c.dit.text_dim));
  const int64_t s = c.vae.spatial_stride() * c.dit.patch_size[1];
  if (c.clip.width % s || c.clip.height % s)
    bad("clip size must be a multiple of " + std::to_string(s) + ", got " +
        std::to_string(c.clip.width) + "x" + std::to_string(c.clip.height));
  if ((c.clip.frames - 1) % 4)
    bad("clip frames must be 4n + 1, got " + std::to_string(c.clip.frames));
  wan_dit_config_validate(c.dit, "tiny model dit");
  if (c.umt5.num_heads < 1 || c.umt5.d_kv < 1 || c.umt5.d_ff < 1 || c.umt5.num_layers < 1)
    bad("umt5 sizes must be > 0");
}

Json tiny_model_config_json(const TinyModelConfig& c) {
  return Json{
      {"dit",
       {{"dim", c.dit.dim},
        {"num_heads", c.dit.num_heads},
        {"num_layers", c.dit.num_layers},
        {"ffn_dim", c.dit.ffn_dim},
        {"freq_dim", c.dit.freq_dim},
        {"text_len", c.dit.text_len}}},
      {"umt5",
       {{"vocab", c.umt5.vocab},
        {"d_model", c.umt5.d_model},
        {"num_heads", c.umt5.num_heads},
        {"d_kv", c.umt5.d_kv},
        {"d_ff", c.umt5.d_ff},
        {"num_layers", c.umt5.num_layers}}},
      {"vae",
       {{"z_dim", c.vae.z_dim},
        {"base_dim", c.vae.base_dim},
        {"decoder_base_dim", c.vae.decoder_base_dim}}},
      {"clip",
       {{"width", c.clip.width},
        {"height", c.clip.height},
        {"frames", c.clip.frames},
        {"fps", c.clip.fps.str()}}},
      {"sampling",
       {{"steps", c.sampling.steps}, {"shift", c.sampling.shift}, {"cfg", c.sampling.cfg}}}};
}

TinyModelConfig tiny_model_config_from_json(const Json& j, std::string_view what) {
  TinyModelConfig c = tiny_model_config();
  const std::string w(what);
  auto obj = [&](const char* key) -> const Json& {
    if (!j.is_object() || !j.contains(key) || !j[key].is_object())
      fail_bad_request(json_path(w, key) + " must be an object");
    return j[key];
  };
  const Json& d = obj("dit");
  const std::string dp = json_path(w, "dit");
  c.dit.dim = json_require_int(d, "dim", dp);
  c.dit.num_heads = json_require_int(d, "num_heads", dp);
  c.dit.num_layers = json_require_int(d, "num_layers", dp);
  c.dit.ffn_dim = json_require_int(d, "ffn_dim", dp);
  c.dit.freq_dim = json_require_int(d, "freq_dim", dp);
  c.dit.text_len = json_require_int(d, "text_len", dp);
  const Json& u = obj("umt5");
  const std::string up = json_path(w, "umt5");
  c.umt5.vocab = json_require_int(u, "vocab", up);
  c.umt5.d_model = json_require_int(u, "d_model", up);
  c.umt5.num_heads = json_require_int(u, "num_heads", up);
  c.umt5.d_kv = json_require_int(u, "d_kv", up);
  c.umt5.d_ff = json_require_int(u, "d_ff", up);
  c.umt5.num_layers = json_require_int(u, "num_layers", up);
  const Json& v = obj("vae");
  const std::string vp = json_path(w, "vae");
  c.vae.z_dim = json_require_int(v, "z_dim", vp);
  c.vae.base_dim = json_require_int(v, "base_dim", vp);
  c.vae.decoder_base_dim = json_require_int(v, "decoder_base_dim", vp);
  const Json& k = obj("clip");
  const std::string kp = json_path(w, "clip");
  c.clip.width = int(json_require_int(k, "width", kp));
  c.clip.height = int(json_require_int(k, "height", kp));
  c.clip.frames = int(json_require_int(k, "frames", kp));
  c.clip.fps = rational_parse(json_require_string(k, "fps", kp));
  const Json& s = obj("sampling");
  const std::string sp = json_path(w, "sampling");
  c.sampling.steps = json_require_int(s, "steps", sp);
  c.sampling.shift = json_number(s, "shift", sp, c.sampling.shift);
  c.sampling.cfg = json_number(s, "cfg", sp, c.sampling.cfg);
  c.dit.in_dim = c.dit.out_dim = c.vae.z_dim;
  c.dit.text_dim = c.umt5.d_model;
  tiny_model_config_validate(c);
  return c;
}

ParamMap tiny_init_dit(const WanDitConfig& cfg, uint64_t seed) {
  const double out_scale = 1.0 / std::sqrt(2.0 * double(std::max<int64_t>(cfg.num_layers, 1)));
  return init_params(wan_dit_expected_shapes(cfg), seed,
                     [&](const std::string& n, const std::vector<int64_t>& shape,
                         at::Generator& gen) -> at::Tensor {
                       if (ends_with(n, "modulation"))
                         return normal(shape, 1.0 / std::sqrt(double(cfg.dim)), gen);
                       if (ends_with(n, ".bias") || n == "head.head.weight")
                         return at::zeros(shape);
                       if (ends_with(n, "norm_q.weight") || ends_with(n, "norm_k.weight") ||
                           ends_with(n, "norm3.weight"))
                         return at::ones(shape);
                       double std = 1.0 / std::sqrt(double(fan_in(shape)));
                       if (ends_with(n, ".o.weight") || ends_with(n, "ffn.2.weight"))
                         std *= out_scale;
                       return normal(shape, std, gen);
                     });
}

ParamMap tiny_init_umt5(const UMT5Config& cfg, uint64_t seed) {
  return init_params(umt5_expected_shapes(cfg), seed,
                     [&](const std::string& n, const std::vector<int64_t>& shape,
                         at::Generator& gen) -> at::Tensor {
                       if (n == "shared.weight") return normal(shape, 1.0, gen);
                       if (contains(n, "layer_norm")) return at::ones(shape);
                       if (contains(n, "relative_attention_bias")) return normal(shape, 0.1, gen);
                       // No 1/sqrt(d) scaling in umT5 attention: q starts small instead (as T5
                       // does).
                       if (ends_with(n, ".q.weight"))
                         return normal(shape, 1.0 / std::sqrt(double(cfg.d_model * cfg.d_kv)), gen);
                       return normal(shape, 1.0 / std::sqrt(double(fan_in(shape))), gen);
                     });
}

ParamMap tiny_init_vae(const WanVaeConfig& cfg, uint64_t seed) {
  return init_params(wan_vae_expected_shapes(cfg), seed,
                     [&](const std::string& n, const std::vector<int64_t>& shape,
                         at::Generator& gen) -> at::Tensor {
                       if (ends_with(n, "gamma")) return at::ones(shape);
                       if (ends_with(n, ".bias") || shape.size() < 2) return at::zeros(shape);
                       double std = 1.0 / std::sqrt(double(fan_in(shape)));
                       // The second conv of each residual branch starts small, so every block
                       // starts close to the identity.
                       if (ends_with(n, "residual.6.weight")) std *= 0.1;
                       // Decoded frames are clamped to [-1, 1], which passes no gradient
                       // beyond it: the output starts near 0 so training starts inside.
                       if (n == "decoder.head.2.weight") std *= 0.1;
                       return normal(shape, std, gen);
                     });
}

ParamMap tiny_widen_vae_decoder(const ParamMap& from, const WanVaeConfig& from_cfg,
                                const WanVaeConfig& to_cfg, double noise, uint64_t seed) {
  if (from_cfg.z_dim != to_cfg.z_dim || from_cfg.base_dim != to_cfg.base_dim ||
      to_cfg.decoder_base_dim % from_cfg.decoder_base_dim)
    fail_bad_request("cannot widen a VAE decoder of width " +
                     std::to_string(from_cfg.decoder_base_dim) + " (encoder " +
                     std::to_string(from_cfg.base_dim) + ", z " + std::to_string(from_cfg.z_dim) +
                     ") to " + std::to_string(to_cfg.decoder_base_dim) + " (encoder " +
                     std::to_string(to_cfg.base_dim) + ", z " + std::to_string(to_cfg.z_dim) +
                     "): the encoders must match and the width must be a whole multiple");
  // Wan2.2's level shortcuts repeat channels in their own layout; kino-tiny is Wan2.1-style.
  if (from_cfg.version != WanVaeVersion::wan21 || to_cfg.version != WanVaeVersion::wan21)
    fail_bad_request("cannot widen the VAE: only Wan2.1-style decoders are widened");
  const int64_t k = to_cfg.decoder_base_dim / from_cfg.decoder_base_dim;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  ParamMap out;
  for (const auto& [name, shape] : wan_vae_expected_shapes(to_cfg)) {
    auto it = from.find(name);
    if (it == from.end()) fail_bad_request("cannot widen the VAE: " + name + " is missing");
    at::Tensor t = it->second.detach().to(at::kFloat);
    const bool widened = t.sizes().vec() != shape;
    if (widened) {
      if (t.dim() != int64_t(shape.size()))
        fail_bad_request("cannot widen the VAE: " + name + " has another rank");
      // Output channels: copies within each block (time_conv stacks two frames' channels,
      // to_qkv the queries, keys and values).
      if (shape[0] != t.size(0)) {
        const int64_t blocks = contains(name, "time_conv") ? 2 : contains(name, "to_qkv") ? 3 : 1;
        const int64_t c = t.size(0) / blocks;
        if (shape[0] != k * t.size(0))
          fail_bad_request("cannot widen the VAE: " + name + " does not grow by " +
                           std::to_string(k));
        std::vector<int64_t> idx(static_cast<size_t>(shape[0]));
        for (int64_t j = 0; j < shape[0]; ++j) idx[size_t(j)] = j / (k * c) * c + j % (k * c) % c;
        t = t.index_select(0, at::tensor(idx, at::kLong));
        if (contains(name, "to_qkv")) t.narrow(0, 0, k * c).div_(std::sqrt(double(k)));
      }
      // Input channels: the copies' contributions add up to the original one.
      if (shape.size() > 1 && shape[1] != t.size(1)) {
        if (shape[1] != k * t.size(1))
          fail_bad_request("cannot widen the VAE: " + name + " does not grow by " +
                           std::to_string(k));
        std::vector<int64_t> idx(static_cast<size_t>(shape[1]));
        for (int64_t i = 0; i < shape[1]; ++i) idx[size_t(i)] = i % t.size(1);
        t = t.index_select(1, at::tensor(idx, at::kLong)).div(double(k));
      }
      if (noise > 0 && t.dim() >= 2 && !ends_with(name, "gamma"))
        t = t + at::normal(0.0, noise * t.std().item<double>(), t.sizes(), gen);
    }
    out[name] = t.contiguous().clone().set_requires_grad(true);
  }
  return out;
}

void tiny_write_model(const fs::path& dir, const TinyModelConfig& cfg, const ParamMap& dit,
                      const ParamMap& umt5, const ParamMap& vae, at::ScalarType dtype) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorCode::internal, "cannot create " + dir.string() + ": " + ec.message());
  auto write = [&](const char* file, const ParamMap& params) {
    std::vector<std::pair<std::string, at::Tensor>> list;
    for (const auto& [name, t] : params) list.emplace_back(name, t.detach().to(dtype));
    safetensors_write(dir / file, list, {{"format", "pt"}, {"kino", "kino-tiny"}});
  };
  if (!dit.empty()) {
    write(kTinyDitFile, dit);
    Json config = {{"_class_name", "WanModel"},
                   {"model_type", std::string(wan_model_type_name(cfg.dit.model_type))},
                   {"dim", cfg.dit.dim},
                   {"ffn_dim", cfg.dit.ffn_dim},
                   {"num_heads", cfg.dit.num_heads},
                   {"num_layers", cfg.dit.num_layers},
                   {"in_dim", cfg.dit.in_dim},
                   {"out_dim", cfg.dit.out_dim},
                   {"freq_dim", cfg.dit.freq_dim},
                   {"text_dim", cfg.dit.text_dim},
                   {"text_len", cfg.dit.text_len},
                   {"patch_size", {1, 2, 2}},
                   {"eps", cfg.dit.eps},
                   {"kino",
                    {{"name", "kino-tiny"},
                     {"width", cfg.clip.width},
                     {"height", cfg.clip.height},
                     {"frames", cfg.clip.frames},
                     {"fps", cfg.clip.fps.str()},
                     {"sample_steps", cfg.sampling.steps},
                     {"sample_shift", cfg.sampling.shift},
                     {"sample_guide_scale", cfg.sampling.cfg},
                     {"sample_neg_prompt", ""}}}};
    std::ofstream out(dir / "config.json", std::ios::binary);
    out << config.dump(2) << "\n";
    out.close();
    if (!out) fail(ErrorCode::internal, "cannot write " + (dir / "config.json").string());
  }
  if (!umt5.empty()) write(kTinyUmt5File, umt5);
  if (!vae.empty()) write(kTinyVaeFile, vae);
}

ParamMap tiny_read_params(const fs::path& file, const ShapeMap& expected) {
  auto st = SafetensorsFile::open(file);
  ParamMap out;
  for (const auto& [name, shape] : expected) {
    const TensorInfo* info = st->find(name);
    if (!info) fail_unsupported(file.string() + ": no tensor " + name);
    if (info->shape != shape)
      fail_unsupported(file.string() + ": " + name + " has shape " + shape_string(info->shape) +
                       ", expected " + shape_string(shape));
    out[name] =
        safetensors_tensor(st, *info).to(at::kFloat).clone().contiguous().set_requires_grad(true);
  }
  return out;
}

int64_t param_count(const ParamMap& params) {
  int64_t n = 0;
  for (const auto& [name, t] : params) n += t.numel();
  return n;
}

bool tiny_vae_encoder_side(const std::string& name) {
  return name.rfind("encoder.", 0) == 0 || name.rfind("conv1.", 0) == 0;
}

at::Tensor tiny_clips_tensor(const std::vector<std::vector<scenes::RgbImage>>& clips) {
  const int64_t B = int64_t(clips.size()), F = int64_t(clips.at(0).size());
  const int64_t H = clips[0].at(0).height, W = clips[0][0].width;
  at::Tensor bytes = at::empty({B, F, H, W, 3}, at::TensorOptions().dtype(at::kByte));
  uint8_t* p = bytes.data_ptr<uint8_t>();
  for (const auto& clip : clips)
    for (const auto& frame : clip) {
      if (int64_t(clip.size()) != F || frame.width != W || frame.height != H)
        fail_bad_request("tiny_clips_tensor: the clips differ in size");
      std::memcpy(p, frame.rgb.data(), frame.rgb.size());
      p += frame.rgb.size();
    }
  return bytes.permute({0, 4, 1, 2, 3}).to(at::kFloat).div(127.5).sub(1.0).contiguous();
}

std::vector<scenes::RgbImage> tiny_clip_frames(const at::Tensor& clip) {
  const at::Tensor bytes = clip.to(at::kCPU, at::kFloat)
                               .add(1)
                               .mul(127.5)
                               .round()
                               .clamp(0, 255)
                               .to(at::kByte)
                               .squeeze(0)
                               .permute({1, 2, 3, 0})
                               .contiguous();
  const int64_t F = bytes.size(0), H = bytes.size(1), W = bytes.size(2);
  std::vector<scenes::RgbImage> frames(static_cast<size_t>(F));
  for (int64_t f = 0; f < F; ++f) {
    scenes::RgbImage& r = frames[size_t(f)];
    r.width = int(W);
    r.height = int(H);
    const uint8_t* p = bytes[f].data_ptr<uint8_t>();
    r.rgb.assign(p, p + H * W * 3);
  }
  return frames;
}

}  // namespace kino::gen
