#include <gtest/gtest.h>

#include <vector>

#include "test_drafts.h"

namespace kino::timeline {
namespace {

using testing::error_of;

struct Patch {
  const char* pointer;  // JSON pointer into the example draft
  const char* value;    // JSON text
};

struct Invalid {
  std::vector<Patch> patches;
  const char* message;
};

// One broken rule per row, applied to the valid example draft.
const Invalid kInvalid[] = {
    {{{"/t/0/sg/0/d", "-5"}}, "t[0].sg[0].d must be > 0 ms, got -5"},
    {{{"/t/0/sg/0/d", "0"}}, "t[0].sg[0].d must be > 0 ms, got 0"},
    {{{"/t/0/sg/0/start", "-1"}}, "t[0].sg[0].start must be >= 0 ms, got -1"},
    {{{"/t/0/sg/0/in", "-40"}}, "t[0].sg[0].in must be >= 0 ms, got -40"},
    {{{"/t/0/sg/0/in", "86400001"}}, "t[0].sg[0].in must be <= 86400000 ms, got 86400001"},
    {{{"/canvas/w", "100000"}}, "canvas.w must be 16..4096 px, got 100000"},
    {{{"/canvas/w", "0"}}, "canvas.w must be 16..4096 px, got 0"},
    {{{"/canvas/h", "-1920"}}, "canvas.h must be 16..4096 px, got -1920"},
    {{{"/canvas/h", "1081"}}, "canvas.h must be even (H.264 4:2:0), got 1081"},
    {{{"/canvas/fps", "0"}}, "canvas.fps must be 1..120 fps, got 0"},
    {{{"/canvas/fps", "-30"}}, "canvas.fps must be 1..120 fps, got -30"},
    {{{"/canvas/fps", "240"}}, "canvas.fps must be 1..120 fps, got 240"},
    {{{"/canvas/fps", "\"121/1\""}}, "canvas.fps must be 1..120 fps, got 121"},
    {{{"/canvas/fps", "\"120001/1000\""}}, "canvas.fps must be 1..120 fps, got 120001/1000"},
    {{{"/canvas/fps", "\"1000/1001\""}}, "canvas.fps must be 1..120 fps, got 1000/1001"},
    {{{"/d", "-1"}}, "d must be >= 0 ms, got -1"},
    {{{"/d", "1800001"}}, "d must be <= 1800000 ms, got 1800001"},
    {{{"/t/0/sg/0/d", "1800001"}}, "t[0].sg[0].d must be <= 1800000 ms, got 1800001"},
    {{{"/t/2/sg/0/start", "9223372036854775000"}},
     "t[2].sg[0].start must be <= 1800000 ms, got 9223372036854775000"},
    {{{"/t/2/sg/0/start", "1799000"}}, "t[2].sg[0].start + d must be <= 1800000 ms, got 1802000"},
    {{{"/t/1/sg/0/volume", "5"}}, "t[1].sg[0].volume must be 0..4, got 5"},
    {{{"/t/1/sg/0/volume", "-0.1"}}, "t[1].sg[0].volume must be 0..4, got -0.1"},
    {{{"/t/1/volume", "4.5"}}, "t[1].volume must be 0..4, got 4.5"},
    {{{"/t/0/sg/0/opacity", "1.5"}}, "t[0].sg[0].opacity must be 0..1, got 1.5"},
    {{{"/t/0/sg/0/scale", "0"}}, "t[0].sg[0].scale must be > 0 and <= 10, got 0"},
    {{{"/t/0/sg/0/scale", "10.5"}}, "t[0].sg[0].scale must be > 0 and <= 10, got 10.5"},
    {{{"/t/0/sg/0/x", "5"}}, "t[0].sg[0].x must be -1..2, got 5"},
    {{{"/t/0/sg/0/y", "-2"}}, "t[0].sg[0].y must be -1..2, got -2"},
    {{{"/t/0/sg/0/motion", R"({"type": "zoom-in", "strength": 2})"}},
     "t[0].sg[0].motion.strength must be 0..1, got 2"},
    {{{"/t/0/sg/0/fade_in", "-1"}}, "t[0].sg[0].fade_in must be >= 0 ms, got -1"},
    {{{"/t/0/sg/0/fade_out", "-1"}}, "t[0].sg[0].fade_out must be >= 0 ms, got -1"},
    {{{"/t/0/sg/0/fade_in", "3000"}, {"/t/0/sg/0/fade_out", "3000"}},
     "t[0].sg[0].fade_in + fade_out must be <= d (5000 ms), got 6000"},
    {{{"/t/0/sg/0/fade_out", "9223372036854775807"}},
     "t[0].sg[0].fade_in + fade_out must be <= d (5000 ms), got 9223372036854775807"},
    {{{"/t/0/sg/1/transition/d", "0"}},
     "t[0].sg[1].transition.d must be > 0 ms for a crossfade, got 0"},
    {{{"/t/0/sg/1/transition/d", "7000"}, {"/t/0/sg/1/start", "0"}},
     "t[0].sg[1].transition.d must be <= the segment's d (6000 ms), got 7000"},
    {{{"/t/0/sg/0/d", "800"}},
     "t[0].sg[1].transition.d must be <= the d of t[0].sg[0] (800 ms), got 1000"},
    {{{"/t/0/sg/0/transition", R"({"type": "none", "d": -3})"}},
     "t[0].sg[0].transition.d must be >= 0 ms, got -3"},
    {{{"/t/1/sg/0/transition", R"({"type": "crossfade", "d": 500})"}},
     "t[1].sg[0].transition.type must be none on an audio track (use fades), got \"crossfade\""},
    {{{"/t/0/sg/1/start", "3000"}},
     "t[0].sg[1].start must be >= 4000 ms (t[0].sg[0] ends at 5000 ms; segments on a track "
     "overlap only by the incoming transition, 1000 ms), got 3000"},
    {{{"/t/0/sg/1/transition", R"({"type": "none", "d": 1000})"}},
     "t[0].sg[1].start must be >= 5000 ms (t[0].sg[0] ends at 5000 ms; segments on a track "
     "overlap only by the incoming transition, 0 ms), got 4000"},
    {{{"/t/2/sg/-", R"({"start": 0, "d": 1000, "text": "early"})"}},
     "t[2].sg[1].start must be >= 3000 ms (t[2].sg[0] ends at 3000 ms; segments on a track "
     "overlap only by the incoming transition, 0 ms), got 0"},
    {{{"/t/0/sg/-", R"({"start": 4500, "d": 500, "src": "c.mp4",
                        "transition": {"type": "crossfade", "d": 500}})"},
      {"/t/0/sg/1/start", "4500"},
      {"/t/0/sg/1/transition/d", "500"},
      {"/t/0/sg/1/d", "500"}},
     "t[0].sg[2].start must be >= 5000 ms (t[0].sg[0] ends there; only neighbouring segments "
     "may overlap), got 4500"},
    {{{"/t/0/sg/0/src", "\"\""}},
     "t[0].sg[0].src must name the media (required on video tracks), got \"\""},
    {{{"/t/1/sg/0/src", "null"}},
     "t[1].sg[0].src must name the media (required on audio tracks), got \"\""},
    {{{"/t/2/sg/0/text", "\"\""}}, "t[2].sg[0].text must not be empty in a text segment, got \"\""},
    {{{"/t/0/sg/1/id", "\"sg_a\""}},
     "t[0].sg[1].id must be unique (t[0].sg[0].id has it too), got \"sg_a\""},
    {{{"/t/2/sg/0/id", "\"tr_v\""}},
     "t[2].sg[0].id must be unique (t[0].id has it too), got \"tr_v\""},
    {{{"/t/0/id", "\"a b\""}}, "t[0].id must be 1..128 characters of A-Z a-z 0-9 _ -, got \"a b\""},
    {{{"/t/2/sg/0/style", R"({"size": 0})"}},
     "t[2].sg[0].style.size must be > 0 and <= 1000 px, got 0"},
    {{{"/t/2/sg/0/style", R"({"font": ""})"}}, "t[2].sg[0].style.font must not be empty, got \"\""},
    {{{"/t/2/sg/0/style", R"({"outline": -1})"}},
     "t[2].sg[0].style.outline must be 0..100 px, got -1"},
    {{{"/t/2/sg/0/style", R"({"box_padding": 5000})"}},
     "t[2].sg[0].style.box_padding must be 0..1000 px, got 5000"},
    {{{"/t/2/sg/0/style", R"({"x": 1.5})"}}, "t[2].sg[0].style.x must be 0..1, got 1.5"},
    {{{"/t/2/sg/0/style", R"({"max_width": 0})"}},
     "t[2].sg[0].style.max_width must be > 0 and <= 1, got 0"},
};

TEST(Validate, ExampleDraftIsValid) {
  EXPECT_NO_THROW(draft_validate(testing::example_draft()));
}

TEST(Validate, EachBrokenRuleNamesPathRuleAndValue) {
  Json base = json_parse(testing::kExampleDraft, "example");
  for (const auto& c : kInvalid) {
    Json j = base;
    for (const auto& p : c.patches) {
      std::string ptr = p.pointer;
      Json value = json_parse(p.value, "patch");
      if (ptr.size() > 2 && ptr.substr(ptr.size() - 2) == "/-")
        j[Json::json_pointer(ptr.substr(0, ptr.size() - 2))].push_back(value);
      else
        j[Json::json_pointer(ptr)] = value;
    }
    Draft d = draft_from_json(j);
    EXPECT_EQ(error_of([&] { draft_validate(d); }), c.message) << j.dump();
  }
}

TEST(Validate, TextLengthCountsCodePoints) {
  Draft d = testing::example_draft();
  std::string text;
  for (int i = 0; i < 500; ++i) text += "字";  // 1500 bytes, 500 characters
  d.tracks[2].segments[0].text = text;
  EXPECT_NO_THROW(draft_validate(d));
  d.tracks[2].segments[0].text += "字";
  EXPECT_EQ(error_of([&] { draft_validate(d); }),
            "t[2].sg[0].text must be at most 500 characters, got 501 characters");
  d.tracks[2].segments[0].text = "bad \xff bytes";
  EXPECT_EQ(error_of([&] { draft_validate(d); }),
            "t[2].sg[0].text must be valid UTF-8, got \"<invalid bytes>\"");
}

TEST(Validate, Utf8Length) {
  EXPECT_EQ(utf8_length(""), 0);
  EXPECT_EQ(utf8_length("abc"), 3);
  EXPECT_EQ(utf8_length("城市之梦"), 4);
  EXPECT_EQ(utf8_length("🌆x"), 2);
  EXPECT_EQ(utf8_length("\xc3"), -1);              // truncated
  EXPECT_EQ(utf8_length("\xe5\x9f"), -1);          // truncated
  EXPECT_EQ(utf8_length("\xc0\xaf"), -1);          // overlong
  EXPECT_EQ(utf8_length("\xe0\x80\xaf"), -1);      // overlong
  EXPECT_EQ(utf8_length("\xed\xa0\x80"), -1);      // surrogate
  EXPECT_EQ(utf8_length("\xf4\x90\x80\x80"), -1);  // past U+10FFFF
  EXPECT_EQ(utf8_length("\x80"), -1);
}

TEST(Validate, NonFiniteNumbersAreRefused) {
  Draft d = testing::example_draft();
  d.tracks[0].segments[0].transform.opacity = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(error_of([&] { draft_validate(d); }), "t[0].sg[0].opacity must be 0..1, got nan");
  d = testing::example_draft();
  d.tracks[1].volume = std::numeric_limits<double>::infinity();
  EXPECT_EQ(error_of([&] { draft_validate(d); }), "t[1].volume must be 0..4, got inf");
}

TEST(Validate, NamedLimitsApply) {
  Draft d = testing::example_draft();
  DraftLimits limits;
  limits.max_tracks = 2;
  EXPECT_EQ(error_of([&] { draft_validate(d, limits); }), "t must have at most 2 tracks, got 3");
  limits = {};
  limits.max_segments_per_track = 1;
  EXPECT_EQ(error_of([&] { draft_validate(d, limits); }),
            "t[0].sg must have at most 1 segments, got 2");
  limits = {};
  limits.max_duration_ms = 9000;
  EXPECT_EQ(error_of([&] { draft_validate(d, limits); }),
            "t[0].sg[1].start + d must be <= 9000 ms, got 10000");
  limits = {};
  limits.max_text_chars = 5;
  EXPECT_EQ(error_of([&] { draft_validate(d, limits); }),
            "t[2].sg[0].text must be at most 5 characters, got 12 characters");
  limits = {};
  limits.max_canvas_px = 1080;
  EXPECT_EQ(error_of([&] { draft_validate(d, limits); }), "canvas.h must be 16..1080 px, got 1920");
}

TEST(Validate, DefaultLimitsAreTheDocumentedOnes) {
  DraftLimits l;
  EXPECT_EQ(l.max_tracks, 32);
  EXPECT_EQ(l.max_segments_per_track, 500);
  EXPECT_EQ(l.max_duration_ms, 1800000);
  EXPECT_EQ(l.min_canvas_px, 16);
  EXPECT_EQ(l.max_canvas_px, 4096);
  EXPECT_EQ(l.min_fps, 1);
  EXPECT_EQ(l.max_fps, 120);
  EXPECT_EQ(l.max_text_chars, 500);
  EXPECT_EQ(l.max_volume, 4.0);
  EXPECT_EQ(l.max_scale, 10.0);
}

TEST(Validate, BoundaryValuesPass) {
  Draft d = testing::example_draft();
  d.canvas.width = 16;
  d.canvas.height = 4096;
  d.canvas.fps = {120, 1};
  d.duration_ms = 1800000;
  Segment& a = d.tracks[0].segments[0];
  a.fade_in_ms = 2000;
  a.fade_out_ms = 3000;
  a.transform = {-1, 2, 10, 0};
  d.tracks[0].segments[1].transition.duration_ms = 5000;  // = the previous segment's d
  d.tracks[0].segments[1].start_ms = 0;
  d.tracks[1].volume = 4;
  d.tracks[1].segments[0].volume = 0;
  EXPECT_NO_THROW(draft_validate(d));
  d.canvas.fps = {1, 1};
  EXPECT_NO_THROW(draft_validate(d));
  d.canvas.fps = {119880, 1000};
  EXPECT_NO_THROW(draft_validate(d));
}

}  // namespace
}  // namespace kino::timeline
