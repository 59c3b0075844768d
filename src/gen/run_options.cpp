#include "gen/run_options.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include "core/error.h"
#include "gen/pipeline_options.h"

namespace kino::gen {

at::ScalarType run_dtype_scalar_type(RunDtype dtype) {
  switch (dtype) {
    case RunDtype::f32: return at::kFloat;
    case RunDtype::bf16: return at::kBFloat16;
    case RunDtype::f16: return at::kHalf;
  }
  return at::kFloat;
}

at::Device run_device_parse(const std::string& name) {
  try {
    at::Device device(name);
    if (device.is_cuda() && !at::hasCUDA())
      fail(ErrorCode::unavailable, "device " + name + " requested but this build has no CUDA");
    if (!device.is_cpu() && !device.is_cuda())
      fail_bad_request("device must be cpu or cuda[:N], got \"" + name + "\"");
    return device;
  } catch (const c10::Error&) {
    fail_bad_request("device must be cpu or cuda[:N], got \"" + name + "\"");
  }
}

namespace {

int threads_or_cores(int n) {
  return n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void set_blas_threads(int n) {
  // float32 matrix products go to the system BLAS (OpenBLAS where installed), whose own thread
  // pool ignores LibTorch's setting: left at one thread per core beside LibTorch's it spins in
  // sched_yield (a quarter of a training step's time, measured with one LibTorch thread).
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    f(n);
}

}  // namespace

void set_compute_threads(int n) {
  n = threads_or_cores(n);
  at::set_num_threads(n);
  set_blas_threads(n);
}

void set_matmul_threads(int n) {
  at::set_num_threads(1);
  set_blas_threads(threads_or_cores(n));
}

}  // namespace kino::gen
