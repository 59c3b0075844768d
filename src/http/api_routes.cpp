#include "http/api_routes.h"

#include <vector>

#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "service/service.h"

namespace kino::http {
namespace {

using service::Caller;
using service::Studio;

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

bool is_upload_path(const std::vector<std::string_view>& p) {
  return p.size() == 5 && p[0] == "api" && p[1] == "upload-video" && p[2] == "nemo_agent" &&
         p[3] == "me";
}

std::string base_url_of(Studio& studio, const HttpRequest& req) {
  if (!studio.config().public_url.empty()) return studio.config().public_url;
  std::string host = req.header("host");
  bool ok = !host.empty() && host.size() <= 255;
  for (char c : host)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == ':' || c == '[' || c == ']');
  return "http://" + (ok ? host : std::string("localhost"));
}

service::SkillHeaders skill_of(const HttpRequest& req) {
  return {req.header("x-skill-source"), req.header("x-skill-version"),
          req.header("x-skill-platform")};
}

HttpResponse rate_limited(int64_t retry_after, const std::string& what) {
  HttpResponse r =
      api_error(ErrorCode::rate_limited, "rate limit for this " + what + " reached; retry after " +
                                             std::to_string(retry_after) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return r;
}

// Authenticates, rate-limits per token and records attribution. Throws kino::Error;
// a rate limit comes back as a response.
std::optional<HttpResponse> authorize(Studio& studio, const HttpRequest& req, Caller* caller) {
  *caller = studio.authenticate(req.header("authorization"));
  caller->base_url = base_url_of(studio, req);
  if (int64_t wait = studio.rate_take_token(caller->token_hash)) return rate_limited(wait, "token");
  studio.usage_record(*caller, skill_of(req));
  return std::nullopt;
}

Json parse_body(const HttpRequest& req) {
  if (req.body.empty()) return Json::object();
  return json_parse(req.body, "request body");
}

// A chat turn drained as server-sent events.
class ChatStream final : public SseSource {
 public:
  explicit ChatStream(std::unique_ptr<service::ChatTurn> turn) : turn_(std::move(turn)) {}
  SsePoll poll(std::string* out) override {
    Json event;
    switch (turn_->poll(&event)) {
      case service::ChatPoll::event: *out = event.dump(); return SsePoll::data;
      case service::ChatPoll::pending: return SsePoll::pending;
      case service::ChatPoll::done: return SsePoll::done;
    }
    return SsePoll::done;
  }

 private:
  std::unique_ptr<service::ChatTurn> turn_;
};

HttpResponse run_sse(Studio& studio, const HttpRequest& req, const Caller& caller) {
  Json body = parse_body(req);
  if (!body.is_object()) fail_bad_request("body must be a JSON object, got " + json_brief(body));
  std::string app = json_string(body, "app_name", "app_name", "nemo_agent");
  if (app != "nemo_agent")
    fail_bad_request("app_name must be \"nemo_agent\", got " + json_brief(app));
  store::Session session =
      studio.session_of(caller, json_require_string(body, "session_id", "session_id"));
  const Json msg = body.value("new_message", Json::object());
  if (!msg.is_object() || !msg.value("parts", Json()).is_array())
    fail_bad_request("new_message.parts must be an array of {\"text\": ...}");
  std::string text;
  const Json& parts = msg["parts"];
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].is_object()) continue;
    std::string t = json_string(parts[i], "text", json_path("new_message.parts", i) + ".text", "");
    if (!t.empty()) text += (text.empty() ? "" : "\n") + t;
  }
  if (text.empty()) fail_bad_request("new_message.parts holds no text");
  if (text.size() > 8000)
    fail_bad_request("message must be at most 8000 bytes, got " + std::to_string(text.size()));
  service::ChatRequest chat{caller.account_id,      session,         text,
                            "e-" + make_id("", 12), caller.base_url, skill_of(req)};
  HttpResponse r;
  r.sse = std::make_unique<ChatStream>(studio.chat().start(chat));
  return r;
}

HttpResponse upload(Studio& studio, const HttpRequest& req, const Caller& caller,
                    const std::string& session_id) {
  studio.session_of(caller, session_id);
  if (req.header("content-type").rfind("application/json", 0) == 0) {
    Json items = studio.upload_urls(caller, session_id, parse_body(req));
    Json data{{"session_id", session_id}, {"files", items}, {"media_ids", Json::array()}};
    for (const auto& i : items) data["media_ids"].push_back(i["media_id"]);
    return api_ok(data.dump());
  }
  // All or nothing: the service checks every file before it stores any.
  std::vector<Studio::UploadFile> files;
  for (const auto& f : req.files)
    if (f.field == "files" || f.field == "file") files.push_back({f.path, f.filename});
  if (files.empty()) fail_bad_request("multipart field `files` is required (one or more files)");
  Json items = studio.upload_files(caller, session_id, files);
  Json data{{"session_id", session_id}, {"files", items}, {"media_ids", Json::array()}};
  for (const auto& i : items) data["media_ids"].push_back(i["media_id"]);
  return api_ok(data.dump());
}

HttpResponse download(Studio& studio, const HttpRequest& req, const std::string& kind,
                      const std::string& name) {
  auto exp = req.query.find("exp");
  auto sig = req.query.find("sig");
  service::DownloadFile f = studio.download(kind, name, exp == req.query.end() ? "" : exp->second,
                                            sig == req.query.end() ? "" : sig->second);
  HttpResponse r;
  r.file = f.path;
  r.content_type = f.content_type;
  r.file_name = f.file_name;
  return r;
}

HttpResponse dispatch(Studio& studio, const ServerLimits& limits, const HttpRequest& req) {
  const auto p = split_path(req.path);
  const std::string& m = req.method;
  const bool get = m == "GET" || m == "HEAD";

  if (get && p.size() == 1 && p[0] == "healthz") return api_ok(Json{{"ok", true}}.dump());
  if (get && p.size() == 4 && p[0] == "api" && p[1] == "files")
    return download(studio, req, std::string(p[2]), std::string(p[3]));
  if (m == "POST" && req.path == "/api/auth/anonymous-token") {
    std::string token = studio.anonymous_token(req.header("x-client-id"));
    return api_ok(Json{{"token", token},
                       {"expires_in_s", studio.config().token_ttl_ms / 1000},
                       {"credits", studio.config().starting_credits}}
                      .dump());
  }

  Caller caller;
  auto is = [&](std::string_view method, std::initializer_list<std::string_view> parts) {
    if (m != method || p.size() != parts.size()) return false;
    size_t i = 0;
    for (auto part : parts) {
      if (part != "*" && p[i] != part) return false;
      ++i;
    }
    return true;
  };
  const bool known =
      is("POST", {"api", "tasks", "me", "with-session", "nemo_agent"}) || is("POST", {"run_sse"}) ||
      is_upload_path(p) || is("GET", {"api", "credits", "balance", "simple"}) ||
      is("GET", {"api", "state", "nemo_agent", "me", "*", "latest"}) ||
      is("POST", {"api", "render", "proxy", "lambda"}) ||
      is("GET", {"api", "render", "proxy", "lambda", "*"}) || is("POST", {"api", "generate"}) ||
      is("GET", {"api", "generate", "*"}) || is("POST", {"api", "generate", "*", "cancel"});
  if (!known) return api_error(ErrorCode::not_found, "no route for " + m + " " + req.path);
  if (is_upload_path(p) && m != "POST")
    return api_error(ErrorCode::not_found, "no route for " + m + " " + req.path);
  if (auto limited = authorize(studio, req, &caller)) return std::move(*limited);

  if (is("POST", {"api", "tasks", "me", "with-session", "nemo_agent"}))
    return api_ok(studio.session_create(caller, parse_body(req)).dump());
  if (is("POST", {"run_sse"})) return run_sse(studio, req, caller);
  if (is_upload_path(p)) return upload(studio, req, caller, std::string(p[4]));
  if (is("GET", {"api", "credits", "balance", "simple"}))
    return api_ok(studio.credits_balance(caller).dump());
  if (is("GET", {"api", "state", "nemo_agent", "me", "*", "latest"}))
    return api_ok(studio.state(caller, std::string(p[4])).dump());
  if (is("POST", {"api", "render", "proxy", "lambda"}))
    return api_ok(studio.render_submit(caller, parse_body(req), skill_of(req)).dump());
  if (is("POST", {"api", "generate"}))
    return api_ok(studio.generation_submit(caller, parse_body(req)).dump());
  if (is("GET", {"api", "generate", "*"}))
    return api_ok(studio.generation_status(caller, std::string(p[2])).dump());
  if (is("POST", {"api", "generate", "*", "cancel"}))
    return api_ok(studio.generation_cancel(caller, std::string(p[2])).dump());
  return api_ok(studio.render_status(caller, std::string(p[4])).dump());
}

}  // namespace

BodyKind route_body_kind(std::string_view method, std::string_view path,
                         std::string_view content_type) {
  if (method != "POST") return BodyKind::small;
  if (is_upload_path(split_path(path)) && content_type.rfind("application/json", 0) != 0)
    return BodyKind::upload;
  return BodyKind::json;
}

std::optional<HttpResponse> api_upload_precheck(Studio& studio, const HttpRequest& req) {
  try {
    if (int64_t wait = studio.rate_take_ip(req.remote_ip)) return rate_limited(wait, "address");
    Caller caller;
    if (auto limited = authorize(studio, req, &caller)) return limited;
    const auto p = split_path(req.path);
    studio.session_of(caller, std::string(p.at(4)));
    return std::nullopt;
  } catch (const Error& e) {
    return api_error(e.code(), e.what());
  } catch (const std::exception& e) {
    return api_error(ErrorCode::internal, e.what());
  }
}

HttpResponse api_handle(Studio& studio, const ServerLimits& limits, const HttpRequest& req) {
  try {
    // Uploads took their per-address token in api_upload_precheck.
    if (route_body_kind(req.method, req.path, req.header("content-type")) != BodyKind::upload) {
      if (int64_t wait = studio.rate_take_ip(req.remote_ip)) return rate_limited(wait, "address");
    }
    return dispatch(studio, limits, req);
  } catch (const Error& e) {
    return api_error(e.code(), e.what());
  } catch (const std::exception& e) {
    log_error(std::string("request ") + req.method + " " + req.path + ": " + e.what());
    return api_error(ErrorCode::internal, "internal error");
  }
}

HttpResponse api_ok(const std::string& data_json) {
  HttpResponse r;
  r.body = "{\"code\":0,\"data\":" + data_json + "}";
  return r;
}

HttpResponse api_error(ErrorCode code, const std::string& message) {
  HttpResponse r;
  r.status = error_code_http_status(code);
  // A message quoting client text cut mid-character must not make the reply fail.
  r.body = Json{{"code", int(code)}, {"message", message}}.dump(-1, ' ', false,
                                                                Json::error_handler_t::replace);
  return r;
}

}  // namespace kino::http
