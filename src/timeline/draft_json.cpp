#include "timeline/draft_json.h"

#include <climits>
#include <cstdlib>
#include <initializer_list>

#include "core/error.h"

namespace kino::timeline {

namespace {

using Keys = std::initializer_list<std::string_view>;

// Nesting limit for `m` objects built in memory (text is limited by json_parse already):
// a draft itself nests 6 levels; the rest is room for `m`.
constexpr int kMaxDepth = kJsonMaxDepth;

// True when `j` nests no deeper than `levels` (recursion bounded by `levels`).
bool depth_within(const Json& j, int levels) {
  if (!j.is_structured()) return true;
  if (levels == 0) return false;
  for (const auto& item : j)
    if (!depth_within(item, levels - 1)) return false;
  return true;
}

// The root's path is "" so that its fields read "canvas.w", "t[0]"; messages about the
// root object itself say "draft".
std::string display(std::string_view path) {
  return path.empty() ? "draft" : std::string(path);
}

void require_object(const Json& j, std::string_view path) {
  if (!j.is_object()) fail_bad_request(display(path) + " must be an object, got " + json_brief(j));
}

void require_known_keys(const Json& j, std::string_view path, Keys keys) {
  for (const auto& item : j.items()) {
    bool known = false;
    for (std::string_view k : keys) known = known || item.key() == k;
    if (!known) fail_bad_request(json_path(path, item.key()) + " is not a known key");
  }
}

const Json* member(const Json& j, std::string_view key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

int to_int(int64_t v, std::string_view path) {
  if (v < INT_MIN || v > INT_MAX)
    fail_bad_request(std::string(path) + " must be a 32-bit integer, got " + std::to_string(v));
  return int(v);
}

// Every value of a contiguous enum, for "must be one of ..." messages.
template <typename E>
std::string names_of(int count, std::string_view (*name)(E)) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i) out += ", ";
    out += name(static_cast<E>(i));
  }
  return out;
}

template <typename E>
E read_enum(const Json& obj, std::string_view key, std::string_view path, E fallback,
            std::optional<E> (*parse)(std::string_view), std::string_view (*name)(E), int count) {
  const Json* v = member(obj, key);
  if (!v) return fallback;
  std::string p = json_path(path, key);
  if (v->is_string()) {
    if (auto e = parse(v->get<std::string>())) return *e;
  }
  fail_bad_request(p + " must be one of " + names_of(count, name) + ", got " + json_brief(*v));
}

Color read_color(const Json& obj, std::string_view key, std::string_view path, Color fallback) {
  const Json* v = member(obj, key);
  if (!v) return fallback;
  if (v->is_string()) {
    if (auto c = color_parse(v->get<std::string>())) return *c;
  }
  fail_bad_request(json_path(path, key) +
                   " must be a colour (#rgb, #rrggbb, #rrggbbaa or a CSS name like \"white\"), "
                   "got " +
                   json_brief(*v));
}

// `m`: any object; its `name`, when present, is the human label.
void read_meta(const Json& obj, std::string_view path, Json& meta, std::string* name) {
  const Json* m = member(obj, "m");
  if (!m) return;
  std::string p = json_path(path, "m");
  require_object(*m, p);
  if (!depth_within(*m, kMaxDepth))
    fail_bad_request(p + " must nest at most " + std::to_string(kMaxDepth) +
                     " levels deep, got deeper");
  meta = *m;
  if (name) *name = json_string(*m, "name", p, "");
}

Json write_meta(const Json& meta, const std::string* name) {
  Json m = meta.is_object() ? meta : Json::object();
  if (name) {
    if (name->empty())
      m.erase("name");
    else
      m["name"] = *name;
  }
  return m;
}

Rational read_fps(const Json& canvas, std::string_view path) {
  const Json* v = member(canvas, "fps");
  if (!v) return Canvas{}.fps;
  std::string p = json_path(path, "fps");
  if (v->is_number_integer()) return Rational{v->get<int64_t>(), 1};
  Rational r;
  std::string text = v->is_string() ? v->get<std::string>() : v->is_number() ? v->dump() : "";
  // Decimal spellings are range-checked first: rational_parse scales them by 1000.
  bool decimal = !text.empty() && text.find('/') == std::string::npos;
  double approx = decimal ? std::strtod(text.c_str(), nullptr) : 0;
  if (!text.empty() && (!decimal || (approx > 0 && approx <= 1e6))) r = rational_parse(text);
  if (!r.valid())
    fail_bad_request(p + " must be a positive rate like 30, 29.97 or \"30000/1001\", got " +
                     json_brief(*v));
  return r;
}

void read_aspect(const Json& obj, std::string_view key, std::string_view path, Canvas& canvas) {
  const Json* v = member(obj, key);
  if (!v) return;
  std::string p = json_path(path, key);
  std::optional<CanvasSize> size;
  if (v->is_string()) size = canvas_preset(v->get<std::string>());
  if (!size)
    fail_bad_request(p + " must be one of " + canvas_preset_names() + ", got " + json_brief(*v));
  canvas.width = size->width;
  canvas.height = size->height;
}

Canvas read_canvas(const Json& root) {
  Canvas canvas;
  const Json* c = member(root, "canvas");
  const Json* top_aspect = member(root, "aspect");
  if (c) {
    require_object(*c, "canvas");
    require_known_keys(*c, "canvas", {"w", "h", "fps", "bg", "aspect"});
    bool has_size = member(*c, "w") || member(*c, "h");
    if ((member(*c, "aspect") || top_aspect) && has_size)
      fail_bad_request(std::string(top_aspect ? "aspect" : "canvas.aspect") +
                       " cannot be combined with canvas.w/canvas.h, got " +
                       json_brief(top_aspect ? *top_aspect : (*c)["aspect"]));
    if (member(*c, "aspect") && top_aspect)
      fail_bad_request("aspect cannot be combined with canvas.aspect, got " +
                       json_brief(*top_aspect));
    canvas.width = to_int(json_int(*c, "w", "canvas", canvas.width), "canvas.w");
    canvas.height = to_int(json_int(*c, "h", "canvas", canvas.height), "canvas.h");
    read_aspect(*c, "aspect", "canvas", canvas);
    canvas.fps = read_fps(*c, "canvas");
    canvas.background = read_color(*c, "bg", "canvas", canvas.background);
  }
  read_aspect(root, "aspect", "", canvas);
  return canvas;
}

TextStyle read_style(const Json& seg, std::string_view seg_path) {
  TextStyle s;
  const Json* st = member(seg, "style");
  if (!st) return s;
  std::string p = json_path(seg_path, "style");
  require_object(*st, p);
  require_known_keys(
      *st, p,
      {"font", "size", "bold", "color", "outline", "outline_color", "shadow", "shadow_color", "box",
       "box_padding", "align", "position", "x", "y", "max_width"});
  s.font = json_string(*st, "font", p, s.font);
  s.size = json_number(*st, "size", p, s.size);
  s.bold = json_bool(*st, "bold", p, s.bold);
  s.color = read_color(*st, "color", p, s.color);
  s.outline = json_number(*st, "outline", p, s.outline);
  s.outline_color = read_color(*st, "outline_color", p, s.outline_color);
  s.shadow = json_bool(*st, "shadow", p, s.shadow);
  s.shadow_color = read_color(*st, "shadow_color", p, s.shadow_color);
  if (member(*st, "box")) s.box = read_color(*st, "box", p, Color{});
  s.box_padding = json_number(*st, "box_padding", p, s.box_padding);
  s.align = read_enum(*st, "align", p, s.align, text_align_parse, text_align_name, 3);
  s.position =
      read_enum(*st, "position", p, s.position, text_position_parse, text_position_name, 4);
  s.x = json_number(*st, "x", p, s.x);
  s.y = json_number(*st, "y", p, s.y);
  s.max_width = json_number(*st, "max_width", p, s.max_width);
  return s;
}

Segment read_segment(const Json& j, std::string_view p) {
  require_object(j, p);
  require_known_keys(
      j, p,
      {"id", "start", "d", "in", "src", "m", "volume", "fade_in", "fade_out", "loop", "fit", "x",
       "y", "scale", "opacity", "motion", "transition", "text", "style"});
  Segment s;
  s.id = json_string(j, "id", p, "");
  s.start_ms = json_int(j, "start", p, 0);
  s.duration_ms = json_require_int(j, "d", p);
  s.in_ms = json_int(j, "in", p, 0);
  s.source = json_string(j, "src", p, "");
  read_meta(j, p, s.meta, &s.name);
  s.volume = json_number(j, "volume", p, s.volume);
  s.fade_in_ms = json_int(j, "fade_in", p, 0);
  s.fade_out_ms = json_int(j, "fade_out", p, 0);
  s.loop = json_bool(j, "loop", p, false);
  s.fit = read_enum(j, "fit", p, s.fit, fit_mode_parse, fit_mode_name, 4);
  s.transform.x = json_number(j, "x", p, s.transform.x);
  s.transform.y = json_number(j, "y", p, s.transform.y);
  s.transform.scale = json_number(j, "scale", p, s.transform.scale);
  s.transform.opacity = json_number(j, "opacity", p, s.transform.opacity);
  if (const Json* m = member(j, "motion")) {
    std::string mp = json_path(p, "motion");
    require_object(*m, mp);
    require_known_keys(*m, mp, {"type", "strength"});
    s.motion.kind =
        read_enum(*m, "type", mp, s.motion.kind, motion_kind_parse, motion_kind_name, 7);
    s.motion.strength = json_number(*m, "strength", mp, s.motion.strength);
  }
  if (const Json* t = member(j, "transition")) {
    std::string tp = json_path(p, "transition");
    require_object(*t, tp);
    require_known_keys(*t, tp, {"type", "d"});
    s.transition.kind = read_enum(*t, "type", tp, s.transition.kind, transition_kind_parse,
                                  transition_kind_name, 3);
    s.transition.duration_ms = json_int(*t, "d", tp, 0);
  }
  s.text = json_string(j, "text", p, "");
  s.style = read_style(j, p);
  return s;
}

Track read_track(const Json& j, std::string_view p) {
  require_object(j, p);
  require_known_keys(j, p, {"id", "tt", "m", "muted", "volume", "sg"});
  Track t;
  t.id = json_string(j, "id", p, "");
  int64_t tt = json_require_int(j, "tt", p);
  auto type = track_type_from_wire(tt);
  if (!type)
    fail_bad_request(json_path(p, "tt") + " must be 0 (video), 1 (audio) or 7 (text), got " +
                     std::to_string(tt));
  t.type = *type;
  read_meta(j, p, t.meta, &t.name);
  t.muted = json_bool(j, "muted", p, false);
  t.volume = json_number(j, "volume", p, t.volume);
  if (const Json* sg = member(j, "sg")) {
    std::string sp = json_path(p, "sg");
    if (!sg->is_array()) fail_bad_request(sp + " must be an array, got " + json_brief(*sg));
    t.segments.reserve(sg->size());
    for (size_t i = 0; i < sg->size(); ++i)
      t.segments.push_back(read_segment((*sg)[i], json_path(sp, i)));
  }
  return t;
}

void put_if(Json& j, std::string_view key, double v, double fallback) {
  if (v != fallback) j[key] = v;
}
void put_if(Json& j, std::string_view key, int64_t v, int64_t fallback) {
  if (v != fallback) j[key] = v;
}
void put_if(Json& j, std::string_view key, bool v, bool fallback) {
  if (v != fallback) j[key] = v;
}
void put_if(Json& j, std::string_view key, const std::string& v, std::string_view fallback) {
  if (v != fallback) j[key] = v;
}
void put_if(Json& j, std::string_view key, const Color& v, const Color& fallback) {
  if (v != fallback) j[key] = color_format(v);
}

Json write_style(const TextStyle& s) {
  const TextStyle d;
  Json j = Json::object();
  put_if(j, "font", s.font, d.font);
  put_if(j, "size", s.size, d.size);
  put_if(j, "bold", s.bold, d.bold);
  put_if(j, "color", s.color, d.color);
  put_if(j, "outline", s.outline, d.outline);
  put_if(j, "outline_color", s.outline_color, d.outline_color);
  put_if(j, "shadow", s.shadow, d.shadow);
  put_if(j, "shadow_color", s.shadow_color, d.shadow_color);
  if (s.box) j["box"] = color_format(*s.box);
  put_if(j, "box_padding", s.box_padding, d.box_padding);
  if (s.align != d.align) j["align"] = text_align_name(s.align);
  if (s.position != d.position) j["position"] = text_position_name(s.position);
  put_if(j, "x", s.x, d.x);
  put_if(j, "y", s.y, d.y);
  put_if(j, "max_width", s.max_width, d.max_width);
  return j;
}

Json write_segment(const Segment& s) {
  const Segment d;
  Json j = Json::object();
  put_if(j, "id", s.id, "");
  j["start"] = s.start_ms;
  j["d"] = s.duration_ms;
  put_if(j, "in", s.in_ms, d.in_ms);
  put_if(j, "src", s.source, "");
  Json m = write_meta(s.meta, &s.name);
  if (!m.empty()) j["m"] = std::move(m);
  put_if(j, "volume", s.volume, d.volume);
  put_if(j, "fade_in", s.fade_in_ms, d.fade_in_ms);
  put_if(j, "fade_out", s.fade_out_ms, d.fade_out_ms);
  put_if(j, "loop", s.loop, d.loop);
  if (s.fit != d.fit) j["fit"] = fit_mode_name(s.fit);
  put_if(j, "x", s.transform.x, d.transform.x);
  put_if(j, "y", s.transform.y, d.transform.y);
  put_if(j, "scale", s.transform.scale, d.transform.scale);
  put_if(j, "opacity", s.transform.opacity, d.transform.opacity);
  if (s.motion != d.motion) {
    j["motion"] = {{"type", motion_kind_name(s.motion.kind)}, {"strength", s.motion.strength}};
  }
  if (s.transition != d.transition) {
    j["transition"] = {{"type", transition_kind_name(s.transition.kind)},
                       {"d", s.transition.duration_ms}};
  }
  put_if(j, "text", s.text, "");
  Json style = write_style(s.style);
  if (!style.empty()) j["style"] = std::move(style);
  return j;
}

Json write_track(const Track& t) {
  Json j = Json::object();
  put_if(j, "id", t.id, "");
  j["tt"] = track_type_wire(t.type);
  Json m = write_meta(t.meta, &t.name);
  if (!m.empty()) j["m"] = std::move(m);
  put_if(j, "muted", t.muted, false);
  put_if(j, "volume", t.volume, 1.0);
  Json sg = Json::array();
  for (const auto& s : t.segments) sg.push_back(write_segment(s));
  j["sg"] = std::move(sg);
  return j;
}

}  // namespace

Draft draft_from_json(const Json& json) {
  require_object(json, "");
  require_known_keys(json, "", {"v", "canvas", "aspect", "d", "t", "m"});
  Draft d;
  int64_t v = json_int(json, "v", "", 1);
  if (v != 1) fail_bad_request("v must be 1 (the only draft version), got " + std::to_string(v));
  d.version = 1;
  d.canvas = read_canvas(json);
  d.duration_ms = json_int(json, "d", "", 0);
  if (const Json* t = member(json, "t")) {
    if (!t->is_array()) fail_bad_request("t must be an array, got " + json_brief(*t));
    d.tracks.reserve(t->size());
    for (size_t i = 0; i < t->size(); ++i)
      d.tracks.push_back(read_track((*t)[i], json_path("t", i)));
  }
  read_meta(json, "", d.meta, nullptr);
  return d;
}

Draft draft_parse(std::string_view text) {
  return draft_from_json(json_parse(text, "draft"));
}

Json draft_to_json(const Draft& draft) {
  Json j = Json::object();
  j["v"] = draft.version;
  Json canvas = {{"w", draft.canvas.width}, {"h", draft.canvas.height}};
  Rational fps = draft.canvas.fps;
  if (fps.valid()) fps = fps.reduced();
  if (fps.den == 1)
    canvas["fps"] = fps.num;
  else
    canvas["fps"] = fps.str();
  put_if(canvas, "bg", draft.canvas.background, Canvas{}.background);
  j["canvas"] = std::move(canvas);
  put_if(j, "d", draft.duration_ms, int64_t{0});
  Json tracks = Json::array();
  for (const auto& t : draft.tracks) tracks.push_back(write_track(t));
  j["t"] = std::move(tracks);
  Json m = write_meta(draft.meta, nullptr);
  if (!m.empty()) j["m"] = std::move(m);
  return j;
}

}  // namespace kino::timeline
