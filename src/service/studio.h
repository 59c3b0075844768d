#pragma once
// The studio service: accounts and tokens, sessions, credits, uploads, state, render
// and generation jobs with their workers, signed downloads and rate limits. Every method that takes
// a Caller sees only that account's data: another account's ids answer as unknown. Thread-safe.
// Methods report bad input as kino::Error with the API's codes.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/progress.h"
#include "service/chat_handler.h"
#include "service/clip_generator.h"
#include "service/rate_limiter.h"
#include "service/service_config.h"
#include "store/store.h"

namespace kino::service {

struct Caller {
  std::string account_id;
  std::string token_hash;  // rate-limit key
  std::string base_url;    // "http://host:port" for links in replies
};

// A file a signed URL points at.
struct DownloadFile {
  std::filesystem::path path;
  std::string content_type;
  std::string file_name;  // for Content-Disposition
};

class Studio {
 public:
  // Opens <data_dir>/kino.db and the blob folders, loads or creates the server secret,
  // re-queues jobs that were running when the last process stopped. Workers start with
  // start_workers().
  explicit Studio(ServiceConfig config);
  ~Studio();
  Studio(const Studio&) = delete;
  Studio& operator=(const Studio&) = delete;

  const ServiceConfig& config() const { return config_; }
  store::Store& store() { return *store_; }
  const store::BlobDir& blobs() const { return blobs_; }

  // Starts the render workers and the one generation worker.
  void start_workers();
  // Stops taking jobs, cancels renders and generations in flight (they stay `running` in
  // the store, credits still frozen, and are re-queued by the next start) and joins the
  // workers.
  void stop_workers();

  // Auth: a new anonymous account with starting credits; returns the bearer token.
  std::string anonymous_token(const std::string& client_id);
  // `authorization` is the raw header ("Bearer <token>"); throws Error(bad_token).
  Caller authenticate(const std::string& authorization);
  // Token bucket per key; 0 = allowed, else seconds to wait (Retry-After).
  int64_t rate_take_token(const std::string& token_hash);
  int64_t rate_take_ip(const std::string& ip);
  void usage_record(const Caller& caller, const SkillHeaders& skill);

  // Sessions: body {"task_name","language"} -> {"task_id","session_id"}.
  Json session_create(const Caller& caller, const Json& body);
  // The caller's session; unknown or someone else's -> Error(unknown_session).
  store::Session session_of(const Caller& caller, const std::string& session_id);

  Json credits_balance(const Caller& caller);
  void credits_grant(const std::string& account_id, int64_t amount, const std::string& note);

  // Uploads: a fresh temp path for one incoming file (same filesystem as the blobs).
  std::filesystem::path upload_temp_path();
  // Probes the finished temp file by content, moves it under its new media id and
  // records it. Takes ownership of the temp file (removed on failure). Error(unsupported)
  // for types outside the accepted list, Error(too_large) beyond upload_max_bytes.
  Json upload_add(const Caller& caller, const std::string& session_id,
                  const std::filesystem::path& temp_file, const std::string& original_name);

  // One upload request's files, all or nothing: every file is checked (size, type by
  // probe) before any is stored; the first failing file's error is thrown, naming it, and
  // then none is kept. Takes ownership of the temp files (removed unless stored).
  struct UploadFile {
    std::filesystem::path temp;
    std::string name;  // the client's file name
  };
  Json upload_files(const Caller& caller, const std::string& session_id,
                    const std::vector<UploadFile>& files);

  // Uploads by URL: body {"urls":["https://..."],"source_type":"url"}; each URL is
  // fetched (url_fetch.h rules, size and time capped) and added like a file.
  Json upload_urls(const Caller& caller, const std::string& session_id, const Json& body);

  // {"state":{"draft","video_infos","generated_media"}, "session_id", "version"}
  Json state(const Caller& caller, const std::string& session_id);
  // Saves a new draft version for the session after parsing and validating it.
  Json draft_save(const Caller& caller, const std::string& session_id, const Json& draft,
                  const std::string& note);

  // Render jobs (free). Body as the hosted API: {"id","sessionId","draft","output",
  // "callback_url"}. A repeated id returns the existing job.
  Json render_submit(const Caller& caller, const Json& body, const SkillHeaders& skill);
  Json render_status(const Caller& caller, const std::string& render_id);
  // The status reply for a job row (also used by chat turns).
  Json render_view(const store::Job& job, const std::string& base_url);

  // Signed links: "<base>/api/files/<kind>/<name>?exp=<unix s>&sig=<hex>".
  std::string signed_url(const std::string& base_url, const std::string& kind,
                         const std::string& name);
  // Checks a download's signature and expiry; Error(not_found) for anything wrong.
  DownloadFile download(const std::string& kind, const std::string& name, const std::string& exp,
                        const std::string& sig);

  // Generation jobs. The generator runs on the one generation worker; plug it in before
  // start_workers(). Without one (and without config.generation_remote), requests answer
  // Error(unavailable) ("no model installed") and nothing is charged.
  void set_clip_generator(std::unique_ptr<ClipGenerator> generator);
  // True when generation requests are accepted: a model here, or workers elsewhere.
  bool has_clip_generator() const { return generator_ != nullptr || config_.generation_remote; }
  std::string clip_generator_name() const;
  // Body {"id"?, "sessionId", "prompt", "negative"?, "seconds"?, "aspect"?, "resolution"?,
  // "seed"?, "image"? (an image media id: image-to-video)}. Freezes the cost from the
  // table (Error(no_credits) when short, saying how to get more) and queues the job; a
  // repeated id returns the existing job and freezes nothing.
  Json generation_submit(const Caller& caller, const Json& body);
  Json generation_status(const Caller& caller, const std::string& generation_id);
  // Cancels a queued or running generation and returns its credits; a final one is left
  // as it is. Returns the status.
  Json generation_cancel(const Caller& caller, const std::string& generation_id);
  Json generation_view(const store::Job& job, const std::string& base_url);

  ChatHandler& chat() { return *chat_; }
  void set_chat_handler(std::unique_ptr<ChatHandler> handler) { chat_ = std::move(handler); }

  Json media_view(const store::MediaRecord& m, const std::string& base_url);

 private:
  void worker_loop();
  // Claims the oldest queued job of `kind`; when there is none, waits on `wake` until a
  // submit or store notice wakes it, the poll interval passes or the service stops.
  std::optional<store::Job> claim_or_wait(const std::string& kind, std::condition_variable& wake);
  // Wakes the idle render and generation workers to look at the queue now.
  void wake_workers();
  // How long an idle worker waits before looking at the queue again.
  int64_t job_poll_ms() const {
    return store_notices_ ? config_.job_poll_notified_ms : config_.job_poll_ms;
  }
  void run_render(const store::Job& job);
  void post_callback(const store::Job& job);
  void generation_loop();
  void run_generation(const store::Job& job);
  // Generates (or finds, after a restart) the job's clip and records it; returns the result.
  Json generate_clip(const store::Job& job, const CancelToken& cancel);
  // Adds a finished clip to the end of the session's timeline (a new draft version).
  void place_on_timeline(const store::Job& job, const std::string& media_id);
  // Probes a file and fills a media record's kind, format, size, duration, size and info;
  // `label` names the file in errors.
  store::MediaRecord probe_record(const std::filesystem::path& file, const std::string& label);
  // Checks and probes one uploaded temp file without storing it.
  store::MediaRecord upload_check(const std::filesystem::path& temp_file,
                                  const std::string& original_name);

  ServiceConfig config_;
  store::BlobDir blobs_;
  std::unique_ptr<store::Store> store_;
  bool store_notices_ = false;  // the store wakes idle workers itself (job_listen)
  std::string secret_;
  RateLimiter token_limiter_;
  RateLimiter ip_limiter_;
  std::unique_ptr<ChatHandler> chat_;
  std::unique_ptr<ClipGenerator> generator_;
  std::atomic<bool> stopping_{false};
  std::mutex worker_mutex_;  // guards running_ and live_, wakes idle workers
  std::condition_variable worker_wake_;
  uint64_t wake_seq_ = 0;  // bumped by wake_workers(): a wake-up is never lost between a
                           // worker's empty claim and its wait
  std::condition_variable generation_wake_;
  std::map<std::string, CancelToken> running_;  // by job id
  std::map<std::string, Progress> live_;        // latest progress of running generations
  std::vector<std::thread> workers_;
};

}  // namespace kino::service
