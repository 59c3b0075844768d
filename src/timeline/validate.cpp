#include "timeline/validate.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <unordered_map>

#include "core/error.h"
#include "core/id.h"
#include "core/utf8.h"

namespace kino::timeline {

namespace {

constexpr int64_t kMaxInPointMs = 24LL * 3600 * 1000;  // trims beyond a day are typos
constexpr double kMaxPosition = 2.0;                   // layer centres: -1..2 canvases
constexpr double kMinPosition = -1.0;
constexpr double kMaxOutlinePx = 100;
constexpr double kMaxBoxPaddingPx = 1000;
constexpr size_t kMaxFontNameBytes = 200;

std::string num(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  if (s.size() > 60) {
    out.append(s.substr(0, 57));
    out += "...";
  } else {
    out.append(s);
  }
  return out + "\"";
}

// A field's path, built only when a message needs it (validation of a large draft
// should not allocate a string per field).
struct Field {
  const std::string& parent;
  const char* key;
  operator std::string() const { return json_path(parent, key); }
};

[[noreturn]] void broken(const std::string& path, const std::string& rule,
                         const std::string& value) {
  fail_bad_request(path + " " + rule + ", got " + value);
}

// Inclusive range check that also refuses NaN.
void check_range(double v, double lo, double hi, const Field& path, const char* unit = "") {
  if (!(v >= lo && v <= hi)) broken(path, "must be " + num(lo) + ".." + num(hi) + unit, num(v));
}

void check_text(const std::string& text, const Field& path, int64_t max_chars, const char* what) {
  int64_t n = utf8_length(text);
  if (n < 0) broken(path, "must be valid UTF-8", in_quotes("<invalid bytes>"));
  if (n > max_chars)
    broken(path, "must be at most " + std::to_string(max_chars) + " " + what,
           std::to_string(n) + " " + what);
}

void check_meta(const Json& meta, const std::string& path) {
  if (!meta.is_object()) broken(json_path(path, "m"), "must be an object", json_brief(meta));
}

class Validator {
 public:
  explicit Validator(const DraftLimits& limits) : limits_(limits) {}

  void draft(const Draft& d) {
    if (d.version != 1) broken("v", "must be 1", std::to_string(d.version));
    canvas(d.canvas);
    if (d.duration_ms < 0) broken("d", "must be >= 0 ms", std::to_string(d.duration_ms));
    if (d.duration_ms > limits_.max_duration_ms)
      broken("d", "must be <= " + max_duration(), std::to_string(d.duration_ms));
    check_meta(d.meta, "");
    if (int64_t(d.tracks.size()) > limits_.max_tracks)
      broken("t", "must have at most " + std::to_string(limits_.max_tracks) + " tracks",
             std::to_string(d.tracks.size()));
    for (size_t i = 0; i < d.tracks.size(); ++i) track(d.tracks[i], i);
  }

 private:
  std::string max_duration() const { return std::to_string(limits_.max_duration_ms) + " ms"; }

  void canvas(const Canvas& c) {
    for (auto [v, path] : {std::pair{c.width, "canvas.w"}, std::pair{c.height, "canvas.h"}}) {
      if (v < limits_.min_canvas_px || v > limits_.max_canvas_px)
        broken(path,
               "must be " + std::to_string(limits_.min_canvas_px) + ".." +
                   std::to_string(limits_.max_canvas_px) + " px",
               std::to_string(v));
      if (v % 2 != 0) broken(path, "must be even (H.264 4:2:0)", std::to_string(v));
    }
    const Rational& f = c.fps;
    // min <= num/den <= max in integers: the whole part, and the remainder at the top.
    bool ok = f.den > 0 && f.num > 0 && f.num / f.den >= limits_.min_fps &&
              (f.num / f.den < limits_.max_fps ||
               (f.num / f.den == limits_.max_fps && f.num % f.den == 0));
    if (!ok)
      broken("canvas.fps",
             "must be " + std::to_string(limits_.min_fps) + ".." + std::to_string(limits_.max_fps) +
                 " fps",
             f.str());
  }

  // Ids are unique across tracks and segments; the map holds where each was first seen.
  struct Holder {
    size_t track;
    std::optional<size_t> segment;
    std::string path() const {
      std::string t = json_path("t", track);
      return json_path(segment ? json_path(json_path(t, "sg"), *segment) : t, "id");
    }
  };

  void id(const std::string& value, const Holder& here) {
    if (value.empty()) return;
    if (!id_is_safe(value))
      broken(here.path(), "must be 1..128 characters of A-Z a-z 0-9 _ -", in_quotes(value));
    auto [it, inserted] = ids_.emplace(value, here);
    if (!inserted)
      broken(here.path(), "must be unique (" + it->second.path() + " has it too)",
             in_quotes(value));
  }

  void track(const Track& t, size_t index) {
    const std::string p = json_path("t", index);
    id(t.id, {index, std::nullopt});
    check_meta(t.meta, p);
    check_text(t.name, Field{p, "m.name"}, limits_.max_name_chars, "characters");
    check_range(t.volume, 0, limits_.max_volume, Field{p, "volume"});
    const std::string sp = json_path(p, "sg");
    if (int64_t(t.segments.size()) > limits_.max_segments_per_track)
      broken(sp,
             "must have at most " + std::to_string(limits_.max_segments_per_track) + " segments",
             std::to_string(t.segments.size()));
    int64_t earlier_end = 0;  // latest end among segments before the previous one
    size_t earlier = 0;       // the segment that ends there
    for (size_t i = 0; i < t.segments.size(); ++i) {
      const Segment& s = t.segments[i];
      const std::string path = json_path(sp, i);
      id(s.id, {index, i});
      segment(s, t.type, path);
      if (i == 0) continue;
      const Segment& prev = t.segments[i - 1];
      transition_fits(s, prev, path, sp, i - 1);
      int64_t overlap = s.transition.kind == TransitionKind::none ? 0 : s.transition.duration_ms;
      int64_t earliest = prev.end_ms() - overlap;
      if (s.start_ms < earliest)
        broken(json_path(path, "start"),
               "must be >= " + std::to_string(earliest) + " ms (" + json_path(sp, i - 1) +
                   " ends at " + std::to_string(prev.end_ms()) +
                   " ms; segments on a track overlap only by the incoming transition, " +
                   std::to_string(overlap) + " ms)",
               std::to_string(s.start_ms));
      if (s.start_ms < earlier_end)
        broken(json_path(path, "start"),
               "must be >= " + std::to_string(earlier_end) + " ms (" + json_path(sp, earlier) +
                   " ends there; only neighbouring segments may overlap)",
               std::to_string(s.start_ms));
      if (prev.end_ms() > earlier_end) {
        earlier_end = prev.end_ms();
        earlier = i - 1;
      }
    }
  }

  void transition_fits(const Segment& s, const Segment& prev, const std::string& path,
                       const std::string& track_sg, size_t prev_index) {
    if (s.transition.kind == TransitionKind::none) return;
    if (s.transition.duration_ms > prev.duration_ms)
      broken(json_path(path, "transition.d"),
             "must be <= the d of " + json_path(track_sg, prev_index) + " (" +
                 std::to_string(prev.duration_ms) + " ms)",
             std::to_string(s.transition.duration_ms));
  }

  void segment(const Segment& s, TrackType type, const std::string& p) {
    check_meta(s.meta, p);
    check_text(s.name, Field{p, "m.name"}, limits_.max_name_chars, "characters");
    if (s.start_ms < 0) broken(Field{p, "start"}, "must be >= 0 ms", std::to_string(s.start_ms));
    if (s.duration_ms <= 0) broken(Field{p, "d"}, "must be > 0 ms", std::to_string(s.duration_ms));
    if (s.start_ms > limits_.max_duration_ms)
      broken(Field{p, "start"}, "must be <= " + max_duration(), std::to_string(s.start_ms));
    if (s.duration_ms > limits_.max_duration_ms)
      broken(Field{p, "d"}, "must be <= " + max_duration(), std::to_string(s.duration_ms));
    if (s.end_ms() > limits_.max_duration_ms)
      broken(json_path(p, "start") + " + d", "must be <= " + max_duration(),
             std::to_string(s.end_ms()));
    if (s.in_ms < 0) broken(Field{p, "in"}, "must be >= 0 ms", std::to_string(s.in_ms));
    if (s.in_ms > kMaxInPointMs)
      broken(Field{p, "in"}, "must be <= " + std::to_string(kMaxInPointMs) + " ms",
             std::to_string(s.in_ms));

    const Field src{p, "src"};
    if (type != TrackType::text && s.source.empty())
      broken(src,
             "must name the media (required on " + std::string(track_type_name(type)) + " tracks)",
             "\"\"");
    if (s.source.size() > size_t(limits_.max_source_bytes))
      broken(src, "must be at most " + std::to_string(limits_.max_source_bytes) + " bytes",
             std::to_string(s.source.size()) + " bytes");
    check_text(s.source, src, limits_.max_source_bytes, "characters");

    const Field text{p, "text"};
    if (type == TrackType::text && s.text.empty())
      broken(text, "must not be empty in a text segment", "\"\"");
    check_text(s.text, text, limits_.max_text_chars, "characters");

    check_range(s.volume, 0, limits_.max_volume, Field{p, "volume"});
    if (s.fade_in_ms < 0)
      broken(Field{p, "fade_in"}, "must be >= 0 ms", std::to_string(s.fade_in_ms));
    if (s.fade_out_ms < 0)
      broken(Field{p, "fade_out"}, "must be >= 0 ms", std::to_string(s.fade_out_ms));
    if (s.fade_in_ms > s.duration_ms || s.fade_out_ms > s.duration_ms ||
        s.fade_in_ms + s.fade_out_ms > s.duration_ms)
      broken(json_path(p, "fade_in") + " + fade_out",
             "must be <= d (" + std::to_string(s.duration_ms) + " ms)",
             std::to_string(s.fade_in_ms + s.fade_out_ms));

    check_range(s.transform.x, kMinPosition, kMaxPosition, Field{p, "x"});
    check_range(s.transform.y, kMinPosition, kMaxPosition, Field{p, "y"});
    if (!(s.transform.scale > 0 && s.transform.scale <= limits_.max_scale))
      broken(Field{p, "scale"}, "must be > 0 and <= " + num(limits_.max_scale),
             num(s.transform.scale));
    check_range(s.transform.opacity, 0, 1, Field{p, "opacity"});
    check_range(s.motion.strength, 0, 1, Field{p, "motion.strength"});

    if (s.transition.kind != TransitionKind::none) {
      if (type == TrackType::audio)
        broken(Field{p, "transition.type"}, "must be none on an audio track (use fades)",
               in_quotes(transition_kind_name(s.transition.kind)));
      if (s.transition.duration_ms <= 0)
        broken(Field{p, "transition.d"},
               "must be > 0 ms for a " + std::string(transition_kind_name(s.transition.kind)),
               std::to_string(s.transition.duration_ms));
      if (s.transition.duration_ms > s.duration_ms)
        broken(Field{p, "transition.d"},
               "must be <= the segment's d (" + std::to_string(s.duration_ms) + " ms)",
               std::to_string(s.transition.duration_ms));
    } else if (s.transition.duration_ms < 0) {
      broken(Field{p, "transition.d"}, "must be >= 0 ms", std::to_string(s.transition.duration_ms));
    }
    style(s.style, p);
  }

  void style(const TextStyle& st, const std::string& p) {
    if (st.font.empty()) broken(Field{p, "style.font"}, "must not be empty", "\"\"");
    if (st.font.size() > kMaxFontNameBytes)
      broken(Field{p, "style.font"},
             "must be at most " + std::to_string(kMaxFontNameBytes) + " bytes",
             std::to_string(st.font.size()) + " bytes");
    check_text(st.font, Field{p, "style.font"}, kMaxFontNameBytes, "characters");
    if (!(st.size > 0 && st.size <= limits_.max_font_px))
      broken(Field{p, "style.size"}, "must be > 0 and <= " + num(limits_.max_font_px) + " px",
             num(st.size));
    check_range(st.outline, 0, kMaxOutlinePx, Field{p, "style.outline"}, " px");
    check_range(st.box_padding, 0, kMaxBoxPaddingPx, Field{p, "style.box_padding"}, " px");
    check_range(st.x, 0, 1, Field{p, "style.x"});
    check_range(st.y, 0, 1, Field{p, "style.y"});
    if (!(st.max_width > 0 && st.max_width <= 1))
      broken(Field{p, "style.max_width"}, "must be > 0 and <= 1", num(st.max_width));
  }

  const DraftLimits& limits_;
  std::unordered_map<std::string_view, Holder> ids_;  // views into the draft's ids
};

}  // namespace

int64_t utf8_length(std::string_view text) {
  int64_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    const Utf8Step step = utf8_next(text, i);
    if (!step.valid) return -1;
    i += step.length;
  }
  return count;
}

void draft_validate(const Draft& draft, const DraftLimits& limits) {
  Validator(limits).draft(draft);
}

}  // namespace kino::timeline
