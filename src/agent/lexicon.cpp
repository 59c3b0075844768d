#include "agent/lexicon.h"

#include <algorithm>
#include <regex>
#include <string>

namespace kino::agent {

namespace {

// ---- phrase tables: one row per phrasing ------------------------------------------

constexpr PhraseRow kEnglish[] = {
    // routing table
    {Cue::route_export, "export"},
    {Cue::route_export, "download"},
    {Cue::route_export, "send me the video"},
    {Cue::route_export, "send me the file"},
    {Cue::route_export, "send me the mp4"},
    {Cue::route_export, "render the video"},
    {Cue::route_export, "render it"},
    {Cue::route_export, "give me the video"},
    {Cue::route_export, "save the video"},
    {Cue::route_credits, "credits"},
    {Cue::route_credits, "credit"},
    {Cue::route_credits, "balance"},
    {Cue::route_status, "status"},
    {Cue::route_status, "show tracks"},
    {Cue::route_status, "show the tracks"},
    {Cue::route_status, "show me the tracks"},
    {Cue::route_status, "list the tracks"},
    {Cue::route_status, "show the timeline"},
    {Cue::route_status, "show me the timeline"},
    {Cue::route_status, "show my timeline"},
    {Cue::route_status, "what's on the timeline"},
    {Cue::route_status, "what is on the timeline"},
    {Cue::route_status, "show the draft"},
    {Cue::route_upload, "upload"},
    {Cue::ask_help, "help"},
    {Cue::ask_help, "what can you do"},
    {Cue::ask_help, "how does this work"},
    // verbs
    {Cue::undo, "undo"},
    {Cue::undo, "revert"},
    {Cue::undo, "go back"},
    {Cue::undo, "take that back"},
    {Cue::generate, "generate"},
    {Cue::generate, "create a video"},
    {Cue::generate, "create a clip"},
    {Cue::generate, "create an animation"},
    {Cue::generate, "make a video"},
    {Cue::generate, "make a clip"},
    {Cue::generate, "make me a video"},
    {Cue::generate, "make me a clip"},
    {Cue::generate, "produce a video"},
    {Cue::generate, "text to video"},
    {Cue::animate, "animate"},
    {Cue::animate, "bring it to life"},
    {Cue::animate, "bring the image to life"},
    {Cue::animate, "bring the photo to life"},
    {Cue::animate, "image to video"},
    {Cue::animate, "make the image move"},
    {Cue::animate, "make the photo move"},
    {Cue::animate, "from the image"},
    {Cue::animate, "from the photo"},
    {Cue::animate, "from my image"},
    {Cue::animate, "from my photo"},
    {Cue::animate, "from this image"},
    {Cue::animate, "from this photo"},
    {Cue::animate, "using the image"},
    {Cue::animate, "using the photo"},
    {Cue::animate, "into a video"},
    {Cue::animate, "into a clip"},
    {Cue::add, "add"},
    {Cue::add, "put"},
    {Cue::add, "play"},
    {Cue::add, "insert"},
    {Cue::add, "place"},
    {Cue::add, "include"},
    {Cue::add, "use"},
    {Cue::add, "create"},
    {Cue::add, "append"},
    {Cue::add, "overlay"},
    {Cue::remove, "remove"},
    {Cue::remove, "delete"},
    {Cue::remove, "drop"},
    {Cue::remove, "erase"},
    {Cue::remove, "get rid of"},
    {Cue::remove, "take out"},
    {Cue::remove, "take off"},
    {Cue::trim, "trim"},
    {Cue::trim, "shorten"},
    {Cue::trim, "cut"},
    {Cue::move, "move"},
    {Cue::move, "shift"},
    {Cue::move, "reorder"},
    {Cue::set, "rename"},
    {Cue::set, "replace"},
    {Cue::set, "edit"},
    {Cue::swap, "swap"},
    {Cue::swap, "exchange"},
    {Cue::swap, "switch the order of"},
    {Cue::swap, "switch places"},
    {Cue::swap, "trade places"},
    {Cue::set, "set"},
    {Cue::set, "change"},
    {Cue::set, "turn"},
    {Cue::set, "adjust"},
    {Cue::set, "lower"},
    {Cue::set, "raise"},
    {Cue::set, "make it"},
    {Cue::set, "make the video"},
    {Cue::set, "switch to"},
    {Cue::set, "convert to"},
    {Cue::mute, "mute"},
    {Cue::mute, "silence"},
    {Cue::mute, "turn off the sound"},
    {Cue::unmute, "unmute"},
    {Cue::unmute, "turn the sound back on"},
    {Cue::volume, "volume"},
    {Cue::volume, "loudness"},
    {Cue::volume, "louder"},
    {Cue::volume, "quieter"},
    {Cue::volume, "softer"},
    // objects
    {Cue::music, "music"},
    {Cue::music, "background music"},
    {Cue::music, "bgm"},
    {Cue::music, "song"},
    {Cue::music, "soundtrack"},
    {Cue::music, "audio"},
    {Cue::music, "backing track"},
    {Cue::music, "tune"},
    {Cue::music, "in the background"},
    {Cue::title, "title"},
    {Cue::title, "heading"},
    {Cue::title, "headline"},
    {Cue::title, "title card"},
    {Cue::caption, "caption"},
    {Cue::caption, "captions"},
    {Cue::caption, "subtitle"},
    {Cue::caption, "subtitles"},
    {Cue::caption, "lower third"},
    {Cue::text, "text"},
    {Cue::text, "words"},
    {Cue::text, "label"},
    {Cue::text, "text overlay"},
    {Cue::clip, "clip"},
    {Cue::clip, "clips"},
    {Cue::clip, "video"},
    {Cue::clip, "videos"},
    {Cue::clip, "video clip"},
    {Cue::clip, "footage"},
    {Cue::clip, "shot"},
    {Cue::clip, "segment"},
    {Cue::clip, "scene"},
    {Cue::image, "image"},
    {Cue::image, "photo"},
    {Cue::image, "picture"},
    {Cue::image, "pic"},
    {Cue::image, "still"},
    // modifiers
    {Cue::ordinal, "first", "1"},
    {Cue::ordinal, "1st", "1"},
    {Cue::ordinal, "second", "2"},
    {Cue::ordinal, "2nd", "2"},
    {Cue::ordinal, "third", "3"},
    {Cue::ordinal, "3rd", "3"},
    {Cue::ordinal, "fourth", "4"},
    {Cue::ordinal, "4th", "4"},
    {Cue::ordinal, "fifth", "5"},
    {Cue::ordinal, "5th", "5"},
    {Cue::ordinal, "last", "last"},
    {Cue::ordinal, "final", "last"},
    {Cue::aspect, "vertical", "9:16"},
    {Cue::aspect, "portrait", "9:16"},
    {Cue::aspect, "9:16", "9:16"},
    {Cue::aspect, "square", "1:1"},
    {Cue::aspect, "1:1", "1:1"},
    {Cue::aspect, "landscape", "16:9"},
    {Cue::aspect, "horizontal", "16:9"},
    {Cue::aspect, "widescreen", "16:9"},
    {Cue::aspect, "16:9", "16:9"},
    {Cue::aspect, "4:5", "4:5"},
    {Cue::position, "top", "top"},
    {Cue::position, "at the top", "top"},
    {Cue::position, "bottom", "bottom"},
    {Cue::position, "at the bottom", "bottom"},
    {Cue::position, "center", "center"},
    {Cue::position, "centre", "center"},
    {Cue::position, "middle", "center"},
    {Cue::position, "in the middle", "center"},
    {Cue::place, "to the start", "start"},
    {Cue::place, "to the beginning", "start"},
    {Cue::place, "to the front", "start"},
    {Cue::place, "to the end", "end"},
    {Cue::place, "to the back", "end"},
    {Cue::place, "at the end", "end"},
    {Cue::place, "at the start", "start"},
    {Cue::place, "at the beginning", "start"},
    {Cue::style, "cinematic", "cinematic"},
    {Cue::style, "anime", "anime"},
    {Cue::style, "realistic", "realistic"},
    {Cue::style, "photorealistic", "photorealistic"},
    {Cue::style, "photo-realistic", "photorealistic"},
    {Cue::style, "cartoon", "cartoon"},
    {Cue::style, "watercolor", "watercolor"},
    {Cue::style, "watercolour", "watercolor"},
    {Cue::style, "3d", "3d"},
    {Cue::style, "pixel art", "pixel art"},
    {Cue::style, "noir", "noir"},
    {Cue::style, "film noir", "noir"},
    {Cue::style, "cyberpunk", "cyberpunk"},
    {Cue::style, "vintage", "vintage"},
    {Cue::style, "retro", "vintage"},
    {Cue::style, "documentary", "documentary"},
    {Cue::style, "slow motion", "slow motion"},
    {Cue::style, "slow-motion", "slow motion"},
    {Cue::style, "timelapse", "timelapse"},
    {Cue::style, "time-lapse", "timelapse"},
    {Cue::style, "dreamy", "dreamy"},
    {Cue::style, "fantasy", "fantasy"},
    {Cue::style, "claymation", "claymation"},
    {Cue::style, "oil painting", "oil painting"},
    {Cue::style, "black and white", "black and white"},
    {Cue::style, "minimalist", "minimalist"},
    {Cue::resolution, "full hd", "1080p"},
    {Cue::resolution, "hd", "720p"},
    {Cue::subject, "video of"},
    {Cue::subject, "clip of"},
    {Cue::subject, "video clip of"},
    {Cue::subject, "footage of"},
    {Cue::subject, "animation of"},
    {Cue::subject, "video showing"},
    {Cue::subject, "clip showing"},
    {Cue::subject, "video about"},
    {Cue::subject, "video where"},
    {Cue::subject, ":"},
    {Cue::text_intro, "saying"},
    {Cue::text_intro, "that says"},
    {Cue::text_intro, "which says"},
    {Cue::text_intro, "that reads"},
    {Cue::text_intro, "reading"},
    {Cue::text_intro, "with the text"},
    {Cue::uploaded, "uploaded"},
    {Cue::uploaded, "i uploaded"},
    {Cue::uploaded, "i just uploaded"},
    {Cue::filler, "please"},
    {Cue::filler, "can you"},
    {Cue::filler, "could you"},
    {Cue::filler, "would you"},
    {Cue::filler, "i want"},
    {Cue::filler, "i'd like"},
    {Cue::filler, "i would like"},
    {Cue::filler, "for me"},
    {Cue::filler, "kindly"},
    {Cue::separator, ";"},
    {Cue::separator, ","},
    {Cue::separator, "."},
    {Cue::separator, "and"},
    {Cue::separator, "then"},
    {Cue::separator, "and then"},
    {Cue::separator, "after that"},
    {Cue::separator, "also"},
};

constexpr PhraseRow kChinese[] = {
    // routing table
    {Cue::route_export, "导出"},
    {Cue::route_export, "下载"},
    {Cue::route_export, "发给我"},
    {Cue::route_export, "把视频发给我"},
    {Cue::route_export, "输出视频"},
    {Cue::route_export, "渲染"},
    {Cue::route_credits, "积分"},
    {Cue::route_credits, "余额"},
    {Cue::route_credits, "点数"},
    {Cue::route_status, "状态"},
    {Cue::route_status, "查看时间线"},
    {Cue::route_status, "显示时间线"},
    {Cue::route_status, "看看时间线"},
    {Cue::route_status, "时间线上有什么"},
    {Cue::route_status, "显示轨道"},
    {Cue::route_status, "查看轨道"},
    {Cue::route_upload, "上传"},
    {Cue::ask_help, "帮助"},
    {Cue::ask_help, "你能做什么"},
    {Cue::ask_help, "你会什么"},
    {Cue::ask_help, "怎么用"},
    // verbs
    {Cue::undo, "撤销"},
    {Cue::undo, "撤消"},
    {Cue::undo, "撤回"},
    {Cue::undo, "回退"},
    {Cue::undo, "取消上1步"},
    {Cue::undo, "返回上1步"},
    {Cue::generate, "生成"},
    {Cue::generate, "制作视频"},
    {Cue::generate, "做1个视频"},
    {Cue::generate, "做1段视频"},
    {Cue::generate, "文生视频"},
    {Cue::animate, "动起来"},
    {Cue::animate, "图生视频"},
    {Cue::animate, "变成视频"},
    {Cue::animate, "做成动画"},
    {Cue::animate, "图片生成"},
    {Cue::animate, "照片生成"},
    {Cue::animate, "用图片"},
    {Cue::animate, "用照片"},
    {Cue::animate, "根据图片"},
    {Cue::animate, "根据照片"},
    {Cue::add, "添加"},
    {Cue::add, "加上"},
    {Cue::add, "加入"},
    {Cue::add, "加"},
    {Cue::add, "放上"},
    {Cue::add, "插入"},
    {Cue::add, "配上"},
    {Cue::add, "增加"},
    {Cue::add, "用"},
    {Cue::remove, "删除"},
    {Cue::remove, "删掉"},
    {Cue::remove, "删"},
    {Cue::remove, "去掉"},
    {Cue::remove, "移除"},
    {Cue::remove, "去除"},
    {Cue::remove, "拿掉"},
    {Cue::remove, "不要"},
    {Cue::trim, "剪"},
    {Cue::trim, "裁剪"},
    {Cue::trim, "剪短"},
    {Cue::trim, "缩短"},
    {Cue::trim, "剪掉"},
    {Cue::trim, "截取"},
    {Cue::trim, "修剪"},
    {Cue::move, "移到"},
    {Cue::move, "移动到"},
    {Cue::move, "移动"},
    {Cue::move, "移"},
    {Cue::move, "挪到"},
    {Cue::move, "挪"},
    {Cue::move, "放到"},
    {Cue::move, "放在"},
    {Cue::swap, "交换"},
    {Cue::swap, "调换"},
    {Cue::swap, "互换"},
    {Cue::swap, "对调"},
    {Cue::set, "改成"},
    {Cue::set, "改为"},
    {Cue::set, "换成"},
    {Cue::set, "变成"},
    {Cue::set, "转成"},
    {Cue::set, "设为"},
    {Cue::set, "设置"},
    {Cue::set, "调整"},
    {Cue::set, "调到"},
    {Cue::set, "调成"},
    {Cue::set, "切换"},
    {Cue::mute, "静音"},
    {Cue::mute, "关掉声音"},
    {Cue::mute, "关闭声音"},
    {Cue::mute, "去掉声音"},
    {Cue::unmute, "取消静音"},
    {Cue::unmute, "打开声音"},
    {Cue::unmute, "恢复声音"},
    {Cue::volume, "音量"},
    {Cue::volume, "声音"},
    {Cue::volume, "大声"},
    {Cue::volume, "小声"},
    // objects
    {Cue::music, "音乐"},
    {Cue::music, "背景音乐"},
    {Cue::music, "配乐"},
    {Cue::music, "歌曲"},
    {Cue::music, "音频"},
    {Cue::music, "曲子"},
    {Cue::title, "标题"},
    {Cue::title, "大标题"},
    {Cue::title, "片名"},
    {Cue::caption, "字幕"},
    {Cue::text, "文字"},
    {Cue::text, "文本"},
    {Cue::text, "文案"},
    {Cue::clip, "片段"},
    {Cue::clip, "视频"},
    {Cue::clip, "镜头"},
    {Cue::clip, "素材"},
    {Cue::clip, "短片"},
    {Cue::image, "图片"},
    {Cue::image, "照片"},
    {Cue::image, "图像"},
    {Cue::image, "相片"},
    // modifiers
    {Cue::ordinal, "最后1个", "last"},
    {Cue::ordinal, "最后1段", "last"},
    {Cue::ordinal, "最后", "last"},
    {Cue::aspect, "竖屏", "9:16"},
    {Cue::aspect, "竖版", "9:16"},
    {Cue::aspect, "竖向", "9:16"},
    {Cue::aspect, "方形", "1:1"},
    {Cue::aspect, "正方形", "1:1"},
    {Cue::aspect, "横屏", "16:9"},
    {Cue::aspect, "横版", "16:9"},
    {Cue::aspect, "宽屏", "16:9"},
    {Cue::position, "顶部", "top"},
    {Cue::position, "上方", "top"},
    {Cue::position, "上面", "top"},
    {Cue::position, "底部", "bottom"},
    {Cue::position, "下方", "bottom"},
    {Cue::position, "下面", "bottom"},
    {Cue::position, "中间", "center"},
    {Cue::position, "居中", "center"},
    {Cue::position, "中央", "center"},
    {Cue::place, "最前面", "start"},
    {Cue::place, "开头", "start"},
    {Cue::place, "最后面", "end"},
    {Cue::place, "末尾", "end"},
    {Cue::style, "电影感", "cinematic"},
    {Cue::style, "电影风格", "cinematic"},
    {Cue::style, "动漫", "anime"},
    {Cue::style, "二次元", "anime"},
    {Cue::style, "写实", "realistic"},
    {Cue::style, "卡通", "cartoon"},
    {Cue::style, "水彩", "watercolor"},
    {Cue::style, "赛博朋克", "cyberpunk"},
    {Cue::style, "复古", "vintage"},
    {Cue::style, "纪录片", "documentary"},
    {Cue::style, "慢动作", "slow motion"},
    {Cue::style, "延时", "timelapse"},
    {Cue::style, "梦幻", "dreamy"},
    {Cue::style, "黑白", "black and white"},
    {Cue::style, "油画", "oil painting"},
    {Cue::style, "像素风", "pixel art"},
    {Cue::resolution, "全高清", "1080p"},
    {Cue::resolution, "超清", "1080p"},
    {Cue::resolution, "高清", "720p"},
    {Cue::subject, "内容是"},
    {Cue::subject, "画面是"},
    {Cue::subject, "关于"},
    {Cue::text_intro, "写着"},
    {Cue::text_intro, "文字是"},
    {Cue::text_intro, "内容为"},
    {Cue::uploaded, "上传的"},
    {Cue::uploaded, "我上传的"},
    {Cue::uploaded, "刚上传的"},
    {Cue::filler, "请"},
    {Cue::filler, "帮我"},
    {Cue::filler, "给我"},
    {Cue::filler, "我想要"},
    {Cue::filler, "我要"},
    {Cue::filler, "麻烦"},
    {Cue::filler, "1个"},
    {Cue::filler, "1段"},
    {Cue::filler, "1条"},
    {Cue::filler, "1首"},
    {Cue::filler, "一下"},
    {Cue::filler, "让"},
    {Cue::filler, "这张"},
    {Cue::filler, "这个"},
    {Cue::filler, "这段"},
    {Cue::filler, "那张"},
    {Cue::filler, "把"},
    {Cue::separator, "然后"},
    {Cue::separator, "接着"},
    {Cue::separator, "再"},
    {Cue::separator, "并且"},
    {Cue::separator, "同时"},
    {Cue::separator, "还有"},
};

// ---- patterns: numbers with their meaning ----------------------------------------------

#define KINO_N "(\\d+(?:\\.\\d+)?)"
#define KINO_U "(?:seconds?|secs?|s(?![a-z])|秒钟|秒)"

struct PatternRow {
  Cue cue;
  const char* pattern;
  enum Read { none, seconds, seconds2, number, number2 } read;
  const char* value = "";  // fixed value, or "$1" for the first group's text
};

// In claim order: earlier rows win where matches overlap.
constexpr PatternRow kPatterns[] = {
    {Cue::seed, "\\bseed\\s*(?:=|:|of|is|number|#)?\\s*(\\d+)", PatternRow::number},
    {Cue::seed, "种子\\s*(?:=|:|为|是|号)?\\s*(\\d+)", PatternRow::number},
    {Cue::resolution, "(480|720|1080)\\s*p(?![a-z])", PatternRow::none, "$1p"},
    {Cue::ordinal_pair,
     "\\b(clips?|videos?|segments?|shots?|scenes?|images?|photos?|pictures?|titles?|captions?|"
     "texts?)"
     "\\s*(?:#|no\\.?|number)?\\s*(\\d+)(?:\\s*(?:and|&|,|with|/)\\s*#?(\\d+))?"
     "(?![\\d.:]|\\s*" KINO_U ")",
     PatternRow::number2, "$1"},
    {Cue::ordinal_pair,
     "(片段|视频|镜头|图片|照片)\\s*(\\d+)(?:\\s*(?:和|与|跟|,)\\s*(\\d+))?(?![\\d.:]|\\s*" KINO_U
     ")",
     PatternRow::number2, "$1"},
    {Cue::ordinal_pair,
     "第\\s*(\\d+)(?![\\d.]|\\s*(?:秒))\\s*(?:个|段|条|张|首)?\\s*(片段|视频|镜头|图片|照片|标题|"
     "字幕|文字|音乐)?()",
     PatternRow::number, "$2"},
    {Cue::ordinal_pair, "#(\\d+)()", PatternRow::number, ""},
    {Cue::time_range, "\\bbetween\\s+" KINO_N "\\s*" KINO_U "?\\s+and\\s+" KINO_N "\\s*" KINO_U,
     PatternRow::seconds2},
    {Cue::time_range,
     "(?:from\\s*|从\\s*)?" KINO_N "\\s*" KINO_U "?\\s*(?:-|~|to|until|till|到|至)\\s*" KINO_N
     "\\s*" KINO_U,
     PatternRow::seconds2},
    {Cue::time_range,
     "\\bfrom\\s+" KINO_N "\\s*" KINO_U "?\\s*(?:-|to|until|till)\\s*" KINO_N "(?![\\d.])",
     PatternRow::seconds2},
    {Cue::time_first,
     "\\b(?:(?:for|during|in)\\s+)?(?:the\\s+)?(?:first|opening)\\s+" KINO_N "\\s*" KINO_U,
     PatternRow::seconds},
    {Cue::time_first, "(?:前|头)\\s*" KINO_N "\\s*" KINO_U, PatternRow::seconds},
    {Cue::time_last,
     "\\b(?:(?:for|during|in)\\s+)?(?:the\\s+)?(?:last|final)\\s+" KINO_N "\\s*" KINO_U,
     PatternRow::seconds},
    {Cue::time_last, "(?:最后|后|末尾)\\s*" KINO_N "\\s*" KINO_U, PatternRow::seconds},
    {Cue::time_at, "\\b(?:(?:starting|start|starts)\\s+)?(?:at|from)\\s+" KINO_N "\\s*" KINO_U,
     PatternRow::seconds},
    {Cue::time_at, "(?:从|在)\\s*第?\\s*" KINO_N "\\s*" KINO_U "\\s*(?:开始|处|的位置|时)?",
     PatternRow::seconds},
    {Cue::time_to, "\\b(?:(?:down\\s+)?to|until|till)\\s+" KINO_N "\\s*" KINO_U,
     PatternRow::seconds},
    {Cue::time_to, "(?:到|至)\\s*第?\\s*" KINO_N "\\s*" KINO_U, PatternRow::seconds},
    {Cue::time_by, "\\bby\\s+" KINO_N "\\s*" KINO_U, PatternRow::seconds},
    {Cue::time_length, KINO_N "\\s*-?\\s*" KINO_U, PatternRow::seconds},
    {Cue::percent, KINO_N "\\s*(?:%|percent|per cent)", PatternRow::number},
    {Cue::percent, "百分之\\s*" KINO_N, PatternRow::number},
    {Cue::percent,
     "音量\\s*(?:调到|调成|调为|设为|设成|改成|改为|为|到|是|:)?\\s*" KINO_N "(?![\\d.])",
     PatternRow::number},
    {Cue::percent, "\\bvolume\\s+(?:to\\s+|at\\s+|of\\s+)?" KINO_N "(?![\\d.%])",
     PatternRow::number},
};

#undef KINO_N
#undef KINO_U

// Seconds beyond this are read as this much: enough to break every timeline limit,
// small enough that milliseconds never overflow.
constexpr double kMaxSeconds = 1e7;

double read_number(const std::string& s) {
  try {
    double v = std::stod(s);
    return v > kMaxSeconds * 1000 ? kMaxSeconds * 1000 : v;
  } catch (...) {
    return 0;
  }
}

double read_ms(const std::string& s) {
  double v = read_number(s);
  return (v > kMaxSeconds ? kMaxSeconds : v) * 1000.0;
}

bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Claims every free occurrence of `phrase` with word edges for ASCII letters and digits.
void find_phrase(MessageText& text, std::string_view phrase, Cue cue, std::string_view value,
                 std::vector<Hit>& hits) {
  if (phrase.empty()) return;
  const std::string& work = text.work();
  size_t pos = 0;
  while ((pos = work.find(phrase, pos)) != std::string::npos) {
    size_t end = pos + phrase.size();
    bool left_ok = !ascii_alnum(phrase.front()) || pos == 0 || !ascii_alnum(work[pos - 1]);
    bool right_ok = !ascii_alnum(phrase.back()) || end == work.size() || !ascii_alnum(work[end]);
    Span span{pos, end};
    if (left_ok && right_ok && text.is_free(span)) {
      hits.push_back({cue, std::string(value), span});
      text.claim(span);
      pos = end;
    } else {
      ++pos;
    }
  }
}

struct CompiledPattern {
  const PatternRow* row;
  std::regex re;
};

const std::vector<CompiledPattern>& compiled_patterns() {
  static const std::vector<CompiledPattern> compiled = [] {
    std::vector<CompiledPattern> out;
    for (const auto& row : kPatterns)
      out.push_back({&row, std::regex(row.pattern, std::regex::ECMAScript | std::regex::optimize)});
    return out;
  }();
  return compiled;
}

const std::vector<const PhraseRow*>& phrases_longest_first() {
  static const std::vector<const PhraseRow*> rows = [] {
    std::vector<const PhraseRow*> out;
    for (const auto& r : kEnglish) out.push_back(&r);
    for (const auto& r : kChinese) out.push_back(&r);
    std::stable_sort(out.begin(), out.end(), [](const PhraseRow* a, const PhraseRow* b) {
      return a->phrase.size() > b->phrase.size();
    });
    return out;
  }();
  return rows;
}

bool is_phrase(std::string_view s) {
  for (const PhraseRow* r : phrases_longest_first())
    if (r->phrase == s) return true;
  return false;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

void scan_library(MessageText& text, std::span<const MediaItem> library, std::vector<Hit>& hits) {
  struct Name {
    std::string key;
    const MediaItem* item;
  };
  std::vector<Name> names;
  for (auto it = library.rbegin(); it != library.rend(); ++it) {
    if (it->name.empty()) continue;
    names.push_back({lower_ascii(it->name), &*it});
    std::string stem = lower_ascii(media_stem(it->name));
    // Stems that are common words ("video", "music") stay phrases, not names.
    if (stem.size() >= 4 && stem != names.back().key && !is_phrase(stem))
      names.push_back({stem, &*it});
  }
  std::stable_sort(names.begin(), names.end(),
                   [](const Name& a, const Name& b) { return a.key.size() > b.key.size(); });
  for (const auto& n : names) {
    size_t before = hits.size();
    find_phrase(text, n.key, Cue::library_name, n.item->id, hits);
    for (size_t i = before; i < hits.size(); ++i) hits[i].a = double(int(n.item->kind));
  }
}

// Runs longer than these are no number and no word: they are claimed unread, which also
// keeps every pattern linear in the message length.
constexpr size_t kMaxNumberRun = 15;
constexpr size_t kMaxWordRun = 64;

template <typename Pred>
void claim_runs(MessageText& text, const std::string& work, Pred in_run, size_t limit) {
  for (size_t i = 0; i < work.size();) {
    size_t e = i;
    while (e < work.size() && in_run(work[e])) ++e;
    if (e - i > limit) text.claim({i, e});
    i = e == i ? i + 1 : e;
  }
}

void claim_long_runs(MessageText& text) {
  const std::string work = text.work();
  claim_runs(
      text, work, [](char c) { return (c >= '0' && c <= '9') || c == '.'; }, kMaxNumberRun);
  claim_runs(
      text, work, [](char c) { return ascii_alnum(c) || c == '_' || c == '-' || c == '.'; },
      kMaxWordRun);
}

// File names with a media extension ("photo.png", "my_clip-2.MP4"), ASCII only.
void scan_file_names(MessageText& text, std::vector<Hit>& hits) {
  static constexpr std::string_view kExtensions[] = {"mp4", "mov",  "avi", "webm", "mkv",
                                                     "jpg", "jpeg", "png", "gif",  "webp",
                                                     "mp3", "wav",  "m4a", "aac"};
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  };
  const std::string work = text.work();
  for (size_t dot = work.find('.'); dot != std::string::npos; dot = work.find('.', dot + 1)) {
    size_t ext_end = dot + 1;
    while (ext_end < work.size() && ascii_alnum(work[ext_end])) ++ext_end;
    std::string_view ext = std::string_view(work).substr(dot + 1, ext_end - dot - 1);
    if (std::find(std::begin(kExtensions), std::end(kExtensions), ext) == std::end(kExtensions))
      continue;
    size_t begin = dot;
    while (begin > 0 && name_char(work[begin - 1])) --begin;
    if (begin == dot) continue;
    Span span{begin, ext_end};
    if (!text.is_free(span)) continue;
    hits.push_back({Cue::file_name, text.original_slice(span), span});
    text.claim(span);
  }
}

void scan_patterns(MessageText& text, std::vector<Hit>& hits) {
  for (const auto& p : compiled_patterns()) {
    std::string work = text.work();  // claims change it; each row searches a fresh copy
    for (auto it = std::sregex_iterator(work.begin(), work.end(), p.re);
         it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      Span span{size_t(m.position(0)), size_t(m.position(0) + m.length(0))};
      if (span.empty() || !text.is_free(span)) continue;
      Hit h{p.row->cue, "", span};
      // Group numbering: with a captured label ("$1") the numbers follow it.
      int first = std::string_view(p.row->value) == "$1" ? 2 : 1;
      switch (p.row->read) {
        case PatternRow::none: break;
        case PatternRow::seconds: h.a = read_ms(m[first].str()); break;
        case PatternRow::seconds2:
          h.a = read_ms(m[first].str());
          h.b = read_ms(m[first + 1].str());
          break;
        case PatternRow::number: h.a = read_number(m[first].str()); break;
        case PatternRow::number2:
          h.a = read_number(m[first].str());
          h.b = m[first + 1].matched ? read_number(m[first + 1].str()) : 0;
          break;
      }
      std::string_view value = p.row->value;
      if (value == "$1") {
        h.value = m[1].str();
      } else if (value == "$2") {
        h.value = m[2].str();
      } else if (value == "$1p") {
        h.value = m[1].str() + "p";
      } else {
        h.value = std::string(value);
      }
      hits.push_back(std::move(h));
      text.claim(span);
    }
  }
}

// "Times Square", "Square Enix": a modifier word written capitalized after a capitalized
// word is part of a name, not a request.
bool inside_name(const MessageText& text, const Hit& h) {
  if (h.cue != Cue::aspect && h.cue != Cue::style && h.cue != Cue::position) return false;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  std::string word = text.original_slice(h.span);
  if (word.empty() || !upper(word[0])) return false;
  std::string before = text.original_slice({0, h.span.begin});
  size_t end = before.find_last_not_of(' ');
  if (end == std::string::npos || end + 1 == before.size()) return false;
  size_t start = before.find_last_of(' ', end);
  if (start == std::string::npos) return false;  // after the message's first word
  return upper(before[start + 1]);
}

}  // namespace

std::vector<Hit> lexicon_scan(MessageText& text, std::span<const MediaItem> library) {
  std::vector<Hit> hits;
  claim_long_runs(text);
  scan_library(text, library, hits);
  scan_file_names(text, hits);
  scan_patterns(text, hits);
  for (const PhraseRow* r : phrases_longest_first())
    find_phrase(text, r->phrase, r->cue, r->value, hits);
  std::erase_if(hits, [&](const Hit& h) { return inside_name(text, h); });
  std::sort(hits.begin(), hits.end(),
            [](const Hit& a, const Hit& b) { return a.span.begin < b.span.begin; });
  return hits;
}

std::span<const PhraseRow> lexicon_english() {
  return kEnglish;
}
std::span<const PhraseRow> lexicon_chinese() {
  return kChinese;
}

}  // namespace kino::agent
