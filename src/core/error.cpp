#include "core/error.h"

#include <array>
#include <utility>

namespace kino {
namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 13> kNames{{
    {ErrorCode::ok, "ok"},
    {ErrorCode::bad_request, "bad_request"},
    {ErrorCode::payment_required, "payment_required"},
    {ErrorCode::not_found, "not_found"},
    {ErrorCode::rate_limited, "rate_limited"},
    {ErrorCode::internal, "internal"},
    {ErrorCode::unavailable, "unavailable"},
    {ErrorCode::bad_token, "bad_token"},
    {ErrorCode::unknown_session, "unknown_session"},
    {ErrorCode::no_credits, "no_credits"},
    {ErrorCode::unsupported, "unsupported"},
    {ErrorCode::too_large, "too_large"},
    {ErrorCode::cancelled, "cancelled"},
}};

}  // namespace

std::string_view error_code_name(ErrorCode code) {
  for (const auto& [c, n] : kNames)
    if (c == code) return n;
  return "internal";
}

std::optional<ErrorCode> error_code_parse(std::string_view name) {
  for (const auto& [c, n] : kNames)
    if (n == name) return c;
  return std::nullopt;
}

int error_code_http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return 200;
    case ErrorCode::bad_request: return 400;
    case ErrorCode::payment_required: return 402;
    case ErrorCode::not_found: return 404;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::bad_token: return 401;
    case ErrorCode::unknown_session: return 404;
    case ErrorCode::no_credits: return 402;
    case ErrorCode::unsupported: return 415;
    case ErrorCode::too_large: return 413;
    case ErrorCode::cancelled: return 409;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace kino
