#pragma once
// A plan of actions: what one chat message asks for, as plain structs. Each action has
// a wire name (ADK functionCall name) and to_json() of its arguments.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/language.h"
#include "agent/media_item.h"
#include "core/json.h"
#include "timeline/draft.h"

namespace kino::agent {

// Wire names: "export", "credits", "status", "upload_help", "generate", "add_clip",
// "add_music", "add_text", "set_text", "set_aspect", "trim", "remove", "move", "swap",
// "set_volume", "undo", "help".
enum class ActionKind {
  export_video,
  credits,
  status,
  upload_help,
  generate,
  add_clip,
  add_music,
  add_text,
  set_text,
  set_aspect,
  trim,
  remove,
  move,
  swap,
  set_volume,
  undo,
  help,
};
std::string_view action_kind_name(ActionKind kind);
std::optional<ActionKind> action_kind_parse(std::string_view name);

// What part of the timeline an edit is about. clip: segments of video tracks; music:
// segments of audio tracks; title: text segments with role title; text: any text segment.
enum class TargetKind { any, clip, music, title, text };
std::string_view target_kind_name(TargetKind kind);  // "any", "clip", "music", "title", "text"
std::optional<TargetKind> target_kind_parse(std::string_view s);

enum class TextRole { title, caption };
std::string_view text_role_name(TextRole role);  // "title", "caption"
std::optional<TextRole> text_role_parse(std::string_view s);

struct Target {
  TargetKind kind = TargetKind::any;
  int ordinal = 0;   // 1-based position in time order; -1 = the last; 0 = not given
  std::string name;  // a segment name, media name or text the user named; empty = none
  Json to_json() const;
  friend bool operator==(const Target&, const Target&) = default;
};

// A library item the action uses: `id` when resolved; `name` as the user wrote it.
// Both empty: the most recent item of the kind the action needs.
struct MediaRef {
  std::string id;
  std::string name;
  friend bool operator==(const MediaRef&, const MediaRef&) = default;
};

struct ExportParams {
  static constexpr ActionKind kind = ActionKind::export_video;
  Json to_json() const;
};
struct CreditsParams {
  static constexpr ActionKind kind = ActionKind::credits;
  Json to_json() const;
};
struct StatusParams {
  static constexpr ActionKind kind = ActionKind::status;
  Json to_json() const;
};
struct UploadHelpParams {
  static constexpr ActionKind kind = ActionKind::upload_help;
  Json to_json() const;
};
struct GenerateParams {
  static constexpr ActionKind kind = ActionKind::generate;
  std::string prompt;  // the message minus control phrases; style words kept
  int64_t seconds = 5;
  std::string aspect;               // "16:9", "9:16", "1:1", "4:5"; empty = the draft's
  std::string resolution;           // "480p", "720p", "1080p"; empty = the server's default
  std::vector<std::string> styles;  // canonical English style names found in the message
  std::optional<int64_t> seed;
  bool animate = false;  // image-to-video from `image`
  MediaRef image;
  Json to_json() const;
};
struct AddClipParams {
  static constexpr ActionKind kind = ActionKind::add_clip;
  MediaRef media;
  std::optional<MediaKind> media_kind;  // what to look for when `media` is empty
  std::optional<int64_t> start_ms;      // absent: after the last clip
  std::optional<int64_t> duration_ms;   // absent: the media's length (images: 3 s)
  Json to_json() const;
};
struct AddMusicParams {
  static constexpr ActionKind kind = ActionKind::add_music;
  MediaRef media;
  double volume = 0.35;  // linear gain; background music defaults to 35%
  Json to_json() const;
};
struct AddTextParams {
  static constexpr ActionKind kind = ActionKind::add_text;
  std::string text;
  TextRole role = TextRole::title;
  std::optional<timeline::TextPosition> position;  // absent: title center, caption bottom
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;  // absent: title 3 s; caption to the end of the video
  int64_t from_end_ms = 0;        // > 0: covers the video's last this many ms instead
  Json to_json() const;
};
struct SetTextParams {
  static constexpr ActionKind kind = ActionKind::set_text;
  Target target;                                   // a title or text segment
  std::optional<std::string> text;                 // new text
  std::optional<timeline::TextPosition> position;  // new place on the picture
  Json to_json() const;
};
struct SetAspectParams {
  static constexpr ActionKind kind = ActionKind::set_aspect;
  std::string aspect;  // a timeline canvas preset: "16:9", "9:16", "1:1", "4:5"
  Json to_json() const;
};
struct TrimParams {
  static constexpr ActionKind kind = ActionKind::trim;
  Target target;
  std::optional<int64_t> duration_ms;  // the new length ("trim the first clip to 3 s")
  int64_t cut_start_ms = 0;            // cut from the beginning ("cut the first 2 seconds")
  int64_t cut_end_ms = 0;              // cut from the end ("cut the last 2 seconds")
  Json to_json() const;
};
struct RemoveParams {
  static constexpr ActionKind kind = ActionKind::remove;
  Target target;
  Json to_json() const;
};
struct MoveParams {
  static constexpr ActionKind kind = ActionKind::move;
  Target target;
  std::optional<int64_t> start_ms;  // new start on the timeline
  int to_index = 0;                 // new 1-based place among its track's segments; 0 = none
  Json to_json() const;
};
struct SwapParams {
  static constexpr ActionKind kind = ActionKind::swap;
  Target a, b;
  Json to_json() const;
};
struct SetVolumeParams {
  static constexpr ActionKind kind = ActionKind::set_volume;
  Target target;
  std::optional<double> volume;  // linear gain; 0 mutes; absent when the message gave none
  Json to_json() const;
};
struct UndoParams {
  static constexpr ActionKind kind = ActionKind::undo;
  Json to_json() const;
};
struct HelpParams {
  static constexpr ActionKind kind = ActionKind::help;
  bool asked = false;  // the user asked what the agent can do (else: nothing matched)
  Json to_json() const;
};

using ActionParams = std::variant<ExportParams, CreditsParams, StatusParams, UploadHelpParams,
                                  GenerateParams, AddClipParams, AddMusicParams, AddTextParams,
                                  SetTextParams, SetAspectParams, TrimParams, RemoveParams,
                                  MoveParams, SwapParams, SetVolumeParams, UndoParams, HelpParams>;

struct Action {
  ActionParams params;
  ActionKind kind() const;
  std::string_view name() const { return action_kind_name(kind()); }
  Json to_json() const;  // the arguments only (ADK functionCall.args)
};

// Edits change the draft and are applied by apply_edit; the other actions need the
// service (export, credits, generate, undo) or only a reply (status, upload_help, help).
bool action_is_edit(ActionKind kind);

struct Plan {
  Language language = Language::en;
  std::vector<Action> actions;  // at least one; help when nothing matched
  // {"language": "en", "actions": [{"name": ..., "args": {...}}, ...]}
  Json to_json() const;
};

}  // namespace kino::agent
