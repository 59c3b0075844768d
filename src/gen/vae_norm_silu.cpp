#include "gen/vae_norm_silu.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/zeros.h>
#include <torch/csrc/autograd/custom_function.h>

#include <vector>

#include "core/error.h"

namespace kino::gen {
namespace {

// Positions per block: with 384 channels of bfloat16 a block is 192 KiB, so its second read
// comes from cache; 256 floats per channel keep the inner loops long enough to vectorise.
constexpr int64_t kBlock = 256;

inline float load(const float* p, int64_t i) {
  return p[i];
}
inline float load(const uint16_t* p, int64_t i) {
  return std::bit_cast<float>(uint32_t(p[i]) << 16);
}
inline void store(float* p, int64_t i, float v) {
  p[i] = v;
}
// Round to nearest even, as at::BFloat16 does; NaN stays NaN.
inline void store(uint16_t* p, int64_t i, float v) {
  const uint32_t b = std::bit_cast<uint32_t>(v);
  const uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  p[i] = v != v ? uint16_t(0x7fc0) : uint16_t(rounded);
}

// e^x to about 2 ulp in float32, written so the compiler vectorises it (std::exp is a libm
// call per element): x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor polynomial to r^7,
// 2^n put in the exponent bits.
inline float exp_approx(float x) {
  x = std::clamp(x, -87.0f, 88.0f);
  const float n = std::nearbyint(x * 1.44269504f);
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-06f;  // ln2 split in two parts
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p * std::bit_cast<float>(uint32_t(int32_t(n) + 127) << 23);
}

// For each of n positions: ss = the sum of squares over the C channels (`stride` apart), which
// must start at zero, and inv = sqrt(C) / ||x|| with the norm clamped below at 1e-12.
template <typename T>
void inverse_norms(const T* x, int64_t C, int64_t stride, int64_t n, float* ss, float* inv) {
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = x + c * stride;
    for (int64_t i = 0; i < n; ++i) {
      const float v = load(xc, i);
      ss[i] += v * v;
    }
  }
  const float root_c = std::sqrt(float(C));
  for (int64_t i = 0; i < n; ++i) inv[i] = root_c / std::max(std::sqrt(ss[i]), 1e-12f);
}

template <typename T>
void norm_silu_block(const T* x, T* y, const float* gamma, int64_t C, int64_t stride,
                     int64_t n) {
  float ss[kBlock] = {}, inv[kBlock];
  inverse_norms(x, C, stride, n, ss, inv);
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = x + c * stride;
    T* yc = y + c * stride;
    const float g = gamma[c];
    for (int64_t i = 0; i < n; ++i) {
      const float v = load(xc, i) * inv[i] * g;
      store(yc, i, v / (1.0f + exp_approx(-v)));
    }
  }
}

template <typename T>
void norm_silu(const T* x, T* y, const float* gamma, int64_t B, int64_t C, int64_t P) {
  const int64_t blocks = (P + kBlock - 1) / kBlock;
  at::parallel_for(0, B * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const int64_t b = k / blocks, p = (k % blocks) * kBlock;
      const int64_t offset = b * C * P + p;
      norm_silu_block(x + offset, y + offset, gamma, C, P, std::min(kBlock, P - p));
    }
  });
}

// The sum of v[0 .. n) in 16 running sums: one running sum is a chain the compiler may not
// reorder, which kept the loop that fills v from being vectorised at all.
inline float sum(const float* v, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += v[i + j];
  float s = 0;
  for (; i < n; ++i) s += v[i];
  for (float a : acc) s += a;
  return s;
}

// The gradients of one block of positions: with a = x inv g (inv = sqrt(C) / ||x||) and
// y = silu(a), da = dy silu'(a); dgamma[c] += sum_i da x inv; and with h = da g,
// dx = inv (h - x (sum_c h x) / ||x||^2). The clamped norm (||x|| < 1e-12) holds inv fixed, so
// its second term is zero. da is computed twice (two passes over the channels) rather than
// stored, which keeps a block's working set in cache.
template <typename T>
void norm_silu_backward_block(const T* x, const T* dy, T* dx, const float* gamma, float* dgamma,
                              int64_t C, int64_t stride, int64_t n) {
  float ss[kBlock] = {}, inv[kBlock], dot[kBlock] = {}, proj[kBlock];
  inverse_norms(x, C, stride, n, ss, inv);
  auto da_at = [&](const T* xc, const T* dyc, float g, int64_t i, float& xv) {
    xv = load(xc, i);
    const float a = xv * inv[i] * g;
    const float sig = 1.0f / (1.0f + exp_approx(-a));
    return load(dyc, i) * sig * (1.0f + a * (1.0f - sig));
  };
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = x + c * stride;
    const T* dyc = dy + c * stride;
    const float g = gamma[c];
    float terms[kBlock];
    for (int64_t i = 0; i < n; ++i) {
      float xv;
      const float da = da_at(xc, dyc, g, i, xv);
      terms[i] = da * xv * inv[i];
      dot[i] += da * g * xv;
    }
    dgamma[c] += sum(terms, n);
  }
  for (int64_t i = 0; i < n; ++i) proj[i] = std::sqrt(ss[i]) < 1e-12f ? 0.0f : dot[i] / ss[i];
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = x + c * stride;
    const T* dyc = dy + c * stride;
    T* dxc = dx + c * stride;
    const float g = gamma[c];
    for (int64_t i = 0; i < n; ++i) {
      float xv;
      const float h = da_at(xc, dyc, g, i, xv) * g;
      store(dxc, i, inv[i] * (h - xv * proj[i]));
    }
  }
}

// dgamma is summed per thread, then over the threads, so no two threads write one value.
template <typename T>
void norm_silu_backward(const T* x, const T* dy, T* dx, const float* gamma, float* dgamma,
                        int64_t B, int64_t C, int64_t P) {
  const int64_t blocks = (P + kBlock - 1) / kBlock;
  const int threads = at::get_num_threads();
  std::vector<float> partial(size_t(threads) * size_t(C), 0.0f);
  at::parallel_for(0, B * blocks, 1, [&](int64_t begin, int64_t end) {
    float* mine = partial.data() + size_t(at::get_thread_num()) * size_t(C);
    for (int64_t k = begin; k < end; ++k) {
      const int64_t b = k / blocks, p = (k % blocks) * kBlock;
      const int64_t offset = b * C * P + p;
      norm_silu_backward_block(x + offset, dy + offset, dx + offset, gamma, mine, C, P,
                               std::min(kBlock, P - p));
    }
  });
  for (int t = 0; t < threads; ++t)
    for (int64_t c = 0; c < C; ++c) dgamma[c] += partial[size_t(t) * size_t(C) + size_t(c)];
}

bool fits(const at::Tensor& x, const at::Tensor& gamma) {
  return x.defined() && x.device().is_cpu() && x.dim() >= 2 && x.is_contiguous() &&
         (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16) && gamma.defined() &&
         gamma.device().is_cpu() && gamma.scalar_type() == at::kFloat && gamma.is_contiguous() &&
         gamma.numel() == x.size(1);
}

at::Tensor forward(const at::Tensor& x, const at::Tensor& gamma) {
  at::Tensor y = at::empty_like(x);
  if (x.numel() == 0) return y;  // before dividing by B * C, which may be 0
  const int64_t B = x.size(0), C = x.size(1), P = x.numel() / (B * C);
  const float* g = gamma.data_ptr<float>();
  if (x.scalar_type() == at::kFloat)
    norm_silu(x.data_ptr<float>(), y.data_ptr<float>(), g, B, C, P);
  else
    norm_silu(reinterpret_cast<const uint16_t*>(x.data_ptr<at::BFloat16>()),
              reinterpret_cast<uint16_t*>(y.data_ptr<at::BFloat16>()), g, B, C, P);
  return y;
}

struct NormSiluFunction : torch::autograd::Function<NormSiluFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& gamma) {
    ctx->save_for_backward({x, gamma});
    return kino::gen::forward(x, gamma);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor gamma = saved[1].detach();
    const at::Tensor dy = grads[0].to(x.scalar_type()).contiguous();
    at::Tensor dx = at::empty_like(x);
    at::Tensor dgamma = at::zeros(gamma.sizes(), gamma.options());
    if (x.numel() == 0) return {dx, dgamma};
    const int64_t B = x.size(0), C = x.size(1), P = x.numel() / (B * C);
    const float* g = gamma.data_ptr<float>();
    float* dg = dgamma.data_ptr<float>();
    if (x.scalar_type() == at::kFloat) {
      norm_silu_backward(x.data_ptr<float>(), dy.data_ptr<float>(), dx.data_ptr<float>(), g, dg,
                         B, C, P);
    } else {
      auto bits = [](const at::Tensor& t) {
        return reinterpret_cast<uint16_t*>(t.data_ptr<at::BFloat16>());
      };
      norm_silu_backward<uint16_t>(bits(x), bits(dy), bits(dx), g, dg, B, C, P);
    }
    return {dx, dgamma};
  }
};

}  // namespace

bool vae_norm_silu_applies(const at::Tensor& x, const at::Tensor& gamma) {
  return !at::GradMode::is_enabled() && fits(x, gamma);
}

at::Tensor vae_norm_silu(const at::Tensor& x, const at::Tensor& gamma) {
  if (!vae_norm_silu_applies(x, gamma))
    fail_bad_request("vae_norm_silu needs a contiguous float32 or bfloat16 CPU tensor outside "
                     "autograd and one float32 gamma per channel");
  return forward(x, gamma);
}

bool vae_norm_silu_trainable_applies(const at::Tensor& x, const at::Tensor& gamma) {
  return fits(x, gamma);
}

at::Tensor vae_norm_silu_trainable(const at::Tensor& x, const at::Tensor& gamma) {
  if (!vae_norm_silu_trainable_applies(x, gamma))
    fail_bad_request("vae_norm_silu_trainable needs a contiguous float32 or bfloat16 CPU tensor "
                     "and one float32 gamma per channel");
  return NormSiluFunction::apply(x, gamma);
}

}  // namespace kino::gen
