#include "store/records.h"

#include <array>
#include <utility>

namespace kino::store {
namespace {

template <typename E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (const auto& [e, n] : table)
    if (e == v) return n;
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> parse_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view s) {
  for (const auto& [e, n] : table)
    if (n == s) return e;
  return std::nullopt;
}

constexpr std::array<std::pair<MediaOrigin, std::string_view>, 3> kOrigins{{
    {MediaOrigin::upload, "upload"},
    {MediaOrigin::generated, "generated"},
    {MediaOrigin::render, "render"},
}};
constexpr std::array<std::pair<JobState, std::string_view>, 5> kStates{{
    {JobState::queued, "queued"},
    {JobState::running, "running"},
    {JobState::completed, "completed"},
    {JobState::failed, "failed"},
    {JobState::cancelled, "cancelled"},
}};
constexpr std::array<std::pair<LedgerKind, std::string_view>, 4> kLedger{{
    {LedgerKind::grant, "grant"},
    {LedgerKind::freeze, "freeze"},
    {LedgerKind::settle, "settle"},
    {LedgerKind::release, "release"},
}};

}  // namespace

std::string_view media_origin_name(MediaOrigin o) {
  return name_of(kOrigins, o);
}
std::optional<MediaOrigin> media_origin_parse(std::string_view s) {
  return parse_of(kOrigins, s);
}
std::string_view job_state_name(JobState s) {
  return name_of(kStates, s);
}
std::optional<JobState> job_state_parse(std::string_view s) {
  return parse_of(kStates, s);
}
std::string_view ledger_kind_name(LedgerKind k) {
  return name_of(kLedger, k);
}
std::optional<LedgerKind> ledger_kind_parse(std::string_view s) {
  return parse_of(kLedger, s);
}

}  // namespace kino::store
