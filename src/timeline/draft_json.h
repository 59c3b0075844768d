#pragma once
// The draft's JSON wire form (docs/TIMELINE.md has every key, type and default).
// Parsing checks shapes: JSON types, known keys, enum spellings, colours; it throws
// Error(bad_request) naming the field path ("t[0].sg[2].fit must be one of ..., got
// \"fill\""). Rules on values (ranges, overlaps, limits) are draft_validate's job.
#include <string_view>

#include "core/error.h"
#include "core/json.h"
#include "timeline/draft.h"

namespace kino::timeline {

Draft draft_from_json(const Json& json);
// Malformed JSON text -> Error(bad_request) naming "draft" and the byte offset.
Draft draft_parse(std::string_view text);
// Compact output: keys whose value is the default are left out, so that
// draft_from_json(draft_to_json(d)) == d (given m.name mirrors name, see Segment::meta).
Json draft_to_json(const Draft& draft);

}  // namespace kino::timeline
