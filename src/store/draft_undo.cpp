#include "store/draft_undo.h"

#include <charconv>

namespace kino::store {

namespace {
constexpr std::string_view kPrefix = "undo to ";
}

std::string draft_undo_note(int64_t restored_version) {
  return std::string(kPrefix) + std::to_string(restored_version);
}

int64_t draft_undo_target(int64_t latest,
                          const std::function<std::optional<std::string>(int64_t)>& note_of) {
  int64_t v = latest;
  // Each step moves to a strictly older version, so this ends; the guard bounds a
  // corrupted history.
  for (int guard = 0; guard < 10000 && v >= 1; ++guard) {
    auto note = note_of(v);
    if (!note || note->rfind(kPrefix, 0) != 0) return v - 1;
    int64_t back = 0;
    const char* p = note->data() + kPrefix.size();
    const char* end = note->data() + note->size();
    auto [ptr, ec] = std::from_chars(p, end, back);
    if (ec != std::errc() || ptr != end || back >= v) return v - 1;
    v = back;
  }
  return 0;
}

}  // namespace kino::store
