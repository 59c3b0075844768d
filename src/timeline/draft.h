#pragma once
// The draft: a timeline of tracks and segments, as the API and the agent exchange it.
// Wire form (JSON, compact keys of the hosted service): see docs/TIMELINE.md.
// Times are integer milliseconds here; frames appear only in timeline/frame_time.h.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/rational.h"

namespace kino::timeline {

// Track types use the hosted service's numbers on the wire (`tt`).
enum class TrackType { video = 0, audio = 1, text = 7 };
std::string_view track_type_name(TrackType t);                     // "video", "audio", "text"
std::optional<TrackType> track_type_parse(std::string_view name);  // by name
int track_type_wire(TrackType t);                                  // 0, 1, 7
std::optional<TrackType> track_type_from_wire(int64_t tt);

// How a picture fills its box when aspect ratios differ.
// contain: whole picture, letterboxed; cover: fills, cropping; blur_pad: whole picture
// over a blurred, scaled-up copy of itself; stretch: distorts to fill.
enum class FitMode { contain, cover, blur_pad, stretch };
std::string_view fit_mode_name(FitMode m);  // wire: "contain" "cover" "blur-pad" "stretch"
std::optional<FitMode> fit_mode_parse(std::string_view s);

// Ken Burns motion over a segment's duration (mainly for images).
enum class MotionKind { none, zoom_in, zoom_out, pan_left, pan_right, pan_up, pan_down };
std::string_view motion_kind_name(MotionKind m);  // wire: "none" "zoom-in" "pan-left" ...
std::optional<MotionKind> motion_kind_parse(std::string_view s);

// Transition into a segment from the one before it on the same track.
enum class TransitionKind { none, crossfade, fade_black };
std::string_view transition_kind_name(TransitionKind k);  // wire: "none" "crossfade" "fade-black"
std::optional<TransitionKind> transition_kind_parse(std::string_view s);

enum class TextAlign { left, center, right };
std::string_view text_align_name(TextAlign a);
std::optional<TextAlign> text_align_parse(std::string_view s);

// Where a text block sits: presets inside the title-safe area (5% margins; bottom keeps
// clear of the 15% where short-form apps draw their own captions), or custom x/y.
enum class TextPosition { top, center, bottom, custom };
std::string_view text_position_name(TextPosition p);
std::optional<TextPosition> text_position_parse(std::string_view s);

struct Color {
  uint8_t r = 0, g = 0, b = 0, a = 255;
  friend bool operator==(const Color&, const Color&) = default;
};
// "#rgb", "#rrggbb", "#rrggbbaa" or a CSS basic colour name ("white", "red", ...).
std::optional<Color> color_parse(std::string_view s);
std::string color_format(const Color& c);  // "#rrggbb" or "#rrggbbaa" when a < 255

struct Canvas {
  int width = 1920;
  int height = 1080;
  Rational fps{30, 1};
  Color background{0, 0, 0, 255};
  friend bool operator==(const Canvas&, const Canvas&) = default;
};

// Output presets by aspect name: "16:9" 1920x1080, "9:16" 1080x1920, "1:1" 1080x1080,
// "4:5" 1080x1350, "720p" 1280x720, "720p-vertical" 720x1280.
struct CanvasSize {
  int width;
  int height;
};
std::optional<CanvasSize> canvas_preset(std::string_view aspect);
std::string canvas_preset_names();  // "16:9, 9:16, 1:1, 4:5, 720p, 720p-vertical"
// The preset name whose ratio matches w:h ("16:9"), or "WxH" when none does.
std::string canvas_aspect_name(int width, int height);

struct Transform {
  double x = 0.5;  // centre of the layer, as fractions of the canvas width / height
  double y = 0.5;
  double scale = 1.0;  // of the fitted size
  double opacity = 1.0;
  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Motion {
  MotionKind kind = MotionKind::none;
  double strength = 0.15;  // zoom: extra scale at the end (0.15 = 115%); pan: fraction travelled
  friend bool operator==(const Motion&, const Motion&) = default;
};

struct Transition {
  TransitionKind kind = TransitionKind::none;
  int64_t duration_ms = 0;
  friend bool operator==(const Transition&, const Transition&) = default;
};

struct TextStyle {
  std::string font = "sans-serif";  // fontconfig family; CJK and emoji fall back automatically
  double size = 64;                 // font size in canvas pixels
  bool bold = false;
  Color color{255, 255, 255, 255};
  double outline = 0;  // outline width in canvas pixels
  Color outline_color{0, 0, 0, 255};
  bool shadow = false;
  Color shadow_color{0, 0, 0, 160};
  std::optional<Color> box;  // background box behind the text block
  double box_padding = 16;   // canvas pixels
  TextAlign align = TextAlign::center;
  TextPosition position = TextPosition::center;
  double x = 0.5, y = 0.5;  // centre of the block for TextPosition::custom (canvas fractions)
  double max_width = 0.9;   // wrap width as a fraction of the canvas width
  friend bool operator==(const TextStyle&, const TextStyle&) = default;
};

struct Segment {
  std::string id;
  int64_t start_ms = 0;     // position on the timeline
  int64_t duration_ms = 0;  // length on the timeline
  int64_t in_ms = 0;        // trim in-point inside the source
  std::string source;       // media reference: a media id (server) or a file path (CLI)
  std::string name;         // human label (m.name), used by summaries
  // The whole `m` object as received. On output `name` is authoritative: m.name is
  // written from it (and dropped when it is empty).
  Json meta = Json::object();
  // Sound (video segments with audio, audio segments)
  double volume = 1.0;  // linear gain, 0..4
  int64_t fade_in_ms = 0;
  int64_t fade_out_ms = 0;
  bool loop = false;  // repeat the source to fill the duration (BGM)
  // Picture (video and image segments)
  FitMode fit = FitMode::contain;
  Transform transform;
  Motion motion;
  Transition transition;  // into this segment; video and text tracks
  // Text
  std::string text;  // UTF-8; "\n" breaks lines
  TextStyle style;

  int64_t end_ms() const { return start_ms + duration_ms; }
  friend bool operator==(const Segment&, const Segment&) = default;
};

struct Track {
  std::string id;
  TrackType type = TrackType::video;
  std::string name;  // m.name
  Json meta = Json::object();
  bool muted = false;
  double volume = 1.0;            // applied on top of each segment's volume
  std::vector<Segment> segments;  // sorted by start_ms
  friend bool operator==(const Track&, const Track&) = default;
};

struct Draft {
  int version = 1;
  Canvas canvas;
  int64_t duration_ms = 0;    // `d`: explicit total; 0 = until the last segment ends
  std::vector<Track> tracks;  // drawing order: later video tracks are drawn on top
  Json meta = Json::object();

  // The length that renders: duration_ms if set, else the end of the last segment.
  int64_t end_ms() const;
  friend bool operator==(const Draft&, const Draft&) = default;
};

}  // namespace kino::timeline
