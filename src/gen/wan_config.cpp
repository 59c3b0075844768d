#include "gen/wan_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "core/error.h"
#include "gen/safetensors_file.h"
#include "gen/wan_names.h"

namespace kino::gen {
namespace {

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  fail_unsupported(std::string(what) + ": " + problem);
}

const std::vector<int64_t>& need(const ShapeMap& shapes, const std::string& name, size_t rank,
                                 std::string_view what) {
  auto it = shapes.find(name);
  if (it == shapes.end()) bad(what, "not a complete Wan DiT: tensor " + name + " is missing");
  if (it->second.size() != rank)
    bad(what, "tensor " + name + " has shape " + shape_string(it->second) + ", expected rank " +
                  std::to_string(rank));
  return it->second;
}

// Number of transformer blocks: highest N in "blocks.N." plus one.
int64_t count_blocks(const ShapeMap& shapes, std::string_view prefix) {
  int64_t n = 0;
  for (const auto& [name, shape] : shapes) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    size_t i = prefix.size();
    int64_t v = 0;
    bool digits = false;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && v < 100000) {
      v = v * 10 + (name[i] - '0');
      ++i;
      digits = true;
    }
    if (digits && i < name.size() && name[i] == '.') n = std::max(n, v + 1);
  }
  return n;
}

void check_field(std::string_view what, const char* field, int64_t json_value, int64_t shape_value,
                 const std::string& source) {
  if (json_value != shape_value)
    bad(what, std::string(field) + " is " + std::to_string(json_value) + " but the weights have " +
                  std::to_string(shape_value) + " (" + source + ")");
}

}  // namespace

std::string_view wan_model_type_name(WanModelType type) {
  switch (type) {
    case WanModelType::t2v: return "t2v";
    case WanModelType::ti2v: return "ti2v";
    case WanModelType::i2v: return "i2v";
    case WanModelType::flf2v: return "flf2v";
  }
  return "t2v";
}

std::optional<WanModelType> wan_model_type_parse(std::string_view name) {
  for (auto t : {WanModelType::t2v, WanModelType::ti2v, WanModelType::i2v, WanModelType::flf2v})
    if (wan_model_type_name(t) == name) return t;
  return std::nullopt;
}

std::string WanDitConfig::summary() const {
  std::string s = std::string(wan_model_type_name(model_type)) + " dim " + std::to_string(dim) +
                  ", " + std::to_string(num_heads) + " heads x " + std::to_string(head_dim()) +
                  ", " + std::to_string(num_layers) + " layers, ffn " + std::to_string(ffn_dim) +
                  ", in " + std::to_string(in_dim) + ", out " + std::to_string(out_dim) +
                  ", text " + std::to_string(text_dim) + ", patch " +
                  std::to_string(patch_size[0]) + "x" + std::to_string(patch_size[1]) + "x" +
                  std::to_string(patch_size[2]);
  if (has_image_branch()) s += ", image " + std::to_string(image_dim);
  return s;
}

WanDitConfig wan_dit_config_from_shapes(const ShapeMap& shapes, std::string_view what) {
  if (!shapes.count("head.modulation"))
    bad(what, "not a Wan DiT: no head.modulation tensor (nor scale_shift_table) found");
  if (count_blocks(shapes, "vace_blocks.") > 0)
    bad(what, "Wan VACE models (vace_blocks.*) are not supported");
  WanDitConfig cfg;
  const auto& mod = need(shapes, "head.modulation", 3, what);
  if (mod[0] != 1 || mod[1] != 2 || mod[2] <= 0)
    bad(what, "head.modulation has shape " + shape_string(mod) + ", expected [1, 2, dim]");
  cfg.dim = mod[2];

  const auto& pe = need(shapes, "patch_embedding.weight", 5, what);
  if (pe[0] != cfg.dim)
    bad(what, "patch_embedding.weight has shape " + shape_string(pe) +
                  ", its first size must be dim " + std::to_string(cfg.dim));
  cfg.in_dim = pe[1];
  cfg.patch_size = {pe[2], pe[3], pe[4]};
  const int64_t patch_volume = pe[2] * pe[3] * pe[4];
  if (patch_volume <= 0 || cfg.in_dim <= 0)
    bad(what, "patch_embedding.weight has an empty shape " + shape_string(pe));

  const auto& hh = need(shapes, "head.head.weight", 2, what);
  if (hh[0] % patch_volume != 0 || hh[0] == 0)
    bad(what, "head.head.weight has shape " + shape_string(hh) + ": " + std::to_string(hh[0]) +
                  " outputs are not a multiple of the patch volume " +
                  std::to_string(patch_volume));
  cfg.out_dim = hh[0] / patch_volume;

  cfg.ffn_dim = need(shapes, "blocks.0.ffn.0.weight", 2, what)[0];
  cfg.text_dim = need(shapes, "text_embedding.0.weight", 2, what)[1];
  cfg.freq_dim = need(shapes, "time_embedding.0.weight", 2, what)[1];
  cfg.num_layers = count_blocks(shapes, "blocks.");

  if (shapes.count("img_emb.proj.0.weight")) {
    cfg.image_dim = need(shapes, "img_emb.proj.0.weight", 1, what)[0];
    cfg.model_type = shapes.count("img_emb.emb_pos") ? WanModelType::flf2v : WanModelType::i2v;
  } else if (cfg.out_dim == 48) {
    cfg.model_type = WanModelType::ti2v;
  } else if (cfg.in_dim > cfg.out_dim) {
    cfg.model_type = WanModelType::i2v;
  }
  if (cfg.freq_dim % 2 != 0)
    bad(what, "time_embedding.0.weight has shape " +
                  shape_string(shapes.at("time_embedding.0.weight")) + ": the sinusoid width " +
                  std::to_string(cfg.freq_dim) + " must be even");
  cfg.num_heads = cfg.dim % 128 == 0 ? cfg.dim / 128 : 0;

  const ShapeMap expected = wan_dit_expected_shapes(cfg);
  for (const auto& [name, shape] : expected) {
    auto it = shapes.find(name);
    if (it == shapes.end())
      bad(what, "not a complete Wan DiT (" + cfg.summary() + "): tensor " + name + " is missing");
    if (it->second != shape)
      bad(what, "tensor " + name + " has shape " + shape_string(it->second) + ", expected " +
                    shape_string(shape) + " for " + cfg.summary());
  }
  return cfg;
}

void wan_dit_config_check_json(WanDitConfig& cfg, const Json& config, std::string_view what) {
  if (!config.is_object()) bad(what, "config.json must hold a JSON object");
  const std::string where = std::string(what) + "/config.json";
  try {
    const bool diffusers = config.contains("num_attention_heads") ||
                           config.contains("in_channels") || config.contains("attention_head_dim");
    auto check = [&](const char* key, const char* field, int64_t shape_value,
                     const std::string& source) {
      if (config.contains(key) && !config[key].is_null())
        check_field(where, field, json_require_int(config, key, where), shape_value, source);
    };
    check("num_layers", "num_layers", cfg.num_layers, "blocks counted");
    check("ffn_dim", "ffn_dim", cfg.ffn_dim, "blocks.0.ffn.0.weight");
    check("freq_dim", "freq_dim", cfg.freq_dim, "time_embedding.0.weight");
    check("text_dim", "text_dim", cfg.text_dim, "text_embedding.0.weight");
    if (diffusers) {
      check("in_channels", "in_channels", cfg.in_dim, "patch_embedding.weight");
      check("out_channels", "out_channels", cfg.out_dim, "head.head.weight");
      check("image_dim", "image_dim", cfg.image_dim, "img_emb.proj.0.weight");
      int64_t heads = json_int(config, "num_attention_heads", where, 0);
      int64_t head_dim = json_int(config, "attention_head_dim", where, 0);
      if (heads > 0 && head_dim > 0)
        check_field(where, "num_attention_heads x attention_head_dim", heads * head_dim, cfg.dim,
                    "head.modulation");
      if (heads > 0) cfg.num_heads = heads;
    } else {
      check("dim", "dim", cfg.dim, "head.modulation");
      check("in_dim", "in_dim", cfg.in_dim, "patch_embedding.weight");
      check("out_dim", "out_dim", cfg.out_dim, "head.head.weight");
      int64_t heads = json_int(config, "num_heads", where, 0);
      if (heads > 0) cfg.num_heads = heads;
    }
    if (config.contains("patch_size") && config["patch_size"].is_array()) {
      const auto& p = config["patch_size"];
      if (p.size() != 3)
        bad(where, "patch_size must have 3 entries (t, h, w), got " + json_brief(p));
      for (size_t i = 0; i < 3; ++i) {
        if (!p[i].is_number_integer())
          bad(where, "patch_size entries must be integers, got " + json_brief(p));
        check_field(where, "patch_size", p[i].get<int64_t>(), cfg.patch_size[i],
                    "patch_embedding.weight");
      }
    }
    cfg.text_len = json_int(config, "text_len", where, cfg.text_len);
    if (cfg.text_len <= 0 || cfg.text_len > 4096)
      bad(where, "text_len must be in 1..4096, got " + std::to_string(cfg.text_len));
    cfg.eps = json_number(config, "eps", where, cfg.eps);
    if (!(cfg.eps > 0 && cfg.eps < 1))
      bad(where, "eps must be in (0, 1), got " + std::to_string(cfg.eps));
    std::string type = json_string(config, "model_type", where, "");
    if (!type.empty()) {
      auto parsed = wan_model_type_parse(type);
      if (!parsed) bad(where, "model_type must be t2v, ti2v, i2v or flf2v, got \"" + type + "\"");
      const bool shapes_flf2v = cfg.model_type == WanModelType::flf2v;
      if (cfg.has_image_branch() && *parsed != WanModelType::i2v && *parsed != WanModelType::flf2v)
        bad(where, "model_type is " + type + " but the weights carry an image branch (img_emb)");
      if (shapes_flf2v != (*parsed == WanModelType::flf2v) && cfg.has_image_branch())
        bad(where, "model_type is " + type + " but the weights say " +
                       std::string(wan_model_type_name(cfg.model_type)) + " (img_emb.emb_pos)");
      cfg.model_type = *parsed;
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::unsupported) throw;
    bad(where, e.what());
  }
  wan_dit_config_validate(cfg, what);
}

void wan_dit_config_validate(const WanDitConfig& cfg, std::string_view what) {
  if (cfg.num_heads <= 0)
    bad(what, "num_heads cannot be read from shapes when dim " + std::to_string(cfg.dim) +
                  " is not a multiple of 128; config.json must give num_heads");
  if (cfg.dim % cfg.num_heads != 0)
    bad(what, "dim " + std::to_string(cfg.dim) + " is not divisible by num_heads " +
                  std::to_string(cfg.num_heads));
  const int64_t d = cfg.head_dim();
  if (d % 2 != 0 || d < 6)
    bad(what, "head_dim " + std::to_string(d) +
                  " must be even and at least 6 for the 3D rotary embedding");
}

ShapeMap wan_dit_expected_shapes(const WanDitConfig& cfg) {
  const int64_t dim = cfg.dim;
  ShapeMap m;
  auto linear = [&](const std::string& name, int64_t out, int64_t in) {
    m[name + ".weight"] = {out, in};
    m[name + ".bias"] = {out};
  };
  m["patch_embedding.weight"] = {dim, cfg.in_dim, cfg.patch_size[0], cfg.patch_size[1],
                                 cfg.patch_size[2]};
  m["patch_embedding.bias"] = {dim};
  linear("text_embedding.0", dim, cfg.text_dim);
  linear("text_embedding.2", dim, dim);
  linear("time_embedding.0", dim, cfg.freq_dim);
  linear("time_embedding.2", dim, dim);
  linear("time_projection.1", 6 * dim, dim);
  for (int64_t i = 0; i < cfg.num_layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    m[b + "modulation"] = {1, 6, dim};
    for (const char* attn : {"self_attn", "cross_attn"}) {
      for (const char* p : {"q", "k", "v", "o"}) linear(b + attn + "." + p, dim, dim);
      m[b + attn + ".norm_q.weight"] = {dim};
      m[b + attn + ".norm_k.weight"] = {dim};
    }
    if (cfg.has_image_branch()) {
      linear(b + "cross_attn.k_img", dim, dim);
      linear(b + "cross_attn.v_img", dim, dim);
      m[b + "cross_attn.norm_k_img.weight"] = {dim};
    }
    m[b + "norm3.weight"] = {dim};
    m[b + "norm3.bias"] = {dim};
    linear(b + "ffn.0", cfg.ffn_dim, dim);
    linear(b + "ffn.2", dim, cfg.ffn_dim);
  }
  m["head.modulation"] = {1, 2, dim};
  linear("head.head", cfg.patch_size[0] * cfg.patch_size[1] * cfg.patch_size[2] * cfg.out_dim, dim);
  if (cfg.has_image_branch()) {
    const int64_t c = cfg.image_dim;
    m["img_emb.proj.0.weight"] = {c};
    m["img_emb.proj.0.bias"] = {c};
    linear("img_emb.proj.1", c, c);
    linear("img_emb.proj.3", dim, c);
    m["img_emb.proj.4.weight"] = {dim};
    m["img_emb.proj.4.bias"] = {dim};
    if (cfg.model_type == WanModelType::flf2v) m["img_emb.emb_pos"] = {1, 514, c};
  }
  return m;
}

std::vector<std::string> wan_dit_unused_tensors(const ShapeMap& shapes, const WanDitConfig& cfg) {
  const ShapeMap expected = wan_dit_expected_shapes(cfg);
  std::vector<std::string> out;
  for (const auto& [name, shape] : shapes)
    if (!expected.count(name) && !is_companion_tensor(name)) out.push_back(name);
  return out;
}

}  // namespace kino::gen
