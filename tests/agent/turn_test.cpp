// Whole turns: message -> edits applied to the draft -> reply, in English and Chinese.
#include <gtest/gtest.h>

#include "agent/agent.h"
#include "timeline/timeline.h"

namespace kino::agent {
namespace {

std::vector<MediaItem> studio_library() {
  return {
      {"med_city", MediaKind::video, "city.mp4", 10000, 1920, 1080},
      {"med_beach", MediaKind::video, "beach.mp4", 6000, 1920, 1080},
      {"med_lofi", MediaKind::audio, "lofi.mp3", 120000, 0, 0},
      {"med_photo", MediaKind::image, "photo.png", 0, 1080, 1920},
  };
}

// Runs messages one after another on the same draft, as a session does.
struct Session {
  timeline::Draft draft;
  std::vector<MediaItem> library = studio_library();
  std::string language;

  Turn say(const std::string& message) {
    Turn t = agent_turn({message, language, draft, library});
    draft = t.draft;
    return t;
  }
};

TEST(Turn, TheIssueFlowBuildsTheExpectedTimeline) {
  Session s;
  Turn t1 = s.say("add city.mp4");
  EXPECT_EQ(t1.steps.at(0).status, StepStatus::done) << t1.reply;
  EXPECT_EQ(timeline::draft_summary(s.draft), "Timeline (1 track): 1. Video: city.mp4 (0-10s)");

  Turn t2 = s.say("add the music at 35%");
  EXPECT_TRUE(t2.draft_changed);
  EXPECT_EQ(timeline::draft_summary(s.draft),
            "Timeline (2 tracks): 1. Video: city.mp4 (0-10s) 2. BGM: lofi.mp3 (0-10s, 35%)");
  const auto& music = s.draft.tracks[1].segments.at(0);
  EXPECT_TRUE(music.loop);
  EXPECT_EQ(music.source, "med_lofi");

  Turn t3 = s.say("add a title 'Urban Dreams' for the first 3 seconds");
  EXPECT_EQ(timeline::draft_summary(s.draft),
            "Timeline (3 tracks): 1. Video: city.mp4 (0-10s) 2. BGM: lofi.mp3 (0-10s, 35%) "
            "3. Title: \"Urban Dreams\" (0-3s)");
  EXPECT_NE(t3.reply.find("Added the title \"Urban Dreams\" from 0 to 3 s."), std::string::npos)
      << t3.reply;
  EXPECT_NE(t3.reply.find("Timeline (3 tracks)"), std::string::npos) << t3.reply;
  const auto& title = s.draft.tracks[2].segments.at(0);
  EXPECT_TRUE(title.style.bold);
  EXPECT_GT(title.style.outline, 0);
  EXPECT_GT(title.style.size, 64);
  EXPECT_EQ(title.meta.value("role", ""), "title");
  timeline::draft_validate(s.draft);

  Turn t4 = s.say("make it vertical");
  EXPECT_EQ(s.draft.canvas.width, 1080);
  EXPECT_EQ(s.draft.canvas.height, 1920);
  EXPECT_NE(t4.reply.find("9:16"), std::string::npos);
}

TEST(Turn, ChineseFlowRepliesInChinese) {
  Session s;
  s.say("添加视频");
  Turn t = s.say("添加背景音乐，音量35%");
  EXPECT_EQ(t.language, Language::zh);
  EXPECT_NE(t.reply.find("已添加背景音乐“lofi.mp3”，音量35%"), std::string::npos) << t.reply;
  Turn t2 = s.say("加一个标题“城市之梦”，前3秒");
  EXPECT_NE(t2.reply.find("已添加标题“城市之梦”，0-3秒。"), std::string::npos) << t2.reply;
  EXPECT_NE(
      t2.reply.find(
          "时间线（3 条轨道）：1. 视频：beach.mp4（0-6秒） 2. 背景音乐：lofi.mp3（0-6秒，35%） "
          "3. 标题：“城市之梦”（0-3秒）"),
      std::string::npos)
      << t2.reply;
}

TEST(Turn, SessionLanguageWinsOverTheMessage) {
  Session s;
  s.language = "en";
  EXPECT_EQ(s.say("加背景音乐").language, Language::en);
  s.language = "zh-CN";
  Turn t = s.say("what's the weather");
  EXPECT_EQ(t.language, Language::zh);
  EXPECT_NE(t.reply.find("我可以"), std::string::npos);
}

TEST(Turn, UnknownMessagesGetTheHelpReply) {
  Session s;
  Turn t = s.say("what's the weather like?");
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].action.kind(), ActionKind::help);
  EXPECT_EQ(t.steps[0].status, StepStatus::failed);
  EXPECT_NE(t.reply.find("I can generate a clip"), std::string::npos) << t.reply;
  EXPECT_FALSE(t.draft_changed);
  Turn z = s.say("今天天气怎么样");
  EXPECT_NE(z.reply.find("我可以"), std::string::npos) << z.reply;
}

TEST(Turn, ServiceActionsAreLeftToTheServer) {
  Session s;
  for (const char* m : {"export", "credits", "undo", "导出", "积分", "撤销"}) {
    Turn t = s.say(m);
    ASSERT_EQ(t.steps.size(), 1u) << m;
    EXPECT_EQ(t.steps[0].status, StepStatus::service) << m;
    EXPECT_TRUE(t.reply.empty()) << m << ": " << t.reply;
  }
}

TEST(Turn, StatusAndUploadAreAnsweredHere) {
  Session s;
  Turn empty = s.say("status");
  EXPECT_EQ(empty.steps[0].status, StepStatus::done);
  EXPECT_NE(empty.reply.find("The timeline is empty"), std::string::npos);
  s.say("add the video");
  EXPECT_EQ(s.say("show the timeline").reply, "Timeline (1 track): 1. Video: beach.mp4 (0-6s)");
  Turn up = s.say("上传");
  EXPECT_NE(up.reply.find("mp4"), std::string::npos);
  EXPECT_NE(up.reply.find("20 MB"), std::string::npos);
}

TEST(Turn, GenerateIsCheckedAndCompletedForTheServer) {
  Session s;
  Turn t = s.say(
      "generate a 5-second cinematic video clip of a fox running through a snowy forest at dusk");
  ASSERT_EQ(t.steps.at(0).status, StepStatus::service) << t.reply;
  const auto& g = std::get<GenerateParams>(t.steps[0].action.params);
  EXPECT_EQ(g.aspect, "16:9");  // the draft's
  EXPECT_EQ(g.seconds, 5);

  Turn a = s.say("animate the image");
  ASSERT_EQ(a.steps.at(0).status, StepStatus::service) << a.reply;
  EXPECT_EQ(std::get<GenerateParams>(a.steps[0].action.params).image.id, "med_photo");

  Turn too_long = s.say("generate a 60 second video of the sea");
  EXPECT_EQ(too_long.steps.at(0).status, StepStatus::failed);
  EXPECT_NE(too_long.reply.find("1 to 10 seconds"), std::string::npos) << too_long.reply;

  Turn no_prompt = s.say("generate a video");
  EXPECT_EQ(no_prompt.steps.at(0).status, StepStatus::failed);
  EXPECT_NE(no_prompt.reply.find("Tell me what the clip should show"), std::string::npos);

  Session bare;
  bare.library.clear();
  Turn no_image = bare.say("animate the photo");
  EXPECT_EQ(no_image.steps.at(0).status, StepStatus::failed);
  EXPECT_NE(no_image.reply.find("There is no uploaded image yet"), std::string::npos);
  Turn named = s.say("animate missing.png");
  EXPECT_NE(named.reply.find("no uploaded image named \"missing.png\""), std::string::npos)
      << named.reply;
}

TEST(Turn, ToJsonForFunctionResponses) {
  Session s;
  Turn t = s.say("add city.mp4");
  Json j = t.to_json();
  EXPECT_EQ(j["language"], "en");
  EXPECT_EQ(j["draft_changed"], true);
  ASSERT_EQ(j["steps"].size(), 1u);
  EXPECT_EQ(j["steps"][0]["name"], "add_clip");
  EXPECT_EQ(j["steps"][0]["status"], "done");
  EXPECT_EQ(j["steps"][0]["args"]["media_id"], "med_city");
  EXPECT_EQ(j["steps"][0]["changes"][0]["kind"], "added");
}

TEST(Turn, DraftsWithoutIdsAreEditable) {
  Session s;
  s.say("add city.mp4");
  s.say("add the music");
  for (auto& t : s.draft.tracks) {
    t.id.clear();
    for (auto& seg : t.segments) seg.id.clear();
  }
  Turn t = s.say("music to 50%");
  EXPECT_EQ(t.steps.at(0).status, StepStatus::done) << t.reply;
  EXPECT_NE(t.reply.find("(0-10s, 50%)"), std::string::npos) << t.reply;
}

TEST(Turn, ClientMetadataOfAnyShapeIsTolerated) {
  Session s;
  s.say("add city.mp4");
  s.say("add a title 'A'");
  s.draft.tracks[1].segments[0].meta["role"] = 5;
  Turn t = s.say("delete the title");
  EXPECT_EQ(t.steps.at(0).status, StepStatus::done) << t.reply;
}

TEST(Turn, SeveralRequestsInOneMessage) {
  Session s;
  s.say("add city.mp4");
  Turn t = s.say("make it vertical and add the music at 20%");
  ASSERT_EQ(t.steps.size(), 2u) << t.reply;
  EXPECT_EQ(t.steps[0].action.kind(), ActionKind::set_aspect);
  EXPECT_EQ(t.steps[1].action.kind(), ActionKind::add_music);
  EXPECT_EQ(s.draft.canvas.height, 1920);
  Turn z = s.say("删除背景音乐，然后加字幕“你好”");
  ASSERT_EQ(z.steps.size(), 2u) << z.reply;
  EXPECT_EQ(timeline::draft_summary(s.draft),
            "Timeline (2 tracks): 1. Video: city.mp4 (0-10s) 2. Title: \"你好\" (0-10s)");
}

TEST(Turn, AVerbCarriesOverToTheNextObject) {
  Session s;
  s.say("add city.mp4");
  Turn t = s.say("add the music, the title 'A' and the caption 'B'");
  ASSERT_EQ(t.steps.size(), 3u) << t.reply;
  EXPECT_EQ(t.steps[1].action.kind(), ActionKind::add_text);
  EXPECT_EQ(t.steps[2].action.kind(), ActionKind::add_text);
  Turn r = s.say("remove the music and the title");
  ASSERT_EQ(r.steps.size(), 2u) << r.reply;
  EXPECT_EQ(r.steps[0].action.kind(), ActionKind::remove);
  EXPECT_EQ(r.steps[1].action.kind(), ActionKind::remove);
  EXPECT_EQ(timeline::draft_summary(s.draft),
            "Timeline (2 tracks): 1. Video: city.mp4 (0-10s) 2. Title: \"B\" (0-10s)");
}

TEST(Turn, NoAudioUploadedSaysWhatToDo) {
  Session s;
  s.library = {{"med_city", MediaKind::video, "city.mp4", 10000, 1920, 1080}};
  Turn t = s.say("add the music at 35%");
  EXPECT_EQ(t.steps.at(0).status, StepStatus::failed);
  EXPECT_EQ(t.reply, "There is no uploaded audio yet: upload an mp3, wav, m4a or aac first.");
  EXPECT_FALSE(t.draft_changed);
  s.language = "zh";
  EXPECT_EQ(s.say("加背景音乐").reply, "还没有上传音频：请先上传 mp3、wav、m4a 或 aac 文件。");
}

TEST(Turn, OverlongMessagesAreRefusedWithAReply) {
  Session s;
  Turn t = s.say(std::string(5000, 'a'));
  EXPECT_EQ(t.steps.at(0).status, StepStatus::failed);
  EXPECT_NE(t.reply.find("4000 bytes"), std::string::npos);
}

TEST(Turn, LongRepetitiveMessagesAreParsed) {
  for (std::string unit : {"1", "a", "1s-", "a.", "from 1 to ", "clip 1 and ", "\u201ca", "'a",
                           "\u79d2", "\u7b2c", "seed 1", "1 %", "..."}) {
    std::string m;
    while (m.size() < 9000) m += unit;
    Plan p = parse_message(m);
    EXPECT_FALSE(p.actions.empty()) << unit;
  }
}

TEST(Turn, ArbitraryBytesNeverThrow) {
  Session s;
  s.say("add city.mp4");
  uint32_t x = 12345;
  for (int i = 0; i < 300; ++i) {
    std::string m;
    int len = int(x % 60);
    for (int k = 0; k < len; ++k) {
      x = x * 1103515245u + 12345u;
      static const char* pieces[] = {"add ", "remove ",      "title ",   "'",
                                     "\"",   "\xe2\x80\x9c", "3s",       "-",
                                     "%",    "\xff",         "\xe4\xb8", "秒",
                                     "第",   "clip ",        "1",        "999999999999999999999",
                                     "to ",  "swap ",        "music ",   "前",
                                     "，",   "trim ",        "move ",    "0"};
      m += pieces[(x >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
    }
    EXPECT_NO_THROW({
      Turn t = s.say(m);
      timeline::draft_validate(t.draft);
      (void)t.to_json().dump();  // throws on invalid UTF-8
      (void)timeline::draft_to_json(t.draft).dump();
    }) << m;
  }
}

}  // namespace
}  // namespace kino::agent
