#include "models_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "gen/gen.h"

namespace kino::cli {

void add_models_command(CLI::App& app) {
  CLI::App* models =
      app.add_subcommand("models", "Inspect model folders and run single model components");
  models->require_subcommand(1);

  CLI::App* inspect = models->add_subcommand(
      "inspect", "Print what a model folder holds: architecture, sizes, dtypes, what is missing");
  auto dir = std::make_shared<std::string>();
  inspect->add_option("dir", *dir, "Model folder or single .safetensors weight file")->required();
  inspect->callback([dir] { std::fputs(gen::model_folder_report(*dir).c_str(), stdout); });

  CLI::App* run = models->add_subcommand(
      "run",
      "Run one component on tensors read from a safetensors file and write its outputs to "
      "another (tensor names: docs/MODELS.md)");
  auto params = std::make_shared<gen::ComponentRunParams>();
  auto dtype = std::make_shared<std::string>("f32");
  auto model = std::make_shared<std::string>();
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  run->add_option("component", params->component, "Component to run")
      ->required()
      ->check(CLI::IsMember(gen::component_run_names()));
  run->add_option("--model", *model, "Model folder or single weight file (for dit)");
  run->add_option("--in", *in, "Input tensors (.safetensors)")->required();
  run->add_option("--out", *out, "Output tensors (.safetensors), written atomically")->required();
  run->add_option("--dtype", *dtype, "Matmul/attention dtype")
      ->check(CLI::IsMember({"f32", "bf16", "f16"}))
      ->capture_default_str();
  run->add_option("--device", params->device, "cpu or cuda[:N]")->capture_default_str();
  run->callback([params, dtype, model, in, out] {
    params->dtype = *gen::run_dtype_parse(*dtype);
    params->model = *model;
    params->in = *in;
    params->out = *out;
    gen::component_run(*params);
  });
}

}  // namespace kino::cli
