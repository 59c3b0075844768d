#include <gtest/gtest.h>

#include <random>

#include "test_drafts.h"

namespace kino::timeline {
namespace {

using testing::error_of;

// Every key with a non-default value, in the form draft_to_json writes.
const char* kCanonical = R"({
  "v": 1,
  "canvas": {"w": 1080, "h": 1920, "fps": "30000/1001", "bg": "#102030"},
  "d": 12000,
  "t": [
    {"id": "tr_v", "tt": 0, "m": {"name": "Main", "lane": 2}, "muted": true, "volume": 0.5,
     "sg": [
      {"id": "sg_a", "start": 0, "d": 6000, "in": 1500, "src": "med_1",
       "m": {"name": "city timelapse", "origin": {"kind": "generated", "seed": 42}},
       "volume": 0.8, "fade_in": 200, "fade_out": 300, "loop": true, "fit": "blur-pad",
       "x": 0.25, "y": 0.75, "scale": 1.5, "opacity": 0.9,
       "motion": {"type": "zoom-in", "strength": 0.2}},
      {"id": "sg_b", "start": 5000, "d": 5000, "src": "photo.png", "fit": "cover",
       "motion": {"type": "pan-left", "strength": 0.15},
       "transition": {"type": "fade-black", "d": 1000}}]},
    {"id": "tr_t", "tt": 7, "sg": [
      {"id": "sg_t", "start": 0, "d": 3000, "text": "Urban Dreams\n城市之梦 🌆",
       "style": {"font": "Noto Sans CJK SC", "size": 96.0, "bold": true, "color": "#ffcc00",
                 "outline": 4.0, "outline_color": "#111111", "shadow": true,
                 "shadow_color": "#00000080", "box": "#00000099", "box_padding": 24.0,
                 "align": "left", "position": "custom", "x": 0.3, "y": 0.2,
                 "max_width": 0.6}}]}],
  "m": {"project": "demo", "tags": ["a", "b"]}
})";

TEST(DraftJson, CanonicalFormRoundTripsExactly) {
  Json in = json_parse(kCanonical, "test");
  Json out = draft_to_json(draft_from_json(in));
  EXPECT_EQ(out, in) << out.dump(2);
}

TEST(DraftJson, ReadsEveryField) {
  Draft d = draft_parse(kCanonical);
  EXPECT_EQ(d.canvas.width, 1080);
  EXPECT_EQ(d.canvas.height, 1920);
  EXPECT_EQ(d.canvas.fps.num, 30000);
  EXPECT_EQ(d.canvas.fps.den, 1001);
  EXPECT_EQ(d.canvas.background, (Color{0x10, 0x20, 0x30, 255}));
  EXPECT_EQ(d.duration_ms, 12000);
  ASSERT_EQ(d.tracks.size(), 2u);
  const Track& v = d.tracks[0];
  EXPECT_EQ(v.name, "Main");
  EXPECT_TRUE(v.muted);
  EXPECT_EQ(v.volume, 0.5);
  const Segment& a = v.segments[0];
  EXPECT_EQ(a.in_ms, 1500);
  EXPECT_EQ(a.source, "med_1");
  EXPECT_EQ(a.name, "city timelapse");
  EXPECT_EQ(a.meta["origin"]["seed"], 42);
  EXPECT_EQ(a.fade_in_ms, 200);
  EXPECT_EQ(a.fade_out_ms, 300);
  EXPECT_TRUE(a.loop);
  EXPECT_EQ(a.fit, FitMode::blur_pad);
  EXPECT_EQ(a.transform, (Transform{0.25, 0.75, 1.5, 0.9}));
  EXPECT_EQ(a.motion, (Motion{MotionKind::zoom_in, 0.2}));
  EXPECT_EQ(v.segments[1].transition, (Transition{TransitionKind::fade_black, 1000}));
  const TextStyle& st = d.tracks[1].segments[0].style;
  EXPECT_EQ(d.tracks[1].type, TrackType::text);
  EXPECT_EQ(d.tracks[1].segments[0].text, "Urban Dreams\n城市之梦 🌆");
  EXPECT_EQ(st.font, "Noto Sans CJK SC");
  EXPECT_EQ(st.size, 96);
  EXPECT_EQ(st.shadow_color, (Color{0, 0, 0, 0x80}));
  EXPECT_EQ(st.box, (Color{0, 0, 0, 0x99}));
  EXPECT_EQ(st.align, TextAlign::left);
  EXPECT_EQ(st.position, TextPosition::custom);
  EXPECT_EQ(d.meta["tags"][1], "b");
  EXPECT_NO_THROW(draft_validate(d));
}

TEST(DraftJson, StructRoundTripsThroughText) {
  Draft d = draft_parse(kCanonical);
  Draft again = draft_parse(draft_to_json(d).dump());
  EXPECT_EQ(again, d);
  Draft example = testing::example_draft();
  EXPECT_EQ(draft_parse(draft_to_json(example).dump(2)), example);
}

TEST(DraftJson, DefaultsApplyAndAreLeftOut) {
  Draft d = draft_parse(R"({"t": [{"tt": 0, "sg": [{"d": 1000, "src": "a.mp4"}]}]})");
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(d.canvas, Canvas{});
  const Segment& s = d.tracks[0].segments[0];
  Segment expected;
  expected.duration_ms = 1000;
  expected.source = "a.mp4";
  EXPECT_EQ(s, expected);
  Json out = draft_to_json(d);
  EXPECT_EQ(out, json_parse(R"({"v": 1, "canvas": {"w": 1920, "h": 1080, "fps": 30},
      "t": [{"tt": 0, "sg": [{"start": 0, "d": 1000, "src": "a.mp4"}]}]})",
                            "expected"));
  EXPECT_EQ(draft_to_json(draft_parse("{}")).dump(),
            R"({"canvas":{"fps":30,"h":1080,"w":1920},"t":[],"v":1})");
}

TEST(DraftJson, AspectShorthand) {
  Draft d = draft_parse(R"({"aspect": "9:16"})");
  EXPECT_EQ(d.canvas.width, 1080);
  EXPECT_EQ(d.canvas.height, 1920);
  d = draft_parse(R"({"canvas": {"aspect": "4:5", "fps": 25, "bg": "white"}})");
  EXPECT_EQ(d.canvas.width, 1080);
  EXPECT_EQ(d.canvas.height, 1350);
  EXPECT_EQ(d.canvas.fps, (Rational{25, 1}));
  EXPECT_EQ(d.canvas.background, (Color{255, 255, 255, 255}));
  d = draft_parse(R"({"aspect": "1:1", "canvas": {"fps": 24}})");
  EXPECT_EQ(d.canvas.width, 1080);
  EXPECT_EQ(d.canvas.fps, (Rational{24, 1}));
}

TEST(DraftJson, FrameRateSpellings) {
  EXPECT_EQ(draft_parse(R"({"canvas": {"fps": 29.97}})").canvas.fps, (Rational{30000, 1001}));
  EXPECT_EQ(draft_parse(R"({"canvas": {"fps": "24000/1001"}})").canvas.fps,
            (Rational{24000, 1001}));
  EXPECT_EQ(draft_parse(R"({"canvas": {"fps": "25"}})").canvas.fps, (Rational{25, 1}));
  EXPECT_EQ(draft_parse(R"({"canvas": {"fps": 60.0}})").canvas.fps, (Rational{60, 1}));
  Draft d;
  d.canvas.fps = {60, 2};
  EXPECT_EQ(draft_to_json(d)["canvas"]["fps"], 30);
  d.canvas.fps = {24000, 1001};
  EXPECT_EQ(draft_to_json(d)["canvas"]["fps"], "24000/1001");
  // Invalid rates still print (validation refuses them) and read back unchanged.
  for (Rational bad : {Rational{INT64_MIN, 1}, Rational{0, 1}, Rational{-30, 1}}) {
    d.canvas.fps = bad;
    EXPECT_EQ(draft_parse(draft_to_json(d).dump()).canvas.fps.num, bad.num);
  }
}

TEST(DraftJson, MetadataIsPreservedAndNameIsAuthoritative) {
  Draft d = draft_parse(R"({"m": {"x": [1, {"y": null}]},
      "t": [{"tt": 1, "m": {"name": "Lo-fi", "bpm": 90},
             "sg": [{"d": 5, "src": "s", "m": {"name": "", "k": true}}]}]})");
  EXPECT_EQ(d.meta, json_parse(R"({"x": [1, {"y": null}]})", "m"));
  EXPECT_EQ(d.tracks[0].name, "Lo-fi");
  EXPECT_EQ(d.tracks[0].meta["bpm"], 90);
  Json out = draft_to_json(d);
  EXPECT_EQ(out["m"], d.meta);
  EXPECT_EQ(out["t"][0]["m"], json_parse(R"({"name": "Lo-fi", "bpm": 90})", "m"));
  // An empty name is the same as none.
  EXPECT_EQ(out["t"][0]["sg"][0]["m"], json_parse(R"({"k": true})", "m"));
  d.tracks[0].name = "Jazz";
  EXPECT_EQ(draft_to_json(d)["t"][0]["m"]["name"], "Jazz");
}

struct BadDraft {
  const char* text;
  const char* message;
};

// Shapes: types, required keys, enum spellings, colours, unknown keys.
const BadDraft kBadDrafts[] = {
    {"[]", "draft must be an object, got []"},
    {"42", "draft must be an object, got 42"},
    {R"({"v": 2})", "v must be 1 (the only draft version), got 2"},
    {R"({"zz": 1})", "zz is not a known key"},
    {R"({"t": {}})", "t must be an array, got {}"},
    {R"({"t": [5]})", "t[0] must be an object, got 5"},
    {R"({"t": [{"sg": []}]})", "t[0].tt is required"},
    {R"({"t": [{"tt": 3}]})", "t[0].tt must be 0 (video), 1 (audio) or 7 (text), got 3"},
    {R"({"t": [{"tt": "video"}]})", "t[0].tt must be an integer, got \"video\""},
    {R"({"t": [{"tt": 0, "sg": 1}]})", "t[0].sg must be an array, got 1"},
    {R"({"t": [{"tt": 0, "sg": ["x"]}]})", "t[0].sg[0] must be an object, got \"x\""},
    {R"({"t": [{"tt": 0, "sg": [{"start": 0}]}]})", "t[0].sg[0].d is required"},
    {R"({"t": [{"tt": 0, "sg": [{"d": "5s"}]}]})", "t[0].sg[0].d must be an integer, got \"5s\""},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1.5}]}]})", "t[0].sg[0].d must be an integer, got 1.5"},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "colour": "red"}]}]})",
     "t[0].sg[0].colour is not a known key"},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "fit": "fill"}]}]})",
     "t[0].sg[0].fit must be one of contain, cover, blur-pad, stretch, got \"fill\""},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "fit": 2}]}]})",
     "t[0].sg[0].fit must be one of contain, cover, blur-pad, stretch, got 2"},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "motion": {"type": "spin"}}]}]})",
     "t[0].sg[0].motion.type must be one of none, zoom-in, zoom-out, pan-left, pan-right, "
     "pan-up, pan-down, got \"spin\""},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "motion": "zoom-in"}]}]})",
     "t[0].sg[0].motion must be an object, got \"zoom-in\""},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "transition": {"type": "wipe", "d": 5}}]}]})",
     "t[0].sg[0].transition.type must be one of none, crossfade, fade-black, got \"wipe\""},
    {R"({"t": [{"tt": 0, "sg": [{"d": 1, "transition": {"type": "crossfade", "ms": 5}}]}]})",
     "t[0].sg[0].transition.ms is not a known key"},
    {R"({"t": [{"tt": 7, "sg": [{"d": 1, "style": {"align": "justify"}}]}]})",
     "t[0].sg[0].style.align must be one of left, center, right, got \"justify\""},
    {R"({"t": [{"tt": 7, "sg": [{"d": 1, "style": {"position": "middle"}}]}]})",
     "t[0].sg[0].style.position must be one of top, center, bottom, custom, got \"middle\""},
    {R"({"t": [{"tt": 7, "sg": [{"d": 1, "style": {"color": "blurple"}}]}]})",
     "t[0].sg[0].style.color must be a colour (#rgb, #rrggbb, #rrggbbaa or a CSS name like "
     "\"white\"), got \"blurple\""},
    {R"({"t": [{"tt": 7, "sg": [{"d": 1, "style": {"size": "big"}}]}]})",
     "t[0].sg[0].style.size must be a number, got \"big\""},
    {R"({"t": [{"tt": 7, "sg": [{"d": 1, "style": {"bold": 1}}]}]})",
     "t[0].sg[0].style.bold must be true or false, got 1"},
    {R"({"t": [{"tt": 1, "sg": [{"d": 1, "volume": "loud"}]}]})",
     "t[0].sg[0].volume must be a number, got \"loud\""},
    {R"({"t": [{"tt": 1, "sg": [{"d": 1, "loop": "yes"}]}]})",
     "t[0].sg[0].loop must be true or false, got \"yes\""},
    {R"({"t": [{"tt": 1, "sg": [{"d": 1, "src": 7}]}]})", "t[0].sg[0].src must be a string, got 7"},
    {R"({"t": [{"tt": 0, "m": "x"}]})", "t[0].m must be an object, got \"x\""},
    {R"({"t": [{"tt": 0, "m": {"name": 5}}]})", "t[0].m.name must be a string, got 5"},
    {R"({"m": []})", "m must be an object, got []"},
    {R"({"canvas": [1080, 1920]})", "canvas must be an object, got [1080,1920]"},
    {R"({"canvas": {"width": 1080}})", "canvas.width is not a known key"},
    {R"({"canvas": {"w": "1080"}})", "canvas.w must be an integer, got \"1080\""},
    {R"({"canvas": {"w": 1000000000000}})", "canvas.w must be a 32-bit integer, got 1000000000000"},
    {R"({"canvas": {"fps": "fast"}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got \"fast\""},
    {R"({"canvas": {"fps": "30/0"}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got \"30/0\""},
    {R"({"canvas": {"fps": -29.97}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got -29.97"},
    {R"({"canvas": {"fps": 1e300}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got 1e+300"},
    {R"({"canvas": {"fps": "1e300"}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got \"1e300\""},
    {R"({"canvas": {"fps": "99999999999999999999/1"}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got "
     "\"99999999999999999999/1\""},
    {R"({"canvas": {"fps": true}})",
     "canvas.fps must be a positive rate like 30, 29.97 or \"30000/1001\", got true"},
    {R"({"canvas": {"bg": 5}})",
     "canvas.bg must be a colour (#rgb, #rrggbb, #rrggbbaa or a CSS name like \"white\"), got 5"},
    {R"({"canvas": {"aspect": "3:2"}})",
     "canvas.aspect must be one of 16:9, 9:16, 1:1, 4:5, 720p, 720p-vertical, got \"3:2\""},
    {R"({"aspect": 1.5})",
     "aspect must be one of 16:9, 9:16, 1:1, 4:5, 720p, 720p-vertical, got 1.5"},
    {R"({"canvas": {"aspect": "9:16", "w": 1080}})",
     "canvas.aspect cannot be combined with canvas.w/canvas.h, got \"9:16\""},
    {R"({"aspect": "9:16", "canvas": {"h": 1080}})",
     "aspect cannot be combined with canvas.w/canvas.h, got \"9:16\""},
    {R"({"aspect": "9:16", "canvas": {"aspect": "1:1"}})",
     "aspect cannot be combined with canvas.aspect, got \"9:16\""},
    {R"({"d": "10s"})", "d must be an integer, got \"10s\""},
};

TEST(DraftJson, BadShapesNameTheFieldAndTheValue) {
  for (const auto& c : kBadDrafts)
    EXPECT_EQ(error_of([&] { draft_parse(c.text); }), c.message) << c.text;
}

TEST(DraftJson, MalformedTextIsABadRequest) {
  for (const char* text : {"", "{", R"({"t": [)", "{'v': 1}", "nul", "{\"v\": 1} x"}) {
    std::string m = error_of([&] { draft_parse(text); });
    EXPECT_EQ(m.rfind("malformed JSON in draft at byte ", 0), 0u) << text << " -> " << m;
  }
}

TEST(DraftJson, DeepNestingIsRefusedBeforeItCanExhaustTheStack) {
  std::string deep =
      R"({"m": {"x": )" + std::string(1000000, '[') + std::string(1000000, ']') + "}}";
  EXPECT_EQ(error_of([&] { draft_parse(deep); }),
            "draft must nest at most 64 levels deep, got deeper at byte 74");
  // Brackets inside strings do not count.
  std::string text = R"({"m": {"x": ")" + std::string(1000, '[') + R"("}})";
  EXPECT_EQ(draft_parse(text).meta["x"].get<std::string>().size(), 1000u);
  // A value built in memory is checked before `m` is copied.
  Json nested = Json::array();
  for (int i = 0; i < 100; ++i) nested = Json::array({std::move(nested)});
  Json draft = {{"t", {{{"tt", 0}, {"m", {{"x", nested}}}}}}};
  EXPECT_EQ(error_of([&] { draft_from_json(draft); }),
            "t[0].m must nest at most 64 levels deep, got deeper");
}

TEST(DraftJson, ParsingChecksShapesNotRules) {
  // Values that break rules parse; draft_validate refuses them.
  Draft d = draft_parse(R"({"canvas": {"w": 7, "fps": 0},
      "t": [{"tt": 0, "sg": [{"d": -5, "start": -1, "volume": 9}]}]})");
  EXPECT_EQ(d.canvas.width, 7);
  EXPECT_EQ(d.tracks[0].segments[0].duration_ms, -5);
  EXPECT_EQ(error_of([&] { draft_validate(d); }), "canvas.w must be 16..4096 px, got 7");
}

}  // namespace
}  // namespace kino::timeline

namespace kino::timeline {
namespace {

// Mutated drafts (bytes flipped, inserted, deleted; seeded, so runs repeat) either parse
// or fail with Error(bad_request); whatever parses summarizes and round-trips, valid or not.
TEST(DraftJson, MutatedDraftsFailCleanly) {
  const std::string base = kCanonical;
  const char kAlphabet[] = "{}[]\",:0123456789-.eE tnfalsru\\/#xyzd\xc3\xa9\xff";
  std::mt19937 rng(1234);
  int parsed = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = rng() % text.size();
      char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
      switch (rng() % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + std::ptrdiff_t(at), c); break;
        default: text.erase(at, 1 + rng() % 8); break;
      }
    }
    try {
      Draft d = draft_parse(text);
      ++parsed;
      draft_summary(d);
      EXPECT_EQ(draft_parse(draft_to_json(d).dump()), d) << text;
      draft_validate(d);
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(e.code(), ErrorCode::bad_request) << text;
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace kino::timeline
