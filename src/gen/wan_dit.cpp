#include "gen/wan_dit.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/wan_names.h"
#include "gen/weight_set.h"

namespace kino::gen {
namespace {

std::string sizes_string(const at::Tensor& t) {
  return shape_string(t.sizes().vec());
}

bool needs_grad(const at::Tensor& t) {
  return at::GradMode::is_enabled() && t.requires_grad();
}

// GELU with the tanh approximation, 0.5 x (1 + tanh(u)) = x sigmoid(2u) with
// u = sqrt(2/pi) (x + 0.044715 x^3): the same function, but one sigmoid instead of ATen's tanh
// kernel, which is slow for bf16 on CPU; in place on a temporary when no gradient is needed.
at::Tensor gelu_tanh(const at::Tensor& x) {
  constexpr double k = 1.5957691216057308;  // 2 sqrt(2/pi)
  if (needs_grad(x)) return x * at::sigmoid(k * (x + 0.044715 * x * x * x));
  at::Tensor y = x * x;
  y.mul_(0.044715 * k).add_(k).mul_(x);
  return y.sigmoid_().mul_(x);
}

}  // namespace

WanDit::WanDit(const WanDitConfig& cfg, const WeightSet& weights, const WanDitOptions& options)
    : cfg_(cfg), options_(options) {
  wan_dit_config_validate(cfg_, "Wan DiT");
  if (cfg_.has_image_branch())
    fail_unsupported(
        "Wan DiT: the Wan2.1 I2V/FLF2V image branch (img_emb, CLIP context) is not "
        "implemented; " +
        cfg_.summary());
  const at::ScalarType dt = options_.dtype;
  const at::Device dev = options_.device;
  auto get = [&](const std::string& name, at::ScalarType type) {
    return weights.get(name, type, dev);
  };
  auto lin = [&](const std::string& name, at::ScalarType type) {
    return Linear{get(name + ".weight", type), get(name + ".bias", type)};
  };
  patch_embedding_ = lin("patch_embedding", dt);
  text0_ = lin("text_embedding.0", dt);
  text2_ = lin("text_embedding.2", dt);
  time0_ = lin("time_embedding.0", at::kFloat);
  time2_ = lin("time_embedding.2", at::kFloat);
  time_proj_ = lin("time_projection.1", at::kFloat);
  for (int64_t i = 0; i < cfg_.num_layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    Block blk;
    blk.modulation = get(b + "modulation", at::kFloat);
    for (auto [attn, name] :
         {std::pair{&blk.self_attn, "self_attn."}, std::pair{&blk.cross_attn, "cross_attn."}}) {
      attn->q = lin(b + name + "q", dt);
      attn->k = lin(b + name + "k", dt);
      attn->v = lin(b + name + "v", dt);
      attn->o = lin(b + name + "o", dt);
      attn->norm_q = get(b + name + "norm_q.weight", at::kFloat);
      attn->norm_k = get(b + name + "norm_k.weight", at::kFloat);
    }
    blk.norm3_w = get(b + "norm3.weight", at::kFloat);
    blk.norm3_b = get(b + "norm3.bias", at::kFloat);
    blk.ffn0 = lin(b + "ffn.0", dt);
    blk.ffn2 = lin(b + "ffn.2", dt);
    blocks_.push_back(std::move(blk));
  }
  head_modulation_ = get("head.modulation", at::kFloat);
  head_ = lin("head.head", at::kFloat);
}

at::Tensor WanDit::linear(const at::Tensor& x, const Linear& l) const {
  return at::linear(x.to(l.w.scalar_type()), l.w, l.b);
}

at::Tensor WanDit::rms_norm(const at::Tensor& x, const at::Tensor& w) const {
  at::Tensor xf = x.to(at::kFloat);
  return xf * at::rsqrt(xf.pow(2).mean(-1, true) + cfg_.eps) * w;
}

at::Tensor WanDit::attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const {
  // q [B, H, Lq, d], k and v [B, H, Lk, d], all in the run dtype.
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), Lk = k.size(2), d = q.size(3);
  const int64_t row_bytes = B * H * Lk * int64_t(sizeof(float));
  const int64_t chunk = std::clamp<int64_t>(options_.attention_chunk_bytes / row_bytes, 1, Lq);
  const at::Tensor kt = k.transpose(-1, -2);
  // Softmax in the run dtype: ATen computes a bf16 softmax in float internally and rounds once,
  // which is what a float softmax followed by a cast gives, without the float copy. (ATen has no
  // CPU softmax for f16.)
  auto probs = [&](const at::Tensor& scores) {
    return scores.scalar_type() == at::kHalf ? at::softmax(scores, -1, at::kFloat).to(at::kHalf)
                                             : at::softmax(scores, -1);
  };
  if (chunk >= Lq) return at::matmul(probs(at::matmul(q, kt)), v);
  at::Tensor out = at::empty({B, H, Lq, d}, q.options());
  for (int64_t start = 0; start < Lq; start += chunk) {
    const int64_t n = std::min(chunk, Lq - start);
    out.narrow(2, start, n).copy_(at::matmul(probs(at::matmul(q.narrow(2, start, n), kt)), v));
  }
  return out;
}

// cos and sin of the rotation angles of every token, [2, L, head_dim / 2] float32 (spec §1.6).
at::Tensor WanDit::rope_tables(int64_t frames, int64_t rows, int64_t cols) const {
  const int64_t d = cfg_.head_dim();
  const int64_t d_h = 2 * (d / 6), d_t = d - 2 * d_h;
  auto axis = [&](int64_t n, int64_t axis_dim) {
    at::Tensor pos = at::arange(n, at::TensorOptions().dtype(at::kDouble));
    at::Tensor freq =
        1.0 / at::pow(10000.0, at::arange(0, axis_dim, 2, at::TensorOptions().dtype(at::kDouble))
                                   .div(double(axis_dim)));
    return at::outer(pos, freq);  // [n, axis_dim / 2]
  };
  const int64_t L = frames * rows * cols;
  at::Tensor at_ = axis(frames, d_t).view({frames, 1, 1, -1}).expand({frames, rows, cols, -1});
  at::Tensor ah = axis(rows, d_h).view({1, rows, 1, -1}).expand({frames, rows, cols, -1});
  at::Tensor aw = axis(cols, d_h).view({1, 1, cols, -1}).expand({frames, rows, cols, -1});
  at::Tensor angles = at::cat({at_, ah, aw}, -1).reshape({L, d / 2});
  return at::stack({at::cos(angles), at::sin(angles)}).to(options_.device, at::kFloat);
}

WanDitText WanDit::encode_text(const at::Tensor& context) const {
  if (context.dim() != 3 || context.size(2) != cfg_.text_dim || context.size(1) > cfg_.text_len ||
      context.size(0) == 0)
    fail_bad_request("context must be [B, N <= " + std::to_string(cfg_.text_len) + ", " +
                     std::to_string(cfg_.text_dim) + "], got " + sizes_string(context));
  at::Tensor c = context.to(options_.device, options_.dtype);
  const int64_t B = c.size(0), pad = cfg_.text_len - c.size(1);
  if (pad > 0) c = at::cat({c, at::zeros({B, pad, c.size(2)}, c.options())}, 1);
  const at::Tensor text = linear(gelu_tanh(linear(c, text0_)), text2_);
  auto split_heads = [&](const at::Tensor& a) {
    return a.view({B, cfg_.text_len, cfg_.num_heads, cfg_.head_dim()})
        .transpose(1, 2)
        .to(options_.dtype)
        .contiguous();
  };
  WanDitText out;
  out.batch = B;
  for (size_t bi = 0; bi < blocks_.size(); ++bi) {
    const Block& blk = blocks_[bi];
    out.k.push_back(split_heads(rms_norm(linear(text, blk.cross_attn.k), blk.cross_attn.norm_k)));
    out.v.push_back(split_heads(linear(text, blk.cross_attn.v)));
  }
  return out;
}

at::Tensor WanDit::forward(const at::Tensor& x, const at::Tensor& t, const WanDitText& text) const {
  const auto& p = cfg_.patch_size;
  if (x.dim() != 5 || x.size(1) != cfg_.in_dim || x.size(2) % p[0] || x.size(3) % p[1] ||
      x.size(4) % p[2] || x.size(2) == 0 || x.size(3) == 0 || x.size(4) == 0)
    fail_bad_request("x must be [B, " + std::to_string(cfg_.in_dim) +
                     ", T, H, W] with T, H, W non-zero multiples of the patch " +
                     std::to_string(p[0]) + "x" + std::to_string(p[1]) + "x" +
                     std::to_string(p[2]) + ", got " + sizes_string(x));
  const int64_t B = x.size(0), dim = cfg_.dim, heads = cfg_.num_heads, hd = cfg_.head_dim();
  if (text.batch != B || text.k.size() != blocks_.size())
    fail_bad_request("text was encoded for batch " + std::to_string(text.batch) +
                     " but x has batch " + std::to_string(B));
  const at::ScalarType dt = options_.dtype;
  const at::Device dev = options_.device;

  at::Tensor h =
      at::conv3d(x.to(dev, dt), patch_embedding_.w, patch_embedding_.b, {p[0], p[1], p[2]});
  const int64_t F = h.size(2), Hp = h.size(3), Wp = h.size(4), L = F * Hp * Wp;
  h = h.flatten(2).transpose(1, 2).to(at::kFloat).contiguous();  // [B, L, dim]

  // Timesteps grouped so the modulation is computed once per group: one group per sample when
  // all tokens share t, one per frame when t is constant within frames, else one per token.
  at::Tensor tt = t.to(dev, at::kDouble);
  at::Tensor tv;
  int64_t G = 1;
  if (tt.dim() == 1 && tt.size(0) == B) {
    tv = tt.view({B, 1});
  } else if (tt.dim() == 2 && tt.size(0) == B && tt.size(1) == L) {
    at::Tensor tf = tt.view({B, F, Hp * Wp});
    if (at::equal(tf, tf.narrow(2, 0, 1).expand_as(tf))) {
      tv = tf.select(2, 0);
      G = F;
      if (at::equal(tv, tv.narrow(1, 0, 1).expand_as(tv))) {
        tv = tv.narrow(1, 0, 1);
        G = 1;
      }
    } else {
      tv = tt;
      G = L;
    }
  } else {
    fail_bad_request("t must be [" + std::to_string(B) + "] or [" + std::to_string(B) + ", " +
                     std::to_string(L) + "] (one timestep per token), got " + sizes_string(t));
  }
  const int64_t S = L / G;
  const int64_t half = cfg_.freq_dim / 2;
  at::Tensor omega = at::pow(10000.0, -at::arange(half, tt.options()).div(double(half)));
  at::Tensor arg = tv.unsqueeze(-1) * omega;
  at::Tensor sinusoid = at::cat({at::cos(arg), at::sin(arg)}, -1).to(at::kFloat);  // [B, G, f]
  at::Tensor e = linear(at::silu(linear(sinusoid, time0_)), time2_);               // [B, G, dim]
  at::Tensor e0 = linear(at::silu(e), time_proj_).view({B, G, 6, dim});

  // LN(x) (1 + scale) + shift, float32.
  auto modulate = [&](const at::Tensor& n, const at::Tensor& shift, const at::Tensor& scale) {
    return at::addcmul(shift, n.view({B, G, S, dim}), 1 + scale).view({B, L, dim});
  };
  // h + y * gate, float32.
  auto add_gated = [&](const at::Tensor& h, const at::Tensor& y, const at::Tensor& gate) {
    return at::addcmul(h.view({B, G, S, dim}), y.to(at::kFloat).view({B, G, S, dim}), gate)
        .view({B, L, dim});
  };
  // RoPE as one complex multiply of the interleaved (2k, 2k+1) pairs by e^(i angle).
  const at::Tensor rope = rope_tables(F, Hp, Wp);
  const at::Tensor rotation =
      at::view_as_complex(at::stack({rope[0], rope[1]}, -1)).view({1, L, 1, hd / 2});
  auto apply_rope = [&](const at::Tensor& a) {  // [B, L, dim] float32 -> [B, H, L, hd] run dtype
    at::Tensor rotated =
        at::view_as_real(at::view_as_complex(a.view({B, L, heads, hd / 2, 2})) * rotation);
    return rotated.view({B, L, heads, hd}).transpose(1, 2).to(dt);
  };
  // 1/sqrt(head_dim) of the attention scores, folded into the queries' RMSNorm weight.
  const double q_scale = 1.0 / std::sqrt(double(hd));
  auto split_heads = [&](const at::Tensor& a) {
    return a.view({B, a.size(1), heads, hd}).transpose(1, 2).to(dt);
  };
  auto merge_heads = [&](const at::Tensor& a) {
    return a.transpose(1, 2).reshape({B, a.size(2), dim});
  };

  for (size_t bi = 0; bi < blocks_.size(); ++bi) {
    const Block& blk = blocks_[bi];
    const at::Tensor m = blk.modulation.unsqueeze(0) + e0;  // [B, G, 6, dim]
    auto mi = [&](int64_t i) { return m.select(2, i).unsqueeze(2); };

    // Each block input is converted to the run dtype once, not once per projection.
    at::Tensor in = modulate(at::layer_norm(h, {dim}, {}, {}, cfg_.eps), mi(0), mi(1)).to(dt);
    const Attention& sa = blk.self_attn;
    at::Tensor q = apply_rope(rms_norm(linear(in, sa.q), sa.norm_q * q_scale));
    at::Tensor k = apply_rope(rms_norm(linear(in, sa.k), sa.norm_k));
    at::Tensor v = split_heads(linear(in, sa.v));
    h = add_gated(h, linear(merge_heads(attention(q, k, v)), sa.o), mi(2));

    const Attention& ca = blk.cross_attn;
    in = at::layer_norm(h, {dim}, blk.norm3_w, blk.norm3_b, cfg_.eps).to(dt);
    q = split_heads(rms_norm(linear(in, ca.q), ca.norm_q * q_scale));
    h = h + linear(merge_heads(attention(q, text.k[bi], text.v[bi])), ca.o).to(at::kFloat);

    in = modulate(at::layer_norm(h, {dim}, {}, {}, cfg_.eps), mi(3), mi(4)).to(dt);
    h = add_gated(h, linear(gelu_tanh(linear(in, blk.ffn0)), blk.ffn2), mi(5));
  }

  const at::Tensor hm = head_modulation_.unsqueeze(0) + e.unsqueeze(2);  // [B, G, 2, dim]
  at::Tensor out = modulate(at::layer_norm(h, {dim}, {}, {}, cfg_.eps),
                            hm.select(2, 0).unsqueeze(2), hm.select(2, 1).unsqueeze(2));
  out = linear(out, head_);  // [B, L, pt * ph * pw * out_dim]
  const int64_t C = cfg_.out_dim;
  out = out.view({B, F, Hp, Wp, p[0], p[1], p[2], C}).permute({0, 7, 1, 4, 2, 5, 3, 6});
  return out.reshape({B, C, F * p[0], Hp * p[1], Wp * p[2]}).to(at::kFloat);
}

std::unique_ptr<WanDit> wan_dit_load(const std::filesystem::path& model,
                                     const WanDitOptions& options) {
  ModelFolder folder = model_folder_scan(model);
  DitDescription d = model_folder_describe_dit(folder);
  WeightSet weights = WeightSet::open(folder.dit_files, wan_dit_internal_name);
  return std::make_unique<WanDit>(d.config, weights, options);
}

}  // namespace kino::gen
