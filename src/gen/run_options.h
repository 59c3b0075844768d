#pragma once
// LibTorch spellings of the plain run options (RunDtype, device names) that cross the module's
// border.
#include <ATen/ATen.h>

#include <string>

#include "gen/component_run.h"

namespace kino::gen {

at::ScalarType run_dtype_scalar_type(RunDtype dtype);

// "cpu", "cuda", "cuda:N". Anything else: Error(bad_request); CUDA in a build without it:
// Error(unavailable).
at::Device run_device_parse(const std::string& name);

}  // namespace kino::gen
