#pragma once
// How a generation model is loaded: the dtype its matmuls run in and the device. Plain types, so
// callers outside the module (the CLI, the service) need no LibTorch headers.
#include <string>

#include "gen/component_run.h"

namespace kino::gen {

struct PipelineOptions {
  RunDtype dtype = RunDtype::bf16;  // DiT, VAE and text encoder matmuls; norms stay float32
  std::string device = "cpu";       // "cpu", "cuda", "cuda:N"
  // true: the DiT stays loaded between runs (servers). false: each run loads it after the text
  // encoder is freed and frees it before decoding, so peak memory is the larger of the text
  // encoder and the DiT rather than their sum (one-shot CLI runs).
  bool resident_dit = true;
};

// How many threads LibTorch's CPU kernels use, process-wide. n <= 0: one per core the machine
// offers. LibTorch's own default counts physical cores only, which on some virtual machines is
// half of what is there: bf16 matmuls measured 195 GFLOP/s on one thread and 387-412 on two.
void set_compute_threads(int n);

// For work made of float32 matrix products (the DiT training steps): LibTorch at one thread and
// the BLAS at n. Both pools at n on two cores ran a dit step in 1.08 s, against 0.33 s this
// way: LibTorch's OpenMP workers spin between parallel regions while the BLAS's own pthread
// pool does the products, so three busy threads shared two cores. n <= 0: one per core.
void set_matmul_threads(int n);

}  // namespace kino::gen
