#pragma once
// `kino models run <component>`: runs one component of a model on input tensors read from a
// safetensors file and writes its outputs to another, so kino can be checked against any other
// implementation. Tensor names per component are documented in docs/MODELS.md.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kino::gen {

// The dtype matmuls and attention run in; spelled as on the command line.
enum class RunDtype { f32, bf16, f16 };

std::string_view run_dtype_name(RunDtype dtype);
std::optional<RunDtype> run_dtype_parse(std::string_view name);

struct ComponentRunParams {
  std::string component;        // one of component_run_names()
  std::filesystem::path model;  // model folder or single weight file (dit)
  std::filesystem::path in;     // input tensors
  std::filesystem::path out;    // output tensors (written atomically)
  RunDtype dtype = RunDtype::f32;
  std::string device = "cpu";  // "cpu", "cuda", "cuda:1"
};

const std::vector<std::string>& component_run_names();

// Unknown component, missing or ill-shaped inputs: Error(bad_request) naming the tensor, the rule
// and the value; model folder problems: Error(unsupported / not_found).
void component_run(const ComponentRunParams& params);

}  // namespace kino::gen
