#pragma once
// Edit operations on a draft, as the chat agent and the API call them.
// Contract shared by every operation:
// - The edit is applied to a copy which must pass draft_validate(limits); only then does
//   it replace `draft` (strong guarantee: on any error the draft is unchanged). An edit
//   on a draft that is already invalid therefore fails with that draft's first error.
// - Unknown ids throw Error(not_found) naming the id; broken rules throw
//   Error(bad_request) with the rule, as draft_validate does.
// - New tracks and segments get ids make_id("tr_") / make_id("sg_") when theirs is empty.
// - Segments stay sorted by start within their track.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "timeline/draft.h"
#include "timeline/validate.h"

namespace kino::timeline {

struct SegmentRef {
  size_t track = 0;  // index into Draft::tracks
  size_t index = 0;  // index into Track::segments
};

// Lookups by id. The find_ functions throw Error(not_found) for unknown ids.
std::optional<SegmentRef> locate_segment(const Draft& draft, std::string_view segment_id);
Segment& find_segment(Draft& draft, std::string_view segment_id);
const Segment& find_segment(const Draft& draft, std::string_view segment_id);
Track& find_track(Draft& draft, std::string_view track_id);
const Track& find_track(const Draft& draft, std::string_view track_id);

// Appends a track (drawn above the existing ones) and returns its id.
std::string add_track(Draft& draft, TrackType type, std::string_view name,
                      const DraftLimits& limits = {});
// Removes a track with its segments and returns it.
Track remove_track(Draft& draft, std::string_view track_id);

// Adds `segment` to the track and returns its id. It starts at `start_ms` when given;
// otherwise (segment.start_ms is then ignored) at the end of the track, overlapping the
// last segment by its own transition, if any.
std::string add_segment(Draft& draft, std::string_view track_id, Segment segment,
                        std::optional<int64_t> start_ms = std::nullopt,
                        const DraftLimits& limits = {});
// Removes a segment and returns it.
Segment remove_segment(Draft& draft, std::string_view segment_id);
// Moves a segment to `new_start_ms`, onto `new_track_id` when given (a track of the
// same type).
void move_segment(Draft& draft, std::string_view segment_id, int64_t new_start_ms,
                  std::string_view new_track_id = {}, const DraftLimits& limits = {});
// Sets the source in-point and the length. Fades, the segment's own transition and the
// next segment's transition are shortened when they no longer fit.
void trim_segment(Draft& draft, std::string_view segment_id, int64_t new_in_ms,
                  int64_t new_duration_ms, const DraftLimits& limits = {});
// Sets the linear gain of a segment or of a whole track (either id).
void set_volume(Draft& draft, std::string_view id, double volume, const DraftLimits& limits = {});
// Puts a text segment on the first text track free over [start, start + duration),
// adding a text track when none is; returns the segment's id.
std::string add_text(Draft& draft, std::string text, int64_t start_ms, int64_t duration_ms,
                     const TextStyle& style = {}, const DraftLimits& limits = {});
// Sets the canvas size from an aspect preset ("9:16"), keeping fps and background.
void set_aspect(Draft& draft, std::string_view aspect, const DraftLimits& limits = {});

// Gives every track and segment without an id a fresh one (for drafts from clients).
void assign_missing_ids(Draft& draft);

}  // namespace kino::timeline
