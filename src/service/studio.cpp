#include "service/studio.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "core/log.h"
#include "core/utf8.h"
#include "media/media.h"
#include "render/render.h"
#include "service/crypto.h"
#include "service/temp_files.h"
#include "service/url_fetch.h"
#include "timeline/timeline.h"

namespace kino::service {
namespace fs = std::filesystem;

namespace {

struct FormatInfo {
  std::string_view format;
  std::string_view content_type;
};
// The upload formats the API accepts (by probed content) and their MIME types.
constexpr std::array<FormatInfo, 13> kAccepted{{
    {"mp4", "video/mp4"},
    {"mov", "video/quicktime"},
    {"avi", "video/x-msvideo"},
    {"webm", "video/webm"},
    {"mkv", "video/x-matroska"},
    {"jpg", "image/jpeg"},
    {"png", "image/png"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"m4a", "audio/mp4"},
    {"aac", "audio/aac"},
}};

std::string accepted_list() {
  std::string out;
  for (const auto& f : kAccepted) out += (out.empty() ? "" : ", ") + std::string(f.format);
  return out;
}

std::string content_type_of(std::string_view format) {
  for (const auto& f : kAccepted)
    if (f.format == format) return std::string(f.content_type);
  return "application/octet-stream";
}

// The server secret for signed URLs: 256 random bits in <data_dir>/server_secret (mode
// 0600), created on first start so links survive restarts.
std::string load_or_create_secret(const fs::path& file) {
  std::ifstream in(file);
  std::string secret;
  if (in && std::getline(in, secret) && secret.size() >= 32) return secret;
  secret = random_hex(32);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fail(ErrorCode::internal, "cannot write the server secret " + file.string());
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == ssize_t(line.size());
  ::close(fd);
  if (!ok) fail(ErrorCode::internal, "cannot write the server secret " + file.string());
  return secret;
}

// A client's file name for display: valid UTF-8 (bad bytes become U+FFFD), no control
// characters, at most 255 bytes cut on a character boundary; "upload" when nothing is left.
std::string display_name(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    const Utf8Step step = utf8_next(name, i);
    i += step.length;
    const char32_t cp = step.valid ? step.cp : char32_t(0xFFFD);
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    std::string ch;
    utf8_append(ch, uint32_t(cp));
    if (out.size() + ch.size() > 255) break;
    out += ch;
  }
  return out.empty() ? std::string("upload") : out;
}

bool text_ok(const std::string& s, size_t max_len) {
  if (s.size() > max_len) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

std::string render_status_word(store::JobState s) {
  switch (s) {
    case store::JobState::queued: return "queued";
    case store::JobState::running: return "rendering";
    case store::JobState::completed: return "completed";
    case store::JobState::failed:
    case store::JobState::cancelled: return "failed";
  }
  return "failed";
}

constexpr int kMaxRenderAttempts = 3;  // a job that keeps crashing the server is failed

}  // namespace

Studio::Studio(ServiceConfig config)
    : config_(std::move(config)),
      blobs_(config_.data_dir),
      store_(store::store_open(config_.database_url, config_.data_dir / "kino.db")),
      secret_(load_or_create_secret(config_.data_dir / "server_secret")),
      token_limiter_(config_.token_rate),
      ip_limiter_(config_.ip_rate),
      chat_(agent_chat_handler(*this)) {
  // A data folder shared with other machines holds their files in progress too.
  blobs_.clear_temp(store::store_url_is_postgres(config_.database_url) ? std::chrono::hours(1)
                                                                       : std::chrono::hours(0));
  int64_t requeued = store_->job_requeue_running();
  if (requeued > 0) log_info("re-queued " + std::to_string(requeued) + " interrupted job(s)");
  // A shared store announces what other processes do: a queued job wakes the idle workers
  // at once (they poll only as a fallback), and a job this process runs that was finished
  // elsewhere (cancelled through another server) is stopped here.
  store_notices_ = store_->job_listen([this](const store::JobNotice& n) {
    if (n.queued) {
      wake_workers();
      return;
    }
    CancelToken token;
    {
      std::lock_guard lock(worker_mutex_);
      auto it = running_.find(n.job_id);
      if (it == running_.end()) return;
      token = it->second;
    }
    auto job = store_->job_get(n.job_id);
    if (job && store::job_state_final(job->state)) token.cancel();
  });
}

Studio::~Studio() {
  store_->job_listen(nullptr);
  stop_workers();
}

void Studio::start_workers() {
  stopping_ = false;
  for (int i = 0; i < std::max(1, config_.render_workers); ++i)
    workers_.emplace_back([this] { worker_loop(); });
  // On a shared store only a process with a model takes generation jobs: one without
  // would fail jobs that another machine's model could run.
  if (generator_ || !store::store_url_is_postgres(config_.database_url))
    workers_.emplace_back([this] { generation_loop(); });
}

void Studio::stop_workers() {
  {
    std::lock_guard lock(worker_mutex_);
    stopping_ = true;
    for (auto& [id, c] : running_) c.cancel();
  }
  worker_wake_.notify_all();
  generation_wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

// ---- auth ----

std::string Studio::anonymous_token(const std::string& client_id) {
  if (client_id.empty())
    fail_bad_request("X-Client-Id header is required (a UUID identifying the client)");
  if (!text_ok(client_id, 128))
    fail_bad_request("X-Client-Id must be 1..128 printable characters, got " +
                     std::to_string(client_id.size()) + " bytes");
  const int64_t now = now_unix_ms();
  store::Account account{make_id("acc_"), client_id, "anonymous", now};
  store_->account_create(account);
  std::string token = random_hex(32);
  store_->token_create({sha256_hex(token), account.id, now, now + config_.token_ttl_ms});
  if (config_.starting_credits > 0)
    store_->ledger_append({0, account.id, store::LedgerKind::grant, config_.starting_credits, "",
                           "starting credits", 0});
  return token;
}

Caller Studio::authenticate(const std::string& authorization) {
  std::string_view h = authorization;
  constexpr std::string_view kScheme = "bearer ";
  if (h.size() <= kScheme.size())
    fail(ErrorCode::bad_token, "Authorization: Bearer <token> is required");
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != kScheme[i])
      fail(ErrorCode::bad_token, "Authorization must use the Bearer scheme");
  std::string token(h.substr(kScheme.size()));
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  std::string hash = sha256_hex(token);
  auto row = store_->token_get(hash);
  if (!row || !constant_time_equal(row->hash_hex, hash))
    fail(ErrorCode::bad_token, "token is unknown; get one from /api/auth/anonymous-token");
  if (row->expires_ms <= now_unix_ms())
    fail(ErrorCode::bad_token, "token expired; get a new one from /api/auth/anonymous-token");
  return Caller{row->account_id, hash, ""};
}

int64_t Studio::rate_take_token(const std::string& token_hash) {
  return token_limiter_.take(token_hash);
}
int64_t Studio::rate_take_ip(const std::string& ip) {
  return ip_limiter_.take(ip);
}

void Studio::usage_record(const Caller& caller, const SkillHeaders& skill) {
  if (!skill.any()) return;
  auto clip = [](const std::string& s) { return s.substr(0, 100); };
  store_->usage_record(caller.account_id, clip(skill.source), clip(skill.version),
                       clip(skill.platform), now_unix_ms());
}

// ---- sessions ----

Json Studio::session_create(const Caller& caller, const Json& body) {
  if (!body.is_object() && !body.is_null())
    fail_bad_request("body must be a JSON object, got " + json_brief(body));
  const Json obj = body.is_object() ? body : Json::object();
  std::string task_name = json_string(obj, "task_name", "task_name", "project");
  std::string language = json_string(obj, "language", "language", "en");
  if (task_name.empty() || !text_ok(task_name, 200))
    fail_bad_request("task_name must be 1..200 printable characters, got " + json_brief(task_name));
  if (language.empty() || language.size() > 16 || !id_is_safe(language))
    fail_bad_request("language must be a language tag like \"en\" or \"zh\", got " +
                     json_brief(language));
  store::Session s{make_id("ses_"), caller.account_id, make_id("task_"),
                   task_name,       language,          now_unix_ms()};
  store_->session_create(s);
  store_->draft_append(s.id, timeline::draft_to_json(timeline::Draft{}), "created");
  return Json{{"task_id", s.task_id}, {"session_id", s.id}, {"language", s.language}};
}

store::Session Studio::session_of(const Caller& caller, const std::string& session_id) {
  if (id_is_safe(session_id)) {
    auto s = store_->session_get(session_id);
    if (s && s->account_id == caller.account_id) return *s;
  }
  fail(ErrorCode::unknown_session, "session " + json_brief(session_id) +
                                       " not found; create one with "
                                       "/api/tasks/me/with-session/nemo_agent");
}

// ---- credits ----

Json Studio::credits_balance(const Caller& caller) {
  auto b = store_->ledger_balance(caller.account_id);
  return Json{{"available", b.available}, {"frozen", b.frozen}, {"total", b.total}};
}

void Studio::credits_grant(const std::string& account_id, int64_t amount, const std::string& note) {
  if (!store_->account_get(account_id))
    fail(ErrorCode::not_found, "account " + json_brief(account_id) + " does not exist");
  store_->ledger_append({0, account_id, store::LedgerKind::grant, amount, "", note, 0});
}

// ---- uploads and state ----

fs::path Studio::upload_temp_path() {
  return blobs_.temp_path(".upload");
}

store::MediaRecord Studio::probe_record(const fs::path& file, const std::string& label) {
  std::error_code ec;
  const int64_t size = int64_t(fs::file_size(file, ec));
  if (ec) fail(ErrorCode::internal, label + ": file vanished: " + ec.message());
  media::MediaInfo info;
  try {
    info = media::probe(file);
  } catch (const Error& e) {
    // The probe names the temp path; the client knows its file by its own name.
    std::string why = e.what();
    const std::string temp = file.string();
    size_t at = why.find(temp);
    while (at != std::string::npos) {
      why.replace(at, temp.size(), label);
      at = why.find(temp, at + label.size());
    }
    fail(e.code(), why.rfind(label, 0) == 0 ? why : label + ": " + why);
  }
  store::MediaRecord m;
  m.kind = std::string(media::media_kind_name(info.kind));
  m.format = info.format;
  m.size_bytes = size;
  m.duration_ms = info.duration_ms;
  m.width = info.width;
  m.height = info.height;
  m.info = Json{{"has_video", info.has_video},     {"has_audio", info.has_audio},
                {"fps", info.fps.str()},           {"frame_count", info.frame_count},
                {"animated", info.animated},       {"video_codec", info.video_codec},
                {"audio_codec", info.audio_codec}, {"sample_rate", info.sample_rate},
                {"channels", info.channels}};
  return m;
}

store::MediaRecord Studio::upload_check(const fs::path& temp_file,
                                        const std::string& original_name) {
  std::error_code ec;
  const int64_t size = int64_t(fs::file_size(temp_file, ec));
  if (ec) fail(ErrorCode::internal, "upload temp file vanished: " + ec.message());
  const std::string label = display_name(original_name);
  if (size > config_.upload_max_bytes)
    fail(ErrorCode::too_large,
         label + ": file size must be <= " + std::to_string(config_.upload_max_bytes) +
             " bytes, got " + std::to_string(size));
  if (size == 0) fail(ErrorCode::unsupported, label + ": file is empty");
  store::MediaRecord m = probe_record(temp_file, label);
  bool accepted = false;
  for (const auto& f : kAccepted) accepted = accepted || f.format == m.format;
  if (!accepted)
    fail(ErrorCode::unsupported,
         label + ": type \"" + m.format + "\" is not accepted; accepted types: " + accepted_list());
  m.name = label;
  return m;
}

Json Studio::upload_add(const Caller& caller, const std::string& session_id,
                        const fs::path& temp_file, const std::string& original_name) {
  return upload_files(caller, session_id, {{temp_file, original_name}}).at(0);
}

Json Studio::upload_files(const Caller& caller, const std::string& session_id,
                          const std::vector<UploadFile>& files) {
  TempFiles temps;
  for (const auto& f : files) temps.add(f.temp);
  store::Session session = session_of(caller, session_id);
  if (files.empty()) fail_bad_request("an upload needs at least one file");
  // Every file is checked before any is stored: one bad file keeps the whole request out.
  std::vector<store::MediaRecord> records;
  for (size_t i = 0; i < files.size(); ++i) {
    try {
      records.push_back(upload_check(files[i].temp, files[i].name));
    } catch (const Error& e) {
      if (files.size() == 1) throw;
      fail(e.code(), std::string(e.what()) + " (file " + std::to_string(i + 1) + " of " +
                         std::to_string(files.size()) + "; none of the files was stored)");
    }
  }
  const int64_t now = now_unix_ms();
  std::vector<fs::path> committed;
  try {
    for (size_t i = 0; i < files.size(); ++i) {
      store::MediaRecord& m = records[i];
      m.id = make_id("med_");
      m.account_id = caller.account_id;
      m.session_id = session.id;
      m.origin = store::MediaOrigin::upload;
      m.created_ms = now;
      blobs_.commit(files[i].temp, blobs_.media_path(m.id));
      committed.push_back(blobs_.media_path(m.id));
    }
  } catch (...) {
    std::error_code ec;
    for (const auto& p : committed) fs::remove(p, ec);
    throw;
  }
  temps.release();
  Json out = Json::array();
  for (const auto& m : records) {
    store_->media_create(m);
    out.push_back(media_view(m, caller.base_url));
  }
  return out;
}

Json Studio::upload_urls(const Caller& caller, const std::string& session_id, const Json& body) {
  session_of(caller, session_id);
  if (!body.is_object()) fail_bad_request("body must be a JSON object, got " + json_brief(body));
  const std::string source = json_string(body, "source_type", "source_type", "url");
  if (source != "url") fail_bad_request("source_type must be \"url\", got " + json_brief(source));
  const Json urls = body.value("urls", Json());
  if (!urls.is_array() || urls.empty())
    fail_bad_request("urls must be a non-empty array of http(s) URLs, got " + json_brief(urls));
  if (int(urls.size()) > config_.upload_max_urls)
    fail_bad_request("urls must hold at most " + std::to_string(config_.upload_max_urls) +
                     " URLs, got " + std::to_string(urls.size()));
  UrlFetchLimits limits;
  limits.max_bytes = config_.upload_max_bytes;
  limits.timeout_ms = config_.url_fetch_timeout_ms;
  limits.allow_private = config_.url_fetch_allow_private;
  for (size_t i = 0; i < urls.size(); ++i)
    if (!urls[i].is_string())
      fail_bad_request(json_path("urls", i) + " must be a string, got " + json_brief(urls[i]));
  // All fetched, then all checked and stored together (upload_files: all or nothing).
  TempFiles temps;
  std::vector<UploadFile> files;
  for (size_t i = 0; i < urls.size(); ++i) {
    const fs::path temp = upload_temp_path();
    temps.add(temp);
    files.push_back({temp, url_fetch(urls[i].get<std::string>(), temp, limits)});
  }
  temps.release();  // upload_files owns them now
  return upload_files(caller, session_id, files);
}

Json Studio::media_view(const store::MediaRecord& m, const std::string& base_url) {
  return Json{{"media_id", m.id},
              {"name", m.name},
              {"type", m.kind},
              {"format", m.format},
              {"size", m.size_bytes},
              {"duration_ms", m.duration_ms},
              {"width", m.width},
              {"height", m.height},
              {"fps", m.info.value("fps", "0")},
              {"has_audio", m.info.value("has_audio", false)},
              {"origin", std::string(store::media_origin_name(m.origin))},
              {"url", signed_url(base_url, "media", m.id)}};
}

Json Studio::state(const Caller& caller, const std::string& session_id) {
  store::Session s = session_of(caller, session_id);
  auto draft = store_->draft_latest(s.id);
  Json infos = Json::array(), generated = Json::array();
  for (const auto& m : store_->media_list(s.id, store::MediaOrigin::upload))
    infos.push_back(media_view(m, caller.base_url));
  for (const auto& m : store_->media_list(s.id, store::MediaOrigin::generated))
    generated.push_back(media_view(m, caller.base_url));
  // The session's latest generation jobs, in flight or finished, with their progress.
  Json generations = Json::array();
  auto jobs = store_->job_list(s.id, "generate");
  const size_t skip = jobs.size() > size_t(config_.generation_list_max)
                          ? jobs.size() - config_.generation_list_max
                          : 0;
  for (size_t i = skip; i < jobs.size(); ++i)
    generations.push_back(generation_view(jobs[i], caller.base_url));
  return Json{{"session_id", s.id},
              {"task_id", s.task_id},
              {"version", draft ? draft->version : 0},
              {"state",
               {{"draft", draft ? draft->draft : Json::object()},
                {"video_infos", infos},
                {"generated_media", generated},
                {"generations", generations}}}};
}

Json Studio::draft_save(const Caller& caller, const std::string& session_id, const Json& draft,
                        const std::string& note) {
  store::Session s = session_of(caller, session_id);
  timeline::draft_validate(timeline::draft_from_json(draft));
  auto v = store_->draft_append(s.id, draft, note);
  return Json{{"version", v.version}};
}

// ---- renders ----

Json Studio::render_submit(const Caller& caller, const Json& body, const SkillHeaders& skill) {
  if (config_.require_skill_headers && !skill.complete())
    fail(ErrorCode::payment_required,
         "exports on this server need the X-Skill-Source, X-Skill-Version and "
         "X-Skill-Platform headers");
  if (!body.is_object()) fail_bad_request("body must be a JSON object, got " + json_brief(body));
  std::string ref = json_string(body, "id", "id", "");
  if (ref.empty()) ref = "render_" + std::to_string(now_unix_ms()) + "_" + make_id("", 4);
  if (!id_is_safe(ref))
    fail_bad_request("id must be 1..128 characters of [A-Za-z0-9_-], got " + json_brief(ref));
  store::Session s = session_of(caller, json_require_string(body, "sessionId", "sessionId"));

  Json draft_json;
  if (body.contains("draft") && !body["draft"].is_null()) {
    draft_json = body["draft"];
  } else {
    auto latest = store_->draft_latest(s.id);
    draft_json = latest ? latest->draft : Json::object();
  }
  if (!draft_json.is_object())
    fail_bad_request("draft must be a JSON object, got " + json_brief(draft_json));
  timeline::Draft draft = timeline::draft_from_json(draft_json);
  timeline::draft_validate(draft);
  if (draft.end_ms() <= 0) fail_bad_request("draft is empty: add media to the timeline first");
  for (size_t t = 0; t < draft.tracks.size(); ++t) {
    for (size_t i = 0; i < draft.tracks[t].segments.size(); ++i) {
      const auto& seg = draft.tracks[t].segments[i];
      if (draft.tracks[t].type == timeline::TrackType::text) continue;
      auto m = id_is_safe(seg.source) ? store_->media_get(seg.source) : std::nullopt;
      if (!m || m->account_id != caller.account_id)
        fail(ErrorCode::not_found, "t[" + std::to_string(t) + "].sg[" + std::to_string(i) +
                                       "] source " + json_brief(seg.source) +
                                       " is not a media id in this account's library");
    }
  }

  const Json output = body.value("output", Json::object());
  if (!output.is_object())
    fail_bad_request("output must be a JSON object, got " + json_brief(output));
  std::string format = json_string(output, "format", "output.format", "mp4");
  std::string quality = json_string(output, "quality", "output.quality", "high");
  if (!media::container_format_parse(format))
    fail_bad_request("output.format must be one of mp4, webm, gif, got " + json_brief(format));
  if (!media::quality_parse(quality))
    fail_bad_request("output.quality must be one of high, medium, low, got " + json_brief(quality));
  std::string callback = json_string(body, "callback_url", "callback_url", "");
  if (!callback.empty() && callback.rfind("http://", 0) != 0 && callback.rfind("https://", 0) != 0)
    fail_bad_request("callback_url must be an http:// or https:// URL, got " +
                     json_brief(callback));
  if (!text_ok(callback, 2048)) fail_bad_request("callback_url must be at most 2048 characters");

  store::Job job;
  job.id = make_id("job_");
  job.client_ref = ref;
  job.account_id = caller.account_id;
  job.session_id = s.id;
  job.kind = "render";
  job.params = Json{{"draft", draft_json},
                    {"format", format},
                    {"quality", quality},
                    {"base_url", caller.base_url}};
  job.callback_url = callback;
  bool created = false;
  store::Job stored = store_->job_submit(job, &created);
  if (created) wake_workers();
  return render_view(stored, caller.base_url);
}

Json Studio::render_status(const Caller& caller, const std::string& render_id) {
  auto job = id_is_safe(render_id) ? store_->job_find(caller.account_id, "render", render_id)
                                   : std::nullopt;
  if (!job) fail(ErrorCode::not_found, "render " + json_brief(render_id) + " not found");
  return render_view(*job, caller.base_url);
}

Json Studio::render_view(const store::Job& job, const std::string& base_url) {
  Json v{{"id", job.client_ref},
         {"renderId", job.client_ref},
         {"jobId", job.id},
         {"sessionId", job.session_id},
         {"status", render_status_word(job.state)},
         {"progress", job.progress},
         {"created_at", job.created_ms},
         {"updated_at", job.updated_ms}};
  if (job.state == store::JobState::completed) {
    std::string format = job.result.value("format", "mp4");
    Json out{{"url", signed_url(base_url, "renders", job.id + "." + format)},
             {"size", job.result.value("size", int64_t(0))},
             {"format", format},
             {"width", job.result.value("width", 0)},
             {"height", job.result.value("height", 0)},
             {"duration_ms", job.result.value("duration_ms", int64_t(0))},
             {"expires_in_s", config_.download_url_ttl_ms / 1000}};
    v["output"] = out;
  } else if (job.state == store::JobState::failed || job.state == store::JobState::cancelled) {
    v["error"] = job.error.empty() ? std::string("render failed") : job.error;
  }
  return v;
}

void Studio::wake_workers() {
  {
    std::lock_guard lock(worker_mutex_);
    ++wake_seq_;
  }
  worker_wake_.notify_all();
  generation_wake_.notify_all();
}

void Studio::worker_loop() {
  auto next_sweep = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (std::chrono::steady_clock::now() >= next_sweep) {
      next_sweep += std::chrono::hours(1);
      try {
        store_->token_delete_expired(now_unix_ms());  // expired tokens answer 1001 anyway
      } catch (const std::exception& e) {
        log_error(std::string("token sweep: ") + e.what());
      }
    }
    if (std::optional<store::Job> job = claim_or_wait("render", worker_wake_)) run_render(*job);
  }
}

std::optional<store::Job> Studio::claim_or_wait(const std::string& kind,
                                                std::condition_variable& wake) {
  uint64_t seen = 0;
  {
    std::lock_guard lock(worker_mutex_);
    seen = wake_seq_;
  }
  std::optional<store::Job> job;
  try {
    job = store_->job_claim(kind);
  } catch (const std::exception& e) {
    log_error(kind + " queue: " + e.what());
  }
  if (!job) {
    std::unique_lock lock(worker_mutex_);
    wake.wait_for(lock, std::chrono::milliseconds(job_poll_ms()),
                  [&] { return stopping_.load() || wake_seq_ != seen; });
  }
  return job;
}

void Studio::run_render(const store::Job& job) {
  CancelToken cancel;
  {
    std::lock_guard lock(worker_mutex_);
    if (stopping_) return;  // stays running in the store; the next start re-queues it
    running_[job.id] = cancel;
  }
  store::JobState final_state = store::JobState::completed;
  Json result = Json::object();
  std::string error;
  bool interrupted = false;
  try {
    if (job.attempts > kMaxRenderAttempts)
      fail(ErrorCode::internal,
           "render was interrupted " + std::to_string(job.attempts - 1) + " times; giving up");
    const Json& p = job.params;
    timeline::Draft draft = timeline::draft_from_json(p.value("draft", Json::object()));
    const std::string format = p.value("format", "mp4");
    render::RenderParams rp;
    rp.format = media::container_format_parse(format).value_or(media::ContainerFormat::mp4);
    rp.quality = media::quality_parse(p.value("quality", "high")).value_or(media::Quality::high);
    rp.threads = config_.render_threads;
    rp.x264_preset = config_.x264_preset;
    rp.cancel = cancel;
    double last = -1;
    rp.progress = [&](const Progress& pr) {
      double f = pr.fraction();
      if (f - last >= 0.02 || (f >= 1.0 && last < 1.0)) {
        last = f;
        try {
          store_->job_progress(job.id, std::min(f, 0.99));
        } catch (...) {
        }
      }
    };
    const std::string account = job.account_id;
    render::MediaResolver resolve = [this, account](const std::string& source) {
      auto m = id_is_safe(source) ? store_->media_get(source) : std::nullopt;
      if (!m || m->account_id != account)
        fail(ErrorCode::not_found,
             "media " + json_brief(source) + " is not in this account's library");
      return blobs_.media_path(m->id);
    };
    render::RenderResult r = render::render(draft, resolve, blobs_.render_path(job.id, format), rp);
    result = Json{{"format", format},    {"size", r.size_bytes},         {"width", r.width},
                  {"height", r.height},  {"duration_ms", r.duration_ms}, {"frames", r.frames},
                  {"seconds", r.seconds}};
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled && stopping_) {
      interrupted = true;
    } else {
      final_state =
          e.code() == ErrorCode::cancelled ? store::JobState::cancelled : store::JobState::failed;
      error = e.what();
    }
  } catch (const std::exception& e) {
    final_state = store::JobState::failed;
    error = std::string("internal error: ") + e.what();
  }
  {
    std::lock_guard lock(worker_mutex_);
    running_.erase(job.id);
  }
  if (interrupted) return;  // left running: the next start re-queues it
  try {
    store_->job_finish(job.id, final_state, result, error);
    if (final_state != store::JobState::completed)
      log_warn("render " + job.id + " " + std::string(store::job_state_name(final_state)) + ": " +
               error);
    if (!job.callback_url.empty()) post_callback(*store_->job_get(job.id));
  } catch (const std::exception& e) {
    log_error("render " + job.id + ": " + e.what());
  }
}

void Studio::post_callback(const store::Job& job) {
  const std::string body =
      render_view(job, job.params.value("base_url", config_.public_url)).dump();
  int64_t delay = config_.callback_backoff_ms;
  for (int attempt = 1; attempt <= config_.callback_attempts && !stopping_; ++attempt) {
    CURL* curl = curl_easy_init();
    if (!curl) return;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, job.callback_url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(config_.callback_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION,
        +[](char*, size_t size, size_t n, void*) -> size_t { return size * n; });
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK && status >= 200 && status < 300) return;
    log_warn("callback for " + job.id + " attempt " + std::to_string(attempt) + " failed (" +
             (rc == CURLE_OK ? "HTTP " + std::to_string(status) : curl_easy_strerror(rc)) + ")");
    std::unique_lock lock(worker_mutex_);
    worker_wake_.wait_for(lock, std::chrono::milliseconds(delay),
                          [this] { return stopping_.load(); });
    delay *= 2;
  }
}

// ---- signed downloads ----

std::string Studio::signed_url(const std::string& base_url, const std::string& kind,
                               const std::string& name) {
  const int64_t exp = (now_unix_ms() + config_.download_url_ttl_ms) / 1000;
  const std::string sig = hmac_sha256_hex(secret_, kind + "/" + name + ":" + std::to_string(exp));
  return base_url + "/api/files/" + kind + "/" + name + "?exp=" + std::to_string(exp) +
         "&sig=" + sig;
}

DownloadFile Studio::download(const std::string& kind, const std::string& name,
                              const std::string& exp, const std::string& sig) {
  auto not_found = [&](const std::string& why) -> DownloadFile {
    fail(ErrorCode::not_found, "download link " + why);
  };
  if (exp.empty() || exp.size() > 12 || exp.find_first_not_of("0123456789") != std::string::npos)
    return not_found("has no valid expiry");
  const std::string expected = hmac_sha256_hex(secret_, kind + "/" + name + ":" + exp);
  if (!constant_time_equal(expected, sig)) return not_found("signature does not match");
  if (std::stoll(exp) * 1000 < now_unix_ms()) return not_found("expired");
  DownloadFile f;
  if (kind == "media") {
    auto m = id_is_safe(name) ? store_->media_get(name) : std::nullopt;
    if (!m) return not_found("points at a file that no longer exists");
    f.path = blobs_.media_path(m->id);
    f.content_type = content_type_of(m->format);
    f.file_name = m->id + "." + m->format;
  } else if (kind == "renders") {
    auto dot = name.rfind('.');
    if (dot == std::string::npos) return not_found("is malformed");
    std::string id = name.substr(0, dot), ext = name.substr(dot + 1);
    if (!id_is_safe(id) || !media::container_format_parse(ext)) return not_found("is malformed");
    f.path = blobs_.render_path(id, ext);
    f.content_type = ext == "mp4" ? "video/mp4" : ext == "webm" ? "video/webm" : "image/gif";
    f.file_name = id + "." + ext;
  } else {
    return not_found("is malformed");
  }
  std::error_code ec;
  if (!fs::is_regular_file(f.path, ec)) return not_found("points at a file that no longer exists");
  return f;
}

}  // namespace kino::service
