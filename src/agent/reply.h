#pragma once
// Reply templates: one table per language, every sentence the agent says. Replies
// describe results and rules, never an interface to operate ("click", "drag").
// Placeholders are {name}; reply_text fills them from the arguments given.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/language.h"
#include "timeline/draft.h"

namespace kino::agent {

enum class ReplyKey {
  help,          // what the agent can do
  help_unknown,  // {message}: not understood, then help
  upload_help,
  timeline_empty,
  added_title,       // {text} {start} {end}
  added_caption,     // {text} {start} {end} {position}
  added_music,       // {name} {volume} {start} {end}
  added_clip,        // {kind} {name} {start} {end}
  canvas_matched,    // {aspect}: an empty draft took the first clip's aspect
  aspect_set,        // {aspect} {width} {height}
  aspect_unchanged,  // {aspect}
  text_changed,      // {what} {text}
  text_placed,       // {what} {position}
  trimmed,           // {what} {duration}
  removed,           // {what}
  moved,             // {what} {start}
  reordered,         // {what} {index}
  swapped,           // {a} {b}
  volume_set,        // {what} {volume}
  muted,             // {what}
  no_audio,
  no_image,
  no_visual,
  no_media_named,  // {kind} {name} {names}
  no_target,       // {what}: nothing like that on the timeline
  which_one,       // {what} {count}
  need_target,     // which part to act on
  need_text,
  need_volume,
  need_length,
  need_start,
  need_two,
  cannot_swap,
  text_has_no_sound,
  too_long_for_source,  // {what} {max}
  edit_rejected,        // {error}
  need_prompt,
  bad_seconds,       // {seconds} {min} {max}
  message_too_long,  // {max}
  generate_started,  // {seconds} {aspect} {prompt}
  animate_started,   // {seconds} {aspect} {name}
  generate_done,     // {name}
  generate_failed,   // {error}
  no_model,
  unknown_words,  // {model} {words}
  export_started,
  export_ready,   // {url} {size}
  export_failed,  // {error}
  credits,        // {available} {frozen} {total}
  no_credits,     // {needed} {available}
  undone,
  nothing_to_undo,
  label_clip,   // {n} {name}
  label_music,  // {name}
  label_title,  // {text}
  label_text,   // {text}
  label_all_music,
  label_all_clips,
  label_all_text,
  kind_video,
  kind_image,
  kind_audio,
  position_top,
  position_center,
  position_bottom,
  noun_clip,
  noun_music,
  noun_title,
  noun_text,
  plural_clip,
  plural_music,
  plural_title,
  plural_text,
  noun_nth,   // {noun} {n}
  noun_last,  // {noun}
};
std::string_view reply_key_name(ReplyKey key);  // "added_title", ...
std::optional<ReplyKey> reply_key_parse(std::string_view name);

using ReplyArgs = std::vector<std::pair<std::string_view, std::string>>;

// The template itself, and the template with {name} placeholders filled (a placeholder
// without an argument is left out).
std::string_view reply_template(Language language, ReplyKey key);
std::string reply_text(Language language, ReplyKey key, const ReplyArgs& args = {});

// The unknown_words note for a closed-vocabulary model: the first 8 words quoted, then how many
// more.
std::string unknown_words_note(Language language, const std::string& model,
                               const std::vector<std::string>& words);
// Every key, for tests that check both tables are complete.
std::vector<ReplyKey> reply_keys();

// The draft in one line: draft_summary's form in English, the same shape in Chinese
// ("时间线（3 条轨道）：1. 视频：city（0-10秒） ..."); the empty-timeline sentence when
// it has no segments.
std::string reply_summary(Language language, const timeline::Draft& draft);

// Seconds as replies write them: "3", "2.5".
std::string reply_seconds(int64_t ms);
std::string reply_percent(double gain);  // 0.35 -> "35"

}  // namespace kino::agent
