#include "agent/editor.h"

#include <algorithm>
#include <cmath>

#include "agent/reply.h"
#include "core/error.h"
#include "timeline/edit.h"

namespace kino::agent {

using timeline::Draft;
using timeline::Segment;
using timeline::TextPosition;
using timeline::Track;
using timeline::TrackType;

std::string_view change_kind_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::added: return "added";
    case ChangeKind::removed: return "removed";
    case ChangeKind::modified: return "modified";
    case ChangeKind::canvas: return "canvas";
  }
  return "modified";
}

std::optional<ChangeKind> change_kind_parse(std::string_view s) {
  for (ChangeKind k :
       {ChangeKind::added, ChangeKind::removed, ChangeKind::modified, ChangeKind::canvas})
    if (change_kind_name(k) == s) return k;
  return std::nullopt;
}

Json Change::to_json() const {
  return Json{{"kind", change_kind_name(kind)}, {"id", id}};
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

// One segment of the timeline as the agent names it.
struct Selected {
  std::string id;
  size_t track = 0;
  TargetKind kind = TargetKind::clip;
  int n = 0;  // 1-based place among the segments of its kind, in time order
};

bool is_title(const Segment& s) {
  if (!s.meta.is_object()) return false;
  auto role = s.meta.find("role");  // set by add_text; a client's draft may hold anything
  return role != s.meta.end() && role->is_string() && role->get<std::string>() == "title";
}

// The segments of a kind in time order (ties: lower track first).
std::vector<Selected> segments_of(const Draft& d, TargetKind kind) {
  bool any_title_role = false;
  for (const auto& t : d.tracks)
    for (const auto& s : t.segments) any_title_role = any_title_role || is_title(s);
  struct Item {
    Selected sel;
    int64_t start;
  };
  std::vector<Item> items;
  for (size_t ti = 0; ti < d.tracks.size(); ++ti) {
    const Track& t = d.tracks[ti];
    for (const auto& s : t.segments) {
      TargetKind k = TargetKind::clip;
      if (t.type == TrackType::audio) k = TargetKind::music;
      if (t.type == TrackType::text)
        k = is_title(s) || !any_title_role ? TargetKind::title : TargetKind::text;
      bool match = kind == TargetKind::any || k == kind ||
                   (kind == TargetKind::text && t.type == TrackType::text);
      if (match) items.push_back({{s.id, ti, k, 0}, s.start_ms});
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.start != b.start ? a.start < b.start : a.sel.track < b.sel.track;
  });
  std::vector<Selected> out;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].sel.n = int(i + 1);
    out.push_back(items[i].sel);
  }
  return out;
}

bool name_matches(const Segment& s, std::string_view name) {
  std::string n = lower(name);
  if (n.empty()) return false;
  if (!s.text.empty()) return s.text == name || lower(s.text).find(n) != std::string::npos;
  std::string seg = lower(s.name.empty() ? s.source : s.name);
  return seg == n || lower(media_stem(seg)) == lower(media_stem(n)) ||
         seg.find(n) != std::string::npos;
}

ReplyKey noun_key(TargetKind k) {
  switch (k) {
    case TargetKind::music: return ReplyKey::noun_music;
    case TargetKind::title: return ReplyKey::noun_title;
    case TargetKind::text: return ReplyKey::noun_text;
    default: return ReplyKey::noun_clip;
  }
}

ReplyKey plural_key(TargetKind k) {
  switch (k) {
    case TargetKind::music: return ReplyKey::plural_music;
    case TargetKind::title: return ReplyKey::plural_title;
    case TargetKind::text: return ReplyKey::plural_text;
    default: return ReplyKey::plural_clip;
  }
}

class Editor {
 public:
  Editor(const Draft& draft, const Action& action, std::span<const MediaItem> library,
         Language language, const EditDefaults& defaults)
      : lib_(library), lang_(language), def_(defaults) {
    res_.draft = draft;
    res_.action = action;
    d_ = draft;
    timeline::assign_missing_ids(d_);  // drafts from clients may come without ids
  }

  EditResult run() {
    try {
      std::visit([this](auto& p) { apply(p); }, res_.action.params);
    } catch (const Refusal& r) {
      return failed(r.key, r.args);
    } catch (const Error& e) {
      std::string msg = e.what();
      while (!msg.empty() && msg.back() == '.') msg.pop_back();
      return failed(ReplyKey::edit_rejected, {{"error", msg}});
    }
    res_.draft = std::move(d_);
    return std::move(res_);
  }

 private:
  // ---- outcome ----
  void done(ReplyKey key, const ReplyArgs& args) {
    res_.ok = true;
    append(reply_text(lang_, key, args));
  }
  void append(const std::string& sentence) {
    if (!res_.reply.empty()) res_.reply += lang_ == Language::zh ? "" : " ";
    res_.reply += sentence;
  }
  EditResult failed(ReplyKey key, const ReplyArgs& args = {}) {
    EditResult r;
    r.ok = false;
    r.draft = res_.draft;
    r.action = res_.action;
    r.reply = reply_text(lang_, key, args);
    return r;
  }
  // Fails the edit from inside apply(): the message travels as a reply, not an error.
  struct Refusal {
    ReplyKey key;
    ReplyArgs args;
  };
  [[noreturn]] void refuse(ReplyKey key, ReplyArgs args = {}) {
    throw Refusal{key, std::move(args)};
  }

 private:
  std::string say(ReplyKey key, const ReplyArgs& args = {}) const {
    return reply_text(lang_, key, args);
  }
  std::string secs(int64_t ms) const { return reply_seconds(ms); }

  // ---- media ----
  const MediaItem* pick_media(MediaRef& ref, std::initializer_list<MediaKind> kinds,
                              ReplyKey none_key) {
    auto wanted = [&](const MediaItem& m) {
      return std::find(kinds.begin(), kinds.end(), m.kind) != kinds.end();
    };
    const MediaItem* item = nullptr;
    if (!ref.id.empty()) {
      item = media_by_id(lib_, ref.id);
      if (item && !wanted(*item)) item = nullptr;
    }
    if (!item && !ref.name.empty()) {
      for (MediaKind k : kinds)
        if (!item) item = media_named(lib_, ref.name, k);
      if (!item) {
        std::string names;
        for (const auto& m : lib_)
          if (wanted(m)) names += (names.empty() ? "" : ", ") + m.name;
        if (names.empty()) refuse(none_key);
        ReplyKey kind_key = *kinds.begin() == MediaKind::audio   ? ReplyKey::kind_audio
                            : *kinds.begin() == MediaKind::image ? ReplyKey::kind_image
                                                                 : ReplyKey::kind_video;
        refuse(ReplyKey::no_media_named,
               {{"kind", say(kind_key)}, {"name", ref.name}, {"names", names}});
      }
    }
    if (!item && ref.id.empty() && ref.name.empty()) {
      for (auto it = lib_.rbegin(); it != lib_.rend() && !item; ++it)
        if (wanted(*it)) item = &*it;
    }
    if (!item) refuse(none_key);
    ref.id = item->id;
    ref.name = item->name;
    return item;
  }

  // ---- targets ----
  std::string label(const Selected& s) const {
    const Segment& seg = timeline::find_segment(d_, s.id);
    std::string name = seg.name.empty() ? std::string(media_stem(seg.source)) : seg.name;
    switch (s.kind) {
      case TargetKind::music: return say(ReplyKey::label_music, {{"name", name}});
      case TargetKind::title: return say(ReplyKey::label_title, {{"text", seg.text}});
      case TargetKind::text: return say(ReplyKey::label_text, {{"text", seg.text}});
      default: return say(ReplyKey::label_clip, {{"n", std::to_string(s.n)}, {"name", name}});
    }
  }

  std::string labels(const std::vector<Selected>& items) const {
    std::string out;
    for (const auto& s : items)
      out += (out.empty() ? "" : lang_ == Language::zh ? "、" : ", ") + label(s);
    return out;
  }

  std::string target_words(const Target& t) const {
    std::string noun = say(noun_key(t.kind));
    if (t.ordinal > 0)
      return say(ReplyKey::noun_nth, {{"noun", noun}, {"n", std::to_string(t.ordinal)}});
    if (t.ordinal < 0) return say(ReplyKey::noun_last, {{"noun", noun}});
    if (!t.name.empty())
      return noun + (lang_ == Language::zh ? "“" + t.name + "”" : " \"" + t.name + "\"");
    return noun;
  }

  enum class Many { all, ask, last };

  // The segments a target names: by name, by ordinal, else by `many`.
  std::vector<Selected> select(Target t, Many many) {
    if (t.kind == TargetKind::any && t.name.empty()) refuse(ReplyKey::need_target);
    std::vector<Selected> all = segments_of(d_, t.kind);
    if (!t.name.empty()) {
      std::vector<Selected> named;
      for (const auto& s : all)
        if (name_matches(timeline::find_segment(d_, s.id), t.name)) named.push_back(s);
      if (t.kind == TargetKind::any && !named.empty()) t.kind = named.front().kind;
      all = std::move(named);
    }
    if (t.kind == TargetKind::text && t.name.empty()) {
      // Captions and other text first; the title only when there is nothing else.
      std::vector<Selected> plain;
      for (const auto& s : all)
        if (s.kind == TargetKind::text) plain.push_back(s);
      if (!plain.empty()) all = std::move(plain);
    }
    if (all.empty()) refuse(ReplyKey::no_target, {{"what", target_words(t)}});
    if (t.ordinal > 0) {
      if (size_t(t.ordinal) > all.size()) refuse(ReplyKey::no_target, {{"what", target_words(t)}});
      return {all[size_t(t.ordinal - 1)]};
    }
    if (t.ordinal < 0 || all.size() == 1) return {all.back()};
    if (!t.name.empty() || many == Many::all) return all;
    if (many == Many::last) return {all.back()};
    refuse(ReplyKey::which_one,
           {{"count", std::to_string(all.size())}, {"what", say(plural_key(t.kind))}});
  }

  Selected select_one(const Target& t, Many many) { return select(t, many).front(); }

  int64_t video_end() const {
    int64_t end = 0;
    for (const auto& t : d_.tracks)
      if (t.type == TrackType::video)
        for (const auto& s : t.segments) end = std::max(end, s.end_ms());
    return end;
  }

  std::string track_with(TrackType type, int64_t start, int64_t end, std::string_view name) {
    for (const auto& t : d_.tracks) {
      if (t.type != type) continue;
      bool free = std::none_of(t.segments.begin(), t.segments.end(), [&](const Segment& s) {
        return s.start_ms < end && start < s.end_ms();
      });
      if (free) return t.id;
    }
    std::string id = timeline::add_track(d_, type, name, def_.limits);
    res_.changes.push_back({ChangeKind::added, id});
    return id;
  }

  // Lays a track's segments out one after another in `order`, from its first start.
  void relayout(size_t track, const std::vector<std::string>& order) {
    Track& t = d_.tracks[track];
    int64_t start = t.segments.empty() ? 0 : t.segments.front().start_ms;
    std::vector<Segment> segs;
    for (const auto& id : order) segs.push_back(timeline::find_segment(d_, id));
    Draft next = d_;
    next.tracks[track].segments.clear();
    bool first = true;
    for (auto& s : segs) {
      timeline::add_segment(next, t.id, s, first ? std::optional<int64_t>(start) : std::nullopt,
                            def_.limits);
      first = false;
      res_.changes.push_back({ChangeKind::modified, s.id});
    }
    d_ = std::move(next);
  }

  // Shifts the segments after `end_before` on a video track by `delta` ms, keeping order.
  void ripple(size_t track, const std::string& edited, int64_t end_before, int64_t delta) {
    if (delta == 0) return;
    std::vector<std::pair<int64_t, std::string>> later;
    for (const auto& s : d_.tracks[track].segments)
      if (s.id != edited && s.start_ms >= end_before - s.transition.duration_ms)
        later.push_back({s.start_ms, s.id});
    std::sort(later.begin(), later.end());
    if (delta > 0) std::reverse(later.begin(), later.end());
    for (const auto& [start, id] : later) {
      timeline::move_segment(d_, id, std::max<int64_t>(0, start + delta), {}, def_.limits);
      res_.changes.push_back({ChangeKind::modified, id});
    }
  }

  // ---- the edits ----
  void apply(AddClipParams& p) {
    const MediaItem* item = nullptr;
    if (p.media_kind == MediaKind::image)
      item = pick_media(p.media, {MediaKind::image}, ReplyKey::no_image);
    else if (p.media_kind == MediaKind::video)
      item = pick_media(p.media, {MediaKind::video}, ReplyKey::no_visual);
    else
      item = pick_media(p.media, {MediaKind::video, MediaKind::image}, ReplyKey::no_visual);
    bool was_empty = std::all_of(d_.tracks.begin(), d_.tracks.end(),
                                 [](const Track& t) { return t.segments.empty(); });
    std::string matched;
    if (was_empty && item->width > 0 && item->height > 0) {
      std::string aspect = timeline::canvas_aspect_name(item->width, item->height);
      auto preset = timeline::canvas_preset(aspect);
      if (preset && (preset->width != d_.canvas.width || preset->height != d_.canvas.height)) {
        timeline::set_aspect(d_, aspect, def_.limits);
        res_.changes.push_back({ChangeKind::canvas, ""});
        matched = aspect;
      }
    }
    std::string track;
    for (const auto& t : d_.tracks)
      if (t.type == TrackType::video) {
        track = t.id;
        break;
      }
    if (track.empty()) {
      track = timeline::add_track(d_, TrackType::video, "Video", def_.limits);
      res_.changes.push_back({ChangeKind::added, track});
    }
    Segment s;
    s.source = item->id;
    s.name = item->name;
    // Blur-pad: the clip stays whole and the frame has no black bars whatever aspect
    // the timeline is switched to later ("make it vertical").
    s.fit = timeline::FitMode::blur_pad;
    s.duration_ms = p.duration_ms                                              ? *p.duration_ms
                    : item->kind == MediaKind::image || item->duration_ms <= 0 ? def_.image_ms
                                                                               : item->duration_ms;
    if (item->kind == MediaKind::video && item->duration_ms > 0 &&
        s.duration_ms > item->duration_ms)
      refuse(ReplyKey::too_long_for_source,
             {{"what", "\"" + item->name + "\""}, {"max", secs(item->duration_ms)}});
    std::string id = timeline::add_segment(d_, track, std::move(s), p.start_ms, def_.limits);
    res_.changes.push_back({ChangeKind::added, id});
    const Segment& added = timeline::find_segment(d_, id);
    p.start_ms = added.start_ms;
    p.duration_ms = added.duration_ms;
    done(ReplyKey::added_clip,
         {{"kind",
           say(item->kind == MediaKind::image ? ReplyKey::kind_image : ReplyKey::kind_video)},
          {"name", item->name},
          {"start", secs(added.start_ms)},
          {"end", secs(added.end_ms())}});
    if (!matched.empty()) append(say(ReplyKey::canvas_matched, {{"aspect", matched}}));
  }

  void apply(AddMusicParams& p) {
    const MediaItem* item = pick_media(p.media, {MediaKind::audio}, ReplyKey::no_audio);
    int64_t end = video_end();
    if (end == 0) end = d_.end_ms();
    if (end == 0) end = item->duration_ms;
    if (end <= 0) refuse(ReplyKey::need_length);
    std::string track = track_with(TrackType::audio, 0, end, "Music");
    Segment s;
    s.source = item->id;
    s.name = item->name;
    s.duration_ms = end;
    s.volume = p.volume;
    s.loop = true;
    std::string id = timeline::add_segment(d_, track, std::move(s), 0, def_.limits);
    res_.changes.push_back({ChangeKind::added, id});
    done(ReplyKey::added_music, {{"name", item->name},
                                 {"volume", reply_percent(p.volume)},
                                 {"start", secs(0)},
                                 {"end", secs(end)}});
  }

  void apply(AddTextParams& p) {
    if (p.text.empty()) refuse(ReplyKey::need_text);
    bool title = p.role == TextRole::title;
    if (p.from_end_ms != 0) {
      int64_t length = p.from_end_ms > 0 ? p.from_end_ms : def_.title_ms;
      int64_t end = video_end() > 0 ? video_end() : d_.end_ms() > 0 ? d_.end_ms() : length;
      p.start_ms = std::max<int64_t>(0, end - length);
      p.end_ms = end;
    }
    if (!p.end_ms) {
      int64_t video = video_end();
      p.end_ms = title || video <= p.start_ms ? p.start_ms + def_.title_ms : video;
    }
    timeline::TextStyle style;
    double side = std::min(d_.canvas.width, d_.canvas.height);
    style.size = std::round(side * (title ? def_.title_size : def_.caption_size));
    style.bold = title;
    style.outline =
        std::max(2.0, std::round(side * (title ? def_.title_outline : def_.caption_outline)));
    style.position = p.position ? *p.position : title ? TextPosition::center : TextPosition::bottom;
    p.position = style.position;
    std::string id =
        timeline::add_text(d_, p.text, p.start_ms, *p.end_ms - p.start_ms, style, def_.limits);
    timeline::find_segment(d_, id).meta["role"] = std::string(text_role_name(p.role));
    res_.changes.push_back({ChangeKind::added, id});
    ReplyKey pos = style.position == TextPosition::top      ? ReplyKey::position_top
                   : style.position == TextPosition::bottom ? ReplyKey::position_bottom
                                                            : ReplyKey::position_center;
    done(title ? ReplyKey::added_title : ReplyKey::added_caption, {{"text", p.text},
                                                                   {"start", secs(p.start_ms)},
                                                                   {"end", secs(*p.end_ms)},
                                                                   {"position", say(pos)}});
  }

  void apply(SetTextParams& p) {
    if (!p.text && !p.position) refuse(ReplyKey::need_text);
    if (p.target.kind != TargetKind::title && p.target.kind != TargetKind::text)
      p.target.kind = TargetKind::title;
    Selected sel = select_one(p.target, Many::last);
    std::string what = label(sel);
    Draft next = d_;
    Segment& seg = timeline::find_segment(next, sel.id);
    if (p.text) seg.text = *p.text;
    if (p.position) seg.style.position = *p.position;
    timeline::draft_validate(next, def_.limits);
    d_ = std::move(next);
    res_.changes.push_back({ChangeKind::modified, sel.id});
    if (p.text) done(ReplyKey::text_changed, {{"what", what}, {"text", *p.text}});
    if (p.position) {
      std::string it = p.text ? say(noun_key(sel.kind)) : what;
      done(ReplyKey::text_placed, {{"what", it}, {"position", say(position_key(*p.position))}});
    }
  }

  static ReplyKey position_key(TextPosition p) {
    return p == TextPosition::top      ? ReplyKey::position_top
           : p == TextPosition::bottom ? ReplyKey::position_bottom
                                       : ReplyKey::position_center;
  }

  void apply(SetAspectParams& p) {
    auto size = timeline::canvas_preset(p.aspect);
    if (size && size->width == d_.canvas.width && size->height == d_.canvas.height) {
      done(ReplyKey::aspect_unchanged, {{"aspect", p.aspect}});
      return;
    }
    timeline::set_aspect(d_, p.aspect, def_.limits);
    res_.changes.push_back({ChangeKind::canvas, ""});
    done(ReplyKey::aspect_set, {{"aspect", p.aspect},
                                {"width", std::to_string(d_.canvas.width)},
                                {"height", std::to_string(d_.canvas.height)}});
  }

  void apply(TrimParams& p) {
    if (!p.duration_ms && p.cut_start_ms <= 0 && p.cut_end_ms <= 0) refuse(ReplyKey::need_length);
    Selected sel = select_one(p.target, Many::last);
    const Segment seg = timeline::find_segment(d_, sel.id);
    std::string what = label(sel);
    int64_t in = seg.in_ms + std::max<int64_t>(0, p.cut_start_ms);
    int64_t length =
        p.duration_ms ? *p.duration_ms : seg.duration_ms - p.cut_start_ms - p.cut_end_ms;
    if (const MediaItem* src = media_by_id(lib_, seg.source);
        src && !seg.loop && src->kind != MediaKind::image && src->duration_ms > 0 &&
        in + length > src->duration_ms)
      refuse(ReplyKey::too_long_for_source,
             {{"what", what}, {"max", secs(src->duration_ms - seg.in_ms)}});
    timeline::trim_segment(d_, sel.id, in, length, def_.limits);
    res_.changes.push_back({ChangeKind::modified, sel.id});
    if (d_.tracks[sel.track].type == TrackType::video)
      ripple(sel.track, sel.id, seg.end_ms(), (seg.start_ms + length) - seg.end_ms());
    p.target.ordinal = sel.kind == TargetKind::clip ? sel.n : p.target.ordinal;
    done(ReplyKey::trimmed, {{"what", what}, {"duration", secs(length)}});
  }

  void apply(RemoveParams& p) {
    std::vector<Selected> items =
        select(p.target, p.target.kind == TargetKind::clip ? Many::ask : Many::all);
    bool whole_kind = p.target.ordinal == 0 && p.target.name.empty() && items.size() > 1;
    std::string what = whole_kind
                           ? say(p.target.kind == TargetKind::music  ? ReplyKey::label_all_music
                                 : p.target.kind == TargetKind::clip ? ReplyKey::label_all_clips
                                                                     : ReplyKey::label_all_text)
                           : labels(items);
    std::vector<std::string> touched;
    for (const auto& s : items) {
      touched.push_back(d_.tracks[s.track].id);
      timeline::remove_segment(d_, s.id);
      res_.changes.push_back({ChangeKind::removed, s.id});
    }
    for (const auto& tid : touched) {
      auto it = std::find_if(d_.tracks.begin(), d_.tracks.end(),
                             [&](const Track& t) { return t.id == tid; });
      if (it != d_.tracks.end() && it->segments.empty()) {
        res_.changes.push_back({ChangeKind::removed, it->id});
        d_.tracks.erase(it);
      }
    }
    timeline::draft_validate(d_, def_.limits);
    done(ReplyKey::removed, {{"what", what}});
  }

  void apply(MoveParams& p) {
    if (!p.start_ms && p.to_index == 0) refuse(ReplyKey::need_start);
    if (p.target.kind == TargetKind::any && p.target.name.empty()) refuse(ReplyKey::need_target);
    Selected sel = select_one(p.target, p.target.kind == TargetKind::clip ? Many::ask : Many::last);
    std::string what = label(sel);
    if (p.start_ms) {
      timeline::move_segment(d_, sel.id, *p.start_ms, {}, def_.limits);
      res_.changes.push_back({ChangeKind::modified, sel.id});
      done(ReplyKey::moved, {{"what", what}, {"start", secs(*p.start_ms)}});
      return;
    }
    const Track& t = d_.tracks[sel.track];
    std::vector<std::string> order;
    for (const auto& s : t.segments)
      if (s.id != sel.id) order.push_back(s.id);
    size_t place =
        p.to_index < 0 || size_t(p.to_index) > order.size() ? order.size() : size_t(p.to_index - 1);
    order.insert(order.begin() + std::ptrdiff_t(place), sel.id);
    relayout(sel.track, order);
    done(ReplyKey::reordered, {{"what", what}, {"index", std::to_string(place + 1)}});
  }

  void apply(SwapParams& p) {
    if (p.a.ordinal == 0 || p.b.ordinal == 0) refuse(ReplyKey::need_two);
    Selected a = select_one(p.a, Many::ask);
    Selected b = select_one(p.b, Many::ask);
    if (a.id == b.id) refuse(ReplyKey::need_two);
    if (a.track != b.track || d_.tracks[a.track].type != TrackType::video)
      refuse(ReplyKey::cannot_swap);
    std::string la = label(a), lb = label(b);
    std::vector<std::string> order;
    for (const auto& s : d_.tracks[a.track].segments)
      order.push_back(s.id == a.id ? b.id : s.id == b.id ? a.id : s.id);
    relayout(a.track, order);
    done(ReplyKey::swapped, {{"a", la}, {"b", lb}});
  }

  void apply(SetVolumeParams& p) {
    if (!p.volume) refuse(ReplyKey::need_volume);
    if (p.target.kind == TargetKind::title || p.target.kind == TargetKind::text)
      refuse(ReplyKey::text_has_no_sound);
    if (p.target.kind == TargetKind::any && p.target.name.empty())
      p.target.kind =
          segments_of(d_, TargetKind::music).empty() ? TargetKind::clip : TargetKind::music;
    std::vector<Selected> items = select(p.target, Many::all);
    for (const auto& s : items) {
      if (s.kind == TargetKind::title || s.kind == TargetKind::text)
        refuse(ReplyKey::text_has_no_sound);
      timeline::set_volume(d_, s.id, *p.volume, def_.limits);
      res_.changes.push_back({ChangeKind::modified, s.id});
    }
    bool whole_kind = p.target.ordinal == 0 && p.target.name.empty() && items.size() > 1;
    std::string what = whole_kind
                           ? say(p.target.kind == TargetKind::music ? ReplyKey::label_all_music
                                                                    : ReplyKey::label_all_clips)
                           : labels(items);
    if (*p.volume == 0)
      done(ReplyKey::muted, {{"what", what}});
    else
      done(ReplyKey::volume_set, {{"what", what}, {"volume", reply_percent(*p.volume)}});
  }

  template <typename P>
  void apply(P&) {
    refuse(ReplyKey::help);
  }

  Draft d_;
  std::span<const MediaItem> lib_;
  Language lang_;
  const EditDefaults& def_;
  EditResult res_;
};

}  // namespace

EditResult apply_edit(const Draft& draft, const Action& action, std::span<const MediaItem> library,
                      Language language, const EditDefaults& defaults) {
  Editor editor(draft, action, library, language, defaults);
  return editor.run();
}

}  // namespace kino::agent
