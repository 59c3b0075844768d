#include "timeline/draft.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace kino::timeline {

namespace {

// One table per enum: the wire spelling of every value, in declaration order.
template <typename E, size_t N>
std::optional<E> parse_in(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view s) {
  for (const auto& [value, name] : table)
    if (name == s) return value;
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view name_in(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table)
    if (value == e) return name;
  return "unknown";
}

constexpr std::array<std::pair<TrackType, std::string_view>, 3> kTrackTypes{{
    {TrackType::video, "video"},
    {TrackType::audio, "audio"},
    {TrackType::text, "text"},
}};

constexpr std::array<std::pair<FitMode, std::string_view>, 4> kFitModes{{
    {FitMode::contain, "contain"},
    {FitMode::cover, "cover"},
    {FitMode::blur_pad, "blur-pad"},
    {FitMode::stretch, "stretch"},
}};

constexpr std::array<std::pair<MotionKind, std::string_view>, 7> kMotionKinds{{
    {MotionKind::none, "none"},
    {MotionKind::zoom_in, "zoom-in"},
    {MotionKind::zoom_out, "zoom-out"},
    {MotionKind::pan_left, "pan-left"},
    {MotionKind::pan_right, "pan-right"},
    {MotionKind::pan_up, "pan-up"},
    {MotionKind::pan_down, "pan-down"},
}};

constexpr std::array<std::pair<TransitionKind, std::string_view>, 3> kTransitionKinds{{
    {TransitionKind::none, "none"},
    {TransitionKind::crossfade, "crossfade"},
    {TransitionKind::fade_black, "fade-black"},
}};

constexpr std::array<std::pair<TextAlign, std::string_view>, 3> kTextAligns{{
    {TextAlign::left, "left"},
    {TextAlign::center, "center"},
    {TextAlign::right, "right"},
}};

constexpr std::array<std::pair<TextPosition, std::string_view>, 4> kTextPositions{{
    {TextPosition::top, "top"},
    {TextPosition::center, "center"},
    {TextPosition::bottom, "bottom"},
    {TextPosition::custom, "custom"},
}};

struct NamedColor {
  std::string_view name;
  Color color;
};

// CSS's basic colour keywords (CSS Color Level 3 "basic color keywords"), plus orange,
// the grey spellings and transparent.
constexpr std::array<NamedColor, 20> kNamedColors{{
    {"black", {0, 0, 0, 255}},       {"silver", {192, 192, 192, 255}},
    {"gray", {128, 128, 128, 255}},  {"grey", {128, 128, 128, 255}},
    {"white", {255, 255, 255, 255}}, {"maroon", {128, 0, 0, 255}},
    {"red", {255, 0, 0, 255}},       {"purple", {128, 0, 128, 255}},
    {"fuchsia", {255, 0, 255, 255}}, {"magenta", {255, 0, 255, 255}},
    {"green", {0, 128, 0, 255}},     {"lime", {0, 255, 0, 255}},
    {"olive", {128, 128, 0, 255}},   {"yellow", {255, 255, 0, 255}},
    {"navy", {0, 0, 128, 255}},      {"blue", {0, 0, 255, 255}},
    {"teal", {0, 128, 128, 255}},    {"aqua", {0, 255, 255, 255}},
    {"orange", {255, 165, 0, 255}},  {"transparent", {0, 0, 0, 0}},
}};

struct Preset {
  std::string_view name;
  CanvasSize size;
};

constexpr std::array<Preset, 6> kPresets{{
    {"16:9", {1920, 1080}},
    {"9:16", {1080, 1920}},
    {"1:1", {1080, 1080}},
    {"4:5", {1080, 1350}},
    {"720p", {1280, 720}},
    {"720p-vertical", {720, 1280}},
}};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

}  // namespace

std::string_view track_type_name(TrackType t) {
  return name_in(kTrackTypes, t);
}
std::optional<TrackType> track_type_parse(std::string_view name) {
  return parse_in(kTrackTypes, name);
}
int track_type_wire(TrackType t) {
  return static_cast<int>(t);
}
std::optional<TrackType> track_type_from_wire(int64_t tt) {
  switch (tt) {
    case 0: return TrackType::video;
    case 1: return TrackType::audio;
    case 7: return TrackType::text;
    default: return std::nullopt;
  }
}

std::string_view fit_mode_name(FitMode m) {
  return name_in(kFitModes, m);
}
std::optional<FitMode> fit_mode_parse(std::string_view s) {
  return parse_in(kFitModes, s);
}

std::string_view motion_kind_name(MotionKind m) {
  return name_in(kMotionKinds, m);
}
std::optional<MotionKind> motion_kind_parse(std::string_view s) {
  return parse_in(kMotionKinds, s);
}

std::string_view transition_kind_name(TransitionKind k) {
  return name_in(kTransitionKinds, k);
}
std::optional<TransitionKind> transition_kind_parse(std::string_view s) {
  return parse_in(kTransitionKinds, s);
}

std::string_view text_align_name(TextAlign a) {
  return name_in(kTextAligns, a);
}
std::optional<TextAlign> text_align_parse(std::string_view s) {
  return parse_in(kTextAligns, s);
}

std::string_view text_position_name(TextPosition p) {
  return name_in(kTextPositions, p);
}
std::optional<TextPosition> text_position_parse(std::string_view s) {
  return parse_in(kTextPositions, s);
}

std::optional<Color> color_parse(std::string_view s) {
  if (!s.empty() && s[0] == '#') {
    std::string_view hex = s.substr(1);
    int digits[8];
    if (hex.size() != 3 && hex.size() != 6 && hex.size() != 8) return std::nullopt;
    for (size_t i = 0; i < hex.size(); ++i) {
      digits[i] = hex_digit(hex[i]);
      if (digits[i] < 0) return std::nullopt;
    }
    if (hex.size() == 3)
      return Color{uint8_t(digits[0] * 17), uint8_t(digits[1] * 17), uint8_t(digits[2] * 17), 255};
    auto byte = [&](int i) { return uint8_t(digits[2 * i] * 16 + digits[2 * i + 1]); };
    return Color{byte(0), byte(1), byte(2), hex.size() == 8 ? byte(3) : uint8_t(255)};
  }
  for (const auto& named : kNamedColors) {
    if (named.name.size() != s.size()) continue;
    if (std::equal(s.begin(), s.end(), named.name.begin(),
                   [](char a, char b) { return lower(a) == b; }))
      return named.color;
  }
  return std::nullopt;
}

std::string color_format(const Color& c) {
  char buf[10];
  if (c.a == 255)
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  else
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x%02x", c.r, c.g, c.b, c.a);
  return buf;
}

std::optional<CanvasSize> canvas_preset(std::string_view aspect) {
  for (const auto& p : kPresets)
    if (p.name == aspect) return p.size;
  return std::nullopt;
}

std::string canvas_aspect_name(int width, int height) {
  for (const auto& p : kPresets) {
    if (p.name.find(':') == std::string_view::npos) continue;
    if (int64_t(width) * p.size.height == int64_t(height) * p.size.width && width > 0)
      return std::string(p.name);
  }
  return std::to_string(width) + "x" + std::to_string(height);
}

std::string canvas_preset_names() {
  std::string out;
  for (const auto& p : kPresets) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

int64_t Draft::end_ms() const {
  if (duration_ms > 0) return duration_ms;
  int64_t end = 0;
  for (const auto& track : tracks)
    for (const auto& seg : track.segments) end = std::max(end, seg.end_ms());
  return end;
}

}  // namespace kino::timeline
