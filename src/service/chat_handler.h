#pragma once
// The /run_sse conversation seam. A turn turns one user message into a stream of ADK
// events (Google Agent Development Kit REST shape) that the http layer drains without a
// thread per stream. The agent module replaces RoutingChatHandler with its own handler.
#include <memory>
#include <string>

#include "core/json.h"
#include "store/records.h"

namespace kino::service {

class Studio;

// Attribution headers of one request (X-Skill-Source / -Version / -Platform).
struct SkillHeaders {
  std::string source, version, platform;
  bool complete() const { return !source.empty() && !version.empty() && !platform.empty(); }
  bool any() const { return !source.empty() || !version.empty() || !platform.empty(); }
};

struct ChatRequest {
  std::string account_id;
  store::Session session;
  std::string text;           // the user's message (parts' text joined)
  std::string invocation_id;  // "e-<hex>", shared by every event of the turn
  std::string base_url;       // for links in replies
  SkillHeaders skill;         // the request's attribution headers (export policy)
};

enum class ChatPoll { event, pending, done };

// Produced by ChatHandler::start; polled from the server's I/O threads, so poll() must
// not block (a store read is fine, a render is not). Work a turn starts lives in the
// job queue: dropping the turn (client gone) cancels nothing.
class ChatTurn {
 public:
  virtual ~ChatTurn() = default;
  // event: *out holds the next ADK event; pending: nothing yet, ask again later;
  // done: the turn is over (the last event sent had turnComplete).
  virtual ChatPoll poll(Json* out) = 0;
};

class ChatHandler {
 public:
  virtual ~ChatHandler() = default;
  virtual std::unique_ptr<ChatTurn> start(const ChatRequest& request) = 0;
};

// Builds one ADK event: {id, invocationId, author, timestamp, content{role, parts},
// partial, turnComplete, actions{stateDelta}}.
Json adk_event(const std::string& invocation_id, const Json& parts, bool partial,
               bool turn_complete, const Json& state_delta = Json::object());

// The routing table of the hosted service's client doc, answered with real data:
// export / 导出 / download -> queue a render of the latest draft and stream its progress;
// credits / 积分 / balance / 余额 -> the balance; status / 状态 / show tracks -> the
// timeline; upload / 上传 -> how to upload. Anything else needs generation, which needs a
// model: the reply says none is installed (never a fake video).
std::unique_ptr<ChatHandler> routing_chat_handler(Studio& studio);

// The default: the agent module parses the message (English and Chinese) and edits the
// draft (a new version per edit); export, credits and undo run here; generation answers
// that no model is installed. Events: a functionCall and functionResponse per action,
// then the reply text (stateDelta.draft_version when the draft changed); an export
// streams its progress and ends with the download link.
std::unique_ptr<ChatHandler> agent_chat_handler(Studio& studio);

}  // namespace kino::service
