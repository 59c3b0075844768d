#pragma once
// `kino serve`: the studio server. `kino admin credits grant`: add credits to an account.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace kino::cli {

// How a serving process (kino serve, kino worker) runs generation jobs.
struct GenerationEngineOptions {
  std::string model;  // model folder; empty: the first installed catalog model
  std::string dtype = "bf16";
  std::string device = "cpu";
  int64_t steps = 0;  // denoising steps of every job; 0: the model's default
};

// --model (`without_model` tells in its help what the process does without one) and, in a
// build with the generation engine, --dtype, --device and --steps.
void add_generation_engine_options(CLI::App* cmd, GenerationEngineOptions& o,
                                   const std::string& without_model);

void add_serve_command(CLI::App& app);
void add_admin_command(CLI::App& app);

}  // namespace kino::cli
