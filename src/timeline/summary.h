#pragma once
// One-line summaries of a draft, in the hosted service's style:
//   Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%)
//   3. Title: "Urban Dreams" (0-3s)
// (one line; wrapped here). docs/TIMELINE.md states the rules.
#include <string>

#include "timeline/draft.h"

namespace kino::timeline {

std::string draft_summary(const Draft& draft);

// Seconds with at most one decimal, rounded half up to the tenth: 2500 -> "2.5", 10000 -> "10".
std::string summary_seconds(int64_t ms);

}  // namespace kino::timeline
