// kino: the one binary. Each subcommand lives in its own file (commands.h).
#include <cstdio>
#include <string>

#include "commands.h"
#include "core/error.h"
#if KINO_WITH_TORCH
#include "models_command.h"
#endif
#include "serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "kino: a self-hosted AI video studio. Generate clips, edit timelines, export MP4s.\n"
      "Run `kino <command> --help` for a command's options."};
  app.set_version_flag("--version", std::string("kino ") + KINO_VERSION);
  app.require_subcommand(1);
  kino::cli::add_render_command(app);
  kino::cli::add_probe_command(app);
  kino::cli::add_summary_command(app);
  kino::cli::add_demo_command(app);
  kino::cli::add_serve_command(app);
  kino::cli::add_admin_command(app);
  kino::cli::add_worker_command(app);
#if KINO_WITH_TORCH
  kino::cli::add_generate_command(app);
  kino::cli::add_models_command(app);
  kino::cli::add_train_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const kino::Error& e) {
    std::fprintf(stderr, "kino: error %d (%s): %s\n", int(e.code()),
                 std::string(kino::error_code_name(e.code())).c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kino: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
