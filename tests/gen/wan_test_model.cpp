#include "wan_test_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>

#include "core/json.h"
#include "gen/tensor_io.h"

namespace kino::gen::testing {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

Json official_config_json(const WanDitConfig& cfg) {
  return Json{{"_class_name", "WanModel"},
              {"dim", cfg.dim},
              {"ffn_dim", cfg.ffn_dim},
              {"num_heads", cfg.num_heads},
              {"num_layers", cfg.num_layers},
              {"in_dim", cfg.in_dim},
              {"out_dim", cfg.out_dim},
              {"freq_dim", cfg.freq_dim},
              {"text_dim", cfg.text_dim},
              {"text_len", cfg.text_len},
              {"eps", cfg.eps},
              {"model_type", std::string(wan_model_type_name(cfg.model_type))}};
}

}  // namespace

WanDitConfig tiny_wan_config() {
  WanDitConfig cfg;
  cfg.dim = 64;
  cfg.num_heads = 4;
  cfg.num_layers = 2;
  cfg.ffn_dim = 128;
  cfg.text_dim = 32;
  cfg.freq_dim = 32;
  cfg.in_dim = 4;
  cfg.out_dim = 4;
  cfg.text_len = 24;
  return cfg;
}

at::Tensor test_randn(const std::vector<int64_t>& shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
}

std::vector<std::pair<std::string, at::Tensor>> random_wan_weights(const WanDitConfig& cfg,
                                                                   uint64_t seed) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  uint64_t n = 0;
  for (const auto& [name, shape] : wan_dit_expected_shapes(cfg)) {
    at::Tensor r = test_randn(shape, seed * 1000003 + ++n);
    if (ends_with(name, ".bias")) {
      r = r * 0.1;
    } else if (ends_with(name, "modulation")) {
      r = r * 0.3;
    } else if (shape.size() == 1) {  // norm weights
      r = 1 + r * 0.1;
    } else {
      int64_t fan_in = 1;
      for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
      r = r / std::sqrt(double(fan_in));
    }
    out.emplace_back(name, r.contiguous());
  }
  return out;
}

std::string diffusers_name(const std::string& official) {
  static const std::vector<std::pair<std::string, std::string>> top{
      {"time_embedding.0.", "condition_embedder.time_embedder.linear_1."},
      {"time_embedding.2.", "condition_embedder.time_embedder.linear_2."},
      {"time_projection.1.", "condition_embedder.time_proj."},
      {"text_embedding.0.", "condition_embedder.text_embedder.linear_1."},
      {"text_embedding.2.", "condition_embedder.text_embedder.linear_2."},
      {"head.head.", "proj_out."}};
  static const std::vector<std::pair<std::string, std::string>> block{
      {"self_attn.q.", "attn1.to_q."},
      {"self_attn.k.", "attn1.to_k."},
      {"self_attn.v.", "attn1.to_v."},
      {"self_attn.o.", "attn1.to_out.0."},
      {"self_attn.norm_", "attn1.norm_"},
      {"cross_attn.q.", "attn2.to_q."},
      {"cross_attn.k.", "attn2.to_k."},
      {"cross_attn.v.", "attn2.to_v."},
      {"cross_attn.o.", "attn2.to_out.0."},
      {"cross_attn.norm_", "attn2.norm_"},
      {"norm3.", "norm2."},
      {"ffn.0.", "ffn.net.0.proj."},
      {"ffn.2.", "ffn.net.2."}};
  if (official == "head.modulation") return "scale_shift_table";
  for (const auto& [o, d] : top)
    if (official.rfind(o, 0) == 0) return d + official.substr(o.size());
  if (official.rfind("blocks.", 0) == 0) {
    size_t dot = official.find('.', 7);
    std::string head = official.substr(0, dot + 1), rest = official.substr(dot + 1);
    if (rest == "modulation") return head + "scale_shift_table";
    for (const auto& [o, d] : block)
      if (rest.rfind(o, 0) == 0) return head + d + rest.substr(o.size());
  }
  return official;
}

fs::path write_wan_model(const fs::path& dir, const WanDitConfig& cfg, uint64_t seed,
                         TestLayout layout, at::ScalarType dtype) {
  fs::create_directories(dir);
  auto weights = random_wan_weights(cfg, seed);
  for (auto& [name, t] : weights) t = t.to(dtype);
  switch (layout) {
    case TestLayout::official: {
      write_text(dir / "config.json", official_config_json(cfg).dump(2));
      safetensors_write(dir / "diffusion_pytorch_model.safetensors", weights);
      return dir;
    }
    case TestLayout::official_shards: {
      write_text(dir / "config.json", official_config_json(cfg).dump(2));
      const size_t half = weights.size() / 2;
      std::vector<std::pair<std::string, at::Tensor>> a(weights.begin(), weights.begin() + half);
      std::vector<std::pair<std::string, at::Tensor>> b(weights.begin() + half, weights.end());
      const std::string fa = "diffusion_pytorch_model-00001-of-00002.safetensors";
      const std::string fb = "diffusion_pytorch_model-00002-of-00002.safetensors";
      safetensors_write(dir / fa, a);
      safetensors_write(dir / fb, b);
      Json map = Json::object();
      for (const auto& [n, t] : a) map[n] = fa;
      for (const auto& [n, t] : b) map[n] = fb;
      write_text(dir / "diffusion_pytorch_model.safetensors.index.json",
                 Json{{"metadata", Json::object()}, {"weight_map", map}}.dump());
      return dir;
    }
    case TestLayout::comfy: {
      for (auto& [name, t] : weights) name = "model.diffusion_model." + name;
      fs::path file = dir / "wan_dit.safetensors";
      safetensors_write(file, weights);
      return file;
    }
    case TestLayout::diffusers: {
      fs::create_directories(dir / "transformer");
      write_text(dir / "model_index.json", R"({"_class_name": "WanPipeline"})");
      Json c{{"_class_name", "WanTransformer3DModel"},
             {"num_attention_heads", cfg.num_heads},
             {"attention_head_dim", cfg.head_dim()},
             {"in_channels", cfg.in_dim},
             {"out_channels", cfg.out_dim},
             {"ffn_dim", cfg.ffn_dim},
             {"num_layers", cfg.num_layers},
             {"text_dim", cfg.text_dim},
             {"freq_dim", cfg.freq_dim},
             {"patch_size", {cfg.patch_size[0], cfg.patch_size[1], cfg.patch_size[2]}},
             {"eps", cfg.eps},
             {"text_len", cfg.text_len}};
      write_text(dir / "transformer" / "config.json", c.dump(2));
      for (auto& [name, t] : weights) name = diffusers_name(name);
      safetensors_write(dir / "transformer" / "diffusion_pytorch_model.safetensors", weights);
      return dir;
    }
  }
  return dir;
}

UMT5Config tiny_umt5_config() {
  UMT5Config c;
  c.vocab = 97;
  c.d_model = 32;
  c.num_heads = 4;
  c.d_kv = 8;
  c.d_ff = 48;
  c.num_layers = 2;
  return c;
}

fs::path write_umt5_model(const fs::path& dir, const UMT5Config& cfg, uint64_t seed,
                          bool official_names) {
  // HF name -> official Wan name, the test's own table (spec §5.4).
  static const std::vector<std::pair<std::string, std::string>> renames{
      {"layer.0.layer_norm.weight", "norm1.weight"},
      {"layer.0.SelfAttention.q.weight", "attn.q.weight"},
      {"layer.0.SelfAttention.k.weight", "attn.k.weight"},
      {"layer.0.SelfAttention.v.weight", "attn.v.weight"},
      {"layer.0.SelfAttention.o.weight", "attn.o.weight"},
      {"layer.0.SelfAttention.relative_attention_bias.weight", "pos_embedding.embedding.weight"},
      {"layer.1.layer_norm.weight", "norm2.weight"},
      {"layer.1.DenseReluDense.wi_0.weight", "ffn.gate.0.weight"},
      {"layer.1.DenseReluDense.wi_1.weight", "ffn.fc1.weight"},
      {"layer.1.DenseReluDense.wo.weight", "ffn.fc2.weight"}};
  fs::create_directories(dir);
  std::vector<std::pair<std::string, at::Tensor>> weights;
  uint64_t n = 0;
  for (const auto& [name, shape] : umt5_expected_shapes(cfg)) {
    at::Tensor r = test_randn(shape, seed * 7919 + ++n);
    if (ends_with(name, "layer_norm.weight")) {
      r = 1 + 0.1 * r;
    } else if (ends_with(name, "relative_attention_bias.weight")) {
      r = r * 0.5;
    } else if (name != "shared.weight") {
      r = r / std::sqrt(double(shape[1]));
    }
    std::string out = name;
    if (official_names) {
      if (name == "shared.weight") out = "token_embedding.weight";
      if (name == "encoder.final_layer_norm.weight") out = "norm.weight";
      if (name.rfind("encoder.block.", 0) == 0) {
        size_t dot = name.find('.', 14);
        std::string idx = name.substr(14, dot - 14), rest = name.substr(dot + 1);
        for (const auto& [hf, off] : renames)
          if (rest == hf) out = "blocks." + idx + "." + off;
      }
    }
    weights.emplace_back(out, r.contiguous());
  }
  const fs::path file = dir / "umt5.safetensors";
  safetensors_write(file, weights);
  return file;
}

fs::path write_wan_vae(const fs::path& dir, int64_t base, int64_t z, uint64_t seed) {
  WanVaeConfig cfg;
  cfg.base_dim = cfg.decoder_base_dim = base;
  cfg.z_dim = z;
  return write_wan_vae(dir, cfg, seed);
}

std::string diffusers_vae_name(const std::string& official, WanVaeVersion version) {
  static const std::vector<std::pair<std::string, std::string>> top{
      {"conv1.", "quant_conv."},
      {"conv2.", "post_quant_conv."},
      {"encoder.conv1.", "encoder.conv_in."},
      {"decoder.conv1.", "decoder.conv_in."},
      {"encoder.head.0.", "encoder.norm_out."},
      {"decoder.head.0.", "decoder.norm_out."},
      {"encoder.head.2.", "encoder.conv_out."},
      {"decoder.head.2.", "decoder.conv_out."},
      {"encoder.middle.0.", "encoder.mid_block.resnets.0."},
      {"encoder.middle.1.", "encoder.mid_block.attentions.0."},
      {"encoder.middle.2.", "encoder.mid_block.resnets.1."},
      {"decoder.middle.0.", "decoder.mid_block.resnets.0."},
      {"decoder.middle.1.", "decoder.mid_block.attentions.0."},
      {"decoder.middle.2.", "decoder.mid_block.resnets.1."}};
  static const std::vector<std::pair<std::string, std::string>> resnet{
      {"residual.0.", "norm1."},
      {"residual.2.", "conv1."},
      {"residual.3.", "norm2."},
      {"residual.6.", "conv2."},
      {"shortcut.", "conv_shortcut."}};
  std::string head, rest;
  for (const auto& [o, d] : top)
    if (official.rfind(o, 0) == 0) {
      head = d;
      rest = official.substr(o.size());
    }
  // Block indices: Wan2.1 is flat (encoder.downsamples.N, decoder.upsamples.N = level 4b + j),
  // Wan2.2 nests them (encoder.downsamples.i.downsamples.j).
  static const std::regex enc(R"(^encoder\.downsamples\.(\d+)\.(downsamples\.(\d+)\.)?(.*)$)");
  static const std::regex dec(R"(^decoder\.upsamples\.(\d+)\.(upsamples\.(\d+)\.)?(.*)$)");
  const bool v21 = version == WanVaeVersion::wan21;
  std::smatch m;
  if (!head.empty()) {
  } else if (std::regex_match(official, m, enc)) {
    const int i = std::stoi(m[1].str()), j = m[3].matched ? std::stoi(m[3].str()) : 0;
    head = "encoder.down_blocks." + std::to_string(i) +
           (v21      ? "."
            : j == 2 ? ".downsampler."
                     : ".resnets." + std::to_string(j) + ".");
    rest = m[4].str();
  } else if (std::regex_match(official, m, dec)) {
    const int a = std::stoi(m[1].str()), b = m[3].matched ? std::stoi(m[3].str()) : 0;
    const int level = v21 ? a / 4 : a, j = v21 ? a % 4 : b;
    head =
        "decoder.up_blocks." + std::to_string(level) +
        (j == 3 ? (v21 ? ".upsamplers.0." : ".upsampler.") : ".resnets." + std::to_string(j) + ".");
    rest = m[4].str();
  } else {
    return official;
  }
  for (const auto& [o, d] : resnet)
    if (rest.rfind(o, 0) == 0) return head + d + rest.substr(o.size());
  return head + rest;
}

fs::path write_wan_vae(const fs::path& dir, const WanVaeConfig& cfg, uint64_t seed,
                       bool diffusers_names) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, at::Tensor>> weights;
  uint64_t n = 0;
  for (const auto& [name, shape] : wan_vae_expected_shapes(cfg)) {
    at::Tensor r = test_randn(shape, seed * 104729 + ++n);
    if (ends_with(name, ".gamma")) {
      r = 1 + 0.1 * r;
    } else if (ends_with(name, ".bias")) {
      r = 0.05 * r;
    } else {
      int64_t fan_in = 1;
      for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
      r = r / std::sqrt(double(fan_in));
    }
    weights.emplace_back(diffusers_names ? diffusers_vae_name(name, cfg.version) : name,
                         r.contiguous());
  }
  const fs::path file = dir / "vae.safetensors";
  safetensors_write(file, weights);
  return file;
}

// A small SentencePiece unigram model with the umT5 special ids (pad 0, eos 1, bos 2, unk 3),
// written as its protobuf (ModelProto: pieces = 1, trainer_spec = 2, normalizer_spec = 3).
namespace {

std::string varint(uint64_t n) {
  std::string out;
  do {
    out += char((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
  } while (n);
  return out;
}
std::string field_bytes(int f, const std::string& b) {
  return varint(uint64_t(f) << 3 | 2) + varint(b.size()) + b;
}
std::string field_int(int f, uint64_t v) {
  return varint(uint64_t(f) << 3) + varint(v);
}
std::string field_float(int f, float v) {
  std::string b(4, '\0');
  std::memcpy(b.data(), &v, 4);
  return varint(uint64_t(f) << 3 | 5) + b;
}

}  // namespace

std::string tiny_spm_model() {
  struct Piece {
    std::string text;
    float score;
    int type;  // 1 normal, 2 unknown, 3 control
  };
  std::vector<Piece> pieces{{"<pad>", 0, 3}, {"</s>", 0, 3}, {"<s>", 0, 3}, {"<unk>", 0, 2}};
  const char* words[] = {"\u2581a", "\u2581fox", "\u2581red", "\u2581at", "\u2581dawn", "\u2581",
                         "a",       "f",         "o",         "x",        "r",          "e",
                         "d",       "t",         "w",         "n"};
  for (size_t i = 0; i < std::size(words); ++i) pieces.push_back({words[i], -1.0f - 0.1f * i, 1});
  std::string m;
  for (const auto& p : pieces)
    m += field_bytes(1, field_bytes(1, p.text) + field_float(2, p.score) + field_int(3, p.type));
  m += field_bytes(2, field_int(3, 1) + field_int(4, pieces.size()) + field_int(40, 3) +
                          field_int(41, 2) + field_int(42, 1) + field_int(43, 0));
  m += field_bytes(
      3, field_bytes(1, "identity") + field_int(3, 1) + field_int(4, 1) + field_int(5, 1));
  return m;
}

}  // namespace kino::gen::testing
