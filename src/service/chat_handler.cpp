#include "service/chat_handler.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>

#include "agent/agent.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "service/agent_library.h"
#include "service/studio.h"
#include "timeline/timeline.h"

namespace kino::service {

Json adk_event(const std::string& invocation_id, const Json& parts, bool partial,
               bool turn_complete, const Json& state_delta) {
  return Json{{"id", make_id("evt_", 8)},
              {"invocationId", invocation_id},
              {"author", "nemo_agent"},
              {"timestamp", double(now_unix_ms()) / 1000.0},
              {"content", {{"role", "model"}, {"parts", parts}}},
              {"partial", partial},
              {"turnComplete", turn_complete},
              {"actions", {{"stateDelta", state_delta}}}};
}

namespace {

enum class Intent { export_video, credits, status, upload, other };

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

bool has_any(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](const char* w) { return text.find(w) != std::string::npos; });
}

// The hosted service's routing table, checked in its order.
Intent route(const std::string& message) {
  const std::string t = lower_ascii(message);
  if (has_any(t, {"export", "导出", "download", "send me the video"})) return Intent::export_video;
  if (has_any(t, {"credits", "积分", "balance", "余额"})) return Intent::credits;
  if (has_any(t, {"status", "状态", "show tracks", "show the timeline", "timeline"}))
    return Intent::status;
  if (has_any(t, {"upload", "上传"})) return Intent::upload;
  return Intent::other;
}

// The timeline in one line (timeline::draft_summary); an empty draft says what to do.
std::string timeline_summary(const timeline::Draft& d, bool zh) {
  size_t segments = 0;
  for (const auto& t : d.tracks) segments += t.segments.size();
  if (segments == 0)
    return zh ? "时间线是空的：先上传素材。" : "The timeline is empty: upload media first.";
  return (zh ? "当前时间线：" : "") + timeline::draft_summary(d);
}

// A turn whose events are known up front, optionally followed by jobs (an export, a
// generation) whose progress streams until each is final.
class QueuedTurn final : public ChatTurn {
 public:
  QueuedTurn(Studio& studio, ChatRequest request) : studio_(studio), req_(std::move(request)) {}

  // Words a followed job's final status; the Json is the job's status reply.
  using Phrase = std::function<std::string(const Json& view)>;

  void text(const std::string& t, bool final_event, const Json& delta = Json::object()) {
    queue_.push_back(
        adk_event(req_.invocation_id, Json::array({Json{{"text", t}}}), false, final_event, delta));
  }
  // A call and its responses share an id ("adk-<hex>"), as ADK pairs them.
  void function_call(const std::string& name, const Json& args) {
    call_id_ = "adk-" + make_id("", 8);
    Json call{{"id", call_id_}, {"name", name}, {"args", args}};
    queue_.push_back(
        adk_event(req_.invocation_id, Json::array({Json{{"functionCall", call}}}), false, false));
  }
  void function_response(const std::string& name, const Json& response) {
    respond(call_id_, name, response);
  }
  // Streams an export's progress until it is final; `phrase` words the outcome (the
  // built-in sentences when empty). `name` is the function the responses answer.
  void follow(const std::string& render_ref, Phrase phrase = nullptr,
              const std::string& name = "export_video") {
    follows_.push_back({false, render_ref, name, call_id_, std::move(phrase)});
  }
  // Streams a generation's progress (stage, step) until it is final.
  void follow_generation(const std::string& ref, Phrase phrase) {
    follows_.push_back({true, ref, "generate", call_id_, std::move(phrase)});
  }
  bool following() const { return !follows_.empty(); }

  ChatPoll poll(Json* out) override {
    if (queue_.empty() && !follows_.empty()) check_job();
    if (!queue_.empty()) {
      *out = std::move(queue_.front());
      queue_.pop_front();
      return ChatPoll::event;
    }
    return follows_.empty() ? ChatPoll::done : ChatPoll::pending;
  }

 private:
  struct Follow {
    bool generation = false;
    std::string ref;
    std::string name;  // the functionResponse name
    std::string call_id;
    Phrase phrase;
  };

  bool zh() const { return req_.session.language.rfind("zh", 0) == 0; }

  void respond(const std::string& call_id, const std::string& name, const Json& response) {
    Json res{{"id", call_id}, {"name", name}, {"response", response}};
    queue_.push_back(adk_event(req_.invocation_id, Json::array({Json{{"functionResponse", res}}}),
                               false, false));
  }

  void check_job() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < std::chrono::milliseconds(250)) return;
    last_check_ = now;
    Follow& f = follows_.front();
    Json view;
    try {
      Caller caller{req_.account_id, "", req_.base_url};
      view = f.generation ? studio_.generation_status(caller, f.ref)
                          : studio_.render_status(caller, f.ref);
    } catch (const std::exception& e) {
      follows_.pop_front();
      text(std::string(zh() ? "任务状态不可用：" : "Job status unavailable: ") + e.what(),
           follows_.empty());
      return;
    }
    const std::string status = view.value("status", "");
    const double progress = view.value("progress", 0.0);
    const std::string stage = view.value("stage", "");
    const bool final_status = status == "completed" || status == "failed" || status == "cancelled";
    if (final_status) {
      Follow done = std::move(f);
      follows_.pop_front();
      last_progress_ = 0;
      last_status_.clear();
      last_stage_.clear();
      respond(done.call_id, done.name, view);
      Json delta = Json::object();
      if (done.generation && status == "completed") {
        delta["generated_media_id"] = view["media"].value("media_id", "");
        if (auto d = studio_.store().draft_latest(req_.session.id))
          delta["draft_version"] = d->version;
      }
      text(done.phrase ? done.phrase(view) : export_sentence(view), follows_.empty(), delta);
    } else if (progress - last_progress_ >= (f.generation ? 0.05 : 0.1) || status != last_status_ ||
               stage != last_stage_) {
      last_progress_ = progress;
      last_status_ = status;
      last_stage_ = stage;
      respond(f.call_id, f.name, view);
    }
  }

  std::string export_sentence(const Json& view) const {
    if (view.value("status", "") == "completed") {
      const Json& o = view["output"];
      return zh() ? "导出完成：" + o.value("url", "") + "（" +
                        std::to_string(o.value("size", int64_t(0))) + " 字节）"
                  : "Your video is ready: " + o.value("url", "") + " (" +
                        std::to_string(o.value("size", int64_t(0))) + " bytes, MP4).";
    }
    return (zh() ? "导出失败：" : "The export failed: ") + view.value("error", "");
  }

  Studio& studio_;
  ChatRequest req_;
  std::deque<Json> queue_;
  std::string call_id_;
  std::deque<Follow> follows_;
  std::string last_status_, last_stage_;
  double last_progress_ = 0;
  std::chrono::steady_clock::time_point last_check_{};
};

class RoutingChatHandler final : public ChatHandler {
 public:
  explicit RoutingChatHandler(Studio& studio) : studio_(studio) {}

  std::unique_ptr<ChatTurn> start(const ChatRequest& request) override {
    auto turn = std::make_unique<QueuedTurn>(studio_, request);
    const bool zh = request.session.language.rfind("zh", 0) == 0;
    Caller caller{request.account_id, "", request.base_url};
    switch (route(request.text)) {
      case Intent::credits: {
        Json b = studio_.credits_balance(caller);
        turn->function_call("get_credits", Json::object());
        turn->function_response("get_credits", b);
        const std::string a = std::to_string(b.value("available", int64_t(0)));
        const std::string f = std::to_string(b.value("frozen", int64_t(0)));
        turn->text(zh ? "可用积分 " + a + "，冻结 " + f + "。"
                      : "You have " + a + " credits available (" + f + " frozen).",
                   true);
        break;
      }
      case Intent::status: {
        Json st = studio_.state(caller, request.session.id);
        std::string summary;
        try {
          summary = timeline_summary(timeline::draft_from_json(st["state"]["draft"]), zh);
        } catch (const Error& e) {
          summary = std::string(zh ? "草稿无法读取：" : "The draft cannot be read: ") + e.what();
        }
        turn->function_call("get_state", Json::object());
        turn->text(summary, true);
        break;
      }
      case Intent::upload:
        turn->text(zh ? "上传文件：POST /api/upload-video/nemo_agent/me/" + request.session.id +
                            "，multipart 字段 files（mp4、mov、avi、webm、mkv、jpg、png、gif、"
                            "webp、mp3、wav、m4a、aac，单个文件最大 20 MB）。"
                      : "Upload files with POST /api/upload-video/nemo_agent/me/" +
                            request.session.id +
                            " as multipart field `files` (mp4, mov, avi, webm, mkv, jpg, png, "
                            "gif, webp, mp3, wav, m4a, aac; up to 20 MB each).",
                   true);
        break;
      case Intent::export_video: {
        Json body{{"id", "chat_" + request.invocation_id},
                  {"sessionId", request.session.id},
                  {"output", {{"format", "mp4"}, {"quality", "high"}}}};
        turn->function_call("export_video", body);
        try {
          Json view = studio_.render_submit(caller, body, request.skill);
          turn->function_response("export_video", view);
          turn->text(zh ? "正在导出 MP4……" : "Exporting your MP4...", false);
          turn->follow(view.value("id", ""));
        } catch (const Error& e) {
          turn->function_response("export_video",
                                  Json{{"error", e.what()}, {"code", int(e.code())}});
          turn->text((zh ? "无法导出：" : "Cannot export: ") + std::string(e.what()), true);
        }
        break;
      }
      case Intent::other:
        turn->text(zh ? "生成视频需要模型：本服务器尚未安装任何模型。我现在可以：导出时间线、"
                        "查询积分、显示时间线状态、说明如何上传素材。"
                      : "Generation needs a model: none is installed on this server. I can "
                        "export the timeline, show your credits, show the timeline status, and "
                        "explain how to upload media.",
                   true);
        break;
    }
    return turn;
  }

 private:
  Studio& studio_;
};

// The agent module's turn (agent::agent_turn) with the service steps run here: export,
// credits, undo and generate (which needs a model none of which is installed).
class AgentChatHandler final : public ChatHandler {
 public:
  explicit AgentChatHandler(Studio& studio) : studio_(studio) {}

  std::unique_ptr<ChatTurn> start(const ChatRequest& request) override {
    auto turn = std::make_unique<QueuedTurn>(studio_, request);
    Caller caller{request.account_id, "", request.base_url};
    const std::string& sid = request.session.id;
    agent::TurnInput input;
    input.message = request.text;
    input.session_language = request.session.language;
    auto latest = studio_.store().draft_latest(sid);
    input.draft = timeline::draft_from_json(latest ? latest->draft : Json::object());
    input.library = agent_library(studio_.store(), sid);
    agent::Turn t = agent::agent_turn(input);
    const agent::Language lang = t.language;
    Json delta = Json::object();
    std::string reply = t.reply;
    if (t.draft_changed) {
      try {
        Json saved = studio_.draft_save(caller, sid, timeline::draft_to_json(t.draft),
                                        request.text.substr(0, 200));
        delta["draft_version"] = saved["version"];
      } catch (const Error& e) {
        reply = agent::reply_text(lang, agent::ReplyKey::edit_rejected, {{"error", e.what()}});
      }
    }
    auto add = [&](const std::string& sentence) {
      if (!reply.empty() && lang != agent::Language::zh) reply += ' ';
      reply += sentence;
    };
    int generations = 0;
    for (const auto& step : t.steps) {
      Json step_json = step.to_json();
      turn->function_call(std::string(step.action.name()), step.action.to_json());
      if (step.status != agent::StepStatus::service) {
        turn->function_response(std::string(step.action.name()), step_json);
        continue;
      }
      switch (step.action.kind()) {
        case agent::ActionKind::credits: {
          Json b = studio_.credits_balance(caller);
          turn->function_response("credits", b);
          add(agent::reply_text(lang, agent::ReplyKey::credits,
                                {{"available", b["available"].dump()},
                                 {"frozen", b["frozen"].dump()},
                                 {"total", b["total"].dump()}}));
          break;
        }
        case agent::ActionKind::undo: {
          auto undone = studio_.store().draft_undo(sid);
          turn->function_response("undo", Json{{"undone", bool(undone)}});
          if (!undone) {
            add(agent::reply_text(lang, agent::ReplyKey::nothing_to_undo));
            break;
          }
          delta["draft_version"] = undone->version;
          add(agent::reply_text(lang, agent::ReplyKey::undone));
          try {
            add(agent::reply_summary(lang, timeline::draft_from_json(undone->draft)));
          } catch (const Error&) {
          }
          break;
        }
        case agent::ActionKind::export_video: {
          Json body{{"id", "chat_" + request.invocation_id},
                    {"sessionId", sid},
                    {"output", {{"format", "mp4"}, {"quality", "high"}}}};
          try {
            Json view = studio_.render_submit(caller, body, request.skill);
            turn->function_response("export", view);
            add(agent::reply_text(lang, agent::ReplyKey::export_started));
            turn->follow(view.value("id", ""), export_phrase(lang), "export");
          } catch (const Error& e) {
            turn->function_response("export", Json{{"error", e.what()}, {"code", int(e.code())}});
            add(agent::reply_text(lang, agent::ReplyKey::export_failed, {{"error", e.what()}}));
          }
          break;
        }
        case agent::ActionKind::generate:
          if (!studio_.has_clip_generator()) {
            turn->function_response(
                std::string(step.action.name()),
                Json{{"error", "no model installed"}, {"code", int(ErrorCode::unavailable)}});
            add(agent::reply_text(lang, agent::ReplyKey::no_model));
            break;
          }
          generate(*turn, request, std::get<agent::GenerateParams>(step.action.params),
                   ++generations, lang, add);
          break;
        default: turn->function_response(std::string(step.action.name()), step_json); break;
      }
    }
    if (reply.empty()) reply = agent::reply_text(lang, agent::ReplyKey::help);
    turn->text(reply, !turn->following(), delta);
    return turn;
  }

 private:
  using AddSentence = std::function<void(const std::string&)>;

  static QueuedTurn::Phrase export_phrase(agent::Language lang) {
    return [lang](const Json& view) {
      if (view.value("status", "") == "completed")
        return agent::reply_text(
            lang, agent::ReplyKey::export_ready,
            {{"url", view["output"].value("url", "")},
             {"size", std::to_string(view["output"].value("size", int64_t(0)))}});
      return agent::reply_text(lang, agent::ReplyKey::export_failed,
                               {{"error", view.value("error", "")}});
    };
  }

  // Queues a generation job (credits frozen) and follows it to the finished clip, which
  // the worker places on the timeline.
  void generate(QueuedTurn& turn, const ChatRequest& request, const agent::GenerateParams& g, int n,
                agent::Language lang, const AddSentence& add) {
    const std::string aspect = g.aspect.empty() ? "16:9" : g.aspect;
    const std::string resolution =
        g.resolution.empty() ? studio_.config().generation_resolution : g.resolution;
    Json body{{"id", "chat_" + request.invocation_id + (n > 1 ? "_" + std::to_string(n) : "")},
              {"sessionId", request.session.id},
              {"prompt", g.prompt},
              {"seconds", g.seconds},
              {"aspect", aspect},
              {"resolution", resolution}};
    if (g.seed) body["seed"] = *g.seed;
    if (g.animate) body["image"] = g.image.id;
    Caller caller{request.account_id, "", request.base_url};
    try {
      Json view = studio_.generation_submit(caller, body);
      turn.function_response("generate", view);
      const std::string secs = std::to_string(g.seconds);
      add(g.animate
              ? agent::reply_text(lang, agent::ReplyKey::animate_started,
                                  {{"seconds", secs}, {"aspect", aspect}, {"name", g.image.name}})
              : agent::reply_text(lang, agent::ReplyKey::generate_started,
                                  {{"seconds", secs}, {"aspect", aspect}, {"prompt", g.prompt}}));
      if (view.contains("note")) add(view.value("note", ""));
      turn.follow_generation(view.value("id", ""), [lang](const Json& v) {
        if (v.value("status", "") == "completed")
          return agent::reply_text(lang, agent::ReplyKey::generate_done,
                                   {{"name", v.value("media", Json::object()).value("name", "")}});
        return agent::reply_text(lang, agent::ReplyKey::generate_failed,
                                 {{"error", v.value("error", "")}});
      });
    } catch (const Error& e) {
      turn.function_response("generate", Json{{"error", e.what()}, {"code", int(e.code())}});
      if (e.code() == ErrorCode::no_credits) {
        int64_t needed = 0;
        try {
          needed = generation_cost(studio_.config().generation_costs, g.seconds, resolution);
        } catch (const Error&) {
        }
        add(agent::reply_text(
            lang, agent::ReplyKey::no_credits,
            {{"needed", std::to_string(needed)},
             {"available", studio_.credits_balance(caller)["available"].dump()}}));
      } else if (e.code() == ErrorCode::unavailable) {
        add(agent::reply_text(lang, agent::ReplyKey::no_model));
      } else {
        add(e.what());
      }
    }
  }

  Studio& studio_;
};

}  // namespace

std::unique_ptr<ChatHandler> routing_chat_handler(Studio& studio) {
  return std::make_unique<RoutingChatHandler>(studio);
}

std::unique_ptr<ChatHandler> agent_chat_handler(Studio& studio) {
  return std::make_unique<AgentChatHandler>(studio);
}

}  // namespace kino::service
