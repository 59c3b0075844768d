#include "agent/action.h"

#include <array>
#include <utility>

namespace kino::agent {

namespace {

constexpr std::array<std::pair<ActionKind, std::string_view>, 17> kActionNames{{
    {ActionKind::export_video, "export"},
    {ActionKind::credits, "credits"},
    {ActionKind::status, "status"},
    {ActionKind::upload_help, "upload_help"},
    {ActionKind::generate, "generate"},
    {ActionKind::add_clip, "add_clip"},
    {ActionKind::add_music, "add_music"},
    {ActionKind::add_text, "add_text"},
    {ActionKind::set_text, "set_text"},
    {ActionKind::set_aspect, "set_aspect"},
    {ActionKind::trim, "trim"},
    {ActionKind::remove, "remove"},
    {ActionKind::move, "move"},
    {ActionKind::swap, "swap"},
    {ActionKind::set_volume, "set_volume"},
    {ActionKind::undo, "undo"},
    {ActionKind::help, "help"},
}};

constexpr std::array<std::pair<TargetKind, std::string_view>, 5> kTargetNames{{
    {TargetKind::any, "any"},
    {TargetKind::clip, "clip"},
    {TargetKind::music, "music"},
    {TargetKind::title, "title"},
    {TargetKind::text, "text"},
}};

template <typename E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, n] : table)
    if (v == value) return n;
  return table[0].second;
}

template <typename E, size_t N>
std::optional<E> parse_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view s) {
  for (const auto& [v, n] : table)
    if (n == s) return v;
  return std::nullopt;
}

void put_media(Json& j, const MediaRef& m, std::string_view prefix) {
  if (!m.id.empty()) j[std::string(prefix) + "_id"] = m.id;
  if (!m.name.empty()) j[std::string(prefix) + "_name"] = m.name;
}

}  // namespace

std::string_view action_kind_name(ActionKind kind) {
  return name_of(kActionNames, kind);
}
std::optional<ActionKind> action_kind_parse(std::string_view name) {
  return parse_of(kActionNames, name);
}
std::string_view target_kind_name(TargetKind kind) {
  return name_of(kTargetNames, kind);
}
std::optional<TargetKind> target_kind_parse(std::string_view s) {
  return parse_of(kTargetNames, s);
}
std::string_view text_role_name(TextRole role) {
  return role == TextRole::title ? "title" : "caption";
}
std::optional<TextRole> text_role_parse(std::string_view s) {
  if (s == "title") return TextRole::title;
  if (s == "caption") return TextRole::caption;
  return std::nullopt;
}

Json Target::to_json() const {
  Json j{{"kind", target_kind_name(kind)}};
  if (ordinal > 0) j["ordinal"] = ordinal;
  if (ordinal < 0) j["ordinal"] = "last";
  if (!name.empty()) j["name"] = name;
  return j;
}

Json ExportParams::to_json() const {
  return Json::object();
}
Json CreditsParams::to_json() const {
  return Json::object();
}
Json StatusParams::to_json() const {
  return Json::object();
}
Json UploadHelpParams::to_json() const {
  return Json::object();
}
Json UndoParams::to_json() const {
  return Json::object();
}
Json HelpParams::to_json() const {
  return Json{{"asked", asked}};
}

Json GenerateParams::to_json() const {
  Json j{{"prompt", prompt}, {"seconds", seconds}, {"styles", styles}};
  if (!aspect.empty()) j["aspect"] = aspect;
  if (!resolution.empty()) j["resolution"] = resolution;
  if (seed) j["seed"] = *seed;
  if (animate) {
    j["animate"] = true;
    put_media(j, image, "image");
  }
  return j;
}

Json AddClipParams::to_json() const {
  Json j = Json::object();
  put_media(j, media, "media");
  if (media_kind) j["media_kind"] = media_kind_name(*media_kind);
  if (start_ms) j["start_ms"] = *start_ms;
  if (duration_ms) j["duration_ms"] = *duration_ms;
  return j;
}

Json AddMusicParams::to_json() const {
  Json j{{"volume", volume}};
  put_media(j, media, "media");
  return j;
}

Json AddTextParams::to_json() const {
  Json j{{"text", text}, {"role", text_role_name(role)}, {"start_ms", start_ms}};
  if (end_ms) j["end_ms"] = *end_ms;
  if (position) j["position"] = timeline::text_position_name(*position);
  if (from_end_ms) j["from_end_ms"] = from_end_ms;
  return j;
}

Json SetTextParams::to_json() const {
  Json j{{"target", target.to_json()}};
  if (text) j["text"] = *text;
  if (position) j["position"] = timeline::text_position_name(*position);
  return j;
}

Json SetAspectParams::to_json() const {
  return Json{{"aspect", aspect}};
}

Json TrimParams::to_json() const {
  Json j{{"target", target.to_json()}};
  if (duration_ms) j["duration_ms"] = *duration_ms;
  if (cut_start_ms) j["cut_start_ms"] = cut_start_ms;
  if (cut_end_ms) j["cut_end_ms"] = cut_end_ms;
  return j;
}

Json RemoveParams::to_json() const {
  return Json{{"target", target.to_json()}};
}

Json MoveParams::to_json() const {
  Json j{{"target", target.to_json()}};
  if (start_ms) j["start_ms"] = *start_ms;
  if (to_index) j["to_index"] = to_index;
  return j;
}

Json SwapParams::to_json() const {
  return Json{{"a", a.to_json()}, {"b", b.to_json()}};
}

Json SetVolumeParams::to_json() const {
  Json j{{"target", target.to_json()}};
  if (volume) j["volume"] = *volume;
  return j;
}

ActionKind Action::kind() const {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kind; }, params);
}

Json Action::to_json() const {
  return std::visit([](const auto& p) { return p.to_json(); }, params);
}

bool action_is_edit(ActionKind kind) {
  switch (kind) {
    case ActionKind::add_clip:
    case ActionKind::add_music:
    case ActionKind::add_text:
    case ActionKind::set_text:
    case ActionKind::set_aspect:
    case ActionKind::trim:
    case ActionKind::remove:
    case ActionKind::move:
    case ActionKind::swap:
    case ActionKind::set_volume: return true;
    default: return false;
  }
}

Json Plan::to_json() const {
  Json list = Json::array();
  for (const auto& a : actions) list.push_back(Json{{"name", a.name()}, {"args", a.to_json()}});
  return Json{{"language", language_name(language)}, {"actions", list}};
}

}  // namespace kino::agent
