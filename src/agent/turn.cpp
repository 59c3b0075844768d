#include "agent/turn.h"

#include "agent/parser.h"
#include "agent/reply.h"

namespace kino::agent {

std::string_view step_status_name(StepStatus s) {
  switch (s) {
    case StepStatus::done: return "done";
    case StepStatus::service: return "service";
    case StepStatus::failed: return "failed";
  }
  return "failed";
}

std::optional<StepStatus> step_status_parse(std::string_view s) {
  for (StepStatus v : {StepStatus::done, StepStatus::service, StepStatus::failed})
    if (step_status_name(v) == s) return v;
  return std::nullopt;
}

Json Step::to_json() const {
  Json list = Json::array();
  for (const auto& c : changes) list.push_back(c.to_json());
  return Json{{"name", action.name()},
              {"args", action.to_json()},
              {"status", step_status_name(status)},
              {"reply", reply},
              {"changes", list}};
}

Json Turn::to_json() const {
  Json list = Json::array();
  for (const auto& s : steps) list.push_back(s.to_json());
  return Json{{"language", language_name(language)},
              {"draft_changed", draft_changed},
              {"steps", list},
              {"reply", reply}};
}

namespace {

// Checks a generation request and fills in what the service needs; a reply on refusal.
std::optional<std::string> prepare_generate(GenerateParams& g, const TurnInput& in, Language lang,
                                            const AgentLimits& limits) {
  if (g.seconds < limits.min_generate_seconds || g.seconds > limits.max_generate_seconds)
    return reply_text(lang, ReplyKey::bad_seconds,
                      {{"seconds", std::to_string(g.seconds)},
                       {"min", std::to_string(limits.min_generate_seconds)},
                       {"max", std::to_string(limits.max_generate_seconds)}});
  if (g.animate) {
    const MediaItem* image = nullptr;
    if (!g.image.id.empty()) image = media_by_id(in.library, g.image.id);
    if (!image && !g.image.name.empty())
      image = media_named(in.library, g.image.name, MediaKind::image);
    if (!image && g.image.id.empty() && g.image.name.empty())
      image = media_latest(in.library, MediaKind::image);
    if (!image || image->kind != MediaKind::image) {
      if (g.image.name.empty() || !media_latest(in.library, MediaKind::image))
        return reply_text(lang, ReplyKey::no_image);
      std::string names;
      for (const auto& m : in.library)
        if (m.kind == MediaKind::image) names += (names.empty() ? "" : ", ") + m.name;
      return reply_text(lang, ReplyKey::no_media_named,
                        {{"kind", reply_text(lang, ReplyKey::kind_image)},
                         {"name", g.image.name},
                         {"names", names}});
    }
    g.image = {image->id, image->name};
  } else if (g.prompt.empty()) {
    return reply_text(lang, ReplyKey::need_prompt);
  }
  if (g.aspect.empty()) {
    std::string aspect =
        timeline::canvas_aspect_name(in.draft.canvas.width, in.draft.canvas.height);
    if (timeline::canvas_preset(aspect)) g.aspect = aspect;
  }
  return std::nullopt;
}

}  // namespace

Turn agent_turn(const TurnInput& input, const AgentLimits& limits, const EditDefaults& defaults) {
  Turn turn;
  turn.draft = input.draft;
  if (input.message.size() > limits.max_message_bytes) {
    turn.language =
        detect_language(input.message.substr(0, limits.max_message_bytes), input.session_language);
    Step step{{HelpParams{false}},
              StepStatus::failed,
              reply_text(turn.language, ReplyKey::message_too_long,
                         {{"max", std::to_string(limits.max_message_bytes)}}),
              {}};
    turn.reply = step.reply;
    turn.steps.push_back(std::move(step));
    return turn;
  }
  Plan plan = parse_message(input.message, {input.session_language, input.library});
  turn.language = plan.language;
  const Language lang = plan.language;
  if (plan.actions.size() > limits.max_actions) plan.actions.resize(limits.max_actions);

  for (Action& action : plan.actions) {
    Step step{action, StepStatus::done, "", {}};
    const ActionKind kind = action.kind();
    if (action_is_edit(kind)) {
      EditResult r = apply_edit(turn.draft, action, input.library, lang, defaults);
      step.action = r.action;
      step.reply = r.reply;
      step.status = r.ok ? StepStatus::done : StepStatus::failed;
      if (r.ok && !r.changes.empty()) {
        turn.draft = std::move(r.draft);
        turn.draft_changed = true;
        step.changes = std::move(r.changes);
      }
    } else {
      switch (kind) {
        case ActionKind::help: {
          bool asked = std::get<HelpParams>(action.params).asked;
          step.reply = asked ? reply_text(lang, ReplyKey::help)
                             : reply_text(lang, ReplyKey::help_unknown) +
                                   (lang == Language::zh ? "" : " ") +
                                   reply_text(lang, ReplyKey::help);
          step.status = asked ? StepStatus::done : StepStatus::failed;
          break;
        }
        case ActionKind::status: step.reply = reply_summary(lang, turn.draft); break;
        case ActionKind::upload_help: step.reply = reply_text(lang, ReplyKey::upload_help); break;
        case ActionKind::generate: {
          auto& g = std::get<GenerateParams>(step.action.params);
          if (auto refusal = prepare_generate(g, input, lang, limits)) {
            step.status = StepStatus::failed;
            step.reply = *refusal;
          } else {
            step.status = StepStatus::service;
          }
          break;
        }
        default: step.status = StepStatus::service; break;
      }
    }
    turn.steps.push_back(std::move(step));
  }

  auto add = [&](const std::string& sentence) {
    if (sentence.empty()) return;
    if (!turn.reply.empty() && lang != Language::zh) turn.reply += ' ';
    turn.reply += sentence;
  };
  for (const auto& s : turn.steps) add(s.reply);
  if (turn.draft_changed) add(reply_summary(lang, turn.draft));
  return turn;
}

}  // namespace kino::agent
