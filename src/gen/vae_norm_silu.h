#pragma once
// The Wan VAE's RMS norm followed by SiLU, in one pass over memory for inference.
//
// Done with LibTorch ops, norm + SiLU is five passes over the activations (the channel norm, two
// multiplies, the SiLU, the casts); at the decoder's full resolution (96 channels, 832x480, four
// frames) that took 0.9 s against 2.3 s for the convolution after it. Here each block of
// positions is read twice from cache and written once.
#include <ATen/core/Tensor.h>

namespace kino::gen {

// True when vae_norm_silu() takes `x`: a contiguous CPU tensor of float32 or bfloat16 with at
// least two dimensions, no autograd recording, and `gamma` one float32 value per channel.
bool vae_norm_silu_applies(const at::Tensor& x, const at::Tensor& gamma);

// silu(x / rms * gamma[c]) where rms is the root mean square over dimension 1 (the channels)
// at each position, accumulated in float32 (the VAE's RMS_norm: x / ||x|| * sqrt(C) * gamma, the
// norm clamped below at 1e-12). Same shape and dtype as `x`; rounded once, so a bfloat16 result
// is as close to the exact value as bfloat16 allows. Error(bad_request) unless it applies.
at::Tensor vae_norm_silu(const at::Tensor& x, const at::Tensor& gamma);

// For training (`kino train vae`): the same value as an autograd node whose backward is one
// fused pass too (x and gamma may require grad; x is saved, the output is not). With LibTorch
// ops the norm and SiLU recorded six nodes and kept their intermediate tensors, and the
// element-wise and reduction kernels took about half of a vae training step's time. Applies
// whatever the grad mode, to the same tensors as above.
bool vae_norm_silu_trainable_applies(const at::Tensor& x, const at::Tensor& gamma);
at::Tensor vae_norm_silu_trainable(const at::Tensor& x, const at::Tensor& gamma);

}  // namespace kino::gen
