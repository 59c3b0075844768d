#include "gen/component_run.h"

#include <ATen/ATen.h>

#include <map>

#include "core/error.h"
#include "gen/tensor_io.h"
#include "gen/wan_dit.h"

namespace kino::gen {
namespace {

at::ScalarType scalar_type(RunDtype dtype) {
  switch (dtype) {
    case RunDtype::f32: return at::kFloat;
    case RunDtype::bf16: return at::kBFloat16;
    case RunDtype::f16: return at::kHalf;
  }
  return at::kFloat;
}

at::Device parse_device(const std::string& name) {
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

const at::Tensor& input(const std::map<std::string, at::Tensor>& in, const std::string& name,
                        const ComponentRunParams& p, const std::string& meaning) {
  auto it = in.find(name);
  if (it == in.end())
    fail_bad_request(p.in.string() + ": tensor '" + name + "' is required (" + meaning + ")");
  return it->second;
}

void run_dit(const ComponentRunParams& p, const std::map<std::string, at::Tensor>& in) {
  const at::Tensor& x = input(in, "x", p, "latent [B, C, T, H, W]");
  const at::Tensor& t = input(in, "t", p, "timesteps [B] or [B, L] in 0..1000");
  const at::Tensor& context = input(in, "context", p, "text encoder output [B, N, text_dim]");
  WanDitOptions options;
  options.dtype = scalar_type(p.dtype);
  options.device = parse_device(p.device);
  auto dit = wan_dit_load(p.model, options);
  at::Tensor v = dit->forward(x.to(at::kFloat), t, dit->embed_text(context.to(at::kFloat)));
  safetensors_write(p.out, {{"v", v}});
}

}  // namespace

std::string_view run_dtype_name(RunDtype dtype) {
  switch (dtype) {
    case RunDtype::f32: return "f32";
    case RunDtype::bf16: return "bf16";
    case RunDtype::f16: return "f16";
  }
  return "f32";
}

std::optional<RunDtype> run_dtype_parse(std::string_view name) {
  for (auto d : {RunDtype::f32, RunDtype::bf16, RunDtype::f16})
    if (run_dtype_name(d) == name) return d;
  return std::nullopt;
}

const std::vector<std::string>& component_run_names() {
  static const std::vector<std::string> names{"dit"};
  return names;
}

void component_run(const ComponentRunParams& p) {
  const auto& names = component_run_names();
  if (std::find(names.begin(), names.end(), p.component) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fail_bad_request("component must be one of " + list + ", got \"" + p.component + "\"");
  }
  at::NoGradGuard no_grad;
  const auto in = safetensors_read_all(p.in);
  if (p.component == "dit") run_dit(p, in);
}

}  // namespace kino::gen
