#include "gen/wan_names.h"

#include <array>
#include <cctype>
#include <utility>

namespace kino::gen {
namespace {

constexpr std::string_view kPrefixes[] = {"model.diffusion_model.", "diffusion_model."};

using Rename = std::pair<std::string_view, std::string_view>;

// diffusers module path -> official module path, top level (spec §5.3).
constexpr std::array<Rename, 12> kTopRenames{{
    {"condition_embedder.time_embedder.linear_1", "time_embedding.0"},
    {"condition_embedder.time_embedder.linear_2", "time_embedding.2"},
    {"condition_embedder.time_proj", "time_projection.1"},
    {"condition_embedder.text_embedder.linear_1", "text_embedding.0"},
    {"condition_embedder.text_embedder.linear_2", "text_embedding.2"},
    {"condition_embedder.image_embedder.norm1", "img_emb.proj.0"},
    {"condition_embedder.image_embedder.ff.net.0.proj", "img_emb.proj.1"},
    {"condition_embedder.image_embedder.ff.net.2", "img_emb.proj.3"},
    {"condition_embedder.image_embedder.norm2", "img_emb.proj.4"},
    {"condition_embedder.image_embedder.pos_embed", "img_emb.emb_pos"},
    {"scale_shift_table", "head.modulation"},
    {"proj_out", "head.head"},
}};

// diffusers -> official inside `blocks.N.`.
constexpr std::array<Rename, 17> kBlockRenames{{
    {"scale_shift_table", "modulation"},
    {"attn1.to_q", "self_attn.q"},
    {"attn1.to_k", "self_attn.k"},
    {"attn1.to_v", "self_attn.v"},
    {"attn1.to_out.0", "self_attn.o"},
    {"attn1.norm_q", "self_attn.norm_q"},
    {"attn1.norm_k", "self_attn.norm_k"},
    {"attn2.to_q", "cross_attn.q"},
    {"attn2.to_k", "cross_attn.k"},
    {"attn2.to_v", "cross_attn.v"},
    {"attn2.to_out.0", "cross_attn.o"},
    {"attn2.norm_q", "cross_attn.norm_q"},
    {"attn2.norm_k", "cross_attn.norm_k"},
    {"attn2.add_k_proj", "cross_attn.k_img"},
    {"attn2.add_v_proj", "cross_attn.v_img"},
    {"attn2.norm_added_k", "cross_attn.norm_k_img"},
    {"norm2", "norm3"},
}};

constexpr std::array<Rename, 2> kBlockFfnRenames{{
    {"ffn.net.0.proj", "ffn.0"},
    {"ffn.net.2", "ffn.2"},
}};

// `name` starts with module path `prefix` on a component boundary.
bool starts_module(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix &&
         (name.size() == prefix.size() || name[prefix.size()] == '.');
}

template <size_t N>
bool apply(std::string_view name, const std::array<Rename, N>& table, std::string* out) {
  for (const auto& [from, to] : table) {
    if (starts_module(name, from)) {
      *out = std::string(to) + std::string(name.substr(from.size()));
      return true;
    }
  }
  return false;
}

std::string_view strip_prefix(std::string_view name) {
  for (auto p : kPrefixes)
    if (name.substr(0, p.size()) == p) return name.substr(p.size());
  return name;
}

// Splits "blocks.12.rest" into ("blocks.12.", "rest"); false when not a block tensor.
bool split_block(std::string_view name, std::string_view* head, std::string_view* rest) {
  constexpr std::string_view kBlocks = "blocks.";
  if (name.substr(0, kBlocks.size()) != kBlocks) return false;
  size_t i = kBlocks.size();
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  if (i == kBlocks.size() || i >= name.size() || name[i] != '.') return false;
  *head = name.substr(0, i + 1);
  *rest = name.substr(i + 1);
  return true;
}

bool is_diffusers_name(std::string_view bare) {
  std::string unused;
  if (apply(bare, kTopRenames, &unused)) return true;
  std::string_view head, rest;
  if (!split_block(bare, &head, &rest)) return false;
  return rest.substr(0, 4) == "attn" || starts_module(rest, "scale_shift_table") ||
         starts_module(rest, "ffn.net");
}

}  // namespace

std::string_view weight_layout_name(WeightLayout layout) {
  switch (layout) {
    case WeightLayout::official: return "official";
    case WeightLayout::comfy: return "comfy";
    case WeightLayout::diffusers: return "diffusers";
  }
  return "official";
}

std::optional<WeightLayout> weight_layout_parse(std::string_view name) {
  for (auto l : {WeightLayout::official, WeightLayout::comfy, WeightLayout::diffusers})
    if (weight_layout_name(l) == name) return l;
  return std::nullopt;
}

std::string wan_dit_internal_name(std::string_view name) {
  std::string_view bare = strip_prefix(name);
  std::string out;
  if (apply(bare, kTopRenames, &out)) return out;
  std::string_view head, rest;
  if (split_block(bare, &head, &rest)) {
    if (apply(rest, kBlockRenames, &out) || apply(rest, kBlockFfnRenames, &out))
      return std::string(head) + out;
  }
  return std::string(bare);
}

WeightLayout wan_dit_layout(const std::vector<std::string>& names) {
  bool prefixed = false;
  for (const auto& n : names) {
    std::string_view bare = strip_prefix(n);
    if (bare.size() != n.size()) prefixed = true;
    if (is_diffusers_name(bare)) return WeightLayout::diffusers;
  }
  return prefixed ? WeightLayout::comfy : WeightLayout::official;
}

bool is_companion_tensor(std::string_view name) {
  auto leaf_is = [&](std::string_view leaf) {
    return name == leaf || (name.size() > leaf.size() &&
                            name.substr(name.size() - leaf.size() - 1) == "." + std::string(leaf));
  };
  return leaf_is("scale_weight") || leaf_is("scale_input") || leaf_is("weight_scale") ||
         leaf_is("input_scale") || name == "scaled_fp8";
}

}  // namespace kino::gen
