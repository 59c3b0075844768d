#include "gen/umt5_config.h"

#include <array>
#include <cctype>
#include <utility>

#include "core/error.h"
#include "gen/safetensors_file.h"

namespace kino::gen {
namespace {

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  fail_unsupported(std::string(what) + ": " + problem);
}

// Official Wan umT5 names (after "blocks.N.") -> HF names (after "encoder.block.N.").
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kBlockRenames{{
    {"norm1.weight", "layer.0.layer_norm.weight"},
    {"attn.q.weight", "layer.0.SelfAttention.q.weight"},
    {"attn.k.weight", "layer.0.SelfAttention.k.weight"},
    {"attn.v.weight", "layer.0.SelfAttention.v.weight"},
    {"attn.o.weight", "layer.0.SelfAttention.o.weight"},
    {"pos_embedding.embedding.weight", "layer.0.SelfAttention.relative_attention_bias.weight"},
    {"norm2.weight", "layer.1.layer_norm.weight"},
    {"ffn.gate.0.weight", "layer.1.DenseReluDense.wi_0.weight"},
    {"ffn.fc1.weight", "layer.1.DenseReluDense.wi_1.weight"},
    {"ffn.fc2.weight", "layer.1.DenseReluDense.wo.weight"},
}};

const std::vector<int64_t>& need(const ShapeMap& shapes, const std::string& name,
                                 std::string_view what) {
  auto it = shapes.find(name);
  if (it == shapes.end()) bad(what, "not a complete umT5 encoder: tensor " + name + " is missing");
  return it->second;
}

}  // namespace

std::string UMT5Config::summary() const {
  return "umT5 d_model " + std::to_string(d_model) + ", " + std::to_string(num_heads) +
         " heads x " + std::to_string(d_kv) + ", " + std::to_string(num_layers) + " layers, ffn " +
         std::to_string(d_ff) + ", vocab " + std::to_string(vocab);
}

std::string umt5_internal_name(std::string_view name) {
  if (name == "token_embedding.weight" || name == "encoder.embed_tokens.weight")
    return "shared.weight";
  if (name == "norm.weight") return "encoder.final_layer_norm.weight";
  constexpr std::string_view kBlocks = "blocks.";
  if (name.substr(0, kBlocks.size()) == kBlocks) {
    size_t i = kBlocks.size();
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
    if (i > kBlocks.size() && i < name.size() && name[i] == '.') {
      std::string_view rest = name.substr(i + 1);
      for (const auto& [from, to] : kBlockRenames)
        if (rest == from)
          return "encoder.block." + std::string(name.substr(kBlocks.size(), i - kBlocks.size())) +
                 "." + std::string(to);
    }
  }
  return std::string(name);
}

UMT5Config umt5_config_from_shapes(const ShapeMap& shapes, std::string_view what) {
  UMT5Config c;
  const auto& emb = need(shapes, "shared.weight", what);
  if (emb.size() != 2)
    bad(what, "shared.weight has shape " + shape_string(emb) + ", expected rank 2");
  c.vocab = emb[0];
  c.d_model = emb[1];
  const std::string b0 = "encoder.block.0.layer.";
  const auto& q = need(shapes, b0 + "0.SelfAttention.q.weight", what);
  const auto& bias = need(shapes, b0 + "0.SelfAttention.relative_attention_bias.weight", what);
  const auto& wi = need(shapes, b0 + "1.DenseReluDense.wi_0.weight", what);
  if (q.size() != 2 || bias.size() != 2 || wi.size() != 2)
    bad(what, "umT5 block 0 tensors must be matrices");
  c.num_buckets = bias[0];
  c.num_heads = bias[1];
  if (c.num_heads <= 0 || q[0] % c.num_heads != 0)
    bad(what, "q projection width " + std::to_string(q[0]) + " is not a multiple of the " +
                  std::to_string(c.num_heads) + " heads of relative_attention_bias");
  if (c.num_buckets < 2 || c.num_buckets % 2 != 0)
    bad(what, "relative_attention_bias has " + std::to_string(c.num_buckets) +
                  " buckets; an even number of at least 2 is needed");
  c.d_kv = q[0] / c.num_heads;
  c.d_ff = wi[0];
  for (const auto& [name, shape] : shapes) {
    constexpr std::string_view kBlock = "encoder.block.";
    if (name.compare(0, kBlock.size(), kBlock) != 0) continue;
    c.num_layers = std::max<int64_t>(c.num_layers, std::stoll(name.substr(kBlock.size())) + 1);
  }
  for (const auto& [name, shape] : umt5_expected_shapes(c)) {
    const auto& have = need(shapes, name, what);
    if (have != shape)
      bad(what, "tensor " + name + " has shape " + shape_string(have) + ", expected " +
                    shape_string(shape) + " for " + c.summary());
  }
  return c;
}

ShapeMap umt5_expected_shapes(const UMT5Config& c) {
  ShapeMap m;
  const int64_t inner = c.num_heads * c.d_kv;
  m["shared.weight"] = {c.vocab, c.d_model};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string b = "encoder.block." + std::to_string(i) + ".layer.";
    m[b + "0.layer_norm.weight"] = {c.d_model};
    for (const char* p : {"q", "k", "v"})
      m[b + "0.SelfAttention." + p + ".weight"] = {inner, c.d_model};
    m[b + "0.SelfAttention.o.weight"] = {c.d_model, inner};
    m[b + "0.SelfAttention.relative_attention_bias.weight"] = {c.num_buckets, c.num_heads};
    m[b + "1.layer_norm.weight"] = {c.d_model};
    m[b + "1.DenseReluDense.wi_0.weight"] = {c.d_ff, c.d_model};
    m[b + "1.DenseReluDense.wi_1.weight"] = {c.d_ff, c.d_model};
    m[b + "1.DenseReluDense.wo.weight"] = {c.d_model, c.d_ff};
  }
  m["encoder.final_layer_norm.weight"] = {c.d_model};
  return m;
}

}  // namespace kino::gen
