#pragma once
// The routes of docs/API.md as plain functions over HttpRequest / HttpResponse.
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/http_types.h"
#include "http/server_limits.h"

namespace kino::service {
class Studio;
}

namespace kino::http {

// How the adapter reads a route's body: small (ignored or tiny), json (bounded by
// json_body_max_bytes) or upload (multipart streamed to disk).
enum class BodyKind { small, json, upload };
BodyKind route_body_kind(std::string_view method, std::string_view path,
                         std::string_view content_type);

// Runs before an upload body is read, so a bad token, an unknown session or a rate limit
// is answered without receiving megabytes first. nullopt: go on and read the body.
std::optional<HttpResponse> api_upload_precheck(service::Studio& studio, const HttpRequest& req);

// Answers one request. Never throws: errors become {"code":<code>,"message":"..."}.
HttpResponse api_handle(service::Studio& studio, const ServerLimits& limits,
                        const HttpRequest& req);

// {"code":0,"data":data} / {"code":<code>,"message":message} under the code's HTTP status.
HttpResponse api_ok(const std::string& data_json);
HttpResponse api_error(ErrorCode code, const std::string& message);

}  // namespace kino::http
