#include "gen/vae_norm_silu.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty_like.h>

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

template <typename T>
void norm_silu_block(const T* x, T* y, const float* gamma, int64_t C, int64_t stride,
                     int64_t n) {
  float ss[kBlock] = {}, inv[kBlock];
  for (int64_t c = 0; c < C; ++c) {
    const T* xc = x + c * stride;
    for (int64_t i = 0; i < n; ++i) {
      const float v = load(xc, i);
      ss[i] += v * v;
    }
  }
  const float root_c = std::sqrt(float(C));
  for (int64_t i = 0; i < n; ++i) inv[i] = root_c / std::max(std::sqrt(ss[i]), 1e-12f);
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

}  // namespace

bool vae_norm_silu_applies(const at::Tensor& x, const at::Tensor& gamma) {
  return !at::GradMode::is_enabled() && x.defined() && x.device().is_cpu() && x.dim() >= 2 &&
         x.is_contiguous() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16) &&
         gamma.defined() && gamma.device().is_cpu() && gamma.scalar_type() == at::kFloat &&
         gamma.is_contiguous() && gamma.numel() == x.size(1);
}

at::Tensor vae_norm_silu(const at::Tensor& x, const at::Tensor& gamma) {
  if (!vae_norm_silu_applies(x, gamma))
    fail_bad_request("vae_norm_silu needs a contiguous float32 or bfloat16 CPU tensor outside "
                     "autograd and one float32 gamma per channel");
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

}  // namespace kino::gen
