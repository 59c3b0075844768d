#pragma once
// One chat turn: the message parsed, the edits applied to the draft, the reply written.
// Plain and synchronous: the server runs the actions marked `service` (export, credits,
// generate, undo) itself and phrases their outcome with reply_text.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "agent/action.h"
#include "agent/editor.h"
#include "agent/media_item.h"
#include "timeline/draft.h"

namespace kino::agent {

// Named limits of a turn.
struct AgentLimits {
  size_t max_message_bytes = 4000;  // longer messages are refused with a reply
  size_t max_actions = 4;           // further requests in one message are ignored
  int min_generate_seconds = 1;
  int max_generate_seconds = 10;
};

enum class StepStatus { done, service, failed };
std::string_view step_status_name(StepStatus s);  // "done", "service", "failed"
std::optional<StepStatus> step_status_parse(std::string_view s);

struct Step {
  Action action;  // as applied: media resolved, times and aspect filled in
  StepStatus status = StepStatus::failed;
  std::string reply;            // done/failed: what happened or why not; service: empty
  std::vector<Change> changes;  // done edits only
  // {"name", "args", "status", "reply", "changes"}: an ADK functionResponse payload.
  Json to_json() const;
};

struct TurnInput {
  std::string message;
  std::string session_language;  // "en", "zh", ...; empty: the message's language
  timeline::Draft draft;
  std::vector<MediaItem> library;  // uploads and generated clips, oldest first
};

struct Turn {
  Language language = Language::en;
  std::vector<Step> steps;
  timeline::Draft draft;  // after every done edit (the input's when none)
  bool draft_changed = false;
  // The steps' replies in order, then the timeline summary when the draft changed.
  // Service steps add nothing: the server speaks for them.
  std::string reply;
  // {"language", "draft_changed", "steps": [Step::to_json()...], "reply"}
  Json to_json() const;
};

Turn agent_turn(const TurnInput& input, const AgentLimits& limits = {},
                const EditDefaults& defaults = {});

}  // namespace kino::agent
