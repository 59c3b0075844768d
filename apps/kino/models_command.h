#pragma once
// `kino models list`, `kino models pull NAME`, `kino models inspect DIR` and
// `kino models run <component> --model DIR --in X --out Y`.
#include <CLI/CLI.hpp>

namespace kino::cli {

void add_models_command(CLI::App& app);

}  // namespace kino::cli
