// Data-driven parsing table: message -> first action's name and a subset of its
// arguments (every key given must be present with that value).
#include <gtest/gtest.h>

#include <vector>

#include "agent/agent.h"

namespace kino::agent {
namespace {

struct Row {
  const char* message;
  const char* action;
  const char* args;  // JSON object: expected subset of Action::to_json()
};

const std::vector<MediaItem>& library() {
  static const std::vector<MediaItem> lib = {
      {"med_v1", MediaKind::video, "city.mp4", 10000, 1920, 1080},
      {"med_i1", MediaKind::image, "photo.png", 0, 1080, 1350},
      {"med_a1", MediaKind::audio, "lofi beats.mp3", 120000, 0, 0},
      {"med_i2", MediaKind::image, "sunset.jpg", 0, 1920, 1080},
  };
  return lib;
}

const Row kRows[] = {
    // the issue's examples
    {"add a title 'Urban Dreams' for the first 3 seconds", "add_text",
     R"({"text":"Urban Dreams","role":"title","start_ms":0,"end_ms":3000})"},
    {"add the music at 35%", "add_music", R"({"volume":0.35})"},
    {"generate a 5-second cinematic video clip of a fox running through a snowy forest at dusk",
     "generate",
     R"({"prompt":"a fox running through a snowy forest at dusk, cinematic","seconds":5,"styles":["cinematic"]})"},
    {"make it vertical", "set_aspect", R"({"aspect":"9:16"})"},
    {"导出", "export", "{}"},
    {"积分", "credits", "{}"},
    {"添加背景音乐，音量35%", "add_music", R"({"volume":0.35})"},
    {"加一个标题“城市之梦”，前3秒", "add_text",
     R"({"text":"城市之梦","role":"title","start_ms":0,"end_ms":3000})"},
    // routing table
    {"export", "export", "{}"},
    {"Export the video please", "export", "{}"},
    {"download", "export", "{}"},
    {"send me the video", "export", "{}"},
    {"下载视频", "export", "{}"},
    {"credits", "credits", "{}"},
    {"what's my balance?", "credits", "{}"},
    {"余额", "credits", "{}"},
    {"还有多少积分", "credits", "{}"},
    {"status", "status", "{}"},
    {"show tracks", "status", "{}"},
    {"show the timeline", "status", "{}"},
    {"状态", "status", "{}"},
    {"查看时间线", "status", "{}"},
    {"upload", "upload_help", "{}"},
    {"how do I upload a file?", "upload_help", "{}"},
    {"上传", "upload_help", "{}"},
    // generate
    {"generate a 10 second anime clip of a girl on a train, vertical, 1080p, seed 42", "generate",
     R"({"prompt":"a girl on a train, anime","seconds":10,"aspect":"9:16","resolution":"1080p","seed":42,"styles":["anime"]})"},
    {"create a video of waves crashing on rocks", "generate",
     R"({"prompt":"waves crashing on rocks","seconds":5})"},
    {"make a square video of a cat playing piano, 8s", "generate",
     R"({"prompt":"a cat playing piano","seconds":8,"aspect":"1:1"})"},
    {"Generate a realistic drone shot of Tokyo at night in 16:9", "generate",
     R"({"prompt":"a realistic drone shot of Tokyo at night","aspect":"16:9","styles":["realistic"]})"},
    {"generate: a red balloon floating over Paris", "generate",
     R"({"prompt":"a red balloon floating over Paris"})"},
    {"generate 'a cyberpunk street in the rain' in 720p", "generate",
     R"({"prompt":"a cyberpunk street in the rain","resolution":"720p"})"},
    {"生成一段狐狸在雪地里奔跑的视频，竖屏，10秒", "generate",
     R"({"prompt":"狐狸在雪地里奔跑","seconds":10,"aspect":"9:16"})"},
    {"生成一个5秒的电影感视频：海浪拍打礁石", "generate",
     R"({"prompt":"海浪拍打礁石, 电影感","seconds":5,"styles":["cinematic"]})"},
    {"帮我生成一段动漫风格的樱花飘落视频，种子7", "generate",
     R"({"prompt":"动漫风格的樱花飘落","seed":7,"styles":["anime"]})"},
    {"generate a video where a robot dances in Times Square, 9:16, seed 7", "generate",
     R"({"prompt":"a robot dances in Times Square","aspect":"9:16","seed":7})"},
    {"can you make me a video of two dogs playing in the park", "generate",
     R"({"prompt":"two dogs playing in the park"})"},
    {"帮我生成一段10秒的赛博朋克城市夜景视频，横屏，1080p", "generate",
     R"({"prompt":"赛博朋克城市夜景","seconds":10,"aspect":"16:9","resolution":"1080p","styles":["cyberpunk"]})"},
    {"生成一段竖屏的海边日落视频，写实风格", "generate",
     R"({"prompt":"海边日落，写实风格","aspect":"9:16","styles":["realistic"]})"},
    // animate
    {"用我上传的图片生成视频", "generate", R"({"animate":true})"},
    {"animate the uploaded photo with gentle wind", "generate",
     R"({"animate":true,"prompt":"gentle wind"})"},
    {"animate the image", "generate", R"({"animate":true})"},
    {"animate photo.png", "generate",
     R"({"animate":true,"image_id":"med_i1","image_name":"photo.png"})"},
    {"animate sunset.jpg with slowly moving clouds", "generate",
     R"({"animate":true,"image_id":"med_i2","prompt":"slowly moving clouds"})"},
    {"让图片动起来", "generate", R"({"animate":true})"},
    {"use photo.png to make a video", "generate",
     R"({"animate":true,"image_id":"med_i1","prompt":""})"},
    {"turn this image into a video", "generate", R"({"animate":true,"prompt":""})"},
    {"用这张照片生成一个5秒的视频", "generate", R"({"animate":true,"seconds":5,"prompt":""})"},
    {"generate a video of a photo album on a table", "generate",
     R"({"prompt":"a photo album on a table"})"},
    {"bring the photo to life, 4 seconds", "generate", R"({"animate":true,"seconds":4})"},
    // music
    {"add background music", "add_music", R"({"volume":0.35})"},
    {"add lofi beats.mp3 as background music at 20%", "add_music",
     R"({"volume":0.2,"media_id":"med_a1"})"},
    {"use the song lofi beats at 50% volume", "add_music", R"({"volume":0.5,"media_id":"med_a1"})"},
    {"add the bgm", "add_music", "{}"},
    {"play lofi beats.mp3 in the background at 25%", "add_music",
     R"({"media_id":"med_a1","volume":0.25})"},
    {"加背景音乐", "add_music", R"({"volume":0.35})"},
    {"配上音乐，音量百分之五十", "add_music", R"({"volume":0.5})"},
    {"给视频配上lofi beats.mp3，音量20%", "add_music", R"({"media_id":"med_a1","volume":0.2})"},
    {"把音乐音量调到百分之三十", "set_volume", R"({"target":{"kind":"music"},"volume":0.3})"},
    // text
    {"add a caption \"Hello world\" from 2s to 5s at the bottom", "add_text",
     R"({"text":"Hello world","role":"caption","start_ms":2000,"end_ms":5000,"position":"bottom"})"},
    {"put the text 'SALE' at the top, 0-3s", "add_text",
     R"({"text":"SALE","role":"caption","start_ms":0,"end_ms":3000,"position":"top"})"},
    {"add a title saying Summer Trip", "add_text", R"({"text":"Summer Trip","role":"title"})"},
    {"add subtitle 'Day one' at 4s for 2 seconds", "add_text",
     R"({"text":"Day one","role":"caption","start_ms":4000,"end_ms":6000})"},
    {"add a title \u201cNight Drive\u201d between 1 and 4 seconds", "add_text",
     R"({"text":"Night Drive","start_ms":1000,"end_ms":4000})"},
    {"加字幕「你好」0到3秒", "add_text",
     R"({"text":"你好","role":"caption","start_ms":0,"end_ms":3000})"},
    {"在顶部添加文字“限时优惠”，2秒到5秒", "add_text",
     R"({"text":"限时优惠","position":"top","start_ms":2000,"end_ms":5000})"},
    {"加一个标题'旅行日记'，前三秒", "add_text",
     R"({"text":"旅行日记","start_ms":0,"end_ms":3000})"},
    {"add a title Urban Dreams for the first 3 seconds", "add_text",
     R"({"text":"Urban Dreams","start_ms":0,"end_ms":3000})"},
    {"put \"The End\" at the end", "add_text", R"({"text":"The End","from_end_ms":-1})"},
    {"add the caption 'Made with kino' at the bottom for the last 2 seconds", "add_text",
     R"({"text":"Made with kino","role":"caption","position":"bottom","from_end_ms":2000})"},
    {"帮我加个字幕：欢迎来到上海", "add_text", R"({"text":"欢迎来到上海","role":"caption"})"},
    {"add a caption to the second clip", "add_text", R"({"text":""})"},
    {"在第5秒加字幕“下一站”，持续2秒", "add_text",
     R"({"text":"下一站","role":"caption","start_ms":5000,"end_ms":7000})"},
    // set_text
    {"change the title to 'New Name'", "set_text",
     R"({"target":{"kind":"title"},"text":"New Name"})"},
    {"rename the text 'SALE' to 'SOLD OUT'", "set_text",
     R"({"target":{"kind":"text","name":"SALE"},"text":"SOLD OUT"})"},
    {"move the title to the top", "set_text", R"({"target":{"kind":"title"},"position":"top"})"},
    {"把字幕放到底部", "set_text", R"({"target":{"kind":"text"},"position":"bottom"})"},
    {"把标题改成“夏天”", "set_text", R"({"target":{"kind":"title"},"text":"夏天"})"},
    // aspect
    {"make the video 9:16", "set_aspect", R"({"aspect":"9:16"})"},
    {"make it square", "set_aspect", R"({"aspect":"1:1"})"},
    {"change the aspect ratio to 16:9", "set_aspect", R"({"aspect":"16:9"})"},
    {"switch to portrait", "set_aspect", R"({"aspect":"9:16"})"},
    {"make it 4:5 for instagram", "set_aspect", R"({"aspect":"4:5"})"},
    {"改成竖屏", "set_aspect", R"({"aspect":"9:16"})"},
    {"横屏", "set_aspect", R"({"aspect":"16:9"})"},
    {"转成方形", "set_aspect", R"({"aspect":"1:1"})"},
    // trim
    {"trim the first clip to 3 seconds", "trim",
     R"({"target":{"kind":"clip","ordinal":1},"duration_ms":3000})"},
    {"cut the first 2 seconds", "trim", R"({"target":{"kind":"clip"},"cut_start_ms":2000})"},
    {"trim the last clip to 4s", "trim",
     R"({"target":{"kind":"clip","ordinal":"last"},"duration_ms":4000})"},
    {"cut the last 1.5 seconds of clip 2", "trim",
     R"({"target":{"kind":"clip","ordinal":2},"cut_end_ms":1500})"},
    {"把第一个片段剪到3秒", "trim", R"({"target":{"kind":"clip","ordinal":1},"duration_ms":3000})"},
    {"剪掉前2秒", "trim", R"({"cut_start_ms":2000})"},
    // remove
    {"remove the music", "remove", R"({"target":{"kind":"music"}})"},
    {"delete the title", "remove", R"({"target":{"kind":"title"}})"},
    {"删除字幕", "remove", R"({"target":{"kind":"text"}})"},
    {"remove the second clip", "remove", R"({"target":{"kind":"clip","ordinal":2}})"},
    {"get rid of the text 'SALE'", "remove", R"({"target":{"kind":"text","name":"SALE"}})"},
    {"删掉背景音乐", "remove", R"({"target":{"kind":"music"}})"},
    {"删除第2个片段", "remove", R"({"target":{"kind":"clip","ordinal":2}})"},
    // move / swap
    {"move the title to 5s", "move", R"({"target":{"kind":"title"},"start_ms":5000})"},
    {"move clip 2 to the beginning", "move",
     R"({"target":{"kind":"clip","ordinal":2},"to_index":1})"},
    {"把标题移到5秒", "move", R"({"target":{"kind":"title"},"start_ms":5000})"},
    {"move the text 'SALE' to 1s", "move",
     R"({"target":{"kind":"text","name":"SALE"},"start_ms":1000})"},
    {"swap clips 1 and 2", "swap",
     R"({"a":{"kind":"clip","ordinal":1},"b":{"kind":"clip","ordinal":2}})"},
    {"swap the first and second clips", "swap",
     R"({"a":{"kind":"clip","ordinal":1},"b":{"kind":"clip","ordinal":2}})"},
    {"交换片段1和2", "swap",
     R"({"a":{"kind":"clip","ordinal":1},"b":{"kind":"clip","ordinal":2}})"},
    {"shorten clip 1 by 2 seconds", "trim",
     R"({"target":{"kind":"clip","ordinal":1},"cut_end_ms":2000})"},
    // volume
    {"make the music quieter", "set_volume", R"({"target":{"kind":"music"}})"},
    {"music to 50%", "set_volume", R"({"target":{"kind":"music"},"volume":0.5})"},
    {"set the music volume to 20%", "set_volume", R"({"target":{"kind":"music"},"volume":0.2})"},
    {"mute the clip", "set_volume", R"({"target":{"kind":"clip"},"volume":0.0})"},
    {"unmute the video", "set_volume", R"({"target":{"kind":"clip"},"volume":1.0})"},
    {"音乐音量调到50%", "set_volume", R"({"target":{"kind":"music"},"volume":0.5})"},
    {"把视频静音", "set_volume", R"({"target":{"kind":"clip"},"volume":0.0})"},
    // add clip
    {"add the video to the timeline", "add_clip", R"({"media_kind":"video"})"},
    {"add city.mp4", "add_clip", R"({"media_id":"med_v1"})"},
    {"add the photo for 4 seconds", "add_clip", R"({"media_kind":"image","duration_ms":4000})"},
    {"添加图片", "add_clip", R"({"media_kind":"image"})"},
    // undo / help
    {"undo", "undo", "{}"},
    {"undo that", "undo", "{}"},
    {"撤销", "undo", "{}"},
    {"help", "help", R"({"asked":true})"},
    {"你能做什么", "help", R"({"asked":true})"},
    {"what's the weather like?", "help", R"({"asked":false})"},
    {"", "help", R"({"asked":false})"},
    {"今天天气怎么样", "help", R"({"asked":false})"},
};

void expect_subset(const Json& expected, const Json& actual, const std::string& where) {
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    ASSERT_TRUE(actual.contains(it.key()))
        << where << ": missing \"" << it.key() << "\" in " << actual.dump();
    if (it->is_object()) {
      expect_subset(*it, actual[it.key()], where + "." + it.key());
    } else if (it->is_number_float() || actual[it.key()].is_number_float()) {
      EXPECT_NEAR(it->get<double>(), actual[it.key()].get<double>(), 1e-9)
          << where << "." << it.key() << " in " << actual.dump();
    } else {
      EXPECT_EQ(*it, actual[it.key()]) << where << "." << it.key() << " in " << actual.dump();
    }
  }
}

TEST(ParseTable, EveryRowGivesItsIntentAndParameters) {
  ParseContext ctx;
  ctx.library = library();
  for (const Row& row : kRows) {
    SCOPED_TRACE(row.message);
    Plan plan = parse_message(row.message, ctx);
    ASSERT_FALSE(plan.actions.empty());
    const Action& a = plan.actions.front();
    EXPECT_EQ(a.name(), row.action) << "args " << a.to_json().dump();
    if (a.name() == row.action) expect_subset(Json::parse(row.args), a.to_json(), row.message);
  }
}

TEST(ParseTable, HasAtLeastSixtyRowsInBothLanguages) {
  int zh = 0, en = 0;
  for (const Row& row : kRows) (has_cjk_ideograph(row.message) ? zh : en)++;
  EXPECT_GE(zh + en, 60);
  EXPECT_GE(zh, 20);
  EXPECT_GE(en, 40);
}

}  // namespace
}  // namespace kino::agent
