// Edits applied to a draft: the resulting timeline (summary string) and the reply.
#include <gtest/gtest.h>

#include "agent/agent.h"
#include "timeline/timeline.h"

namespace kino::agent {
namespace {

using timeline::draft_summary;

const std::vector<MediaItem> kLibrary = {
    {"med_a", MediaKind::video, "a.mp4", 4000, 1920, 1080},
    {"med_b", MediaKind::video, "b.mp4", 3000, 1920, 1080},
    {"med_c", MediaKind::video, "c.mp4", 5000, 1920, 1080},
    {"med_song", MediaKind::audio, "song.mp3", 60000, 0, 0},
    {"med_pic", MediaKind::image, "pic.jpg", 0, 1080, 1080},
};

// A draft of three clips a (0-4), b (4-7), c (7-12), music and a title.
timeline::Draft three_clips() {
  timeline::Draft d;
  for (const char* m : {"add a.mp4", "add b.mp4", "add c.mp4", "add the music at 50%",
                        "add a title 'Hi' for the first 2 seconds"}) {
    Turn t = agent_turn({m, "en", d, kLibrary});
    EXPECT_EQ(t.steps.at(0).status, StepStatus::done) << m << ": " << t.reply;
    d = t.draft;
  }
  EXPECT_EQ(draft_summary(d),
            "Timeline (3 tracks): 1. Video: a.mp4, b.mp4, c.mp4 (0-12s) 2. BGM: song.mp3 (0-12s, "
            "50%) 3. Title: \"Hi\" (0-2s)");
  return d;
}

EditResult edit(const timeline::Draft& d, const std::string& message,
                Language lang = Language::en) {
  Plan plan = parse_message(message, {language_name(lang), kLibrary});
  EXPECT_EQ(plan.actions.size(), 1u) << message;
  EXPECT_TRUE(action_is_edit(plan.actions.at(0).kind()))
      << message << " -> " << plan.actions[0].name();
  return apply_edit(d, plan.actions.at(0), kLibrary, lang);
}

TEST(Editor, TrimToALengthRipplesTheClipsAfter) {
  EditResult r = edit(three_clips(), "trim the first clip to 3 seconds");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Trimmed clip 1 \"a.mp4\" to 3 s.");
  const auto& v = r.draft.tracks[0].segments;
  EXPECT_EQ(v[0].duration_ms, 3000);
  EXPECT_EQ(v[1].start_ms, 3000);
  EXPECT_EQ(v[2].start_ms, 6000);
  EXPECT_EQ(draft_summary(r.draft).substr(0, 55),
            "Timeline (3 tracks): 1. Video: a.mp4, b.mp4, c.mp4 (0-1");
}

TEST(Editor, CutTheFirstSecondsMovesTheInPoint) {
  EditResult r = edit(three_clips(), "cut the first 2 seconds of clip 3");
  ASSERT_TRUE(r.ok) << r.reply;
  const auto& c = r.draft.tracks[0].segments[2];
  EXPECT_EQ(c.in_ms, 2000);
  EXPECT_EQ(c.duration_ms, 3000);
  EXPECT_EQ(c.start_ms, 7000);
}

TEST(Editor, TrimBeyondTheSourceIsRefused) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "trim the second clip to 8 seconds");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.draft, d);
  EXPECT_EQ(r.reply, "clip 2 \"b.mp4\" can be at most 3 s long: its source is not longer.");
}

TEST(Editor, RemoveTheMusicRemovesItsTrack) {
  EditResult r = edit(three_clips(), "remove the music");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Removed the music \"song.mp3\".");
  EXPECT_EQ(draft_summary(r.draft),
            "Timeline (2 tracks): 1. Video: a.mp4, b.mp4, c.mp4 (0-12s) 2. Title: \"Hi\" (0-2s)");
}

TEST(Editor, RemoveTheTitleInChinese) {
  EditResult r = edit(three_clips(), "删除标题", Language::zh);
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "已删除标题“Hi”。");
  EXPECT_EQ(r.draft.tracks.size(), 2u);
}

TEST(Editor, RemoveAClipNeedsToKnowWhichOne) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "remove the clip");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reply.find("There are 3 clips on the timeline"), std::string::npos) << r.reply;
  EditResult second = edit(d, "remove the second clip");
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.reply, "Removed clip 2 \"b.mp4\".");
  EXPECT_EQ(second.draft.tracks[0].segments.size(), 2u);
  EditResult fifth = edit(d, "remove the fifth clip");
  EXPECT_FALSE(fifth.ok);
  EXPECT_EQ(fifth.reply, "There is no clip 5 on the timeline.");
}

TEST(Editor, SwapClipsPacksThemInTheNewOrder) {
  EditResult r = edit(three_clips(), "swap clips 1 and 2");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Swapped clip 1 \"a.mp4\" and clip 2 \"b.mp4\".");
  const auto& v = r.draft.tracks[0].segments;
  EXPECT_EQ(v[0].source, "med_b");
  EXPECT_EQ(v[0].start_ms, 0);
  EXPECT_EQ(v[1].source, "med_a");
  EXPECT_EQ(v[1].start_ms, 3000);
  EXPECT_EQ(v[2].start_ms, 7000);
}

TEST(Editor, MoveAClipToTheBeginning) {
  EditResult r = edit(three_clips(), "move clip 3 to the beginning");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.draft.tracks[0].segments[0].source, "med_c");
  EXPECT_EQ(draft_summary(r.draft).substr(0, 51),
            "Timeline (3 tracks): 1. Video: c.mp4, a.mp4, b.mp4 ");
}

TEST(Editor, MoveTheTitle) {
  EditResult r = edit(three_clips(), "move the title to 5s");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Moved the title \"Hi\" to 5 s.");
  EXPECT_NE(draft_summary(r.draft).find("Title: \"Hi\" (5-7s)"), std::string::npos);
}

TEST(Editor, VolumeAndMute) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "music to 20%");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Set the volume of the music \"song.mp3\" to 20%.");
  EXPECT_NE(draft_summary(r.draft).find("BGM: song.mp3 (0-12s, 20%)"), std::string::npos);
  EditResult m = edit(d, "mute the second clip");
  ASSERT_TRUE(m.ok) << m.reply;
  EXPECT_EQ(m.reply, "Muted clip 2 \"b.mp4\".");
  EXPECT_EQ(m.draft.tracks[0].segments[1].volume, 0.0);
  EditResult all = edit(d, "mute the video");
  ASSERT_TRUE(all.ok);
  EXPECT_EQ(all.reply, "Muted the clips.");
  EditResult loud = edit(d, "music to 900%");
  EXPECT_FALSE(loud.ok);
  EXPECT_NE(loud.reply.find("timeline rule"), std::string::npos) << loud.reply;
  EXPECT_EQ(loud.draft, d);
}

TEST(Editor, AspectChanges) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "make it square");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.reply, "Changed the aspect ratio to 1:1 (1080x1080).");
  EditResult same = edit(d, "landscape");
  EXPECT_TRUE(same.ok);
  EXPECT_EQ(same.reply, "The video is already 16:9.");
  EXPECT_TRUE(same.changes.empty());
}

TEST(Editor, TheFirstImageSetsTheCanvasOfAnEmptyDraft) {
  EditResult r = edit(timeline::Draft{}, "add the photo for 4 seconds");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.draft.canvas.width, 1080);
  EXPECT_EQ(r.draft.canvas.height, 1080);
  EXPECT_EQ(r.reply, "Added the image \"pic.jpg\" from 0 to 4 s. The video is 1:1 to match it.");
  EXPECT_EQ(draft_summary(r.draft), "Timeline (1 track): 1. Video: pic.jpg (0-4s)");
}

TEST(Editor, ClipsFillAnyAspectWithoutBars) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "make it vertical");
  ASSERT_TRUE(r.ok) << r.reply;
  for (const auto& t : r.draft.tracks)
    if (t.type == timeline::TrackType::video)
      for (const auto& s : t.segments) EXPECT_EQ(s.fit, timeline::FitMode::blur_pad) << s.name;
}

TEST(Editor, CaptionsDefaultToTheVideoLengthAtTheBottom) {
  EditResult r = edit(three_clips(), "add a caption 'Enjoy'");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Added the text \"Enjoy\" from 0 to 12 s at the bottom.");
  const auto& t = std::get<AddTextParams>(r.action.params);
  EXPECT_EQ(t.end_ms, 12000);
  // The title already holds 0-2 s on the first text track: the caption gets its own.
  EXPECT_EQ(r.draft.tracks.size(), 4u);
}

TEST(Editor, ChangeAndPlaceText) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "change the title to 'Hello'");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Changed the title \"Hi\" to \"Hello\".");
  EXPECT_NE(draft_summary(r.draft).find("Title: \"Hello\" (0-2s)"), std::string::npos);
  EditResult top = edit(r.draft, "move the title to the top");
  ASSERT_TRUE(top.ok) << top.reply;
  EXPECT_EQ(top.reply, "Moved the title \"Hello\" to the top.");
  EXPECT_EQ(top.draft.tracks[2].segments[0].style.position, timeline::TextPosition::top);
  EditResult zh = edit(d, "把标题改成“你好”", Language::zh);
  ASSERT_TRUE(zh.ok) << zh.reply;
  EXPECT_EQ(zh.reply, "已把标题“Hi”改为“你好”。");
}

TEST(Editor, TextAtTheEndOfTheVideo) {
  EditResult r = edit(three_clips(), "put \"The End\" at the end");
  ASSERT_TRUE(r.ok) << r.reply;
  EXPECT_EQ(r.reply, "Added the title \"The End\" from 9 to 12 s.");
  EditResult last = edit(three_clips(), "add a caption 'Bye' for the last 2 seconds");
  ASSERT_TRUE(last.ok) << last.reply;
  EXPECT_EQ(last.reply, "Added the text \"Bye\" from 10 to 12 s at the bottom.");
}

TEST(Editor, TextWithoutQuotesAsksForIt) {
  EditResult r = edit(three_clips(), "add a title");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reply.find("Tell me the text in quotes"), std::string::npos);
}

TEST(Editor, BrokenRulesLeaveTheDraftUnchanged) {
  timeline::Draft d = three_clips();
  EditResult r = edit(d, "add a title 'Late' from 5s to 2s");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.draft, d);
  EXPECT_NE(r.reply.find("duration must be > 0 ms, got -3000"), std::string::npos) << r.reply;
}

TEST(Editor, ResolvedActionsCarryMediaIds) {
  EditResult r = edit(timeline::Draft{}, "add the video");
  ASSERT_TRUE(r.ok);
  Json args = r.action.to_json();
  EXPECT_EQ(args["media_id"], "med_c");  // the most recent video
  EXPECT_EQ(args["start_ms"], 0);
  ASSERT_FALSE(r.changes.empty());
  EXPECT_EQ(r.changes.front().to_json()["kind"], "added");
}

TEST(Editor, NonEditActionsAreRefused) {
  EditResult r = apply_edit(timeline::Draft{}, Action{ExportParams{}}, kLibrary, Language::en);
  EXPECT_FALSE(r.ok);
}

}  // namespace
}  // namespace kino::agent
