#include "gen/umt5_encoder.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/weight_set.h"

namespace kino::gen {

UMT5Encoder::UMT5Encoder(const UMT5Config& cfg, const WeightSet& weights,
                         const UMT5Options& options)
    : cfg_(cfg), options_(options) {
  const at::ScalarType dt = options_.dtype;
  const at::Device dev = options_.device;
  auto get = [&](const std::string& n, at::ScalarType t) { return weights.get(n, t, dev); };
  embedding_ = get("shared.weight", dt);
  for (int64_t i = 0; i < cfg_.num_layers; ++i) {
    const std::string b = "encoder.block." + std::to_string(i) + ".layer.";
    const std::string a = b + "0.SelfAttention.", f = b + "1.DenseReluDense.";
    layers_.push_back(Layer{get(b + "0.layer_norm.weight", at::kFloat), get(a + "q.weight", dt),
                            get(a + "k.weight", dt), get(a + "v.weight", dt),
                            get(a + "o.weight", dt),
                            get(a + "relative_attention_bias.weight", at::kFloat),
                            get(b + "1.layer_norm.weight", at::kFloat), get(f + "wi_0.weight", dt),
                            get(f + "wi_1.weight", dt), get(f + "wo.weight", dt)});
  }
  final_norm_ = get("encoder.final_layer_norm.weight", at::kFloat);
}

at::Tensor UMT5Encoder::rms_norm(const at::Tensor& x, const at::Tensor& w) const {
  at::Tensor xf = x.to(at::kFloat);
  return xf * at::rsqrt(xf.pow(2).mean(-1, true) + cfg_.eps) * w;
}

// T5's bidirectional bucket of r = key - query (spec §2.3).
at::Tensor UMT5Encoder::position_buckets(int64_t length) const {
  at::Tensor pos = at::arange(length, at::TensorOptions().dtype(at::kLong));
  at::Tensor r = pos.view({1, -1}) - pos.view({-1, 1});
  const int64_t half = cfg_.num_buckets / 2, exact = half / 2;
  at::Tensor bucket = (r > 0).to(at::kLong) * half;
  at::Tensor a = r.abs();
  at::Tensor large =
      exact + (at::log(a.to(at::kDouble) / double(exact)) /
               std::log(double(cfg_.max_distance) / double(exact)) * double(half - exact))
                  .to(at::kLong);
  large = at::clamp_max(large, half - 1);
  return bucket + at::where(a < exact, a, large);
}

at::Tensor UMT5Encoder::encode(const at::Tensor& ids_in, const at::Tensor& mask_in) const {
  if (ids_in.dim() != 2 || ids_in.numel() == 0 || at::isFloatingType(ids_in.scalar_type()))
    fail_bad_request("ids must be a non-empty integer [B, L] tensor, got " +
                     shape_string(ids_in.sizes().vec()));
  if (mask_in.sizes() != ids_in.sizes())
    fail_bad_request("mask must have the shape of ids " + shape_string(ids_in.sizes().vec()) +
                     ", got " + shape_string(mask_in.sizes().vec()));
  const at::Device dev = options_.device;
  const at::Tensor ids = ids_in.to(dev, at::kLong);
  const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
  if (lo < 0 || hi >= cfg_.vocab)
    fail_bad_request("ids must be in 0.." + std::to_string(cfg_.vocab - 1) + ", got " +
                     std::to_string(lo < 0 ? lo : hi));
  const at::Tensor keep = mask_in.to(dev) != 0;  // [B, L]
  if (!keep.any(1).all().item<bool>())
    fail_bad_request("mask must mark at least one real token in every sample");
  const int64_t B = ids.size(0), L = ids.size(1), H = cfg_.num_heads, dk = cfg_.d_kv;
  const at::ScalarType dt = options_.dtype;

  at::Tensor h = at::embedding(embedding_, ids).to(at::kFloat);  // [B, L, d]
  const at::Tensor buckets = position_buckets(L).to(dev);
  const at::Tensor key_bias =
      at::zeros({B, 1, 1, L}, at::TensorOptions().dtype(at::kFloat).device(dev))
          .masked_fill(keep.logical_not().view({B, 1, 1, L}),
                       -std::numeric_limits<float>::infinity());
  auto heads = [&](const at::Tensor& t) { return t.view({B, L, H, dk}).transpose(1, 2); };
  for (const Layer& layer : layers_) {
    at::Tensor n = rms_norm(h, layer.norm1).to(dt);
    at::Tensor q = heads(at::linear(n, layer.q)), k = heads(at::linear(n, layer.k)),
               v = heads(at::linear(n, layer.v));
    // position bias [1, H, L, L] from this layer's table [buckets, H]
    at::Tensor bias = at::embedding(layer.rel_bias, buckets).permute({2, 0, 1}).unsqueeze(0);
    at::Tensor scores = at::matmul(q, k.transpose(-1, -2)).to(at::kFloat) + bias + key_bias;
    at::Tensor attn = at::matmul(at::softmax(scores, -1).to(dt), v);
    h = h + at::linear(attn.transpose(1, 2).reshape({B, L, H * dk}), layer.o).to(at::kFloat);
    n = rms_norm(h, layer.norm2).to(dt);
    at::Tensor ff = at::gelu(at::linear(n, layer.wi0), "tanh") * at::linear(n, layer.wi1);
    h = h + at::linear(ff, layer.wo).to(at::kFloat);
  }
  h = rms_norm(h, final_norm_);
  return h * keep.unsqueeze(-1).to(at::kFloat);
}

std::unique_ptr<UMT5Encoder> umt5_encoder_load(const std::filesystem::path& model,
                                               const UMT5Options& options) {
  ModelFolder folder = model_folder_scan(model);
  if (folder.text_encoder_files.empty())
    fail_unsupported(model.string() +
                     ": no umT5 text encoder weights found (no .safetensors "
                     "file with encoder.block.N / shared.weight tensors)");
  if (folder.text_encoder_files.size() > 1) {
    // Shards of one encoder share a folder; anything else is ambiguous.
    const auto dir = folder.text_encoder_files.front().parent_path();
    for (const auto& f : folder.text_encoder_files)
      if (f.parent_path() != dir)
        fail_unsupported(model.string() + ": text encoder weights in two places: " +
                         folder.text_encoder_files.front().string() + ", " + f.string());
  }
  WeightSet weights = WeightSet::open(folder.text_encoder_files, umt5_internal_name);
  const std::string what = folder.text_encoder_files.front().string();
  return std::make_unique<UMT5Encoder>(umt5_config_from_shapes(weights.shapes(), what), weights,
                                       options);
}

}  // namespace kino::gen
