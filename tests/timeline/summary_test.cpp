#include <gtest/gtest.h>

#include "test_drafts.h"

namespace kino::timeline {
namespace {

Segment seg(int64_t start, int64_t d, std::string name, std::string src = "x.mp4") {
  Segment s;
  s.start_ms = start;
  s.duration_ms = d;
  s.name = std::move(name);
  s.source = std::move(src);
  return s;
}

Segment text(int64_t start, int64_t d, std::string t) {
  Segment s;
  s.start_ms = start;
  s.duration_ms = d;
  s.text = std::move(t);
  return s;
}

Track track(TrackType type, std::vector<Segment> segs, std::string name = "") {
  Track t;
  t.type = type;
  t.name = std::move(name);
  t.segments = std::move(segs);
  return t;
}

TEST(Summary, TheHostedServiceExample) {
  Draft d;
  d.tracks.push_back(track(TrackType::video, {seg(0, 10000, "city timelapse")}));
  Segment music = seg(0, 10000, "Lo-fi", "lofi.mp3");
  music.volume = 0.35;
  d.tracks.push_back(track(TrackType::audio, {music}));
  d.tracks.push_back(track(TrackType::text, {text(0, 3000, "Urban Dreams")}));
  EXPECT_EQ(draft_summary(d),
            "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
            "3. Title: \"Urban Dreams\" (0-3s)");
}

TEST(Summary, EmptyAndSingular) {
  Draft d;
  EXPECT_EQ(draft_summary(d), "Timeline (0 tracks)");
  d.tracks.push_back(track(TrackType::video, {}));
  EXPECT_EQ(draft_summary(d), "Timeline (1 track): 1. Video: empty");
  d.tracks[0].name = "Main";
  EXPECT_EQ(draft_summary(d), "Timeline (1 track): 1. Video: Main (empty)");
}

TEST(Summary, SecondAudioAndTextTracks) {
  Draft d;
  d.tracks.push_back(track(TrackType::audio, {seg(0, 2500, "", "music/lofi.mp3")}));
  d.tracks.push_back(track(TrackType::text, {text(500, 2000, "Hi")}));
  d.tracks.push_back(track(TrackType::audio, {seg(1000, 1500, "voice")}));
  d.tracks.push_back(track(TrackType::text, {text(0, 1250, "line one\nline two")}));
  EXPECT_EQ(draft_summary(d),
            "Timeline (4 tracks): 1. BGM: lofi.mp3 (0-2.5s) 2. Title: \"Hi\" (0.5-2.5s) "
            "3. Audio: voice (1-2.5s) 4. Text: \"line one line two\" (0-1.3s)");
}

TEST(Summary, VolumesMutesAndManySegments) {
  Draft d;
  Track v = track(TrackType::video, {seg(0, 1000, "a"), seg(1000, 1000, "b"), seg(2000, 1000, "c"),
                                     seg(3000, 1000, "d"), seg(4000, 1000, "e")});
  v.segments[0].volume = 0.5;
  d.tracks.push_back(v);
  Track m = track(TrackType::audio, {seg(0, 60000, "song")});
  m.volume = 0.5;
  m.segments[0].volume = 0.7;
  d.tracks.push_back(m);
  Track muted = track(TrackType::audio, {seg(0, 1000, "sfx")});
  muted.muted = true;
  d.tracks.push_back(muted);
  EXPECT_EQ(draft_summary(d),
            "Timeline (3 tracks): 1. Video: a, b, c +2 more (0-5s, 50-100%) "
            "2. BGM: song (0-60s, 35%) 3. Audio: sfx (0-1s, muted)");
}

TEST(Summary, LongTextIsShortened) {
  Draft d;
  std::string long_text;
  for (int i = 0; i < 50; ++i) long_text += "字";
  d.tracks.push_back(track(TrackType::text, {text(0, 1000, long_text)}));
  std::string expected;
  for (int i = 0; i < 40; ++i) expected += "字";
  EXPECT_EQ(draft_summary(d), "Timeline (1 track): 1. Title: \"" + expected + "...\" (0-1s)");
}

TEST(Summary, ExampleDraft) {
  EXPECT_EQ(draft_summary(testing::example_draft()),
            "Timeline (3 tracks): 1. Video: city timelapse, b.png (0-10s) "
            "2. BGM: Lo-fi (0-10s, 35%) 3. Title: \"Urban Dreams\" (0-3s)");
}

TEST(Summary, Seconds) {
  struct Case {
    int64_t ms;
    const char* text;
  };
  for (Case c : {Case{0, "0"}, Case{49, "0"}, Case{50, "0.1"}, Case{2500, "2.5"}, Case{2949, "2.9"},
                 Case{2950, "3"}, Case{10000, "10"}, Case{1800000, "1800"}, Case{-51, "-0.1"},
                 Case{-50, "0"}, Case{INT64_MAX, "9223372036854775.8"}})
    EXPECT_EQ(summary_seconds(c.ms), c.text) << c.ms;
}

}  // namespace
}  // namespace kino::timeline
