#include "service/generation_cost.h"

#include <array>

#include "core/error.h"

namespace kino::service {
namespace {

struct Tier {
  std::string_view name;
  int short_side;
  int64_t GenerationCosts::*rate;
};
constexpr std::array<Tier, 3> kTiers{{
    {"480p", 480, &GenerationCosts::per_second_480p},
    {"720p", 720, &GenerationCosts::per_second_720p},
    {"1080p", 1080, &GenerationCosts::per_second_1080p},
}};

}  // namespace

std::optional<int> generation_resolution_parse(std::string_view resolution) {
  for (const auto& t : kTiers)
    if (t.name == resolution) return t.short_side;
  return std::nullopt;
}

std::string generation_resolution_names() {
  std::string out;
  for (const auto& t : kTiers) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

int64_t generation_cost(const GenerationCosts& costs, int64_t seconds,
                        std::string_view resolution) {
  if (seconds <= 0) fail_bad_request("seconds must be > 0, got " + std::to_string(seconds));
  for (const auto& t : kTiers)
    if (t.name == resolution) return seconds * (costs.*t.rate);
  fail_bad_request("resolution must be one of " + generation_resolution_names() + ", got \"" +
                   std::string(resolution) + "\"");
}

}  // namespace kino::service
