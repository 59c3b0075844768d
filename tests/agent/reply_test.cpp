// The reply tables: complete in both languages, same placeholders, no interface talk.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "agent/agent.h"

namespace kino::agent {
namespace {

std::set<std::string> placeholders(std::string_view text) {
  std::set<std::string> out;
  std::string s(text);
  std::regex re("\\{([a-z_]+)\\}");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1].str());
  return out;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

TEST(Reply, EveryKeyHasBothLanguagesWithTheSamePlaceholders) {
  std::set<std::string> names;
  for (ReplyKey key : reply_keys()) {
    std::string_view en = reply_template(Language::en, key);
    std::string_view zh = reply_template(Language::zh, key);
    EXPECT_FALSE(en.empty()) << reply_key_name(key);
    EXPECT_FALSE(zh.empty()) << reply_key_name(key);
    EXPECT_NE(en, zh) << reply_key_name(key);
    EXPECT_EQ(placeholders(en), placeholders(zh)) << reply_key_name(key);
    EXPECT_TRUE(names.insert(std::string(reply_key_name(key))).second) << reply_key_name(key);
  }
  EXPECT_GE(names.size(), 50u);
}

TEST(Reply, NoTemplateTellsTheUserToOperateAnInterface) {
  for (ReplyKey key : reply_keys()) {
    for (Language lang : {Language::en, Language::zh}) {
      std::string t = lower(std::string(reply_template(lang, key)));
      for (const char* word : {"click", "drag", "tap ", "button", "点击", "拖拽", "拖动", "按钮"})
        EXPECT_EQ(t.find(word), std::string::npos) << reply_key_name(key) << ": " << t;
    }
  }
}

TEST(Reply, PlaceholdersAreFilled) {
  EXPECT_EQ(reply_text(Language::en, ReplyKey::added_title,
                       {{"text", "Urban Dreams"}, {"start", "0"}, {"end", "3"}}),
            "Added the title \"Urban Dreams\" from 0 to 3 s.");
  EXPECT_EQ(reply_text(Language::zh, ReplyKey::credits,
                       {{"available", "90"}, {"frozen", "10"}, {"total", "100"}}),
            "可用积分 90（冻结 10，共 100）。");
  // A missing argument leaves nothing behind, never the braces.
  EXPECT_EQ(reply_text(Language::en, ReplyKey::removed), "Removed .");
}

TEST(Reply, RepliesOfWholeTurnsHaveNoInterfaceTalk) {
  std::vector<MediaItem> lib = {{"m1", MediaKind::video, "v.mp4", 5000, 1920, 1080},
                                {"m2", MediaKind::audio, "s.mp3", 5000, 0, 0}};
  timeline::Draft d;
  for (const char* m : {"add the video", "add the music", "add a title 'X'", "help", "upload",
                        "status", "blah", "添加视频", "加背景音乐", "帮助", "上传", "状态", "嗯？",
                        "remove the clip", "make it vertical", "swap clips 1 and 5"}) {
    Turn t = agent_turn({m, "", d, lib});
    d = t.draft;
    std::string r = lower(t.reply);
    for (const char* word : {"click", "drag", "点击", "拖拽"})
      EXPECT_EQ(r.find(word), std::string::npos) << m << ": " << t.reply;
  }
}

TEST(Reply, SummaryInBothLanguages) {
  timeline::Draft d;
  EXPECT_EQ(reply_summary(Language::en, d),
            "The timeline is empty: generate a clip or upload media and ask me to add it.");
  timeline::Track v;
  v.id = "t1";
  timeline::Segment s;
  s.id = "s1";
  s.name = "city timelapse";
  s.duration_ms = 10000;
  v.segments.push_back(s);
  d.tracks.push_back(v);
  EXPECT_EQ(reply_summary(Language::en, d), "Timeline (1 track): 1. Video: city timelapse (0-10s)");
  EXPECT_EQ(reply_summary(Language::zh, d),
            "时间线（1 条轨道）：1. 视频：city timelapse（0-10秒）");
}

TEST(Language, DetectionAndSessionLanguage) {
  EXPECT_EQ(detect_language("add the music"), Language::en);
  EXPECT_EQ(detect_language("add 音乐"), Language::zh);
  EXPECT_EQ(detect_language("加音乐", "en"), Language::en);
  EXPECT_EQ(detect_language("add music", "zh-CN"), Language::zh);
  EXPECT_EQ(detect_language("add music", "fr"), Language::en);
  EXPECT_EQ(detect_language("\xff\xfe\xe4"), Language::en);  // invalid UTF-8 is no ideograph
  EXPECT_EQ(detect_language("ｅｘｐｏｒｔ"), Language::en);  // full-width Latin is not CJK
  EXPECT_EQ(language_parse("zh_TW"), Language::zh);
  EXPECT_EQ(language_parse("english"), std::nullopt);
  EXPECT_EQ(language_name(Language::zh), "zh");
}

TEST(Names, EnumsRoundTrip) {
  for (int i = 0; i <= int(ActionKind::help); ++i) {
    auto k = ActionKind(i);
    EXPECT_EQ(action_kind_parse(action_kind_name(k)), k);
  }
  EXPECT_EQ(action_kind_name(ActionKind::export_video), "export");
  EXPECT_EQ(action_kind_parse("nope"), std::nullopt);
  for (auto k :
       {TargetKind::any, TargetKind::clip, TargetKind::music, TargetKind::title, TargetKind::text})
    EXPECT_EQ(target_kind_parse(target_kind_name(k)), k);
  for (auto k : {MediaKind::video, MediaKind::image, MediaKind::audio})
    EXPECT_EQ(media_kind_parse(media_kind_name(k)), k);
  EXPECT_EQ(text_role_parse("caption"), TextRole::caption);
  EXPECT_EQ(step_status_name(StepStatus::service), "service");
  for (auto s : {StepStatus::done, StepStatus::service, StepStatus::failed})
    EXPECT_EQ(step_status_parse(step_status_name(s)), s);
  for (auto c : {ChangeKind::added, ChangeKind::removed, ChangeKind::modified, ChangeKind::canvas})
    EXPECT_EQ(change_kind_parse(change_kind_name(c)), c);
  for (ReplyKey k : reply_keys()) EXPECT_EQ(reply_key_parse(reply_key_name(k)), k);
}

TEST(Plan, ToJsonNamesEveryAction) {
  Plan p = parse_message("make it vertical then add the music at 35%");
  Json j = p.to_json();
  EXPECT_EQ(j["language"], "en");
  ASSERT_EQ(j["actions"].size(), 2u);
  EXPECT_EQ(j["actions"][0]["name"], "set_aspect");
  EXPECT_EQ(j["actions"][0]["args"]["aspect"], "9:16");
  EXPECT_EQ(j["actions"][1]["name"], "add_music");
  EXPECT_DOUBLE_EQ(j["actions"][1]["args"]["volume"].get<double>(), 0.35);
}

}  // namespace
}  // namespace kino::agent
