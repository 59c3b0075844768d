#pragma once
// The draft's rules: ranges, limits, overlaps, required fields per track type.
// Parsing (draft_json.h) checks JSON shapes; validation checks a Draft however it was
// made (parsed, built in code, edited). Renders and edits validate before they act.
#include <cstdint>

#include "core/error.h"
#include "timeline/draft.h"

namespace kino::timeline {

// Named limits (docs/TIMELINE.md has the table). Defaults are what the API enforces.
struct DraftLimits {
  int max_tracks = 32;
  int max_segments_per_track = 500;
  int64_t max_duration_ms = 30 * 60 * 1000;  // the draft's end and every segment's end
  int min_canvas_px = 16;                    // width and height; both must also be even
  int max_canvas_px = 4096;
  int min_fps = 1;
  int max_fps = 120;
  int max_text_chars = 500;  // UTF-8 code points per text segment
  int max_name_chars = 200;  // m.name of tracks and segments, in code points
  int max_source_bytes = 1024;
  double max_volume = 4.0;  // linear gain; also the track volume
  double max_scale = 10.0;  // segment scale, exclusive of 0
  double max_font_px = 1000;
};

// Throws Error(bad_request, "<path> <rule>, got <value>") for the first broken rule,
// e.g. "t[0].sg[2].d must be > 0 ms, got -5".
void draft_validate(const Draft& draft, const DraftLimits& limits = {});

// Number of Unicode code points in UTF-8 text, or -1 when the bytes are not valid UTF-8.
int64_t utf8_length(std::string_view text);

}  // namespace kino::timeline
