#include <gtest/gtest.h>

#include "timeline/timeline.h"

namespace kino::timeline {
namespace {

TEST(Draft, EnumNamesRoundTripThroughParse) {
  for (auto t : {TrackType::video, TrackType::audio, TrackType::text}) {
    EXPECT_EQ(track_type_parse(track_type_name(t)), t);
    EXPECT_EQ(track_type_from_wire(track_type_wire(t)), t);
  }
  for (int i = 0; i < 4; ++i) {
    auto m = static_cast<FitMode>(i);
    EXPECT_EQ(fit_mode_parse(fit_mode_name(m)), m);
  }
  for (int i = 0; i < 7; ++i) {
    auto m = static_cast<MotionKind>(i);
    EXPECT_EQ(motion_kind_parse(motion_kind_name(m)), m);
  }
  for (int i = 0; i < 3; ++i) {
    auto k = static_cast<TransitionKind>(i);
    EXPECT_EQ(transition_kind_parse(transition_kind_name(k)), k);
    auto a = static_cast<TextAlign>(i);
    EXPECT_EQ(text_align_parse(text_align_name(a)), a);
  }
  for (int i = 0; i < 4; ++i) {
    auto p = static_cast<TextPosition>(i);
    EXPECT_EQ(text_position_parse(text_position_name(p)), p);
  }
}

TEST(Draft, EnumWireSpellings) {
  EXPECT_EQ(track_type_wire(TrackType::text), 7);
  EXPECT_EQ(fit_mode_name(FitMode::blur_pad), "blur-pad");
  EXPECT_EQ(motion_kind_name(MotionKind::zoom_in), "zoom-in");
  EXPECT_EQ(motion_kind_name(MotionKind::pan_down), "pan-down");
  EXPECT_EQ(transition_kind_name(TransitionKind::fade_black), "fade-black");
}

TEST(Draft, UnknownEnumValuesAreRefused) {
  EXPECT_FALSE(track_type_from_wire(2));
  EXPECT_FALSE(track_type_from_wire(-1));
  EXPECT_FALSE(track_type_parse("Video"));
  EXPECT_FALSE(fit_mode_parse("blur_pad"));
  EXPECT_FALSE(fit_mode_parse(""));
  EXPECT_FALSE(motion_kind_parse("zoom"));
  EXPECT_FALSE(transition_kind_parse("wipe"));
  EXPECT_FALSE(text_align_parse("justify"));
  EXPECT_FALSE(text_position_parse("middle"));
}

TEST(Draft, ColorParse) {
  EXPECT_EQ(color_parse("#fff"), (Color{255, 255, 255, 255}));
  EXPECT_EQ(color_parse("#1a2B3c"), (Color{0x1a, 0x2b, 0x3c, 255}));
  EXPECT_EQ(color_parse("#00000080"), (Color{0, 0, 0, 128}));
  EXPECT_EQ(color_parse("white"), (Color{255, 255, 255, 255}));
  EXPECT_EQ(color_parse("Red"), (Color{255, 0, 0, 255}));
  EXPECT_EQ(color_parse("grey"), color_parse("gray"));
  EXPECT_EQ(color_parse("transparent"), (Color{0, 0, 0, 0}));
  for (const char* bad : {"", "#", "#ff", "#ffff", "#fffffff", "#ggg", "blurple", "fff", "#fff "})
    EXPECT_FALSE(color_parse(bad)) << bad;
}

TEST(Draft, ColorFormatRoundTrips) {
  EXPECT_EQ(color_format({255, 0, 16, 255}), "#ff0010");
  EXPECT_EQ(color_format({0, 0, 0, 160}), "#000000a0");
  for (Color c : {Color{1, 2, 3, 255}, Color{250, 128, 7, 0}})
    EXPECT_EQ(color_parse(color_format(c)), c);
}

TEST(Draft, CanvasPresets) {
  struct Case {
    const char* name;
    int w, h;
  };
  for (Case c :
       {Case{"16:9", 1920, 1080}, Case{"9:16", 1080, 1920}, Case{"1:1", 1080, 1080},
        Case{"4:5", 1080, 1350}, Case{"720p", 1280, 720}, Case{"720p-vertical", 720, 1280}}) {
    auto size = canvas_preset(c.name);
    ASSERT_TRUE(size) << c.name;
    EXPECT_EQ(size->width, c.w);
    EXPECT_EQ(size->height, c.h);
  }
  EXPECT_FALSE(canvas_preset("3:2"));
  EXPECT_FALSE(canvas_preset("16x9"));
  EXPECT_EQ(canvas_preset_names(), "16:9, 9:16, 1:1, 4:5, 720p, 720p-vertical");
}

TEST(Draft, CanvasAspectName) {
  EXPECT_EQ(canvas_aspect_name(1920, 1080), "16:9");
  EXPECT_EQ(canvas_aspect_name(1280, 720), "16:9");
  EXPECT_EQ(canvas_aspect_name(720, 1280), "9:16");
  EXPECT_EQ(canvas_aspect_name(512, 512), "1:1");
  EXPECT_EQ(canvas_aspect_name(864, 1080), "4:5");
  EXPECT_EQ(canvas_aspect_name(1000, 700), "1000x700");
  EXPECT_EQ(canvas_aspect_name(0, 0), "0x0");
}

TEST(Draft, EndIsExplicitDurationOrLastSegmentEnd) {
  Draft d;
  EXPECT_EQ(d.end_ms(), 0);
  Track a, b;
  Segment s;
  s.duration_ms = 4000;
  a.segments.push_back(s);
  s.start_ms = 2500;
  s.duration_ms = 3000;
  b.segments.push_back(s);
  d.tracks = {a, b};
  EXPECT_EQ(d.end_ms(), 5500);
  d.duration_ms = 3000;
  EXPECT_EQ(d.end_ms(), 3000);
}

}  // namespace
}  // namespace kino::timeline
