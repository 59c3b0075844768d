#pragma once
// `kino serve`: the studio server. `kino admin credits grant`: add credits to an account.
#include <CLI/CLI.hpp>

namespace kino::cli {

void add_serve_command(CLI::App& app);
void add_admin_command(CLI::App& app);

}  // namespace kino::cli
