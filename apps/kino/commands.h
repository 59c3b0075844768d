#pragma once
// The subcommands of the kino binary; each registers itself on the app.
#include <CLI/CLI.hpp>

namespace kino::cli {

void add_render_command(CLI::App& app);
void add_probe_command(CLI::App& app);
void add_summary_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_worker_command(CLI::App& app);
#if KINO_WITH_TORCH
void add_generate_command(CLI::App& app);
void add_train_command(CLI::App& app);
#endif

}  // namespace kino::cli
