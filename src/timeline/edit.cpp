#include "timeline/edit.h"

#include <algorithm>

#include "core/error.h"
#include "core/id.h"

namespace kino::timeline {

namespace {

[[noreturn]] void unknown(std::string_view what, std::string_view id) {
  fail(ErrorCode::not_found,
       std::string(what) + " \"" + std::string(id) + "\" not found in the draft");
}

std::optional<size_t> locate_track(const Draft& draft, std::string_view id) {
  if (id.empty()) return std::nullopt;
  for (size_t i = 0; i < draft.tracks.size(); ++i)
    if (draft.tracks[i].id == id) return i;
  return std::nullopt;
}

size_t require_track(const Draft& draft, std::string_view id) {
  auto i = locate_track(draft, id);
  if (!i) unknown("track", id);
  return *i;
}

SegmentRef require_segment(const Draft& draft, std::string_view id) {
  auto ref = locate_segment(draft, id);
  if (!ref) unknown("segment", id);
  return *ref;
}

// Validates the edited copy, then makes it the draft.
void commit(Draft& draft, Draft&& next, const DraftLimits& limits) {
  draft_validate(next, limits);
  draft = std::move(next);
}

std::string ms_range(const Segment& s) {
  return std::to_string(s.start_ms) + "-" + std::to_string(s.end_ms()) + " ms";
}

std::string label(const Segment& s, size_t index) {
  return s.id.empty() ? "segment #" + std::to_string(index + 1) : "segment \"" + s.id + "\"";
}

int64_t incoming_overlap(const Segment& s) {
  return s.transition.kind == TransitionKind::none ? 0 : s.transition.duration_ms;
}

// Inserts `s` keeping the track sorted by start, and names the overlap rule the edit
// would break before draft_validate would name it by path.
size_t insert_sorted(Track& track, Segment s) {
  auto pos =
      std::upper_bound(track.segments.begin(), track.segments.end(), s.start_ms,
                       [](int64_t start, const Segment& other) { return start < other.start_ms; });
  size_t i = size_t(pos - track.segments.begin());
  track.segments.insert(pos, std::move(s));
  const Segment& added = track.segments[i];
  std::string where = track.id.empty() ? "its track" : "track \"" + track.id + "\"";
  if (i > 0) {
    const Segment& prev = track.segments[i - 1];
    if (added.start_ms < prev.end_ms() - incoming_overlap(added))
      fail_bad_request(label(added, i) + " at " + ms_range(added) + " would overlap " +
                       label(prev, i - 1) + " at " + ms_range(prev) + " on " + where +
                       " (segments overlap only by the incoming transition)");
  }
  if (i + 1 < track.segments.size()) {
    const Segment& next = track.segments[i + 1];
    if (next.start_ms < added.end_ms() - incoming_overlap(next))
      fail_bad_request(label(added, i) + " at " + ms_range(added) + " would overlap " +
                       label(next, i + 1) + " at " + ms_range(next) + " on " + where +
                       " (segments overlap only by the incoming transition)");
  }
  return i;
}

void sync_name(Json& meta, const std::string& name) {
  if (!meta.is_object()) meta = Json::object();
  if (name.empty())
    meta.erase("name");
  else
    meta["name"] = name;
}

int64_t track_end(const Track& t) {
  int64_t end = 0;
  for (const auto& s : t.segments) end = std::max(end, s.end_ms());
  return end;
}

bool track_is_free(const Track& t, int64_t start, int64_t end) {
  for (const auto& s : t.segments)
    if (s.start_ms < end && start < s.end_ms()) return false;
  return true;
}

void check_start(int64_t start_ms) {
  if (start_ms < 0) fail_bad_request("start must be >= 0 ms, got " + std::to_string(start_ms));
}

}  // namespace

std::optional<SegmentRef> locate_segment(const Draft& draft, std::string_view segment_id) {
  if (segment_id.empty()) return std::nullopt;
  for (size_t t = 0; t < draft.tracks.size(); ++t) {
    const auto& segs = draft.tracks[t].segments;
    for (size_t i = 0; i < segs.size(); ++i)
      if (segs[i].id == segment_id) return SegmentRef{t, i};
  }
  return std::nullopt;
}

Segment& find_segment(Draft& draft, std::string_view segment_id) {
  SegmentRef r = require_segment(draft, segment_id);
  return draft.tracks[r.track].segments[r.index];
}

const Segment& find_segment(const Draft& draft, std::string_view segment_id) {
  SegmentRef r = require_segment(draft, segment_id);
  return draft.tracks[r.track].segments[r.index];
}

Track& find_track(Draft& draft, std::string_view track_id) {
  return draft.tracks[require_track(draft, track_id)];
}

const Track& find_track(const Draft& draft, std::string_view track_id) {
  return draft.tracks[require_track(draft, track_id)];
}

std::string add_track(Draft& draft, TrackType type, std::string_view name,
                      const DraftLimits& limits) {
  Draft next = draft;
  Track t;
  t.id = make_id("tr_");
  t.type = type;
  t.name = std::string(name);
  sync_name(t.meta, t.name);
  next.tracks.push_back(std::move(t));
  std::string id = next.tracks.back().id;
  commit(draft, std::move(next), limits);
  return id;
}

Track remove_track(Draft& draft, std::string_view track_id) {
  size_t i = require_track(draft, track_id);
  Track removed = std::move(draft.tracks[i]);
  draft.tracks.erase(draft.tracks.begin() + std::ptrdiff_t(i));
  return removed;
}

std::string add_segment(Draft& draft, std::string_view track_id, Segment segment,
                        std::optional<int64_t> start_ms, const DraftLimits& limits) {
  if (start_ms) check_start(*start_ms);
  Draft next = draft;
  Track& track = next.tracks[require_track(next, track_id)];
  if (segment.id.empty()) segment.id = make_id("sg_");
  sync_name(segment.meta, segment.name);
  segment.start_ms =
      start_ms ? *start_ms : std::max<int64_t>(0, track_end(track) - incoming_overlap(segment));
  std::string id = segment.id;
  insert_sorted(track, std::move(segment));
  commit(draft, std::move(next), limits);
  return id;
}

Segment remove_segment(Draft& draft, std::string_view segment_id) {
  SegmentRef r = require_segment(draft, segment_id);
  auto& segs = draft.tracks[r.track].segments;
  Segment removed = std::move(segs[r.index]);
  segs.erase(segs.begin() + std::ptrdiff_t(r.index));
  // The segment that followed now transitions from the one before the removed one (or,
  // first on its track, from the layers beneath); its transition must fit that one.
  if (r.index > 0 && r.index < segs.size()) {
    Transition& t = segs[r.index].transition;
    t.duration_ms = std::min(t.duration_ms, segs[r.index - 1].duration_ms);
  }
  return removed;
}

void move_segment(Draft& draft, std::string_view segment_id, int64_t new_start_ms,
                  std::string_view new_track_id, const DraftLimits& limits) {
  check_start(new_start_ms);
  Draft next = draft;
  SegmentRef r = require_segment(next, segment_id);
  size_t to = new_track_id.empty() ? r.track : require_track(next, new_track_id);
  Track& from_track = next.tracks[r.track];
  Track& to_track = next.tracks[to];
  if (to_track.type != from_track.type)
    fail_bad_request("segment \"" + std::string(segment_id) + "\" is on a " +
                     std::string(track_type_name(from_track.type)) + " track and cannot move to " +
                     std::string(track_type_name(to_track.type)) + " track \"" + to_track.id +
                     "\"");
  Segment s = std::move(from_track.segments[r.index]);
  from_track.segments.erase(from_track.segments.begin() + std::ptrdiff_t(r.index));
  s.start_ms = new_start_ms;
  insert_sorted(to_track, std::move(s));
  commit(draft, std::move(next), limits);
}

void trim_segment(Draft& draft, std::string_view segment_id, int64_t new_in_ms,
                  int64_t new_duration_ms, const DraftLimits& limits) {
  if (new_in_ms < 0) fail_bad_request("in must be >= 0 ms, got " + std::to_string(new_in_ms));
  if (new_duration_ms <= 0)
    fail_bad_request("duration must be > 0 ms, got " + std::to_string(new_duration_ms));
  Draft next = draft;
  SegmentRef r = require_segment(next, segment_id);
  Track& track = next.tracks[r.track];
  Segment s = std::move(track.segments[r.index]);
  track.segments.erase(track.segments.begin() + std::ptrdiff_t(r.index));
  s.in_ms = new_in_ms;
  s.duration_ms = new_duration_ms;
  s.fade_out_ms = std::min(s.fade_out_ms, new_duration_ms);
  s.fade_in_ms = std::min(s.fade_in_ms, new_duration_ms - s.fade_out_ms);
  s.transition.duration_ms = std::min(s.transition.duration_ms, new_duration_ms);
  size_t i = insert_sorted(track, std::move(s));
  if (i + 1 < track.segments.size()) {
    Transition& t = track.segments[i + 1].transition;
    t.duration_ms = std::min(t.duration_ms, new_duration_ms);
  }
  commit(draft, std::move(next), limits);
}

void set_volume(Draft& draft, std::string_view id, double volume, const DraftLimits& limits) {
  Draft next = draft;
  if (auto r = locate_segment(next, id)) {
    next.tracks[r->track].segments[r->index].volume = volume;
  } else if (auto t = locate_track(next, id)) {
    next.tracks[*t].volume = volume;
  } else {
    unknown("segment or track", id);
  }
  commit(draft, std::move(next), limits);
}

std::string add_text(Draft& draft, std::string text, int64_t start_ms, int64_t duration_ms,
                     const TextStyle& style, const DraftLimits& limits) {
  if (text.empty()) fail_bad_request("text must not be empty, got \"\"");
  if (duration_ms <= 0)
    fail_bad_request("duration must be > 0 ms, got " + std::to_string(duration_ms));
  check_start(start_ms);
  Draft next = draft;
  Track* target = nullptr;
  for (auto& t : next.tracks) {
    if (t.type == TrackType::text && track_is_free(t, start_ms, start_ms + duration_ms)) {
      target = &t;
      break;
    }
  }
  if (!target) {
    Track t;
    t.id = make_id("tr_");
    t.type = TrackType::text;
    next.tracks.push_back(std::move(t));
    target = &next.tracks.back();
  }
  Segment s;
  s.id = make_id("sg_");
  s.start_ms = start_ms;
  s.duration_ms = duration_ms;
  s.text = std::move(text);
  s.style = style;
  std::string id = s.id;
  insert_sorted(*target, std::move(s));
  commit(draft, std::move(next), limits);
  return id;
}

void set_aspect(Draft& draft, std::string_view aspect, const DraftLimits& limits) {
  auto size = canvas_preset(aspect);
  if (!size)
    fail_bad_request("aspect must be one of " + canvas_preset_names() + ", got \"" +
                     std::string(aspect) + "\"");
  Draft next = draft;
  next.canvas.width = size->width;
  next.canvas.height = size->height;
  commit(draft, std::move(next), limits);
}

void assign_missing_ids(Draft& draft) {
  for (auto& t : draft.tracks) {
    if (t.id.empty()) t.id = make_id("tr_");
    for (auto& s : t.segments)
      if (s.id.empty()) s.id = make_id("sg_");
  }
}

}  // namespace kino::timeline
