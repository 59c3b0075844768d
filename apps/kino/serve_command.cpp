#include "serve_command.h"

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/log.h"
#include "http/http.h"
#include "service/service.h"
#include "store/store.h"
#if KINO_WITH_TORCH
#include "video_clip_generator.h"
#endif

namespace kino::cli {
namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string data = "kino-data";
  std::string db;  // empty: SQLite in the data folder
  std::string public_url;
  int workers = 1;
  bool require_skill_headers = false;
  std::string web;  // serve the page from this folder instead of the built-in copy
  GenerationEngineOptions engine;
  bool generation_remote = false;
};

void serve(const ServeOptions& o) {
  if (o.port < 0 || o.port > 65535)
    fail_bad_request("--port must be 0..65535, got " + std::to_string(o.port));
  if (o.workers < 0 || o.workers > 64)
    fail_bad_request("--workers must be 0..64, got " + std::to_string(o.workers));
  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  service::ServiceConfig config;
  config.data_dir = o.data;
  config.database_url = o.db;
  config.public_url = o.public_url;
  config.render_workers = o.workers;
  config.require_skill_headers = o.require_skill_headers;
  if (o.generation_remote && !store::store_url_is_postgres(o.db))
    fail_bad_request(
        "--generation-remote needs --db postgresql://... shared with `kino worker --model` "
        "processes (they run the generations)");
  config.generation_remote = o.generation_remote;
  service::Studio studio(config);
#if KINO_WITH_TORCH
  // With --generation-remote the workers hold the model; load one here only when named.
  std::unique_ptr<service::ClipGenerator> generator;
  if (!o.generation_remote || !o.engine.model.empty())
    generator =
        load_clip_generator(o.engine.model, o.engine.dtype, o.engine.device, o.engine.steps);
  if (generator) {
    log_info("generation model: " + generator->model_name());
    studio.set_clip_generator(std::move(generator));
  } else if (o.generation_remote) {
    log_info("generation requests are queued for `kino worker --model` processes");
  } else {
    log_info("no model installed: generation requests answer that none is (see `kino models`)");
  }
#else
  if (!o.engine.model.empty())
    fail(ErrorCode::unavailable,
         "--model needs a kino built with the generation engine (KINO_WITH_TORCH=ON)");
#endif
  http::ServerOptions options;
  options.host = o.host;
  options.port = uint16_t(o.port);
  options.web = o.web.empty() ? http::StaticFiles::embedded() : http::StaticFiles::from_dir(o.web);
  http::Server server(studio, options);
  server.start();
  if (o.workers > 0) {
    studio.start_workers();
  } else {
    log_info("--workers 0: this server runs no jobs; `kino worker` processes run them");
  }
  std::printf("kino serve: http://%s:%u (data in %s; Ctrl-C stops)\n", o.host.c_str(),
              unsigned(server.port()), o.data.c_str());
  std::fflush(stdout);

  if (store::store_url_is_postgres(o.db)) {
    // A shared store: now and then take back the jobs of workers that died.
    while (true) {
      timespec wait{30, 0};
      const int sig = sigtimedwait(&signals, nullptr, &wait);
      if (sig == SIGINT || sig == SIGTERM || (sig < 0 && errno != EAGAIN && errno != EINTR)) break;
      try {
        if (int64_t n = studio.store().job_requeue_running(); n > 0)
          log_info("re-queued " + std::to_string(n) + " job(s) of a worker that is gone");
      } catch (const std::exception& e) {
        log_error(std::string("re-queue sweep: ") + e.what());
      }
    }
  } else {
    int sig = 0;
    sigwait(&signals, &sig);
  }
  log_info("stopping: finishing replies in flight");
  server.stop();
  studio.stop_workers();
  log_info("stopped");
}

}  // namespace

void add_generation_engine_options(CLI::App* cmd, GenerationEngineOptions& o,
                                   const std::string& without_model) {
  cmd->add_option("--model", o.model,
                  "Generation model folder (default: the first installed model of `kino models`; "
                  "none: " +
                      without_model + ")");
#if KINO_WITH_TORCH
  cmd->add_option("--dtype", o.dtype, "Generation matmul dtype: bf16, f32 or f16")
      ->capture_default_str();
  cmd->add_option("--device", o.device, "Generation device: cpu or cuda[:N]")
      ->capture_default_str();
  cmd->add_option("--steps", o.steps,
                  "Denoising steps of generation jobs (0: the model's default; fewer are faster)")
      ->capture_default_str();
#endif
}

void add_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the studio server (HTTP API, jobs, storage)");
  cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o->port, "Port to listen on (0: any free port)")->capture_default_str();
  cmd->add_option("--data", o->data, "Data folder: database, server secret, files")
      ->capture_default_str();
  cmd->add_option("--db", o->db,
                  "PostgreSQL URL shared with other servers and `kino worker` processes "
                  "(default: SQLite in the data folder)");
  cmd->add_option("--public-url", o->public_url,
                  "Base URL for links in replies (default: from the Host header)");
  cmd->add_option("--workers", o->workers,
                  "Render jobs run at once (0: none here, `kino worker` processes run them)")
      ->capture_default_str();
  cmd->add_flag("--require-skill-headers", o->require_skill_headers,
                "Exports need X-Skill-Source/-Version/-Platform (402 otherwise)");
  cmd->add_option("--web", o->web,
                  "Serve the studio page from this folder (re-read on each request) instead of "
                  "the copy built into the binary");
  add_generation_engine_options(cmd, o->engine, "generation answers that no model is installed");
  cmd->add_flag("--generation-remote", o->generation_remote,
                "Accept generation requests without a model here: `kino worker --model` "
                "processes on the shared --db run them");
  cmd->callback([o] { serve(*o); });
}

void add_admin_command(CLI::App& app) {
  struct GrantOptions {
    std::string data = "kino-data";
    std::string db;
    std::string account;
    std::string token;
    int64_t amount = 0;
    std::string note = "admin grant";
  };
  auto o = std::make_shared<GrantOptions>();
  CLI::App* admin = app.add_subcommand("admin", "Administer a studio data folder");
  admin->require_subcommand(1);
  CLI::App* credits = admin->add_subcommand("credits", "Credits ledger");
  credits->require_subcommand(1);
  CLI::App* grant = credits->add_subcommand("grant", "Add credits to an account (a ledger grant)");
  grant->add_option("--data", o->data, "Data folder of the server")->capture_default_str();
  grant->add_option("--db", o->db, "The server's PostgreSQL URL, when it has one");
  grant->add_option("--account", o->account, "Account id (acc_...)");
  grant->add_option("--token", o->token, "Or: a bearer token of the account");
  grant->add_option("--amount", o->amount, "Credits to add (> 0)")->required();
  grant->add_option("--note", o->note, "Why (kept in the ledger)")->capture_default_str();
  grant->callback([o] {
    if (o->amount <= 0) fail_bad_request("--amount must be > 0, got " + std::to_string(o->amount));
    // The store alone: a Studio would re-queue the running server's jobs.
    auto store = store::store_open(o->db, std::filesystem::path(o->data) / "kino.db");
    std::string account = o->account;
    if (account.empty() && !o->token.empty()) {
      auto token = store->token_get(service::sha256_hex(o->token));
      if (!token) fail(ErrorCode::bad_token, "--token is unknown to " + o->data);
      account = token->account_id;
    }
    if (account.empty()) fail_bad_request("--account or --token is required");
    if (!store->account_get(account))
      fail(ErrorCode::not_found, "account \"" + account + "\" does not exist in " + o->data);
    store->ledger_append({0, account, store::LedgerKind::grant, o->amount, "", o->note, 0});
    auto b = store->ledger_balance(account);
    std::printf("%s: available %lld, frozen %lld, total %lld\n", account.c_str(),
                (long long)b.available, (long long)b.frozen, (long long)b.total);
  });
}

}  // namespace kino::cli
