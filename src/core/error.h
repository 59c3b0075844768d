#pragma once
// One error taxonomy for all of kino. Codes are the API's wire codes; modules throw
// kino::Error whose message names the field, the rule and the value received, and
// each job or HTTP request catches once and maps the code to its reply.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kino {

enum class ErrorCode : int {
  ok = 0,
  bad_request = 400,        // malformed request, missing X-Client-Id, invalid draft
  payment_required = 402,   // export blocked by policy (missing attribution headers)
  not_found = 404,          // unknown id, or an id that belongs to another account
  rate_limited = 429,       // token bucket empty; reply carries Retry-After
  internal = 500,           // a bug or an environment failure (disk full, codec missing)
  unavailable = 503,        // shutting down, queue full, no model installed
  bad_token = 1001,         // token missing, unknown or expired
  unknown_session = 1002,   // session id unknown to this account
  no_credits = 2001,        // not enough credits for the requested generation
  unsupported = 4001,       // unsupported, corrupt or truncated media
  too_large = 4002,         // upload or media beyond a named size limit
  cancelled = 4999,         // work cancelled by its owner (never sent as an API error code)
};

// Stable snake_case spelling used in logs, the database and JSON ("bad_token").
std::string_view error_code_name(ErrorCode code);
std::optional<ErrorCode> error_code_parse(std::string_view name);
// The HTTP status an API reply with this code travels under.
int error_code_http_status(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Shorthands that keep throw sites on one line.
[[noreturn]] void fail(ErrorCode code, const std::string& message);
[[noreturn]] inline void fail_bad_request(const std::string& message) {
  fail(ErrorCode::bad_request, message);
}
[[noreturn]] inline void fail_unsupported(const std::string& message) {
  fail(ErrorCode::unsupported, message);
}

}  // namespace kino
