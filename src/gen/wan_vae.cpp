#include "gen/wan_vae.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/json.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/vae_norm_silu.h"
#include "gen/weight_set.h"

namespace kino::gen {
namespace {

struct Conv {
  at::Tensor w, b;
};

struct Res {
  at::Tensor gamma1, gamma2;
  Conv conv1, conv2, shortcut;  // shortcut undefined when in == out
};

struct Level {
  std::vector<Res> res;
  WanVaeResample mode = WanVaeResample::none;
  Conv time_conv;  // down3d / up3d
  Conv conv;       // the resample's Conv2d as a 1 x 3 x 3 Conv3d
  bool shortcut = false;
  int64_t shortcut_out = 0, shortcut_t = 1, shortcut_s = 1;
};

struct Half {
  Conv conv_in, head;
  Res mid0, mid2;
  at::Tensor attn_gamma, head_gamma;
  Conv qkv, proj;
  std::vector<Level> levels;
};

// One pass over the chunks of one tile: a cache slot per causal conv in visiting order
// (spec §3.3). `rep` marks an upsample3d slot that saw chunk 0 but holds no frames yet.
struct ChunkCache {
  std::vector<at::Tensor> cache;
  std::vector<bool> rep;
  size_t idx = 0;
  size_t next() {
    if (idx == cache.size()) {
      cache.emplace_back();
      rep.push_back(false);
    }
    return idx++;
  }
};

at::Tensor last_frames(const at::Tensor& x, int64_t n) {
  const int64_t k = std::min(n, x.size(2));
  return x.narrow(2, x.size(2) - k, k);
}

// Without autograd recording, full-size temporaries are updated in place (a copy less each).
bool no_grad() {
  return !at::GradMode::is_enabled();
}

// The last two frames of `x` for the next chunk (a copy, so the chunk itself can be freed),
// topped up from the slot's previous frames (or zeros) when the chunk is one frame long.
at::Tensor frames_to_keep(const at::Tensor& x, const at::Tensor& previous, bool zero_history) {
  at::Tensor keep = last_frames(x, 2).clone(at::MemoryFormat::Contiguous);
  if (keep.size(2) < 2) {
    if (previous.defined())
      keep = at::cat({last_frames(previous, 1), keep}, 2);
    else if (zero_history)
      keep = at::cat({at::zeros_like(keep), keep}, 2);
  }
  return keep;
}

// [cached frames of the previous chunk, or zeros ; x]: two frames of history in front.
at::Tensor with_history(const at::Tensor& x, const at::Tensor& cached) {
  std::vector<at::Tensor> parts;
  const int64_t zeros = 2 - (cached.defined() ? cached.size(2) : 0);
  if (zeros > 0)
    parts.push_back(at::zeros({x.size(0), x.size(1), zeros, x.size(3), x.size(4)}, x.options()));
  if (cached.defined()) parts.push_back(cached);
  parts.push_back(x);
  return at::cat(parts, 2);
}

// Causal conv (temporal kernel 3, front padding 2) continued from the previous chunk's frames.
// Takes `x` by value and lets it go before convolving, so it is freed when the caller passed a
// temporary.
at::Tensor causal_conv(ChunkCache& c, at::Tensor x, const Conv& conv) {
  const size_t slot = c.next();
  const int64_t kh = conv.w.size(3), kw = conv.w.size(4);
  if (!c.cache[slot].defined() && x.size(2) == 1) {
    // The first chunk's one frame behind two zero frames: only the last temporal tap sees
    // anything, so it alone is applied (a third of the work; the encoder's and decoder's
    // first frames start this way).
    c.cache[slot] = frames_to_keep(x, c.cache[slot], false);
    return at::conv3d(x, conv.w.narrow(2, conv.w.size(2) - 1, 1), conv.b, {1, 1, 1},
                      {0, kh / 2, kw / 2});
  }
  const at::Tensor in = with_history(x, c.cache[slot]);
  c.cache[slot] = frames_to_keep(x, c.cache[slot], false);
  x.reset();
  return at::conv3d(in, conv.w, conv.b, {1, 1, 1}, {0, kh / 2, kw / 2});
}

// RMS_norm of the VAE: L2 over channels (accumulated in float32) x sqrt(C) x gamma.
at::Tensor norm(const at::Tensor& x, const at::Tensor& gamma) {
  const at::ScalarType dt = x.scalar_type();
  const at::Tensor inv = std::sqrt(double(x.size(1))) /
                         at::clamp_min(at::linalg_vector_norm(x, 2, {1}, true, at::kFloat), 1e-12);
  at::Tensor y = x * inv.to(dt);
  return no_grad() ? y.mul_(gamma.to(dt)) : y * gamma.to(dt);
}

at::Tensor activate(at::Tensor x) {
  return no_grad() ? at::silu_(x) : at::silu(x);
}

// activate(norm(x, gamma)), in one pass over memory when inference allows (vae_norm_silu.h).
at::Tensor norm_act(const at::Tensor& x, const at::Tensor& gamma) {
  if (vae_norm_silu_applies(x, gamma)) return vae_norm_silu(x, gamma);
  if (vae_norm_silu_trainable_applies(x, gamma)) return vae_norm_silu_trainable(x, gamma);
  return activate(norm(x, gamma));
}

at::Tensor residual(ChunkCache& c, const at::Tensor& x, const Res& r) {
  const at::Tensor skip = r.shortcut.w.defined() ? at::conv3d(x, r.shortcut.w, r.shortcut.b) : x;
  at::Tensor h = causal_conv(c, norm_act(x, r.gamma1), r.conv1);
  at::Tensor n = norm_act(h, r.gamma2);
  h.reset();  // the first conv's output is not needed past the norm
  h = causal_conv(c, std::move(n), r.conv2);
  return no_grad() ? h.add_(skip) : h + skip;
}

// Single-head self-attention over the positions of each frame (the middle block).
at::Tensor attention(const at::Tensor& x, const Half& m, int64_t max_scores) {
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  at::Tensor f = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
  at::Tensor qkv = at::conv2d(norm(f, m.attn_gamma), m.qkv.w, m.qkv.b);
  qkv = qkv.reshape({B * T, 3 * C, H * W}).transpose(1, 2);  // [BT, HW, 3C]
  const at::Tensor q = qkv.narrow(2, 0, C), kt = qkv.narrow(2, C, C).transpose(1, 2),
                   v = qkv.narrow(2, 2 * C, C);
  // Query rows in blocks so no more than max_scores scores are held at once.
  const int64_t L = H * W, rows = std::max<int64_t>(1, max_scores / (B * T * L));
  std::vector<at::Tensor> parts;
  for (int64_t r = 0; r < L; r += rows) {
    const at::Tensor s = at::matmul(q.narrow(1, r, std::min(rows, L - r)), kt).to(at::kFloat);
    parts.push_back(at::matmul(at::softmax(s / std::sqrt(double(C)), -1).to(v.scalar_type()), v));
  }
  const at::Tensor a = parts.size() == 1 ? parts[0] : at::cat(parts, 1);
  at::Tensor o = a.transpose(1, 2).reshape({B * T, C, H, W});
  o = at::conv2d(o, m.proj.w, m.proj.b);
  return o.reshape({B, T, C, H, W}).permute({0, 2, 1, 3, 4}) + x;
}

at::Tensor resample(ChunkCache& c, const at::Tensor& x_in, const Level& l) {
  at::Tensor x = x_in;
  if (l.mode == WanVaeResample::up3d) {
    const size_t slot = c.next();
    if (!c.cache[slot].defined() && !c.rep[slot]) {
      c.rep[slot] = true;  // chunk 0: one frame passes through unchanged in time
    } else {
      // Chunk 1 starts from two zero frames: it does not see chunk 0.
      const at::Tensor in = with_history(x, c.cache[slot]);
      c.cache[slot] = frames_to_keep(x, c.cache[slot], true);
      const at::Tensor y = at::conv3d(in, l.time_conv.w, l.time_conv.b);
      const int64_t B = y.size(0), C = y.size(1) / 2, T = y.size(2), H = y.size(3), W = y.size(4);
      // Channel halves become consecutive frames: first half -> 2k, second -> 2k + 1.
      x = y.view({B, 2, C, T, H, W}).permute({0, 2, 3, 1, 4, 5}).reshape({B, C, 2 * T, H, W});
    }
  }
  if (l.mode == WanVaeResample::up3d || l.mode == WanVaeResample::up2d) {
    x = at::upsample_nearest3d(x, {x.size(2), 2 * x.size(3), 2 * x.size(4)});
    return at::conv3d(x, l.conv.w, l.conv.b, {1, 1, 1}, {0, 1, 1});
  }
  // Downsample: zero pad right and bottom by one, 3x3 stride 2, frame by frame.
  x = at::conv3d(at::constant_pad_nd(x, {0, 1, 0, 1, 0, 0}), l.conv.w, l.conv.b, {1, 2, 2});
  if (l.mode == WanVaeResample::down3d) {
    const size_t slot = c.next();
    if (!c.cache[slot].defined()) {
      c.cache[slot] = last_frames(x, 1).clone();  // chunk 0 passes through
    } else {
      const at::Tensor in = at::cat({c.cache[slot], x}, 2);
      c.cache[slot] = last_frames(x, 1).clone();
      x = at::conv3d(in, l.time_conv.w, l.time_conv.b, {2, 1, 1});
    }
  }
  return x;
}

// AvgDown3D (Wan2.2 encoder level shortcut): time padded in front to a multiple of ft, each
// (ft, fs, fs) cell moved next to its channel, consecutive groups averaged down to `out`.
at::Tensor avg_down(const at::Tensor& x_in, const Level& l) {
  const int64_t ft = l.shortcut_t, fs = l.shortcut_s;
  const at::Tensor x = at::constant_pad_nd(x_in, {0, 0, 0, 0, (ft - x_in.size(2) % ft) % ft, 0});
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2) / ft, H = x.size(3) / fs,
                W = x.size(4) / fs;
  return x.view({B, C, T, ft, H, fs, W, fs})
      .permute({0, 1, 3, 5, 7, 2, 4, 6})
      .reshape({B, l.shortcut_out, C * ft * fs * fs / l.shortcut_out, T, H, W})
      .mean(2);
}

// DupUp3D (Wan2.2 decoder level shortcut): channels repeated, then spread over (ft, fs, fs)
// cells; chunk 0 drops its first ft - 1 frames so one frame stays one frame.
at::Tensor dup_up(const at::Tensor& x, const Level& l, bool first) {
  const int64_t ft = l.shortcut_t, fs = l.shortcut_s, out = l.shortcut_out;
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  at::Tensor y = x.repeat_interleave(out * ft * fs * fs / C, 1)
                     .view({B, out, ft, fs, fs, T, H, W})
                     .permute({0, 1, 5, 2, 6, 3, 7, 4})
                     .reshape({B, out, T * ft, H * fs, W * fs});
  return first ? y.narrow(2, ft - 1, y.size(2) - (ft - 1)) : y;
}

// [B, 3, T, H, W] -> [B, 12, T, H/2, W/2], channel c * 4 + column offset * 2 + row offset.
at::Tensor patchify(const at::Tensor& x, int64_t p) {
  if (p == 1) return x;
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3) / p, W = x.size(4) / p;
  return x.view({B, C, T, H, p, W, p})
      .permute({0, 1, 6, 4, 2, 3, 5})
      .reshape({B, C * p * p, T, H, W});
}

at::Tensor unpatchify(const at::Tensor& x, int64_t p) {
  if (p == 1) return x;
  const int64_t B = x.size(0), C = x.size(1) / (p * p), T = x.size(2), H = x.size(3), W = x.size(4);
  return x.view({B, C, p, p, T, H, W})
      .permute({0, 1, 4, 5, 3, 6, 2})
      .reshape({B, C, T, H * p, W * p});
}

at::Tensor encoder_chunk(ChunkCache& c, const at::Tensor& x, const Half& e, int64_t max_scores) {
  at::Tensor h = causal_conv(c, x, e.conv_in);
  for (const Level& l : e.levels) {
    const at::Tensor in = l.shortcut ? h : at::Tensor();  // only shortcuts need it
    for (const Res& r : l.res) h = residual(c, h, r);
    if (l.mode != WanVaeResample::none) h = resample(c, h, l);
    if (l.shortcut) h = h + avg_down(in, l);
  }
  h = residual(c, h, e.mid0);
  h = attention(h, e, max_scores);
  h = residual(c, h, e.mid2);
  return causal_conv(c, norm_act(h, e.head_gamma), e.head);
}

at::Tensor decoder_chunk(ChunkCache& c, const at::Tensor& x, const Half& d, bool first,
                         int64_t max_scores) {
  at::Tensor h = causal_conv(c, x, d.conv_in);
  h = residual(c, h, d.mid0);
  h = attention(h, d, max_scores);
  h = residual(c, h, d.mid2);
  for (const Level& l : d.levels) {
    const at::Tensor in = l.shortcut ? h : at::Tensor();  // only shortcuts need it
    for (const Res& r : l.res) h = residual(c, h, r);
    if (l.mode != WanVaeResample::none) h = resample(c, h, l);
    if (l.shortcut) h = h + dup_up(in, l, first);
  }
  return causal_conv(c, norm_act(h, d.head_gamma), d.head);
}

// Blend weights of one tile along one axis: rising over `ramp` samples on a side with a
// neighbour, 1 elsewhere (weights are normalized by their sum afterwards).
at::Tensor tile_ramp(int64_t length, int64_t ramp, bool low, bool high) {
  std::vector<float> w(size_t(length), 1.0f);
  for (int64_t k = 0; k < ramp && k < length; ++k) {
    const float v = float(k + 1) / float(ramp + 1);
    if (low) w[size_t(k)] = std::min(w[size_t(k)], v);
    if (high) w[size_t(length - 1 - k)] = std::min(w[size_t(length - 1 - k)], v);
  }
  return at::tensor(w, at::TensorOptions().dtype(at::kFloat));
}

std::string dims(const at::Tensor& t) {
  return shape_string(t.sizes().vec());
}

}  // namespace

struct WanVae::Model {
  Half enc, dec;
  Conv enc_top, dec_top;  // official `conv1` (after the encoder) and `conv2` (before the decoder)
};

// Progress and cancellation of one encode/decode call across its tiles and chunks.
struct WanVae::Run {
  const ProgressFn* progress = nullptr;
  const CancelToken* cancel = nullptr;
  const char* stage = "";
  int64_t done = 0, total = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void check() const {
    if (cancel) cancel->check(stage);
  }
  void step() {
    ++done;
    if (progress && *progress) {
      Progress p;
      p.done = done;
      p.total = total;
      p.stage = stage;
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      (*progress)(p);
    }
  }
};

std::string_view wan_vae_tiling_name(WanVaeTiling tiling) {
  switch (tiling) {
    case WanVaeTiling::automatic: return "automatic";
    case WanVaeTiling::off: return "off";
    case WanVaeTiling::on: return "on";
  }
  return "automatic";
}

std::optional<WanVaeTiling> wan_vae_tiling_parse(std::string_view name) {
  for (auto t : {WanVaeTiling::automatic, WanVaeTiling::off, WanVaeTiling::on})
    if (wan_vae_tiling_name(t) == name) return t;
  return std::nullopt;
}

std::vector<int64_t> wan_vae_tile_starts(int64_t extent, int64_t tile, int64_t overlap) {
  if (tile <= 0 || overlap < 0 || overlap >= tile)
    fail_bad_request("tile must be > 0 and 0 <= overlap < tile, got tile " + std::to_string(tile) +
                     ", overlap " + std::to_string(overlap));
  if (extent <= tile) return {0};
  const int64_t step = tile - overlap;
  const int64_t n = (extent - overlap + step - 1) / step;  // windows so the last reaches the end
  std::vector<int64_t> starts;
  for (int64_t i = 0; i + 1 < n; ++i) starts.push_back(i * step);
  starts.push_back(extent - tile);
  return starts;
}

int64_t wan_vae_tile_length(int64_t extent, int64_t tile, int64_t overlap) {
  if (tile <= 0 || overlap < 0 || overlap >= tile)
    fail_bad_request("tile must be > 0 and 0 <= overlap < tile, got tile " + std::to_string(tile) +
                     ", overlap " + std::to_string(overlap));
  if (extent <= tile) return extent;
  const int64_t n = (extent - overlap + (tile - overlap) - 1) / (tile - overlap);
  return (extent + (n - 1) * overlap + n - 1) / n;
}

std::optional<WanVaeLatentStats> wan_vae_file_latent_stats(
    const std::map<std::string, std::string>& metadata, int64_t z_dim, const std::string& file) {
  const auto m = metadata.find(kVaeLatentMeanKey), sd = metadata.find(kVaeLatentStdKey);
  if (m == metadata.end() && sd == metadata.end()) return std::nullopt;
  if (m == metadata.end() || sd == metadata.end())
    fail_unsupported(file + ": metadata has only one of " + kVaeLatentMeanKey + " and " +
                     kVaeLatentStdKey);
  auto values = [&](const std::string& text, const char* key, bool positive) {
    const std::string what = file + ": metadata " + key;
    Json j;
    try {
      j = json_parse(text, what);
    } catch (const Error& e) {
      fail_unsupported(e.what());
    }
    if (!j.is_array() || int64_t(j.size()) != z_dim)
      fail_unsupported(what + " must be an array of " + std::to_string(z_dim) + " numbers");
    std::vector<float> out;
    for (const Json& v : j) {
      const double x = v.is_number() ? v.get<double>() : std::nan("");
      if (!std::isfinite(x) || (positive && !(x > 0)))
        fail_unsupported(what + " must hold finite numbers" + (positive ? " > 0" : "") + ", got " +
                         json_brief(v));
      out.push_back(float(x));
    }
    return out;
  };
  WanVaeLatentStats stats;
  stats.mean = values(m->second, kVaeLatentMeanKey, false);
  stats.std = values(sd->second, kVaeLatentStdKey, true);
  return stats;
}

std::map<std::string, std::string> wan_vae_latent_stats_metadata(const WanVaeLatentStats& stats) {
  // Written with full float precision so a round trip gives the same floats.
  auto array = [](const std::vector<float>& v) {
    std::string out = "[";
    char buf[32];
    for (size_t i = 0; i < v.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s%.9g", i ? ", " : "", double(v[i]));
      out += buf;
    }
    return out + "]";
  };
  return {{kVaeLatentMeanKey, array(stats.mean)}, {kVaeLatentStdKey, array(stats.std)}};
}

WanVae::WanVae(const WanVaeConfig& cfg, const WeightSet& weights, const WanVaeOptions& options,
               const std::optional<WanVaeLatentStats>& stats)
    : cfg_(cfg),
      options_(options),
      mean_(stats ? stats->mean : wan_vae_latent_mean(cfg)),
      std_(stats ? stats->std : wan_vae_latent_std(cfg)) {
  if (int64_t(mean_.size()) != cfg_.z_dim || int64_t(std_.size()) != cfg_.z_dim)
    fail_bad_request("latent statistics must have z_dim " + std::to_string(cfg_.z_dim) +
                     " values each, got " + std::to_string(mean_.size()) + " and " +
                     std::to_string(std_.size()));
  const int64_t s = cfg_.spatial_stride();
  if (options_.tile_size < s || options_.tile_size % s != 0)
    fail_bad_request("tile_size must be a positive multiple of the VAE's spatial stride " +
                     std::to_string(s) + ", got " + std::to_string(options_.tile_size));
  if (options_.tile_overlap < 0 || options_.tile_overlap % s != 0 ||
      options_.tile_overlap >= options_.tile_size)
    fail_bad_request("tile_overlap must be a multiple of the spatial stride " + std::to_string(s) +
                     " in [0, tile_size " + std::to_string(options_.tile_size) + "), got " +
                     std::to_string(options_.tile_overlap));
  if (options_.attention_scores < 1)
    fail_bad_request("attention_scores must be >= 1, got " +
                     std::to_string(options_.attention_scores));
  if (options_.tile_above_pixels < 0)
    fail_bad_request("tile_above_pixels must be >= 0, got " +
                     std::to_string(options_.tile_above_pixels));
  const at::ScalarType dt = options_.dtype;
  const at::Device dev = options_.device;
  auto conv = [&](const std::string& p) {
    return Conv{weights.get(p + "weight", dt, dev), weights.get(p + "bias", dt, dev)};
  };
  auto gamma = [&](const std::string& n) { return weights.get(n, at::kFloat, dev); };
  auto res = [&](const std::string& p) {
    Res r{gamma(p + "residual.0.gamma"), gamma(p + "residual.3.gamma"), conv(p + "residual.2."),
          conv(p + "residual.6."), Conv{}};
    if (weights.contains(p + "shortcut.weight")) r.shortcut = conv(p + "shortcut.");
    return r;
  };
  auto half = [&](const WanVaeHalfPlan& plan) {
    const std::string& p = plan.prefix;
    Half h;
    h.conv_in = conv(p + "conv1.");
    h.mid0 = res(p + "middle.0.");
    h.attn_gamma = gamma(p + "middle.1.norm.gamma");
    h.qkv = conv(p + "middle.1.to_qkv.");
    h.proj = conv(p + "middle.1.proj.");
    h.mid2 = res(p + "middle.2.");
    h.head_gamma = gamma(p + "head.0.gamma");
    h.head = conv(p + "head.2.");
    for (const WanVaeLevelPlan& lp : plan.levels) {
      Level l;
      for (const auto& r : lp.res) l.res.push_back(res(r.prefix));
      l.mode = lp.resample;
      if (l.mode == WanVaeResample::down3d || l.mode == WanVaeResample::up3d)
        l.time_conv = conv(lp.resample_prefix + "time_conv.");
      if (l.mode != WanVaeResample::none) {
        l.conv = conv(lp.resample_prefix + "resample.1.");
        l.conv.w = l.conv.w.unsqueeze(2);
      }
      l.shortcut = lp.shortcut;
      l.shortcut_out = lp.shortcut_out;
      l.shortcut_t = lp.shortcut_t;
      l.shortcut_s = lp.shortcut_s;
      h.levels.push_back(std::move(l));
    }
    return h;
  };
  auto m = std::make_unique<Model>();
  if (cfg_.encoder) {
    m->enc = half(wan_vae_encoder_plan(cfg_));
    m->enc_top = conv("conv1.");
  }
  m->dec = half(wan_vae_decoder_plan(cfg_));
  m->dec_top = conv("conv2.");
  model_ = std::move(m);
}

WanVae::~WanVae() = default;

bool WanVae::tiled(int64_t height, int64_t width) const {
  if (height <= options_.tile_size && width <= options_.tile_size) return false;
  switch (options_.tiling) {
    case WanVaeTiling::on: return true;
    case WanVaeTiling::off: return false;
    case WanVaeTiling::automatic: return height * width > options_.tile_above_pixels;
  }
  return false;
}

// Chunks of 1, 4, 4, ... frames, one latent frame each (spec §3.3); returns mu in VAE units.
at::Tensor WanVae::encode_tile(const at::Tensor& frames, Run& run) const {
  const Model& m = *model_;
  ChunkCache c;
  std::vector<at::Tensor> out;
  const int64_t chunks = 1 + (frames.size(2) - 1) / 4;
  for (int64_t i = 0; i < chunks; ++i) {
    run.check();
    c.idx = 0;
    const at::Tensor x = i == 0 ? frames.narrow(2, 0, 1) : frames.narrow(2, 1 + 4 * (i - 1), 4);
    out.push_back(encoder_chunk(c, patchify(x.to(options_.device, options_.dtype), cfg_.patch()),
                                m.enc, options_.attention_scores));
    run.step();
  }
  const at::Tensor h = out.size() == 1 ? out[0] : at::cat(out, 2);
  return at::conv3d(h, m.enc_top.w, m.enc_top.b).narrow(1, 0, cfg_.z_dim).to(at::kFloat);
}

// One latent frame per chunk; chunk 0 yields 1 frame, every later chunk 4. `x` is conv2's
// output; returns unclamped frames written straight into one preallocated buffer.
at::Tensor WanVae::decode_tile(const at::Tensor& x, Run& run) const {
  const Model& m = *model_;
  const int64_t s = cfg_.spatial_stride(), T = x.size(2);
  at::Tensor video = at::empty({x.size(0), 3, 4 * (T - 1) + 1, x.size(3) * s, x.size(4) * s},
                               x.options().dtype(at::kFloat));
  ChunkCache c;
  int64_t frame = 0;
  for (int64_t i = 0; i < T; ++i) {
    run.check();
    c.idx = 0;
    at::Tensor y =
        unpatchify(decoder_chunk(c, x.narrow(2, i, 1), m.dec, i == 0, options_.attention_scores),
                   cfg_.patch());
    video.narrow(2, frame, y.size(2)).copy_(y);
    frame += y.size(2);
    run.step();
  }
  return video;
}

at::Tensor WanVae::encode_raw(const at::Tensor& frames, const ProgressFn& progress,
                              const CancelToken* cancel) const {
  if (!cfg_.encoder)
    fail_unsupported("this VAE weight set holds no encoder (encoder.* tensors); " + cfg_.summary() +
                     " can only decode");
  const int64_t s = cfg_.spatial_stride();
  if (frames.dim() != 5 || frames.size(1) != 3 || frames.size(2) < 1 ||
      (frames.size(2) - 1) % 4 != 0 || frames.size(3) < 1 || frames.size(4) < 1 ||
      frames.size(3) % s != 0 || frames.size(4) % s != 0)
    fail_bad_request(
        "frames must be [B, 3, F, H, W] with F = 4n+1 and H, W positive multiples of " +
        std::to_string(s) + ", got " + dims(frames));
  if (!frames.is_floating_point())
    fail_bad_request("frames must be floating point in [-1, 1], got " +
                     std::string(c10::toString(frames.scalar_type())));
  const int64_t H = frames.size(3), W = frames.size(4), chunks = 1 + (frames.size(2) - 1) / 4;
  Run run;
  run.progress = &progress;
  run.cancel = cancel;
  run.stage = "encode";
  if (!tiled(H, W)) {
    run.total = chunks;
    return encode_tile(frames, run);
  }
  const int64_t tile = options_.tile_size / s, overlap = options_.tile_overlap / s;
  const int64_t th = wan_vae_tile_length(H / s, tile, overlap);
  const int64_t tw = wan_vae_tile_length(W / s, tile, overlap);
  const auto ys = wan_vae_tile_starts(H / s, std::max(th, overlap + 1), overlap);
  const auto xs = wan_vae_tile_starts(W / s, std::max(tw, overlap + 1), overlap);
  run.total = chunks * int64_t(ys.size() * xs.size());
  at::Tensor sum, weight;
  for (int64_t y0 : ys)
    for (int64_t x0 : xs) {
      at::Tensor mu = encode_tile(frames.narrow(3, y0 * s, th * s).narrow(4, x0 * s, tw * s), run);
      if (!sum.defined()) {
        sum = at::zeros({mu.size(0), mu.size(1), mu.size(2), H / s, W / s}, mu.options());
        weight = at::zeros({1, 1, 1, H / s, W / s}, mu.options());
      }
      const at::Tensor w = (tile_ramp(th, overlap, y0 > 0, y0 + th < H / s).view({-1, 1}) *
                            tile_ramp(tw, overlap, x0 > 0, x0 + tw < W / s).view({1, -1}))
                               .to(mu.device())
                               .view({1, 1, 1, th, tw});
      sum.narrow(3, y0, th).narrow(4, x0, tw).add_(mu * w);
      weight.narrow(3, y0, th).narrow(4, x0, tw).add_(w);
    }
  return sum / weight;
}

at::Tensor WanVae::decode_raw(const at::Tensor& z, const ProgressFn& progress,
                              const CancelToken* cancel) const {
  if (z.dim() != 5 || z.size(1) != cfg_.z_dim || z.size(2) == 0 || z.size(3) == 0 || z.size(4) == 0)
    fail_bad_request("latent must be [B, " + std::to_string(cfg_.z_dim) +
                     ", T, h, w] with T, h, w > 0, got " + dims(z));
  const int64_t s = cfg_.spatial_stride(), h = z.size(3), w = z.size(4);
  Run run;
  run.progress = &progress;
  run.cancel = cancel;
  run.stage = "decode";
  const at::Tensor x =
      at::conv3d(z.to(options_.device, options_.dtype), model_->dec_top.w, model_->dec_top.b);
  if (!tiled(h * s, w * s)) {
    run.total = z.size(2);
    return decode_tile(x, run).clamp(-1, 1);
  }
  const int64_t tile = options_.tile_size / s, overlap = options_.tile_overlap / s;
  const int64_t th = wan_vae_tile_length(h, tile, overlap), tw = wan_vae_tile_length(w, tile, overlap);
  const auto ys = wan_vae_tile_starts(h, std::max(th, overlap + 1), overlap);
  const auto xs = wan_vae_tile_starts(w, std::max(tw, overlap + 1), overlap);
  run.total = z.size(2) * int64_t(ys.size() * xs.size());
  at::Tensor sum, weight;
  for (int64_t y0 : ys)
    for (int64_t x0 : xs) {
      at::Tensor v = decode_tile(x.narrow(3, y0, th).narrow(4, x0, tw), run);
      if (!sum.defined()) {
        sum = at::zeros({v.size(0), 3, v.size(2), h * s, w * s}, v.options());
        weight = at::zeros({1, 1, 1, h * s, w * s}, v.options());
      }
      const at::Tensor wt = (tile_ramp(th * s, overlap * s, y0 > 0, y0 + th < h).view({-1, 1}) *
                             tile_ramp(tw * s, overlap * s, x0 > 0, x0 + tw < w).view({1, -1}))
                                .to(v.device())
                                .view({1, 1, 1, th * s, tw * s});
      sum.narrow(3, y0 * s, th * s).narrow(4, x0 * s, tw * s).add_(v * wt);
      weight.narrow(3, y0 * s, th * s).narrow(4, x0 * s, tw * s).add_(wt);
    }
  return (sum / weight).clamp(-1, 1);
}

at::Tensor WanVae::encode(const at::Tensor& frames, const ProgressFn& progress,
                          const CancelToken* cancel) const {
  const at::Tensor mu = encode_raw(frames, progress, cancel);
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  return (mu - at::tensor(mean_, opts).to(mu.device()).view({1, -1, 1, 1, 1})) /
         at::tensor(std_, opts).to(mu.device()).view({1, -1, 1, 1, 1});
}

at::Tensor WanVae::decode(const at::Tensor& z, const ProgressFn& progress,
                          const CancelToken* cancel) const {
  if (z.dim() != 5 || z.size(1) != cfg_.z_dim)
    fail_bad_request("latent must be [B, " + std::to_string(cfg_.z_dim) +
                     ", T, h, w] with T, h, w > 0, got " + dims(z));
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(options_.device);
  const at::Tensor x = z.to(options_.device, at::kFloat);
  return decode_raw(x * at::tensor(std_, opts).view({1, -1, 1, 1, 1}) +
                        at::tensor(mean_, opts).view({1, -1, 1, 1, 1}),
                    progress, cancel);
}

std::unique_ptr<WanVae> wan_vae_load(const std::filesystem::path& model,
                                     const WanVaeOptions& options) {
  ModelFolder folder = model_folder_scan(model);
  if (folder.vae_files.empty())
    fail_unsupported(model.string() +
                     ": no VAE weights found (no .safetensors file with decoder.* tensors)");
  if (folder.vae_files.size() > 1)
    fail_unsupported(model.string() + ": several VAE files found (" +
                     folder.vae_files[0].filename().string() + ", " +
                     folder.vae_files[1].filename().string() + "); pass one file");
  const std::shared_ptr<const SafetensorsFile> file = SafetensorsFile::open(folder.vae_files[0]);
  std::vector<std::string> names;
  for (const TensorInfo& t : file->tensors()) names.push_back(t.name);
  const bool v22 = wan_vae_diffusers_wan22(names);
  WeightSet weights =
      WeightSet::open({file}, [v22](std::string_view n) { return wan_vae_internal_name(n, v22); });
  const std::string what = file->path().string();
  const WanVaeConfig cfg = wan_vae_config_from_shapes(weights.shapes(), what);
  const auto stats = wan_vae_file_latent_stats(file->metadata(), cfg.z_dim, what);
  return std::make_unique<WanVae>(cfg, weights, options, stats);
}

at::Tensor WanVaeDecoder::decode(const at::Tensor& z, const std::vector<float>& mean,
                                 const std::vector<float>& std, const ProgressFn& progress,
                                 const CancelToken* cancel) const {
  const int64_t zd = vae_->z_dim();
  if (mean.size() != std.size() || (!mean.empty() && int64_t(mean.size()) != zd))
    fail_bad_request("latent mean and std must have " + std::to_string(zd) + " values each, got " +
                     std::to_string(mean.size()) + " and " + std::to_string(std.size()));
  if (mean.empty()) return vae_->decode_raw(z, progress, cancel);
  if (z.dim() != 5 || z.size(1) != zd)
    fail_bad_request("latent must be [B, " + std::to_string(zd) +
                     ", T, h, w] with T, h, w > 0, got " + dims(z));
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor x = z.to(at::kFloat);
  return vae_->decode_raw(x * at::tensor(std, opts).to(x.device()).view({1, -1, 1, 1, 1}) +
                              at::tensor(mean, opts).to(x.device()).view({1, -1, 1, 1, 1}),
                          progress, cancel);
}

std::unique_ptr<WanVaeDecoder> wan_vae_decoder_load(const std::filesystem::path& model,
                                                    const WanVaeOptions& options) {
  return std::make_unique<WanVaeDecoder>(wan_vae_load(model, options));
}

}  // namespace kino::gen
