#include "models_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "core/error.h"
#include "gen/gen.h"
#include "gen/model_catalog.h"
#include "gen/model_download.h"
#include "progress_bar.h"

namespace kino::cli {
namespace {

namespace fs = std::filesystem;

// Ctrl-C during a pull cancels it (the .part file stays for the next run to resume).
// CancelToken::cancel is a lock-free atomic store, safe in a signal handler.
const CancelToken* g_interrupt_cancel = nullptr;
extern "C" void on_interrupt(int) {
  if (g_interrupt_cancel) g_interrupt_cancel->cancel();
}

// A byte progress line for downloads: "name  1.20 GB / 2.84 GB  42%  31.5 MB/s  ETA 52s".
// The rate counts only bytes fetched in this run, so a resumed download shows its true speed.
class DownloadBar {
 public:
  void update(const Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (first_) {
      start_done_ = p.done;
      start_ = now;
      first_ = false;
    }
    const bool file_changed = p.stage != stage_;
    if (!file_changed && now - last_ < std::chrono::milliseconds(tty_ ? 200 : 10000)) return;
    last_ = now;
    stage_ = p.stage;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0.5 ? double(p.done - start_done_) / secs : 0;
    const double eta = rate > 0 ? double(p.total - p.done) / rate : -1;
    std::fprintf(stderr, "%s%-44s %10s / %-10s %3.0f%%  %s/s  ETA %s%s", tty_ ? "\r" : "",
                 p.stage.c_str(), format_bytes(p.done).c_str(), format_bytes(p.total).c_str(),
                 p.fraction() * 100, format_bytes(int64_t(rate)).c_str(),
                 format_seconds(eta).c_str(), tty_ ? "   " : "\n");
    std::fflush(stderr);
    open_ = tty_;
  }
  ~DownloadBar() {
    if (open_) std::fputc('\n', stderr);
  }

 private:
  bool tty_ = isatty(STDERR_FILENO) != 0;
  bool first_ = true, open_ = false;
  int64_t start_done_ = 0;
  std::string stage_;
  std::chrono::steady_clock::time_point start_, last_;
};

void print_models(const fs::path& root, bool verify) {
  std::printf("models folder: %s\n", root.c_str());
  for (const auto& m : gen::model_catalog()) {
    const gen::CatalogModelStatus st = gen::model_catalog_status(m, root / m.name, verify);
    std::printf("%-18s %-9s %s of ~%s  %s\n", m.name.c_str(),
                std::string(gen::model_state_name(st.state)).c_str(),
                format_bytes(st.bytes_present).c_str(), format_bytes(m.total_bytes()).c_str(),
                m.description.c_str());
    if (st.state != gen::ModelState::partial) continue;
    for (const auto& f : st.files) {
      const char* what = f.complete            ? "complete"
                         : f.partial           ? "partial (.part, resumable)"
                         : f.bytes_present > 0 ? "not verified"
                                               : "missing";
      std::printf("    %-50s %-26s %s%s%s\n", f.file->name.c_str(), what,
                  format_bytes(f.bytes_present).c_str(), f.problem.empty() ? "" : ": ",
                  f.problem.c_str());
    }
  }
  // Other model folders: anything else under the models folder that holds weights.
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  std::vector<fs::path> others;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (!e.is_directory() || gen::model_catalog_find(e.path().filename().string())) continue;
    others.push_back(e.path());
  }
  std::sort(others.begin(), others.end());
  for (const auto& dir : others) {
    std::printf("%-18s ", dir.filename().c_str());
    try {
      gen::ModelFolder folder = gen::model_folder_scan(dir);
      if (folder.dit_files.empty()) {
        std::printf("other     no DiT weights (kino models inspect %s)\n", dir.c_str());
        continue;
      }
      gen::DitDescription d = gen::model_folder_describe_dit(folder);
      std::printf("local     Wan %s; vae %s, text encoder %s\n", d.config.summary().c_str(),
                  folder.vae_files.empty() ? "missing" : "present",
                  folder.text_encoder_files.empty() ? "missing" : "present");
    } catch (const Error& e) {
      std::printf("unusable  %s\n", e.what());
    }
  }
}

}  // namespace

void add_models_command(CLI::App& app) {
  CLI::App* models = app.add_subcommand(
      "models", "List, download and inspect models; run single model components");
  models->require_subcommand(1);

  CLI::App* list = models->add_subcommand(
      "list", "Catalog models (installed, partial or absent, with sizes) and other model folders");
  auto list_dir = std::make_shared<std::string>();
  auto verify = std::make_shared<bool>(false);
  list->add_option("--dir", *list_dir,
                   "Models folder (default: $KINO_MODELS_DIR, else "
                   "$XDG_DATA_HOME/kino/models, else ~/.local/share/kino/models)");
  list->add_flag("--verify", *verify, "Re-hash installed files against the recorded sha256 (slow)");
  list->callback([list_dir, verify] {
    print_models(list_dir->empty() ? gen::models_dir() : fs::path(*list_dir), *verify);
  });

  CLI::App* pull = models->add_subcommand(
      "pull",
      "Download a catalog model into <models folder>/NAME (resumable; Ctrl-C keeps the "
      "partial file)");
  auto name = std::make_shared<std::string>();
  auto pull_dir = std::make_shared<std::string>();
  auto base_url = std::make_shared<std::string>();
  std::vector<std::string> names;
  for (const auto& m : gen::model_catalog()) names.push_back(m.name);
  pull->add_option("name", *name, "Catalog model")->required()->check(CLI::IsMember(names));
  pull->add_option("--dir", *pull_dir, "Models folder (default as for `models list`)");
  pull->add_option("--base-url", *base_url,
                   "Hub base URL; files are fetched from <base>/<repo>/resolve/main/<path> "
                   "(default: $KINO_MODELS_BASE_URL, else " +
                       std::string(gen::kModelsDefaultBaseUrl) + ")");
  pull->callback([name, pull_dir, base_url] {
    const gen::CatalogModel& model = *gen::model_catalog_find(*name);
    const fs::path dir = (pull_dir->empty() ? gen::models_dir() : fs::path(*pull_dir)) / model.name;
    CancelToken cancel;
    g_interrupt_cancel = &cancel;
    struct sigaction sa {
    }, old_int{}, old_term{};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct Restore {
      struct sigaction a, b;
      ~Restore() {
        sigaction(SIGINT, &a, nullptr);
        sigaction(SIGTERM, &b, nullptr);
        g_interrupt_cancel = nullptr;
      }
    } restore{old_int, old_term};

    DownloadBar bar;
    gen::DownloadOptions options;
    options.base_url = *base_url;
    options.cancel = &cancel;
    options.progress = [&](const Progress& p) { bar.update(p); };
    std::fprintf(stderr, "pulling %s (~%s) into %s from %s\n", model.name.c_str(),
                 format_bytes(model.total_bytes()).c_str(), dir.c_str(),
                 gen::models_base_url(*base_url).c_str());
    const auto t0 = std::chrono::steady_clock::now();
    gen::DownloadStats s;
    try {
      s = gen::model_pull(model, dir, options);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled)
        std::fprintf(stderr, "\ninterrupted: run `kino models pull %s` again to resume\n",
                     model.name.c_str());
      throw;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "%s: %d file(s) downloaded, %d already present, %s fetched in %s; installed in %s\n",
        model.name.c_str(), s.files_downloaded, s.files_already_present,
        format_bytes(s.bytes_received).c_str(), format_seconds(secs).c_str(), dir.c_str());
  });

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
