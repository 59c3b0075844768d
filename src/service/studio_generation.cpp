// Studio: generation jobs. The cost is frozen with the job, settled when the clip is
// stored, released when the job fails or is cancelled (store::Store::job_finish does
// both in one transaction, so a job is never charged twice).
#include <algorithm>
#include <array>
#include <chrono>

#include "agent/agent.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "core/log.h"
#include "service/agent_library.h"
#include "service/studio.h"
#include "service/temp_files.h"
#include "timeline/timeline.h"

namespace kino::service {
namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 4> kAspects{"16:9", "9:16", "1:1", "4:5"};
constexpr size_t kMaxPromptBytes = 2000;

// Where each engine stage lies in the job's overall progress.
struct StageSpan {
  std::string_view stage;
  double from, to;
};
constexpr std::array<StageSpan, 4> kStageSpans{{
    {"text", 0.0, 0.05},
    {"denoise", 0.05, 0.85},
    {"decode", 0.85, 0.95},
    {"encode", 0.95, 1.0},
}};

// A long clip's chained generations share the job's progress equally.
double overall_fraction(const Progress& p) {
  const double f = std::clamp(p.fraction(), 0.0, 1.0);
  double in_pass = f;
  for (const auto& s : kStageSpans)
    if (s.stage == p.stage) in_pass = s.from + (s.to - s.from) * f;
  const int parts = std::max(1, p.parts);
  return (std::clamp(p.part, 0, parts - 1) + in_pass) / double(parts);
}

// Prompt text: UTF-8 from the JSON parser; control characters other than tab and newline
// are refused.
std::string prompt_field(const Json& body, const char* key) {
  std::string v = json_string(body, key, key, "");
  if (v.size() > kMaxPromptBytes)
    fail_bad_request(std::string(key) + " must be at most " + std::to_string(kMaxPromptBytes) +
                     " bytes, got " + std::to_string(v.size()));
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
      fail_bad_request(std::string(key) + " must not hold control characters");
  while (!v.empty() && (v.back() == ' ' || v.back() == '\n' || v.back() == '\t')) v.pop_back();
  size_t first = v.find_first_not_of(" \n\t");
  return first == std::string::npos ? std::string() : v.substr(first);
}

// A display name for a generated clip: the prompt's first words ("a fox running
// through.mp4"), cut on a UTF-8 boundary.
std::string clip_name(const std::string& prompt) {
  std::string name;
  int words = 0;
  for (char c : prompt) {
    if (c == '\n' || c == '\t' || c == '/' || c == '\\') c = ' ';
    if (c == ' ' && (name.empty() || name.back() == ' ')) continue;
    if (c == ' ' && ++words == 6) break;
    name += c;
  }
  constexpr size_t kMax = 48;
  if (name.size() > kMax) {
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name.resize(cut);
  }
  while (!name.empty() && (name.back() == ' ' || name.back() == '.')) name.pop_back();
  return (name.empty() ? std::string("clip") : name) + ".mp4";
}

// The media id of a job's clip: fixed by the job id, so a job re-run after a restart finds
// the clip an interrupted run already stored instead of making (and charging) another.
std::string clip_media_id(const std::string& job_id) {
  return "med_" + (job_id.rfind("job_", 0) == 0 ? job_id.substr(4) : job_id);
}

}  // namespace

void Studio::set_clip_generator(std::unique_ptr<ClipGenerator> generator) {
  generator_ = std::move(generator);
}

std::string Studio::clip_generator_name() const {
  return generator_ ? generator_->model_name() : std::string();
}

Json Studio::generation_submit(const Caller& caller, const Json& body) {
  if (!has_clip_generator())
    fail(ErrorCode::unavailable,
         "no model installed on this server: start it with `kino serve --model DIR` "
         "(nothing was charged)");
  if (!body.is_object()) fail_bad_request("body must be a JSON object, got " + json_brief(body));
  std::string ref = json_string(body, "id", "id", "");
  if (ref.empty()) ref = "gen_" + std::to_string(now_unix_ms()) + "_" + make_id("", 4);
  if (!id_is_safe(ref))
    fail_bad_request("id must be 1..128 characters of [A-Za-z0-9_-], got " + json_brief(ref));
  store::Session s = session_of(caller, json_require_string(body, "sessionId", "sessionId"));

  const std::string prompt = prompt_field(body, "prompt");
  const std::string negative = prompt_field(body, "negative");
  const int64_t seconds = json_int(body, "seconds", "seconds", 5);
  if (seconds < config_.generation_min_seconds || seconds > config_.generation_max_seconds)
    fail_bad_request("seconds must be " + std::to_string(config_.generation_min_seconds) + ".." +
                     std::to_string(config_.generation_max_seconds) + ", got " +
                     std::to_string(seconds));
  const std::string aspect = json_string(body, "aspect", "aspect", "16:9");
  if (std::find(kAspects.begin(), kAspects.end(), aspect) == kAspects.end())
    fail_bad_request("aspect must be one of 16:9, 9:16, 1:1, 4:5, got " + json_brief(aspect));
  const std::string resolution =
      json_string(body, "resolution", "resolution", config_.generation_resolution);
  const int64_t cost = generation_cost(config_.generation_costs, seconds, resolution);
  const int64_t seed = json_int(body, "seed", "seed", -1);
  if (seed < -1) fail_bad_request("seed must be >= 0 (or -1: random), got " + std::to_string(seed));
  const std::string image = json_string(body, "image", "image", "");
  if (!image.empty()) {
    auto m = id_is_safe(image) ? store_->media_get(image) : std::nullopt;
    if (!m || m->account_id != caller.account_id)
      fail(ErrorCode::not_found,
           "image " + json_brief(image) + " is not a media id in this account's library");
    if (m->kind != "image")
      fail_bad_request("image must be a picture's media id; " + json_brief(image) + " is a " +
                       m->kind);
    if (generator_ && !generator_->supports_image())
      fail_bad_request("image: this server's model (" + generator_->model_name() +
                       ") makes clips from text only");
  } else if (prompt.empty()) {
    fail_bad_request("prompt must describe the clip (or image must name a picture to animate)");
  }

  store::Job job;
  job.id = make_id("job_");
  job.client_ref = ref;
  job.account_id = caller.account_id;
  job.session_id = s.id;
  job.kind = "generate";
  job.credits = cost;
  job.params = Json{{"prompt", prompt}, {"negative", negative},     {"seconds", seconds},
                    {"aspect", aspect}, {"resolution", resolution}, {"seed", seed},
                    {"image", image},   {"language", s.language},   {"base_url", caller.base_url}};
  bool created = false;
  store::Job stored;
  try {
    stored = store_->job_submit(job, &created);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::no_credits) throw;
    const int64_t available = store_->ledger_balance(caller.account_id).available;
    fail(ErrorCode::no_credits,
         "not enough credits: a " + std::to_string(seconds) + "-second " + resolution +
             " clip costs " + std::to_string(cost) + " credits and " + std::to_string(available) +
             " are available. An administrator can add more with `kino admin credits grant "
             "--data DIR --token TOKEN --amount N`");
  }
  if (created) wake_workers();
  Json view = generation_view(stored, caller.base_url);
  if (generator_) {
    if (auto words = generator_->unknown_words(prompt); !words.empty()) {
      const auto lang = agent::language_parse(s.language).value_or(agent::Language::en);
      view["note"] = agent::unknown_words_note(lang, generator_->model_name(), words);
      view["unknownWords"] = std::move(words);
    }
  }
  return view;
}

Json Studio::generation_status(const Caller& caller, const std::string& generation_id) {
  auto job = id_is_safe(generation_id)
                 ? store_->job_find(caller.account_id, "generate", generation_id)
                 : std::nullopt;
  if (!job) fail(ErrorCode::not_found, "generation " + json_brief(generation_id) + " not found");
  return generation_view(*job, caller.base_url);
}

Json Studio::generation_cancel(const Caller& caller, const std::string& generation_id) {
  auto job = id_is_safe(generation_id)
                 ? store_->job_find(caller.account_id, "generate", generation_id)
                 : std::nullopt;
  if (!job) fail(ErrorCode::not_found, "generation " + json_brief(generation_id) + " not found");
  // The finish releases the credits; a worker finishing at the same moment loses the race
  // (job_finish answers false to the second caller) and keeps nothing.
  if (store_->job_finish(job->id, store::JobState::cancelled, Json::object(),
                         "cancelled by the client")) {
    std::lock_guard lock(worker_mutex_);
    if (auto it = running_.find(job->id); it != running_.end()) it->second.cancel();
  }
  return generation_view(*store_->job_get(job->id), caller.base_url);
}

Json Studio::generation_view(const store::Job& job, const std::string& base_url) {
  const Json& p = job.params;
  Json v{{"id", job.client_ref},
         {"jobId", job.id},
         {"sessionId", job.session_id},
         {"status", std::string(store::job_state_name(job.state))},
         {"progress", job.progress},
         {"credits", job.credits},
         {"prompt", p.value("prompt", "")},
         {"seconds", p.value("seconds", int64_t(0))},
         {"aspect", p.value("aspect", "")},
         {"resolution", p.value("resolution", "")},
         {"created_at", job.created_ms},
         {"updated_at", job.updated_ms}};
  if (!p.value("image", "").empty()) v["image"] = p["image"];
  if (job.state == store::JobState::running) {
    std::lock_guard lock(worker_mutex_);
    if (auto it = live_.find(job.id); it != live_.end()) {
      const Progress& pr = it->second;
      v["stage"] = pr.stage;
      v["progress"] = std::max(job.progress, overall_fraction(pr));
      if (pr.parts > 1) {
        v["pass"] = pr.part + 1;
        v["passes"] = pr.parts;
      }
      if (pr.stage == "denoise" && pr.total > 0) {
        v["step"] = pr.done;
        v["steps"] = pr.total;
        if (pr.done > 0) v["seconds_per_step"] = pr.elapsed_s / double(pr.done);
      }
    }
  } else if (job.state == store::JobState::completed) {
    const std::string media_id = job.result.value("media_id", "");
    auto m = id_is_safe(media_id) ? store_->media_get(media_id) : std::nullopt;
    if (m) v["media"] = media_view(*m, base_url);
    v["seed"] = job.result.value("seed", int64_t(-1));
    v["model"] = job.result.value("model", "");
  } else if (job.state != store::JobState::queued) {
    v["error"] = job.error.empty() ? std::string("generation failed") : job.error;
  }
  return v;
}

void Studio::generation_loop() {
  while (!stopping_)
    if (std::optional<store::Job> job = claim_or_wait("generate", generation_wake_))
      run_generation(*job);
}

void Studio::run_generation(const store::Job& job) {
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
    if (job.attempts > config_.generation_max_attempts)
      fail(ErrorCode::internal, "generation was interrupted " + std::to_string(job.attempts - 1) +
                                    " times; giving up (credits returned)");
    result = generate_clip(job, cancel);
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
    live_.erase(job.id);
  }
  if (interrupted) return;  // left running, credits frozen: the next start re-queues it
  try {
    const bool finished = store_->job_finish(job.id, final_state, result, error);
    if (finished && final_state == store::JobState::completed)
      place_on_timeline(job, result.value("media_id", ""));
    else if (finished)
      log_warn("generation " + job.id + " " + std::string(store::job_state_name(final_state)) +
               ": " + error);
  } catch (const std::exception& e) {
    log_error("generation " + job.id + ": " + e.what());
  }
}

Json Studio::generate_clip(const store::Job& job, const CancelToken& cancel) {
  const std::string media_id = clip_media_id(job.id);
  if (auto done = store_->media_get(media_id)) {
    // An earlier run stored the clip and was stopped before finishing the job.
    Json g = done->info.value("generation", Json::object());
    return Json{{"media_id", media_id},
                {"width", done->width},
                {"height", done->height},
                {"duration_ms", done->duration_ms},
                {"seed", g.value("seed", int64_t(-1))},
                {"model", g.value("model", "")}};
  }
  if (!generator_)
    fail(ErrorCode::unavailable,
         "no model installed on this server: start it with `kino serve --model DIR`");
  const Json& p = job.params;
  ClipRequest request;
  request.prompt = p.value("prompt", "");
  request.negative = p.value("negative", "");
  request.seconds = p.value("seconds", int64_t(5));
  request.aspect = p.value("aspect", "16:9");
  request.resolution = p.value("resolution", config_.generation_resolution);
  request.seed = p.value("seed", int64_t(-1));
  if (const std::string image = p.value("image", ""); !image.empty()) {
    auto m = id_is_safe(image) ? store_->media_get(image) : std::nullopt;
    if (!m || m->account_id != job.account_id)
      fail(ErrorCode::not_found, "image " + json_brief(image) + " is no longer in the library");
    request.image = blobs_.media_path(m->id);
  }

  const fs::path temp = blobs_.temp_path(".mp4");
  TempFiles guard;
  guard.add(temp);
  double stored_fraction = 0;
  std::string stored_stage;
  const ProgressFn progress = [&](const Progress& pr) {
    const double f = overall_fraction(pr);
    {
      std::lock_guard lock(worker_mutex_);
      live_[job.id] = pr;
    }
    if (f - stored_fraction >= 0.01 || pr.stage != stored_stage) {
      stored_fraction = std::max(stored_fraction, f);
      stored_stage = pr.stage;
      try {
        store_->job_progress(job.id, std::min(stored_fraction, 0.99));
      } catch (...) {
      }
    }
  };
  const ClipResult r = generator_->generate(request, temp, progress, cancel);

  store::MediaRecord m = probe_record(temp, "generated clip");
  if (m.kind != "video")
    fail(ErrorCode::internal, "the generator wrote a " + m.format + " " + m.kind + ", not a video");
  // A cancel that came while the last stage ran: keep nothing (the cancel released the
  // credits already).
  auto now = store_->job_get(job.id);
  if (!now || now->state != store::JobState::running)
    fail(ErrorCode::cancelled, "generation cancelled");
  const std::string model = generator_->model_name();
  m.id = media_id;
  m.account_id = job.account_id;
  m.session_id = job.session_id;
  m.origin = store::MediaOrigin::generated;
  m.name = clip_name(request.prompt);
  m.info["generation"] = Json{{"job_id", job.id},
                              {"prompt", request.prompt},
                              {"seed", r.seed},
                              {"model", model},
                              {"seconds_taken", r.seconds_taken}};
  m.created_ms = now_unix_ms();
  blobs_.commit(temp, blobs_.media_path(m.id));
  guard.release();
  store_->media_create(m);
  return Json{{"media_id", m.id},
              {"width", m.width},
              {"height", m.height},
              {"duration_ms", m.duration_ms},
              {"frames", r.frames},
              {"fps", r.fps},
              {"seed", r.seed},
              {"model", model},
              {"seconds_taken", r.seconds_taken}};
}

void Studio::place_on_timeline(const store::Job& job, const std::string& media_id) {
  try {
    auto m = id_is_safe(media_id) ? store_->media_get(media_id) : std::nullopt;
    if (!m) return;
    auto latest = store_->draft_latest(job.session_id);
    timeline::Draft draft = timeline::draft_from_json(latest ? latest->draft : Json::object());
    const agent::Language lang =
        agent::language_parse(job.params.value("language", "en")).value_or(agent::Language::en);
    agent::AddClipParams add;
    add.media = agent::MediaRef{m->id, m->name};
    add.media_kind = agent::MediaKind::video;
    agent::EditResult r =
        agent::apply_edit(draft, agent::Action{add}, agent_library(*store_, job.session_id), lang);
    if (!r.ok || r.changes.empty()) {
      log_warn("generation " + job.id + ": clip not placed on the timeline: " + r.reply);
      return;
    }
    store_->draft_append(job.session_id, timeline::draft_to_json(r.draft), "generated " + m->name);
  } catch (const std::exception& e) {
    log_warn("generation " + job.id + ": clip not placed on the timeline: " + e.what());
  }
}

}  // namespace kino::service
