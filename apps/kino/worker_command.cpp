// `kino worker`: runs queued jobs (renders; generations when it has a model) from a
// PostgreSQL store shared with `kino serve` processes, without HTTP. Many workers on many machines
// share one queue: each job goes to exactly one of them (the store claims with FOR UPDATE SKIP
// LOCKED), idle workers wake on the store's notices, and the data folder is the shared blob store
// (the same path on every machine, e.g. a network mount).
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "serve_command.h"
#include "service/service.h"
#include "store/store.h"
#if KINO_WITH_TORCH
#include "video_clip_generator.h"
#endif

namespace kino::cli {
namespace {

struct WorkerOptions {
  std::string db;
  std::string data = "kino-data";
  int render_workers = 1;
  int render_threads = 0;
  int sweep_s = 30;
  GenerationEngineOptions engine;
};

void worker(const WorkerOptions& o) {
  if (!store::store_url_is_postgres(o.db))
    fail_bad_request(
        "--db must be a postgresql:// URL shared with the servers (a SQLite file serves one "
        "machine: run `kino serve` there), got \"" +
        store::store_url_redacted(o.db) + "\"");
  if (o.render_workers < 1 || o.render_workers > 64)
    fail_bad_request("--render-workers must be 1..64, got " + std::to_string(o.render_workers));
  if (o.render_threads < 0)
    fail_bad_request("--render-threads must be >= 0, got " + std::to_string(o.render_threads));
  if (o.sweep_s < 1)
    fail_bad_request("--sweep-seconds must be >= 1, got " + std::to_string(o.sweep_s));
  // Signals are taken by sigtimedwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  service::ServiceConfig config;
  config.data_dir = o.data;
  config.database_url = o.db;
  config.render_workers = o.render_workers;
  config.render_threads = o.render_threads;
  {
    service::Studio studio(config);  // re-queues the jobs of workers that are gone
#if KINO_WITH_TORCH
    // With a model this worker also takes generation jobs; without one it leaves them to
    // processes that have one.
    if (auto generator =
            load_clip_generator(o.engine.model, o.engine.dtype, o.engine.device, o.engine.steps)) {
      log_info("generation model: " + generator->model_name());
      studio.set_clip_generator(std::move(generator));
    } else {
      log_info("no model installed: this worker runs render jobs only");
    }
#else
    if (!o.engine.model.empty())
      fail(ErrorCode::unavailable,
           "--model needs a kino built with the generation engine (KINO_WITH_TORCH=ON)");
#endif
    studio.start_workers();
    std::printf("kino worker: running jobs from %s (files in %s; Ctrl-C stops)\n",
                store::store_url_redacted(o.db).c_str(), o.data.c_str());
    std::fflush(stdout);
    while (true) {
      timespec wait{o.sweep_s, 0};
      const int sig = sigtimedwait(&signals, nullptr, &wait);
      if (sig == SIGINT || sig == SIGTERM) break;
      if (sig < 0 && errno != EAGAIN && errno != EINTR) break;
      // Now and then, take back the jobs of workers that died (their machine crashed or
      // lost the network): the database has ended their sessions and freed their locks.
      try {
        if (int64_t n = studio.store().job_requeue_running(); n > 0)
          log_info("re-queued " + std::to_string(n) + " job(s) of a worker that is gone");
      } catch (const std::exception& e) {
        log_error(std::string("re-queue sweep: ") + e.what());
      }
    }
    log_info("stopping: cancelling jobs in flight");
    studio.stop_workers();
  }  // the store closes here, and with it this worker's claim on its jobs
  // The jobs this worker had in flight go back to the queue for another worker now,
  // rather than at the next sweep.
  const int64_t n = store::store_open(o.db, {})->job_requeue_running();
  log_info("stopped; re-queued " + std::to_string(n) + " job(s) in flight");
}

}  // namespace

void add_worker_command(CLI::App& app) {
  auto o = std::make_shared<WorkerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "worker", "Run queued jobs from a PostgreSQL store shared with `kino serve` (no HTTP)");
  cmd->add_option("--db", o->db, "PostgreSQL URL (postgresql://user:pass@host:5432/kino)")
      ->required();
  cmd->add_option("--data", o->data,
                  "Data folder shared with the servers (same path on every machine)")
      ->capture_default_str();
  cmd->add_option("--render-workers", o->render_workers, "Render jobs run at once")
      ->capture_default_str();
  cmd->add_option("--render-threads", o->render_threads, "Threads per render (0: all cores)")
      ->capture_default_str();
  cmd->add_option("--sweep-seconds", o->sweep_s,
                  "How often to re-queue the jobs of workers that are gone")
      ->capture_default_str();
  add_generation_engine_options(cmd, o->engine, "render jobs only");
  cmd->callback([o] { worker(*o); });
}

}  // namespace kino::cli
