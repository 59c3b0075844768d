#include <gtest/gtest.h>

#include "test_drafts.h"

namespace kino::timeline {
namespace {

using testing::error_of;

Segment clip(int64_t duration_ms, std::string src = "clip.mp4") {
  Segment s;
  s.duration_ms = duration_ms;
  s.source = std::move(src);
  return s;
}

std::vector<std::string> ids_of(const Track& t) {
  std::vector<std::string> ids;
  for (const auto& s : t.segments) ids.push_back(s.id);
  return ids;
}

TEST(Edit, FindAndLocate) {
  Draft d = testing::example_draft();
  auto ref = locate_segment(d, "sg_b");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->track, 0u);
  EXPECT_EQ(ref->index, 1u);
  EXPECT_FALSE(locate_segment(d, "nope"));
  EXPECT_FALSE(locate_segment(d, ""));
  EXPECT_EQ(find_segment(d, "sg_m").volume, 0.35);
  const Draft& cd = d;
  EXPECT_EQ(find_segment(cd, "sg_t").text, "Urban Dreams");
  EXPECT_EQ(find_track(cd, "tr_m").type, TrackType::audio);
  find_track(d, "tr_m").muted = true;
  EXPECT_TRUE(d.tracks[1].muted);
  EXPECT_EQ(error_of([&] { find_segment(d, "sg_zz"); }, ErrorCode::not_found),
            "segment \"sg_zz\" not found in the draft");
  EXPECT_EQ(error_of([&] { find_track(cd, "tr_zz"); }, ErrorCode::not_found),
            "track \"tr_zz\" not found in the draft");
}

TEST(Edit, AddTrack) {
  Draft d;
  std::string id = add_track(d, TrackType::audio, "Lo-fi");
  EXPECT_EQ(id.rfind("tr_", 0), 0u);
  EXPECT_EQ(id.size(), 27u);
  ASSERT_EQ(d.tracks.size(), 1u);
  EXPECT_EQ(d.tracks[0].id, id);
  EXPECT_EQ(d.tracks[0].type, TrackType::audio);
  EXPECT_EQ(d.tracks[0].name, "Lo-fi");
  EXPECT_EQ(d.tracks[0].meta["name"], "Lo-fi");
  EXPECT_NE(add_track(d, TrackType::video, ""), id);
  DraftLimits limits;
  limits.max_tracks = 2;
  Draft before = d;
  EXPECT_EQ(error_of([&] { add_track(d, TrackType::text, "x", limits); }),
            "t must have at most 2 tracks, got 3");
  EXPECT_EQ(d, before);
}

TEST(Edit, AddSegmentAppendsAtTheEnd) {
  Draft d;
  std::string tr = add_track(d, TrackType::video, "Main");
  std::string a = add_segment(d, tr, clip(4000));
  std::string b = add_segment(d, tr, clip(3000));
  EXPECT_EQ(a.rfind("sg_", 0), 0u);
  const Track& t = d.tracks[0];
  EXPECT_EQ(ids_of(t), (std::vector<std::string>{a, b}));
  EXPECT_EQ(t.segments[1].start_ms, 4000);
  // With a transition, the new segment overlaps the last one by its length.
  Segment c = clip(2000);
  c.id = "sg_c";
  c.transition = {TransitionKind::crossfade, 500};
  EXPECT_EQ(add_segment(d, tr, c), "sg_c");
  EXPECT_EQ(find_segment(d, "sg_c").start_ms, 6500);
  EXPECT_EQ(d.end_ms(), 8500);
}

TEST(Edit, AddSegmentAtAStartKeepsOrder) {
  Draft d = testing::example_draft();
  Segment s = clip(1000);
  s.name = "intro";
  std::string id = add_segment(d, "tr_m", s, 10000);
  s.id = "sg_late";
  add_segment(d, "tr_m", s, 12000);
  s.id = "sg_gap";
  add_segment(d, "tr_m", s, 11000);
  EXPECT_EQ(ids_of(d.tracks[1]), (std::vector<std::string>{"sg_m", id, "sg_gap", "sg_late"}));
  EXPECT_EQ(find_segment(d, id).meta["name"], "intro");
}

TEST(Edit, AddSegmentErrorsLeaveTheDraftUnchanged) {
  Draft d = testing::example_draft();
  const Draft before = d;
  EXPECT_EQ(error_of([&] { add_segment(d, "tr_nope", clip(1000)); }, ErrorCode::not_found),
            "track \"tr_nope\" not found in the draft");
  Segment s = clip(2000);
  s.id = "sg_x";
  EXPECT_EQ(error_of([&] { add_segment(d, "tr_v", s, 1000); }),
            "segment \"sg_x\" at 1000-3000 ms would overlap segment \"sg_a\" at 0-5000 ms on "
            "track \"tr_v\" (segments overlap only by the incoming transition)");
  EXPECT_EQ(error_of([&] { add_segment(d, "tr_v", clip(0)); }),
            "t[0].sg[2].d must be > 0 ms, got 0");
  EXPECT_EQ(error_of([&] { add_segment(d, "tr_v", clip(1000, "")); }),
            "t[0].sg[2].src must name the media (required on video tracks), got \"\"");
  EXPECT_EQ(error_of([&] { add_segment(d, "tr_v", clip(1000), -500); }),
            "start must be >= 0 ms, got -500");
  s.id = "sg_a";
  EXPECT_EQ(error_of([&] { add_segment(d, "tr_v", s); }),
            "t[0].sg[2].id must be unique (t[0].sg[0].id has it too), got \"sg_a\"");
  EXPECT_EQ(d, before);
}

TEST(Edit, RemoveSegment) {
  Draft d = testing::example_draft();
  Segment removed = remove_segment(d, "sg_a");
  EXPECT_EQ(removed.source, "a.mp4");
  EXPECT_EQ(ids_of(d.tracks[0]), (std::vector<std::string>{"sg_b"}));
  EXPECT_NO_THROW(draft_validate(d));
  EXPECT_EQ(error_of([&] { remove_segment(d, "sg_a"); }, ErrorCode::not_found),
            "segment \"sg_a\" not found in the draft");
}

TEST(Edit, RemoveSegmentShortensTheNextTransition) {
  Draft d;
  std::string tr = add_track(d, TrackType::video, "");
  Segment s = clip(300);
  s.id = "sg_1";
  add_segment(d, tr, s);  // 0-300
  s = clip(5000);
  s.id = "sg_2";
  add_segment(d, tr, s);  // 300-5300
  s = clip(1000);
  s.id = "sg_3";
  s.transition = {TransitionKind::crossfade, 400};
  add_segment(d, tr, s);  // 4900-5900
  EXPECT_EQ(find_segment(d, "sg_3").start_ms, 4900);
  remove_segment(d, "sg_2");  // sg_3 now follows sg_1, which lasts only 300 ms
  EXPECT_EQ(find_segment(d, "sg_3").transition.duration_ms, 300);
  EXPECT_NO_THROW(draft_validate(d));
}

TEST(Edit, RemoveTrack) {
  Draft d = testing::example_draft();
  Track t = remove_track(d, "tr_m");
  EXPECT_EQ(t.segments[0].id, "sg_m");
  EXPECT_EQ(d.tracks.size(), 2u);
  EXPECT_FALSE(locate_segment(d, "sg_m"));
  EXPECT_EQ(error_of([&] { remove_track(d, "tr_m"); }, ErrorCode::not_found),
            "track \"tr_m\" not found in the draft");
}

TEST(Edit, MoveSegmentWithinAndAcrossTracks) {
  Draft d = testing::example_draft();
  move_segment(d, "sg_a", 10000);  // sg_b (4000-10000) now comes first
  EXPECT_EQ(ids_of(d.tracks[0]), (std::vector<std::string>{"sg_b", "sg_a"}));
  EXPECT_EQ(find_segment(d, "sg_a").start_ms, 10000);
  std::string v2 = add_track(d, TrackType::video, "Overlay");
  move_segment(d, "sg_a", 2000, v2);
  EXPECT_EQ(ids_of(d.tracks[0]), (std::vector<std::string>{"sg_b"}));
  EXPECT_EQ(ids_of(d.tracks[3]), (std::vector<std::string>{"sg_a"}));
  EXPECT_EQ(find_segment(d, "sg_a").start_ms, 2000);
}

TEST(Edit, MoveSegmentErrors) {
  Draft d = testing::example_draft();
  const Draft before = d;
  EXPECT_EQ(error_of([&] { move_segment(d, "sg_x", 0); }, ErrorCode::not_found),
            "segment \"sg_x\" not found in the draft");
  EXPECT_EQ(error_of([&] { move_segment(d, "sg_a", 0, "tr_x"); }, ErrorCode::not_found),
            "track \"tr_x\" not found in the draft");
  EXPECT_EQ(error_of([&] { move_segment(d, "sg_a", 0, "tr_t"); }),
            "segment \"sg_a\" is on a video track and cannot move to text track \"tr_t\"");
  EXPECT_EQ(error_of([&] { move_segment(d, "sg_a", -1); }), "start must be >= 0 ms, got -1");
  EXPECT_EQ(error_of([&] { move_segment(d, "sg_a", 6000); }),
            "segment \"sg_a\" at 6000-11000 ms would overlap segment \"sg_b\" at 4000-10000 ms "
            "on track \"tr_v\" (segments overlap only by the incoming transition)");
  EXPECT_EQ(error_of([&] { move_segment(d, "sg_a", 1799000); }),
            "t[0].sg[1].start + d must be <= 1800000 ms, got 1804000");
  EXPECT_EQ(d, before);
}

TEST(Edit, TrimSegment) {
  Draft d = testing::example_draft();
  Segment& m = find_segment(d, "sg_m");
  m.fade_in_ms = 1000;
  m.fade_out_ms = 3000;
  trim_segment(d, "sg_m", 2500, 2000);
  const Segment& t = find_segment(d, "sg_m");
  EXPECT_EQ(t.in_ms, 2500);
  EXPECT_EQ(t.duration_ms, 2000);
  EXPECT_EQ(t.fade_out_ms, 2000);
  EXPECT_EQ(t.fade_in_ms, 0);
  // Shortening sg_a below sg_b's 1000 ms transition shortens that transition.
  trim_segment(d, "sg_a", 0, 600);
  EXPECT_EQ(find_segment(d, "sg_b").transition.duration_ms, 600);
  EXPECT_NO_THROW(draft_validate(d));
}

TEST(Edit, TrimSegmentErrors) {
  Draft d = testing::example_draft();
  const Draft before = d;
  EXPECT_EQ(error_of([&] { trim_segment(d, "sg_a", -1, 1000); }), "in must be >= 0 ms, got -1");
  EXPECT_EQ(error_of([&] { trim_segment(d, "sg_a", 0, 0); }), "duration must be > 0 ms, got 0");
  EXPECT_EQ(error_of([&] { trim_segment(d, "sg_q", 0, 10); }, ErrorCode::not_found),
            "segment \"sg_q\" not found in the draft");
  EXPECT_EQ(error_of([&] { trim_segment(d, "sg_a", 0, 8000); }),
            "segment \"sg_a\" at 0-8000 ms would overlap segment \"sg_b\" at 4000-10000 ms on "
            "track \"tr_v\" (segments overlap only by the incoming transition)");
  EXPECT_EQ(d, before);
}

TEST(Edit, SetVolume) {
  Draft d = testing::example_draft();
  set_volume(d, "sg_m", 0.5);
  EXPECT_EQ(find_segment(d, "sg_m").volume, 0.5);
  set_volume(d, "tr_m", 2);
  EXPECT_EQ(d.tracks[1].volume, 2);
  const Draft before = d;
  EXPECT_EQ(error_of([&] { set_volume(d, "tr_m", 5); }), "t[1].volume must be 0..4, got 5");
  EXPECT_EQ(error_of([&] { set_volume(d, "sg_m", -1); }), "t[1].sg[0].volume must be 0..4, got -1");
  EXPECT_EQ(error_of([&] { set_volume(d, "x", 1); }, ErrorCode::not_found),
            "segment or track \"x\" not found in the draft");
  EXPECT_EQ(d, before);
}

TEST(Edit, AddTextFindsOrMakesATextTrack) {
  Draft d;
  TextStyle style;
  style.size = 90;
  std::string a = add_text(d, "Urban Dreams", 0, 3000, style);
  ASSERT_EQ(d.tracks.size(), 1u);
  EXPECT_EQ(d.tracks[0].type, TrackType::text);
  EXPECT_EQ(find_segment(d, a).style.size, 90);
  std::string b = add_text(d, "Part two", 3000, 2000);  // fits after the first
  EXPECT_EQ(d.tracks.size(), 1u);
  std::string c = add_text(d, "Overlay", 1000, 1000);  // overlaps: a second text track
  ASSERT_EQ(d.tracks.size(), 2u);
  EXPECT_EQ(ids_of(d.tracks[0]), (std::vector<std::string>{a, b}));
  EXPECT_EQ(ids_of(d.tracks[1]), (std::vector<std::string>{c}));
  EXPECT_NO_THROW(draft_validate(d));
}

TEST(Edit, AddTextErrors) {
  Draft d = testing::example_draft();
  const Draft before = d;
  EXPECT_EQ(error_of([&] { add_text(d, "", 0, 1000); }), "text must not be empty, got \"\"");
  EXPECT_EQ(error_of([&] { add_text(d, "x", 0, -5); }), "duration must be > 0 ms, got -5");
  EXPECT_EQ(error_of([&] { add_text(d, "x", -1, 5); }), "start must be >= 0 ms, got -1");
  EXPECT_EQ(error_of([&] { add_text(d, std::string(501, 'a'), 5000, 1000); }),
            "t[2].sg[1].text must be at most 500 characters, got 501 characters");
  TextStyle bad;
  bad.size = -3;
  EXPECT_EQ(error_of([&] { add_text(d, "x", 5000, 1000, bad); }),
            "t[2].sg[1].style.size must be > 0 and <= 1000 px, got -3");
  EXPECT_EQ(d, before);
}

TEST(Edit, SetAspectKeepsFps) {
  Draft d = testing::example_draft();
  d.canvas.fps = {25, 1};
  set_aspect(d, "16:9");
  EXPECT_EQ(d.canvas.width, 1920);
  EXPECT_EQ(d.canvas.height, 1080);
  EXPECT_EQ(d.canvas.fps, (Rational{25, 1}));
  set_aspect(d, "4:5");
  EXPECT_EQ(d.canvas.height, 1350);
  EXPECT_EQ(error_of([&] { set_aspect(d, "3:2"); }),
            "aspect must be one of 16:9, 9:16, 1:1, 4:5, 720p, 720p-vertical, got \"3:2\"");
  EXPECT_EQ(d.canvas.height, 1350);
}

TEST(Edit, EditsRefuseAnInvalidDraft) {
  Draft d = testing::example_draft();
  d.canvas.width = 7;
  const Draft before = d;
  EXPECT_EQ(error_of([&] { set_volume(d, "sg_m", 1); }), "canvas.w must be 16..4096 px, got 7");
  EXPECT_EQ(d, before);
}

TEST(Edit, AssignMissingIds) {
  Draft d = draft_parse(R"({"t": [{"tt": 0, "sg": [{"d": 5, "src": "a"}, {"id": "keep",
      "start": 5, "d": 5, "src": "b"}]}]})");
  assign_missing_ids(d);
  EXPECT_EQ(d.tracks[0].id.rfind("tr_", 0), 0u);
  EXPECT_EQ(d.tracks[0].segments[0].id.rfind("sg_", 0), 0u);
  EXPECT_EQ(d.tracks[0].segments[1].id, "keep");
  EXPECT_NO_THROW(draft_validate(d));
}

}  // namespace
}  // namespace kino::timeline
