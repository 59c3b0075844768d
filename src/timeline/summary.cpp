#include "timeline/summary.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace kino::timeline {

namespace {

constexpr size_t kMaxLabels = 3;       // segment labels listed per track
constexpr size_t kMaxLabelChars = 40;  // code points per label

// Cuts UTF-8 text to `max` code points (never inside a sequence) and flattens newlines.
std::string shorten(std::string_view text) {
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    bool starts_point = (c & 0xC0) != 0x80;
    if (starts_point && ++points > kMaxLabelChars) {
      out += "...";
      break;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : char(c);
  }
  return out;
}

std::string file_name(const std::string& source) {
  size_t slash = source.find_last_of("/\\");
  return slash == std::string::npos ? source : source.substr(slash + 1);
}

std::string segment_label(const Segment& s, TrackType type) {
  if (type == TrackType::text) {
    std::string out(1, '"');
    out += shorten(s.text);
    out += '"';
    return out;
  }
  return shorten(s.name.empty() ? file_name(s.source) : s.name);
}

std::string kind_label(TrackType type, int nth_of_type) {
  switch (type) {
    case TrackType::video: return "Video";
    case TrackType::audio: return nth_of_type == 0 ? "BGM" : "Audio";
    case TrackType::text: return nth_of_type == 0 ? "Title" : "Text";
  }
  return "Track";
}

std::string volume_note(const Track& t) {
  if (t.type == TrackType::text) return "";
  if (t.muted) return ", muted";
  std::set<int64_t> percents;
  for (const auto& s : t.segments) percents.insert(std::llround(t.volume * s.volume * 100));
  if (percents.empty()) return "";
  int64_t lo = *percents.begin(), hi = *percents.rbegin();
  std::string out = ", " + std::to_string(lo);
  if (lo == hi) return lo == 100 ? "" : out + "%";
  return out + "-" + std::to_string(hi) + "%";
}

std::string track_summary(const Track& t, int nth_of_type) {
  std::string out = kind_label(t.type, nth_of_type) + ": ";
  if (t.segments.empty()) {
    return out + (t.name.empty() ? "empty" : shorten(t.name) + " (empty)");
  }
  std::string labels;
  size_t listed = std::min(t.segments.size(), kMaxLabels);
  for (size_t i = 0; i < listed; ++i) {
    if (i) labels += ", ";
    labels += segment_label(t.segments[i], t.type);
  }
  if (t.segments.size() > listed)
    labels += " +" + std::to_string(t.segments.size() - listed) + " more";
  int64_t start = t.segments.front().start_ms, end = 0;
  for (const auto& s : t.segments) {
    start = std::min(start, s.start_ms);
    end = std::max(end, s.end_ms());
  }
  return out + labels + " (" + summary_seconds(start) + "-" + summary_seconds(end) + "s" +
         volume_note(t) + ")";
}

}  // namespace

std::string summary_seconds(int64_t ms) {
  // Tenths, rounded half up: floor((ms + 50) / 100), in 128 bits so no ms overflows.
  __int128 x = __int128(ms) + 50;
  __int128 tenths = x / 100;
  if (x % 100 != 0 && x < 0) --tenths;
  std::string out = tenths < 0 ? "-" : "";
  uint64_t mag = uint64_t(tenths < 0 ? -tenths : tenths);
  out += std::to_string(mag / 10);
  if (mag % 10) {
    out += '.';
    out += char('0' + mag % 10);
  }
  return out;
}

std::string draft_summary(const Draft& draft) {
  size_t n = draft.tracks.size();
  std::string out = "Timeline (" + std::to_string(n) + (n == 1 ? " track)" : " tracks)");
  if (n == 0) return out;
  out += ":";
  int seen[8] = {};
  for (size_t i = 0; i < n; ++i) {
    const Track& t = draft.tracks[i];
    int& nth = seen[static_cast<int>(t.type) & 7];
    out += ' ';
    out += std::to_string(i + 1);
    out += ". ";
    out += track_summary(t, nth);
    ++nth;
  }
  return out;
}

}  // namespace kino::timeline
