#include "agent/reply.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <span>

#include "timeline/summary.h"

namespace kino::agent {

namespace {

struct Template {
  ReplyKey key;
  std::string_view name;
  std::string_view text;
};

constexpr Template kEnglish[] = {
    {ReplyKey::help, "help",
     "I can generate a clip from a description (\"generate a 5-second cinematic video of a fox "
     "in the snow\"), animate an uploaded image, add an uploaded clip or image, add background "
     "music at a volume (\"add the music at 35%\"), add a title or caption with a time range "
     "(\"add a title 'Urban Dreams' for the first 3 seconds\"), change or move a title, change the "
     "aspect ratio (16:9, "
     "9:16, 1:1, 4:5), trim, remove, move or swap clips, set volumes, undo, show the timeline, "
     "show your credits and export the video."},
    {ReplyKey::help_unknown, "help_unknown", "I did not find a request I can act on in that."},
    {ReplyKey::upload_help, "upload_help",
     "Send the files through the upload endpoint (multipart field \"files\", or a JSON list of "
     "URLs): mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a or aac, up to 20 MB "
     "each. Then tell me what to do with them, for example \"add the music at 35%\"."},
    {ReplyKey::timeline_empty, "timeline_empty",
     "The timeline is empty: generate a clip or upload media and ask me to add it."},
    {ReplyKey::added_title, "added_title", "Added the title \"{text}\" from {start} to {end} s."},
    {ReplyKey::added_caption, "added_caption",
     "Added the text \"{text}\" from {start} to {end} s at the {position}."},
    {ReplyKey::added_music, "added_music",
     "Added the music \"{name}\" at {volume}% from {start} to {end} s, looped to fill the video."},
    {ReplyKey::added_clip, "added_clip", "Added the {kind} \"{name}\" from {start} to {end} s."},
    {ReplyKey::canvas_matched, "canvas_matched", "The video is {aspect} to match it."},
    {ReplyKey::aspect_set, "aspect_set",
     "Changed the aspect ratio to {aspect} ({width}x{height})."},
    {ReplyKey::aspect_unchanged, "aspect_unchanged", "The video is already {aspect}."},
    {ReplyKey::text_changed, "text_changed", "Changed {what} to \"{text}\"."},
    {ReplyKey::text_placed, "text_placed", "Moved {what} to the {position}."},
    {ReplyKey::trimmed, "trimmed", "Trimmed {what} to {duration} s."},
    {ReplyKey::removed, "removed", "Removed {what}."},
    {ReplyKey::moved, "moved", "Moved {what} to {start} s."},
    {ReplyKey::reordered, "reordered", "Moved {what} to place {index}."},
    {ReplyKey::swapped, "swapped", "Swapped {a} and {b}."},
    {ReplyKey::volume_set, "volume_set", "Set the volume of {what} to {volume}%."},
    {ReplyKey::muted, "muted", "Muted {what}."},
    {ReplyKey::no_audio, "no_audio",
     "There is no uploaded audio yet: upload an mp3, wav, m4a or aac first."},
    {ReplyKey::no_image, "no_image",
     "There is no uploaded image yet: upload a jpg, png, webp or gif first."},
    {ReplyKey::no_visual, "no_visual",
     "There is no uploaded or generated clip yet: upload an mp4, mov, webm, jpg or png, or ask "
     "me to generate a clip."},
    {ReplyKey::no_media_named, "no_media_named",
     "There is no uploaded {kind} named \"{name}\". Available: {names}."},
    {ReplyKey::no_target, "no_target", "There is no {what} on the timeline."},
    {ReplyKey::which_one, "which_one",
     "There are {count} {what} on the timeline: say which one, for example \"the first\" or "
     "\"the last\"."},
    {ReplyKey::need_target, "need_target",
     "Tell me what to change: the music, the title, the text or a clip (\"the second clip\")."},
    {ReplyKey::need_text, "need_text",
     "Tell me the text in quotes, for example: add a title \"Urban Dreams\" for the first 3 "
     "seconds."},
    {ReplyKey::need_volume, "need_volume",
     "Tell me the volume as a percentage, for example: music to 50%."},
    {ReplyKey::need_length, "need_length",
     "Tell me the new length, for example: trim the first clip to 3 seconds, or cut the first 2 "
     "seconds."},
    {ReplyKey::need_start, "need_start",
     "Tell me where to move it, for example: move the title to 5s, or move clip 2 to the "
     "beginning."},
    {ReplyKey::need_two, "need_two",
     "Tell me which two clips to swap, for example: swap clips 1 and 2."},
    {ReplyKey::cannot_swap, "cannot_swap", "Only clips on the same video track can be swapped."},
    {ReplyKey::text_has_no_sound, "text_has_no_sound",
     "Titles and text have no sound: set the volume of the music or a clip instead."},
    {ReplyKey::too_long_for_source, "too_long_for_source",
     "{what} can be at most {max} s long: its source is not longer."},
    {ReplyKey::edit_rejected, "edit_rejected",
     "That edit breaks a timeline rule, so the timeline is unchanged: {error}."},
    {ReplyKey::need_prompt, "need_prompt",
     "Tell me what the clip should show, for example: generate a 5-second video of a fox "
     "running through a snowy forest."},
    {ReplyKey::bad_seconds, "bad_seconds",
     "Clips are {min} to {max} seconds long; you asked for {seconds}."},
    {ReplyKey::message_too_long, "message_too_long",
     "That message is too long: messages are limited to {max} bytes."},
    {ReplyKey::generate_started, "generate_started",
     "Generating a {seconds}-second {aspect} clip of \"{prompt}\"."},
    {ReplyKey::animate_started, "animate_started",
     "Animating the image \"{name}\" into a {seconds}-second {aspect} clip."},
    {ReplyKey::generate_done, "generate_done", "The clip \"{name}\" is ready and on the timeline."},
    {ReplyKey::generate_failed, "generate_failed",
     "The generation failed and its credits were returned: {error}."},
    {ReplyKey::no_model, "no_model",
     "Generation needs a model and none is installed on this server. I can still edit the "
     "timeline with uploaded media, show it, show your credits and export it."},
    {ReplyKey::unknown_words, "unknown_words",
     "Note: {model}, the built-in model, knows only simple shapes (ball, box, triangle, star, "
     "ring), colours and motions on plain or gradient backgrounds, and never saw {words}. For "
     "other scenes install a Wan model: `kino models pull wan2.1-t2v-1.3b` (or wan2.2-ti2v-5b "
     "for image-to-video), then restart kino serve or pass --model."},
    {ReplyKey::export_started, "export_started", "Exporting your MP4..."},
    {ReplyKey::export_ready, "export_ready", "Your video is ready: {url} ({size} bytes, MP4)."},
    {ReplyKey::export_failed, "export_failed", "The export failed: {error}."},
    {ReplyKey::credits, "credits",
     "You have {available} credits available ({frozen} frozen, {total} in total)."},
    {ReplyKey::no_credits, "no_credits",
     "That needs {needed} credits and {available} are available. An administrator can grant "
     "more with: kino admin credits grant."},
    {ReplyKey::undone, "undone", "Undid the last edit."},
    {ReplyKey::nothing_to_undo, "nothing_to_undo", "There is no edit to undo yet."},
    {ReplyKey::label_clip, "label_clip", "clip {n} \"{name}\""},
    {ReplyKey::label_music, "label_music", "the music \"{name}\""},
    {ReplyKey::label_title, "label_title", "the title \"{text}\""},
    {ReplyKey::label_text, "label_text", "the text \"{text}\""},
    {ReplyKey::label_all_music, "label_all_music", "the music"},
    {ReplyKey::label_all_clips, "label_all_clips", "the clips"},
    {ReplyKey::label_all_text, "label_all_text", "the text"},
    {ReplyKey::kind_video, "kind_video", "video"},
    {ReplyKey::kind_image, "kind_image", "image"},
    {ReplyKey::kind_audio, "kind_audio", "audio"},
    {ReplyKey::position_top, "position_top", "top"},
    {ReplyKey::position_center, "position_center", "center"},
    {ReplyKey::position_bottom, "position_bottom", "bottom"},
    {ReplyKey::noun_clip, "noun_clip", "clip"},
    {ReplyKey::noun_music, "noun_music", "music"},
    {ReplyKey::noun_title, "noun_title", "title"},
    {ReplyKey::noun_text, "noun_text", "text"},
    {ReplyKey::plural_clip, "plural_clip", "clips"},
    {ReplyKey::plural_music, "plural_music", "music segments"},
    {ReplyKey::plural_title, "plural_title", "titles"},
    {ReplyKey::plural_text, "plural_text", "text segments"},
    {ReplyKey::noun_nth, "noun_nth", "{noun} {n}"},
    {ReplyKey::noun_last, "noun_last", "last {noun}"},
};

constexpr Template kChinese[] = {
    {ReplyKey::help, "help",
     "我可以：根据描述生成视频片段（“生成一段5秒的电影感视频：雪地里奔跑的狐狸”）、让上传的图片"
     "动起来、把上传的视频或图片加到时间线、添加背景音乐并设置音量（“添加背景音乐，音量35%”）、"
     "添加带时间范围的标题或字幕（“加一个标题“城市之梦”，前3秒”）、修改标题文字或位置、修改画面比例"
     "（16:9、9:16、"
     "1:1、4:5）、剪辑、删除、移动或交换片段、调整音量、撤销、显示时间线、查询积分和导出视频。"},
    {ReplyKey::help_unknown, "help_unknown", "这条消息里没有我能执行的操作。"},
    {ReplyKey::upload_help, "upload_help",
     "请通过上传接口发送文件（multipart 字段 “files”，或 JSON 格式的 URL 列表）：支持 mp4、"
     "mov、avi、webm、mkv、jpg、png、gif、webp、mp3、wav、m4a、aac，单个文件最大 20 MB。"
     "上传后告诉我要做什么，例如“添加背景音乐，音量35%”。"},
    {ReplyKey::timeline_empty, "timeline_empty",
     "时间线是空的：先生成一个片段，或上传素材后让我添加。"},
    {ReplyKey::added_title, "added_title", "已添加标题“{text}”，{start}-{end}秒。"},
    {ReplyKey::added_caption, "added_caption", "已在{position}添加文字“{text}”，{start}-{end}秒。"},
    {ReplyKey::added_music, "added_music",
     "已添加背景音乐“{name}”，音量{volume}%，{start}-{end}秒，循环铺满整个视频。"},
    {ReplyKey::added_clip, "added_clip", "已添加{kind}“{name}”，{start}-{end}秒。"},
    {ReplyKey::canvas_matched, "canvas_matched", "画面比例已设为{aspect}以匹配它。"},
    {ReplyKey::aspect_set, "aspect_set", "画面比例已改为{aspect}（{width}x{height}）。"},
    {ReplyKey::aspect_unchanged, "aspect_unchanged", "画面比例已经是{aspect}。"},
    {ReplyKey::text_changed, "text_changed", "已把{what}改为“{text}”。"},
    {ReplyKey::text_placed, "text_placed", "已把{what}移到{position}。"},
    {ReplyKey::trimmed, "trimmed", "已把{what}剪到{duration}秒。"},
    {ReplyKey::removed, "removed", "已删除{what}。"},
    {ReplyKey::moved, "moved", "已把{what}移到{start}秒。"},
    {ReplyKey::reordered, "reordered", "已把{what}移到第{index}位。"},
    {ReplyKey::swapped, "swapped", "已交换{a}和{b}。"},
    {ReplyKey::volume_set, "volume_set", "已把{what}的音量设为{volume}%。"},
    {ReplyKey::muted, "muted", "已将{what}静音。"},
    {ReplyKey::no_audio, "no_audio", "还没有上传音频：请先上传 mp3、wav、m4a 或 aac 文件。"},
    {ReplyKey::no_image, "no_image", "还没有上传图片：请先上传 jpg、png、webp 或 gif 文件。"},
    {ReplyKey::no_visual, "no_visual",
     "还没有上传或生成的片段：请上传 mp4、mov、webm、jpg 或 png 文件，或者让我生成一个片段。"},
    {ReplyKey::no_media_named, "no_media_named", "没有名为“{name}”的{kind}。可用的素材：{names}。"},
    {ReplyKey::no_target, "no_target", "时间线上没有{what}。"},
    {ReplyKey::which_one, "which_one",
     "时间线上有{count}个{what}：请说明是哪一个，例如“第一个”或“最后一个”。"},
    {ReplyKey::need_target, "need_target",
     "请告诉我要修改什么：背景音乐、标题、文字或某个片段（例如“第二个片段”）。"},
    {ReplyKey::need_text, "need_text", "请用引号给出文字，例如：加一个标题“城市之梦”，前3秒。"},
    {ReplyKey::need_volume, "need_volume", "请告诉我音量百分比，例如：音乐音量调到50%。"},
    {ReplyKey::need_length, "need_length",
     "请告诉我新的时长，例如：把第一个片段剪到3秒，或剪掉前2秒。"},
    {ReplyKey::need_start, "need_start", "请告诉我移到哪里，例如：把标题移到5秒。"},
    {ReplyKey::need_two, "need_two", "请告诉我交换哪两个片段，例如：交换片段1和2。"},
    {ReplyKey::cannot_swap, "cannot_swap", "只能交换同一视频轨道上的片段。"},
    {ReplyKey::text_has_no_sound, "text_has_no_sound",
     "标题和文字没有声音：请调整背景音乐或视频片段的音量。"},
    {ReplyKey::too_long_for_source, "too_long_for_source",
     "{what}最长只能是{max}秒：素材本身没有更长。"},
    {ReplyKey::edit_rejected, "edit_rejected",
     "这个修改违反了时间线规则，时间线保持不变：{error}。"},
    {ReplyKey::need_prompt, "need_prompt",
     "请描述片段的内容，例如：生成一段5秒的视频，一只狐狸在雪林中奔跑。"},
    {ReplyKey::bad_seconds, "bad_seconds", "片段时长为{min}到{max}秒；你要求的是{seconds}秒。"},
    {ReplyKey::message_too_long, "message_too_long", "消息太长：最多{max}字节。"},
    {ReplyKey::generate_started, "generate_started",
     "正在生成{seconds}秒、{aspect}的片段：“{prompt}”。"},
    {ReplyKey::animate_started, "animate_started",
     "正在让图片“{name}”动起来，生成{seconds}秒、{aspect}的片段。"},
    {ReplyKey::generate_done, "generate_done", "片段“{name}”已生成并加到时间线。"},
    {ReplyKey::generate_failed, "generate_failed", "生成失败，积分已退回：{error}。"},
    {ReplyKey::no_model, "no_model",
     "生成视频需要模型，但本服务器还没有安装任何模型。我仍然可以用上传的素材编辑时间线、显示时间线"
     "、"
     "查询积分和导出视频。"},
    {ReplyKey::unknown_words, "unknown_words",
     "提示：内置模型{model}只认识简单的形状（球、方块、三角形、星星、圆环）、颜色和运动，背景为纯色"
     "或渐变，没有学过{words}。要生成其他场景，请安装 Wan 模型：`kino models pull "
     "wan2.1-t2v-1.3b`（图生视频用 wan2.2-ti2v-5b），然后重启 kino serve 或使用 --model。"},
    {ReplyKey::export_started, "export_started", "正在导出 MP4……"},
    {ReplyKey::export_ready, "export_ready", "视频已导出：{url}（{size} 字节，MP4）。"},
    {ReplyKey::export_failed, "export_failed", "导出失败：{error}。"},
    {ReplyKey::credits, "credits", "可用积分 {available}（冻结 {frozen}，共 {total}）。"},
    {ReplyKey::no_credits, "no_credits",
     "这需要 {needed} 积分，当前可用 {available}。管理员可以用 kino admin credits grant "
     "增加积分。"},
    {ReplyKey::undone, "undone", "已撤销上一步修改。"},
    {ReplyKey::nothing_to_undo, "nothing_to_undo", "还没有可以撤销的修改。"},
    {ReplyKey::label_clip, "label_clip", "第{n}个片段“{name}”"},
    {ReplyKey::label_music, "label_music", "背景音乐“{name}”"},
    {ReplyKey::label_title, "label_title", "标题“{text}”"},
    {ReplyKey::label_text, "label_text", "文字“{text}”"},
    {ReplyKey::label_all_music, "label_all_music", "背景音乐"},
    {ReplyKey::label_all_clips, "label_all_clips", "片段"},
    {ReplyKey::label_all_text, "label_all_text", "文字"},
    {ReplyKey::kind_video, "kind_video", "视频"},
    {ReplyKey::kind_image, "kind_image", "图片"},
    {ReplyKey::kind_audio, "kind_audio", "音频"},
    {ReplyKey::position_top, "position_top", "顶部"},
    {ReplyKey::position_center, "position_center", "中间"},
    {ReplyKey::position_bottom, "position_bottom", "底部"},
    {ReplyKey::noun_clip, "noun_clip", "片段"},
    {ReplyKey::noun_music, "noun_music", "背景音乐"},
    {ReplyKey::noun_title, "noun_title", "标题"},
    {ReplyKey::noun_text, "noun_text", "文字"},
    {ReplyKey::plural_clip, "plural_clip", "片段"},
    {ReplyKey::plural_music, "plural_music", "音乐片段"},
    {ReplyKey::plural_title, "plural_title", "标题"},
    {ReplyKey::plural_text, "plural_text", "文字"},
    {ReplyKey::noun_nth, "noun_nth", "第{n}个{noun}"},
    {ReplyKey::noun_last, "noun_last", "最后一个{noun}"},
};

const Template* find(std::span<const Template> table, ReplyKey key) {
  for (const auto& t : table)
    if (t.key == key) return &t;
  return nullptr;
}

std::span<const Template> table_of(Language language) {
  if (language == Language::zh) return kChinese;
  return kEnglish;
}

std::string shorten(std::string_view text, size_t max_points) {
  std::string out;
  size_t points = 0;
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80 && ++points > max_points) {
      out += "...";
      break;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : ch;
  }
  return out;
}

// The Chinese form of timeline::draft_summary: same tracks, order and numbers.
std::string summary_zh(const timeline::Draft& d) {
  using timeline::TrackType;
  std::string out = "时间线（" + std::to_string(d.tracks.size()) + " 条轨道）";
  if (d.tracks.empty()) return out;
  out += "：";
  int seen[8] = {};
  for (size_t i = 0; i < d.tracks.size(); ++i) {
    const auto& t = d.tracks[i];
    int& nth = seen[static_cast<int>(t.type) & 7];
    std::string kind = t.type == TrackType::video   ? "视频"
                       : t.type == TrackType::audio ? (nth == 0 ? "背景音乐" : "音频")
                                                    : (nth == 0 ? "标题" : "文字");
    ++nth;
    if (i) out += ' ';
    out += std::to_string(i + 1);
    out += ". ";
    out += kind;
    out += "：";
    if (t.segments.empty()) {
      out += "空";
      continue;
    }
    int64_t start = t.segments.front().start_ms, end = 0;
    std::set<int64_t> percents;
    for (size_t k = 0; k < t.segments.size(); ++k) {
      const auto& s = t.segments[k];
      start = std::min(start, s.start_ms);
      end = std::max(end, s.end_ms());
      percents.insert(std::llround(t.volume * s.volume * 100));
      if (k < 3) {
        if (k) out += "、";
        if (t.type == TrackType::text) {
          out += "“" + shorten(s.text, 40) + "”";
        } else {
          std::string label = s.name.empty() ? s.source : s.name;
          size_t slash = label.find_last_of("/\\");
          out += shorten(slash == std::string::npos ? label : label.substr(slash + 1), 40);
        }
      } else if (k == 3) {
        out += " 等" + std::to_string(t.segments.size()) + "个";
      }
    }
    out += "（" + timeline::summary_seconds(start) + "-" + timeline::summary_seconds(end) + "秒";
    if (t.type != TrackType::text) {
      if (t.muted) {
        out += "，静音";
      } else if (*percents.begin() != 100 || *percents.rbegin() != 100) {
        out += "，";
        out += std::to_string(*percents.begin());
        if (*percents.rbegin() != *percents.begin()) {
          out += '-';
          out += std::to_string(*percents.rbegin());
        }
        out += '%';
      }
    }
    out += "）";
  }
  return out;
}

}  // namespace

std::string_view reply_key_name(ReplyKey key) {
  const Template* t = find(kEnglish, key);
  return t ? t->name : "unknown";
}

std::optional<ReplyKey> reply_key_parse(std::string_view name) {
  for (const auto& t : kEnglish)
    if (t.name == name) return t.key;
  return std::nullopt;
}

std::string_view reply_template(Language language, ReplyKey key) {
  const Template* t = find(table_of(language), key);
  if (!t) t = find(kEnglish, key);
  return t ? t->text : std::string_view();
}

std::string reply_text(Language language, ReplyKey key, const ReplyArgs& args) {
  std::string_view tpl = reply_template(language, key);
  std::string out;
  size_t i = 0;
  while (i < tpl.size()) {
    size_t open = tpl.find('{', i);
    if (open == std::string_view::npos) {
      out += tpl.substr(i);
      break;
    }
    size_t close = tpl.find('}', open);
    if (close == std::string_view::npos) {
      out += tpl.substr(i);
      break;
    }
    out += tpl.substr(i, open - i);
    std::string_view name = tpl.substr(open + 1, close - open - 1);
    for (const auto& [k, v] : args)
      if (k == name) {
        out += v;
        break;
      }
    i = close + 1;
  }
  return out;
}

std::vector<ReplyKey> reply_keys() {
  std::vector<ReplyKey> keys;
  for (const auto& t : kEnglish) keys.push_back(t.key);
  return keys;
}

std::string reply_summary(Language language, const timeline::Draft& draft) {
  bool any = false;
  for (const auto& t : draft.tracks) any = any || !t.segments.empty();
  if (!any) return reply_text(language, ReplyKey::timeline_empty);
  return language == Language::zh ? summary_zh(draft) : timeline::draft_summary(draft);
}

std::string reply_seconds(int64_t ms) {
  return timeline::summary_seconds(ms);
}

std::string reply_percent(double gain) {
  return std::to_string(std::llround(gain * 100));
}

std::string unknown_words_note(Language language, const std::string& model,
                               const std::vector<std::string>& words) {
  const bool zh = language == Language::zh;
  std::string list;
  const size_t shown = std::min<size_t>(words.size(), 8);
  for (size_t i = 0; i < shown; ++i)
    list += (i ? (zh ? "、" : ", ") : "") + std::string(zh ? "“" : "\"") + words[i] +
            (zh ? "”" : "\"");
  if (words.size() > shown)
    list += zh ? "等" + std::to_string(words.size()) + "个词"
               : " and " + std::to_string(words.size() - shown) + " more";
  return reply_text(language, ReplyKey::unknown_words, {{"model", model}, {"words", list}});
}

}  // namespace kino::agent
