#include "gen/wan_vae_config.h"

#include <regex>

#include "core/error.h"
#include "gen/safetensors_file.h"

namespace kino::gen {
namespace {

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  fail_unsupported(std::string(what) + ": " + problem);
}

constexpr int64_t kDimMult[] = {1, 2, 4, 4};
constexpr int64_t kResBlocks = 2;                          // per encoder level; decoder: + 1
constexpr bool kTemporalDown[] = {false, true, true};      // per encoder level 0..2
constexpr int64_t kLevels = int64_t(std::size(kDimMult));  // 4

void res_shapes(ShapeMap& m, const WanVaeResBlockPlan& r) {
  const std::string& p = r.prefix;
  m[p + "residual.0.gamma"] = {r.in, 1, 1, 1};
  m[p + "residual.2.weight"] = {r.out, r.in, 3, 3, 3};
  m[p + "residual.2.bias"] = {r.out};
  m[p + "residual.3.gamma"] = {r.out, 1, 1, 1};
  m[p + "residual.6.weight"] = {r.out, r.out, 3, 3, 3};
  m[p + "residual.6.bias"] = {r.out};
  if (r.in != r.out) {
    m[p + "shortcut.weight"] = {r.out, r.in, 1, 1, 1};
    m[p + "shortcut.bias"] = {r.out};
  }
}

void half_shapes(ShapeMap& m, const WanVaeHalfPlan& h) {
  const std::string& p = h.prefix;
  m[p + "conv1.weight"] = {h.first, h.in, 3, 3, 3};
  m[p + "conv1.bias"] = {h.first};
  auto middle = [&] {
    const int64_t c = h.middle;
    res_shapes(m, {p + "middle.0.", c, c});
    m[p + "middle.1.norm.gamma"] = {c, 1, 1};
    m[p + "middle.1.to_qkv.weight"] = {3 * c, c, 1, 1};
    m[p + "middle.1.to_qkv.bias"] = {3 * c};
    m[p + "middle.1.proj.weight"] = {c, c, 1, 1};
    m[p + "middle.1.proj.bias"] = {c};
    res_shapes(m, {p + "middle.2.", c, c});
  };
  if (p == "decoder.") middle();
  for (const WanVaeLevelPlan& l : h.levels) {
    for (const auto& r : l.res) res_shapes(m, r);
    if (l.resample == WanVaeResample::none) continue;
    const std::string& q = l.resample_prefix;
    if (l.resample == WanVaeResample::down3d) {
      m[q + "time_conv.weight"] = {l.resample_in, l.resample_in, 3, 1, 1};
      m[q + "time_conv.bias"] = {l.resample_in};
    } else if (l.resample == WanVaeResample::up3d) {
      m[q + "time_conv.weight"] = {2 * l.resample_in, l.resample_in, 3, 1, 1};
      m[q + "time_conv.bias"] = {2 * l.resample_in};
    }
    m[q + "resample.1.weight"] = {l.resample_out, l.resample_in, 3, 3};
    m[q + "resample.1.bias"] = {l.resample_out};
  }
  if (p == "encoder.") middle();
  m[p + "head.0.gamma"] = {h.last, 1, 1, 1};
  m[p + "head.2.weight"] = {h.out, h.last, 3, 3, 3};
  m[p + "head.2.bias"] = {h.out};
}

bool has_prefix(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

}  // namespace

std::string_view wan_vae_version_name(WanVaeVersion version) {
  return version == WanVaeVersion::wan22 ? "wan2.2" : "wan2.1";
}

std::string WanVaeConfig::summary() const {
  std::string s = std::string(version == WanVaeVersion::wan22 ? "Wan2.2" : "Wan2.1") + " VAE z " +
                  std::to_string(z_dim);
  if (encoder) s += ", base dim " + std::to_string(base_dim);
  if (!encoder || decoder_base_dim != base_dim)
    s += ", decoder dim " + std::to_string(decoder_base_dim);
  if (!encoder) s += " (decoder only)";
  return s;
}

WanVaeConfig wan21_vae_config() {
  return WanVaeConfig{};
}

WanVaeConfig wan22_vae_config() {
  WanVaeConfig c;
  c.version = WanVaeVersion::wan22;
  c.z_dim = 48;
  c.base_dim = 160;
  c.decoder_base_dim = 256;
  return c;
}

WanVaeHalfPlan wan_vae_encoder_plan(const WanVaeConfig& cfg) {
  const bool v22 = cfg.version == WanVaeVersion::wan22;
  const int64_t d = cfg.base_dim;
  WanVaeHalfPlan h;
  h.prefix = "encoder.";
  h.in = cfg.pixel_channels();
  h.first = d;
  h.middle = h.last = d * kDimMult[kLevels - 1];
  h.out = 2 * cfg.z_dim;
  int64_t index = 0;  // Wan2.1: one flat `downsamples` list
  for (int64_t i = 0; i < kLevels; ++i) {
    const int64_t in = d * (i == 0 ? 1 : kDimMult[i - 1]), out = d * kDimMult[i];
    const bool down = i != kLevels - 1, temporal = i < 3 && kTemporalDown[i];
    WanVaeLevelPlan l;
    auto name = [&](int64_t j) {
      return v22 ? "encoder.downsamples." + std::to_string(i) + ".downsamples." +
                       std::to_string(j) + "."
                 : "encoder.downsamples." + std::to_string(index++) + ".";
    };
    for (int64_t j = 0; j < kResBlocks; ++j) l.res.push_back({name(j), j == 0 ? in : out, out});
    if (down) {
      l.resample = temporal ? WanVaeResample::down3d : WanVaeResample::down2d;
      l.resample_prefix = name(kResBlocks);
      l.resample_in = l.resample_out = out;
    }
    if (v22) {
      l.shortcut = true;
      l.shortcut_in = in;
      l.shortcut_out = out;
      l.shortcut_t = temporal ? 2 : 1;
      l.shortcut_s = down ? 2 : 1;
    }
    h.levels.push_back(std::move(l));
  }
  return h;
}

WanVaeHalfPlan wan_vae_decoder_plan(const WanVaeConfig& cfg) {
  const bool v22 = cfg.version == WanVaeVersion::wan22;
  const int64_t d = cfg.decoder_base_dim;
  WanVaeHalfPlan h;
  h.prefix = "decoder.";
  h.in = cfg.z_dim;
  h.first = h.middle = d * kDimMult[kLevels - 1];
  h.last = d * kDimMult[0];
  h.out = cfg.pixel_channels();
  int64_t index = 0;
  for (int64_t i = 0; i < kLevels; ++i) {
    // Levels run the encoder's in reverse: dims d x [4, 4, 4, 2, 1] pairwise.
    const int64_t in = d * kDimMult[kLevels - std::max<int64_t>(i, 1)],
                  out = d * kDimMult[kLevels - 1 - i];
    const bool up = i != kLevels - 1, temporal = i < 3 && kTemporalDown[2 - i];
    // Wan2.1 upsamplers halve the channels, so levels 1.. start at half their input width.
    const int64_t first_in = (!v22 && i > 0) ? in / 2 : in;
    WanVaeLevelPlan l;
    auto name = [&](int64_t j) {
      return v22 ? "decoder.upsamples." + std::to_string(i) + ".upsamples." + std::to_string(j) +
                       "."
                 : "decoder.upsamples." + std::to_string(index++) + ".";
    };
    for (int64_t j = 0; j <= kResBlocks; ++j)
      l.res.push_back({name(j), j == 0 ? first_in : out, out});
    if (up) {
      l.resample = temporal ? WanVaeResample::up3d : WanVaeResample::up2d;
      l.resample_prefix = name(kResBlocks + 1);
      l.resample_in = out;
      l.resample_out = v22 ? out : out / 2;
    }
    if (v22 && up) {
      l.shortcut = true;
      l.shortcut_in = in;
      l.shortcut_out = out;
      l.shortcut_t = temporal ? 2 : 1;
      l.shortcut_s = 2;
    }
    h.levels.push_back(std::move(l));
  }
  return h;
}

ShapeMap wan_vae_expected_shapes(const WanVaeConfig& cfg) {
  const int64_t z = cfg.z_dim;
  ShapeMap m;
  if (cfg.encoder) {
    half_shapes(m, wan_vae_encoder_plan(cfg));
    m["conv1.weight"] = {2 * z, 2 * z, 1, 1, 1};
    m["conv1.bias"] = {2 * z};
  }
  m["conv2.weight"] = {z, z, 1, 1, 1};
  m["conv2.bias"] = {z};
  half_shapes(m, wan_vae_decoder_plan(cfg));
  return m;
}

WanVaeConfig wan_vae_config_from_shapes(const ShapeMap& shapes, std::string_view what) {
  auto find5 = [&](const std::string& name) -> const std::vector<int64_t>* {
    auto it = shapes.find(name);
    if (it == shapes.end()) return nullptr;
    if (it->second.size() != 5)
      bad(what, "tensor " + name + " has shape " + shape_string(it->second) +
                    ", expected a 5-d convolution weight");
    return &it->second;
  };
  const auto* conv2 = find5("conv2.weight");
  const auto* head = find5("decoder.head.2.weight");
  if (!conv2 || !head)
    bad(what, "not a Wan VAE: conv2.weight and decoder.head.2.weight are needed");
  WanVaeConfig cfg;
  cfg.z_dim = (*conv2)[0];
  cfg.decoder_base_dim = (*head)[1];
  const int64_t out = (*head)[0];
  if (out == 3) {
    cfg.version = WanVaeVersion::wan21;
  } else if (out == 12) {
    cfg.version = WanVaeVersion::wan22;
  } else {
    bad(what, "decoder.head.2.weight writes " + std::to_string(out) +
                  " channels; 3 (Wan2.1) or 12 (Wan2.2, 2x2 pixel patches) expected");
  }
  cfg.encoder = false;
  for (const auto& [name, shape] : shapes)
    if (has_prefix(name, "encoder.")) cfg.encoder = true;
  cfg.base_dim = cfg.decoder_base_dim;
  if (cfg.encoder) {
    const auto* conv1 = find5("encoder.conv1.weight");
    if (!conv1) bad(what, "encoder tensors present but encoder.conv1.weight is missing");
    if ((*conv1)[1] != cfg.pixel_channels())
      bad(what, "encoder.conv1.weight reads " + std::to_string((*conv1)[1]) +
                    " channels but decoder.head.2.weight writes " + std::to_string(out) +
                    "; a Wan VAE reads what it writes (3 for Wan2.1, 12 for Wan2.2)");
    cfg.base_dim = (*conv1)[0];
  }
  if (cfg.z_dim < 1 || cfg.base_dim < 1 || cfg.decoder_base_dim < 1)
    bad(what, "conv2.weight and the conv1/head widths must be positive, got " + cfg.summary());
  if (cfg.version == WanVaeVersion::wan22) {
    // The level shortcuts regroup channels: AvgDown3D needs in x factor % out == 0 and DupUp3D
    // out x factor % in == 0 for every level.
    for (const auto& plan : {wan_vae_encoder_plan(cfg), wan_vae_decoder_plan(cfg)})
      for (const auto& l : plan.levels) {
        if (!l.shortcut || (plan.prefix == "encoder." && !cfg.encoder)) continue;
        const int64_t f = l.shortcut_t * l.shortcut_s * l.shortcut_s;
        const bool ok = plan.prefix == "encoder." ? (l.shortcut_in * f) % l.shortcut_out == 0
                                                  : (l.shortcut_out * f) % l.shortcut_in == 0;
        if (!ok) bad(what, cfg.summary() + " has level widths the shortcuts cannot regroup");
      }
  }
  for (const auto& [name, shape] : wan_vae_expected_shapes(cfg)) {
    auto it = shapes.find(name);
    if (it == shapes.end())
      bad(what, "not a complete " + cfg.summary() + ": tensor " + name + " is missing");
    if (it->second != shape)
      bad(what, "tensor " + name + " has shape " + shape_string(it->second) + ", expected " +
                    shape_string(shape) + " for " + cfg.summary());
  }
  return cfg;
}

bool wan_vae_diffusers_wan22(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (has_prefix(n, "encoder.down_blocks.0.resnets.") ||
        has_prefix(n, "decoder.up_blocks.0.upsampler."))
      return true;
  return false;
}

std::string wan_vae_internal_name(std::string_view name_view, bool diffusers_wan22) {
  const std::string name(name_view);
  static const std::vector<std::pair<std::string, std::string>> top{
      {"quant_conv.", "conv1."},
      {"post_quant_conv.", "conv2."},
      {"encoder.conv_in.", "encoder.conv1."},
      {"decoder.conv_in.", "decoder.conv1."},
      {"encoder.norm_out.", "encoder.head.0."},
      {"decoder.norm_out.", "decoder.head.0."},
      {"encoder.conv_out.", "encoder.head.2."},
      {"decoder.conv_out.", "decoder.head.2."},
      {"encoder.mid_block.attentions.0.", "encoder.middle.1."},
      {"decoder.mid_block.attentions.0.", "decoder.middle.1."},
      {"encoder.mid_block.resnets.0.", "encoder.middle.0."},
      {"encoder.mid_block.resnets.1.", "encoder.middle.2."},
      {"decoder.mid_block.resnets.0.", "decoder.middle.0."},
      {"decoder.mid_block.resnets.1.", "decoder.middle.2."}};
  static const std::vector<std::pair<std::string, std::string>> resnet{
      {"norm1.", "residual.0."},
      {"conv1.", "residual.2."},
      {"norm2.", "residual.3."},
      {"conv2.", "residual.6."},
      {"conv_shortcut.", "shortcut."}};
  // Block prefixes: Wan2.2 nests resnets and one resampler per level; Wan2.1's encoder is flat
  // and its decoder groups 3 resnets + 1 upsampler per level (official index 4 b + r).
  static const std::regex enc22(R"(^encoder\.down_blocks\.(\d+)\.(resnets\.(\d+)|downsampler)\.)");
  static const std::regex enc21(R"(^encoder\.down_blocks\.(\d+)\.)");
  static const std::regex dec22(R"(^decoder\.up_blocks\.(\d+)\.(resnets\.(\d+)|upsampler)\.)");
  static const std::regex dec21(R"(^decoder\.up_blocks\.(\d+)\.(resnets\.(\d+)|upsamplers\.0)\.)");
  std::string prefix, rest;
  std::smatch m;
  for (const auto& [d, o] : top)
    if (has_prefix(name, d)) {
      prefix = o;
      rest = name.substr(d.size());
    }
  if (prefix.empty()) {
    if (diffusers_wan22 && std::regex_search(name, m, enc22)) {
      prefix = "encoder.downsamples." + m[1].str() + ".downsamples." +
               (m[3].matched ? m[3].str() : std::to_string(kResBlocks)) + ".";
    } else if (!diffusers_wan22 && std::regex_search(name, m, enc21)) {
      prefix = "encoder.downsamples." + m[1].str() + ".";
    } else if (!diffusers_wan22 && std::regex_search(name, m, dec21)) {
      const int64_t b = std::stoll(m[1].str());
      const int64_t r = m[3].matched ? std::stoll(m[3].str()) : kResBlocks + 1;
      prefix = "decoder.upsamples." + std::to_string(4 * b + r) + ".";
    } else if (diffusers_wan22 && std::regex_search(name, m, dec22)) {
      prefix = "decoder.upsamples." + m[1].str() + ".upsamples." +
               (m[3].matched ? m[3].str() : std::to_string(kResBlocks + 1)) + ".";
    } else {
      return name;
    }
    rest = name.substr(size_t(m.length(0)));
  }
  for (const auto& [d, o] : resnet)
    if (has_prefix(rest, d)) return prefix + o + rest.substr(d.size());
  return prefix + rest;
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

const std::vector<float>& wan22_latent_mean() {
  static const std::vector<float> v{
      -0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174,  0.1838,  0.1557,  -0.1382, 0.0542,
      0.2813,  0.0891,  0.1570,  -0.0098, 0.0375,  -0.1825, -0.2246, -0.1207, -0.0698, 0.5109,
      0.2665,  -0.2108, -0.2158, 0.2502,  -0.2055, -0.0322, 0.1109,  0.1567,  -0.0729, 0.0899,
      -0.2799, -0.1230, -0.0313, -0.1649, 0.0117,  0.0723,  -0.2839, -0.2083, -0.0520, 0.3748,
      0.0152,  0.1957,  0.1433,  -0.2944, 0.3573,  -0.0548, -0.1681, -0.0667};
  return v;
}

const std::vector<float>& wan22_latent_std() {
  static const std::vector<float> v{0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013,
                                    0.8158, 1.0344, 0.5894, 1.0901, 0.6885, 0.6165, 0.8454, 0.4978,
                                    0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
                                    0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093,
                                    0.5709, 0.6065, 0.6415, 0.4944, 0.5726, 1.2042, 0.5458, 1.6887,
                                    0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744};
  return v;
}

std::vector<float> wan_vae_latent_mean(const WanVaeConfig& cfg) {
  if (cfg.version == WanVaeVersion::wan21 && cfg.z_dim == 16) return wan21_latent_mean();
  if (cfg.version == WanVaeVersion::wan22 && cfg.z_dim == 48) return wan22_latent_mean();
  return std::vector<float>(size_t(cfg.z_dim), 0.0f);
}

std::vector<float> wan_vae_latent_std(const WanVaeConfig& cfg) {
  if (cfg.version == WanVaeVersion::wan21 && cfg.z_dim == 16) return wan21_latent_std();
  if (cfg.version == WanVaeVersion::wan22 && cfg.z_dim == 48) return wan22_latent_std();
  return std::vector<float>(size_t(cfg.z_dim), 1.0f);
}

}  // namespace kino::gen
