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

std::pair<int, int> generation_output_size(std::string_view resolution, std::string_view aspect) {
  const auto short_side = generation_resolution_parse(resolution);
  if (!short_side)
    fail_bad_request("resolution must be one of " + generation_resolution_names() + ", got \"" +
                     std::string(resolution) + "\"");
  const size_t colon = aspect.find(':');
  int64_t w = 0, h = 0;
  auto number = [](std::string_view s, int64_t* out) {
    if (s.empty() || s.size() > 4) return false;
    *out = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      *out = *out * 10 + (c - '0');
    }
    return *out > 0;
  };
  if (colon == std::string_view::npos || !number(aspect.substr(0, colon), &w) ||
      !number(aspect.substr(colon + 1), &h) || w > 4 * h || h > 4 * w)
    fail_bad_request("aspect must be \"W:H\" between 1:4 and 4:1, got \"" + std::string(aspect) +
                     "\"");
  // The largest even size of the aspect inside the resolution's 16:9 frame (1080p: 1920x1080,
  // or 1080x1920 for portrait), as the CLI and the editor's presets size things: wider than
  // 16:9 keeps the long side (21:9 -> 1920x822) rather than growing past what 1080p players
  // and H.264 level 4.2 expect.
  const int64_t s = *short_side, box = 2 * ((s * 16 + 9) / 18);  // 1080 -> 1920, 480 -> 854
  auto even = [](int64_t num, int64_t den) {
    return std::max<int64_t>(2, 2 * ((num + den) / (2 * den)));
  };
  const int64_t lo = std::min(w, h), hi = std::max(w, h);
  int64_t long_len = even(s * hi, lo), short_len = s;
  if (long_len > box) {
    long_len = box;
    short_len = even(box * lo, hi);
  }
  if (w >= h) return {int(long_len), int(short_len)};
  return {int(short_len), int(long_len)};
}

}  // namespace kino::service
