#include "gen/wan_vae.h"

#include <cmath>

#include "core/error.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/weight_set.h"

namespace kino::gen {
namespace {

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  fail_unsupported(std::string(what) + ": " + problem);
}

// Decoder stage layout of the Wan2.1 VAE: upsamples.N is a residual block (in, out as multiples
// of the base dim) or an upsampler (temporal or not, in, out).
struct StageSpec {
  bool up;
  bool temporal;
  int64_t in, out;
};
constexpr StageSpec kStages[] = {{false, false, 4, 4}, {false, false, 4, 4}, {false, false, 4, 4},
                                 {true, true, 4, 2},   {false, false, 2, 4}, {false, false, 4, 4},
                                 {false, false, 4, 4}, {true, true, 4, 2},   {false, false, 2, 2},
                                 {false, false, 2, 2}, {false, false, 2, 2}, {true, false, 2, 1},
                                 {false, false, 1, 1}, {false, false, 1, 1}, {false, false, 1, 1}};

void res_shapes(ShapeMap& m, const std::string& p, int64_t in, int64_t out) {
  m[p + "residual.0.gamma"] = {in, 1, 1, 1};
  m[p + "residual.2.weight"] = {out, in, 3, 3, 3};
  m[p + "residual.2.bias"] = {out};
  m[p + "residual.3.gamma"] = {out, 1, 1, 1};
  m[p + "residual.6.weight"] = {out, out, 3, 3, 3};
  m[p + "residual.6.bias"] = {out};
  if (in != out) {
    m[p + "shortcut.weight"] = {out, in, 1, 1, 1};
    m[p + "shortcut.bias"] = {out};
  }
}

}  // namespace

std::string WanVaeConfig::summary() const {
  return "Wan2.1 VAE z " + std::to_string(z_dim) + ", base dim " + std::to_string(base_dim);
}

const std::vector<float>& wan21_latent_mean() {
  static const std::vector<float> v{-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,
                                    -0.1517, 1.5508,  0.4134,  -0.0715, 0.5517,  -0.3632,
                                    -0.1922, -0.9497, 0.2503,  -0.2921};
  return v;
}

const std::vector<float>& wan21_latent_std() {
  static const std::vector<float> v{2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                                    3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
  return v;
}

ShapeMap wan_vae_decoder_expected_shapes(const WanVaeConfig& cfg) {
  const int64_t d = cfg.base_dim, z = cfg.z_dim;
  ShapeMap m;
  m["conv2.weight"] = {z, z, 1, 1, 1};
  m["conv2.bias"] = {z};
  m["decoder.conv1.weight"] = {4 * d, z, 3, 3, 3};
  m["decoder.conv1.bias"] = {4 * d};
  res_shapes(m, "decoder.middle.0.", 4 * d, 4 * d);
  m["decoder.middle.1.norm.gamma"] = {4 * d, 1, 1};
  m["decoder.middle.1.to_qkv.weight"] = {12 * d, 4 * d, 1, 1};
  m["decoder.middle.1.to_qkv.bias"] = {12 * d};
  m["decoder.middle.1.proj.weight"] = {4 * d, 4 * d, 1, 1};
  m["decoder.middle.1.proj.bias"] = {4 * d};
  res_shapes(m, "decoder.middle.2.", 4 * d, 4 * d);
  for (size_t i = 0; i < std::size(kStages); ++i) {
    const StageSpec& s = kStages[i];
    const std::string p = "decoder.upsamples." + std::to_string(i) + ".";
    if (!s.up) {
      res_shapes(m, p, s.in * d, s.out * d);
      continue;
    }
    if (s.temporal) {
      m[p + "time_conv.weight"] = {2 * s.in * d, s.in * d, 3, 1, 1};
      m[p + "time_conv.bias"] = {2 * s.in * d};
    }
    m[p + "resample.1.weight"] = {s.out * d, s.in * d, 3, 3};
    m[p + "resample.1.bias"] = {s.out * d};
  }
  m["decoder.head.0.gamma"] = {d, 1, 1, 1};
  m["decoder.head.2.weight"] = {3, d, 3, 3, 3};
  m["decoder.head.2.bias"] = {3};
  return m;
}

WanVaeConfig wan_vae_config_from_shapes(const ShapeMap& shapes, std::string_view what) {
  auto c2 = shapes.find("conv2.weight");
  auto head = shapes.find("decoder.head.2.weight");
  if (c2 == shapes.end() || head == shapes.end() || c2->second.size() != 5 ||
      head->second.size() != 5)
    bad(what, "not a Wan2.1 VAE decoder: conv2.weight and decoder.head.2.weight are needed");
  WanVaeConfig cfg;
  cfg.z_dim = c2->second[0];
  cfg.base_dim = head->second[1];
  if (cfg.z_dim != 16 && shapes.count("decoder.upsamples.0.upsampler.resample.1.weight"))
    bad(what, "the Wan2.2 VAE (z 48) is not supported yet");
  for (const auto& [name, shape] : wan_vae_decoder_expected_shapes(cfg)) {
    auto it = shapes.find(name);
    if (it == shapes.end())
      bad(what, "not a complete " + cfg.summary() + " decoder: tensor " + name + " is missing");
    if (it->second != shape)
      bad(what, "tensor " + name + " has shape " + shape_string(it->second) + ", expected " +
                    shape_string(shape) + " for " + cfg.summary());
  }
  return cfg;
}

// Per-decode cache: one slot per causal conv in visiting order (spec §3.3).
struct WanVaeDecoder::Chunk {
  std::vector<at::Tensor> cache;
  std::vector<bool> rep;  // upsample3d slot seen once (chunk 0) but holding no frames yet
  size_t idx = 0;
  size_t next() {
    if (idx == cache.size()) {
      cache.emplace_back();
      rep.push_back(false);
    }
    return idx++;
  }
};

WanVaeDecoder::WanVaeDecoder(const WanVaeConfig& cfg, const WeightSet& weights,
                             const WanVaeOptions& options)
    : cfg_(cfg), options_(options) {
  const at::ScalarType dt = options_.dtype;
  auto conv = [&](const std::string& p) {
    return Conv{weights.get(p + "weight", dt, options_.device),
                weights.get(p + "bias", dt, options_.device)};
  };
  auto gamma = [&](const std::string& n) { return weights.get(n, at::kFloat, options_.device); };
  auto res = [&](const std::string& p) {
    Res r{gamma(p + "residual.0.gamma"), gamma(p + "residual.3.gamma"), conv(p + "residual.2."),
          conv(p + "residual.6."), Conv{}};
    if (weights.contains(p + "shortcut.weight")) r.shortcut = conv(p + "shortcut.");
    return r;
  };
  conv2_ = conv("conv2.");
  conv_in_ = conv("decoder.conv1.");
  mid0_ = res("decoder.middle.0.");
  attn_gamma_ = gamma("decoder.middle.1.norm.gamma");
  attn_qkv_ = conv("decoder.middle.1.to_qkv.");
  attn_proj_ = conv("decoder.middle.1.proj.");
  mid2_ = res("decoder.middle.2.");
  for (size_t i = 0; i < std::size(kStages); ++i) {
    const std::string p = "decoder.upsamples." + std::to_string(i) + ".";
    if (!kStages[i].up) {
      order_.push_back(int(res_.size()));
      res_.push_back(res(p));
    } else {
      Up u;
      u.temporal = kStages[i].temporal;
      if (u.temporal) u.time_conv = conv(p + "time_conv.");
      u.conv = conv(p + "resample.1.");
      u.conv.w = u.conv.w.unsqueeze(2);  // Conv2d as a 1 x 3 x 3 Conv3d, frame by frame
      order_.push_back(-int(ups_.size()) - 1);
      ups_.push_back(std::move(u));
    }
  }
  head_gamma_ = gamma("decoder.head.0.gamma");
  head_conv_ = conv("decoder.head.2.");
}

at::Tensor WanVaeDecoder::norm(const at::Tensor& x, const at::Tensor& gamma) const {
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor n = at::clamp_min(xf.pow(2).sum(1, true).sqrt(), 1e-12);
  return (xf / n * std::sqrt(double(x.size(1))) * gamma).to(options_.dtype);
}

// Causal conv with front temporal padding 2 (kernel 3) fed from the previous chunk's frames.
at::Tensor WanVaeDecoder::causal_conv(Chunk& c, const at::Tensor& x, const Conv& conv) const {
  const size_t slot = c.next();
  const int64_t kh = conv.w.size(3), kw = conv.w.size(4);
  at::Tensor keep =
      x.narrow(2, std::max<int64_t>(0, x.size(2) - 2), std::min<int64_t>(2, x.size(2)));
  if (keep.size(2) < 2 && c.cache[slot].defined())
    keep = at::cat({c.cache[slot].narrow(2, c.cache[slot].size(2) - 1, 1), keep}, 2);
  at::Tensor in = x;
  int64_t front = 2;
  if (c.cache[slot].defined()) {
    in = at::cat({c.cache[slot], x}, 2);
    front -= c.cache[slot].size(2);
  }
  c.cache[slot] = keep;
  in = at::constant_pad_nd(in, {kw / 2, kw / 2, kh / 2, kh / 2, front, 0});
  return at::conv3d(in, conv.w, conv.b);
}

at::Tensor WanVaeDecoder::residual(Chunk& c, const at::Tensor& x, const Res& r) const {
  const at::Tensor skip = r.shortcut.w.defined() ? at::conv3d(x, r.shortcut.w, r.shortcut.b) : x;
  at::Tensor h = causal_conv(c, at::silu(norm(x, r.gamma1)), r.conv1);
  h = causal_conv(c, at::silu(norm(h, r.gamma2)), r.conv2);
  return h + skip;
}

// Single-head self-attention over the positions of each frame.
at::Tensor WanVaeDecoder::attention(const at::Tensor& x) const {
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  at::Tensor f = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
  at::Tensor qkv = at::conv2d(norm(f, attn_gamma_.view({C, 1, 1})), attn_qkv_.w, attn_qkv_.b);
  qkv = qkv.reshape({B * T, 3 * C, H * W}).transpose(1, 2);  // [BT, HW, 3C]
  at::Tensor q = qkv.narrow(2, 0, C), k = qkv.narrow(2, C, C), v = qkv.narrow(2, 2 * C, C);
  at::Tensor a =
      at::softmax(at::matmul(q, k.transpose(1, 2)).to(at::kFloat) / std::sqrt(double(C)), -1)
          .to(v.scalar_type());
  at::Tensor o = at::matmul(a, v).transpose(1, 2).reshape({B * T, C, H, W});
  o = at::conv2d(o, attn_proj_.w, attn_proj_.b);
  return o.reshape({B, T, C, H, W}).permute({0, 2, 1, 3, 4}) + x;
}

at::Tensor WanVaeDecoder::upsample(Chunk& c, const at::Tensor& x_in, const Up& u) const {
  at::Tensor x = x_in;
  if (u.temporal) {
    const size_t slot = c.next();
    if (!c.cache[slot].defined() && !c.rep[slot]) {
      c.rep[slot] = true;  // chunk 0: one frame passes through unchanged in time
    } else {
      at::Tensor keep =
          x.narrow(2, std::max<int64_t>(0, x.size(2) - 2), std::min<int64_t>(2, x.size(2)));
      if (keep.size(2) < 2)
        keep =
            at::cat({c.cache[slot].defined() ? c.cache[slot].narrow(2, c.cache[slot].size(2) - 1, 1)
                                             : at::zeros_like(keep),
                     keep},
                    2);
      at::Tensor in = x;
      int64_t front = 2;
      if (c.cache[slot].defined()) {
        in = at::cat({c.cache[slot], x}, 2);
        front -= c.cache[slot].size(2);
      }
      c.cache[slot] = keep;
      c.rep[slot] = false;
      at::Tensor y =
          at::conv3d(at::constant_pad_nd(in, {0, 0, 0, 0, front, 0}), u.time_conv.w, u.time_conv.b);
      const int64_t B = y.size(0), C = y.size(1) / 2, T = y.size(2), H = y.size(3), W = y.size(4);
      // Channel halves become consecutive frames: first half -> 2k, second -> 2k + 1.
      x = y.view({B, 2, C, T, H, W}).permute({0, 2, 3, 1, 4, 5}).reshape({B, C, 2 * T, H, W});
    }
  }
  x = at::upsample_nearest3d(x, {x.size(2), 2 * x.size(3), 2 * x.size(4)});
  return at::conv3d(x, u.conv.w, u.conv.b, {1, 1, 1}, {0, 1, 1});
}

at::Tensor WanVaeDecoder::decode(const at::Tensor& z, const std::vector<float>& mean,
                                 const std::vector<float>& std, const ProgressFn& progress,
                                 const CancelToken* cancel) const {
  if (z.dim() != 5 || z.size(1) != cfg_.z_dim || z.size(2) == 0 || z.size(3) == 0 || z.size(4) == 0)
    fail_bad_request("latent must be [B, " + std::to_string(cfg_.z_dim) +
                     ", T, h, w] with T, h, w > 0, got " + shape_string(z.sizes().vec()));
  if (mean.size() != std.size() || (!mean.empty() && int64_t(mean.size()) != cfg_.z_dim))
    fail_bad_request("latent mean and std must have " + std::to_string(cfg_.z_dim) +
                     " values each, got " + std::to_string(mean.size()) + " and " +
                     std::to_string(std.size()));
  const at::Device dev = options_.device;
  at::Tensor x = z.to(dev, at::kFloat);
  if (!mean.empty()) {
    const auto opts = at::TensorOptions().dtype(at::kFloat);
    x = x * at::tensor(std, opts).to(dev).view({1, -1, 1, 1, 1}) +
        at::tensor(mean, opts).to(dev).view({1, -1, 1, 1, 1});
  }
  x = at::conv3d(x.to(options_.dtype), conv2_.w, conv2_.b);
  Chunk c;
  std::vector<at::Tensor> frames;
  const int64_t T = x.size(2);
  for (int64_t i = 0; i < T; ++i) {
    if (cancel) cancel->check("decode");
    c.idx = 0;
    at::Tensor h = causal_conv(c, x.narrow(2, i, 1), conv_in_);
    h = residual(c, h, mid0_);
    h = attention(h);
    h = residual(c, h, mid2_);
    for (int s : order_)
      h = s >= 0 ? residual(c, h, res_[size_t(s)]) : upsample(c, h, ups_[size_t(-s - 1)]);
    h = causal_conv(c, at::silu(norm(h, head_gamma_)), head_conv_);
    frames.push_back(h.to(at::kFloat));
    if (progress) {
      Progress p;
      p.done = i + 1;
      p.total = T;
      p.stage = "decode";
      progress(p);
    }
  }
  return at::cat(frames, 2).clamp(-1, 1);
}

std::unique_ptr<WanVaeDecoder> wan_vae_decoder_load(const std::filesystem::path& model,
                                                    const WanVaeOptions& options) {
  ModelFolder folder = model_folder_scan(model);
  if (folder.vae_files.empty())
    fail_unsupported(model.string() +
                     ": no VAE weights found (no .safetensors file with "
                     "decoder.* tensors)");
  if (folder.vae_files.size() > 1)
    fail_unsupported(model.string() + ": several VAE files found (" +
                     folder.vae_files[0].filename().string() + ", " +
                     folder.vae_files[1].filename().string() + "); pass one file");
  WeightSet weights =
      WeightSet::open(folder.vae_files, [](std::string_view n) { return std::string(n); });
  return std::make_unique<WanVaeDecoder>(
      wan_vae_config_from_shapes(weights.shapes(), folder.vae_files.front().string()), weights,
      options);
}

}  // namespace kino::gen
