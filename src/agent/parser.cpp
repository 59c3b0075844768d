#include "agent/parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "agent/lexicon.h"
#include "agent/message_text.h"

namespace kino::agent {

namespace {

struct Clause {
  Span span;
  std::vector<const Hit*> hits;
  std::vector<const Quote*> quotes;

  const Hit* first(Cue cue) const {
    for (const Hit* h : hits)
      if (h->cue == cue) return h;
    return nullptr;
  }
  bool has(Cue cue) const { return first(cue) != nullptr; }
  template <typename... C>
  bool has_any(C... cues) const {
    return (has(cues) || ...);
  }
};

bool is_verb(Cue c) {
  switch (c) {
    case Cue::route_export:
    case Cue::route_credits:
    case Cue::route_status:
    case Cue::route_upload:
    case Cue::ask_help:
    case Cue::undo:
    case Cue::generate:
    case Cue::animate:
    case Cue::add:
    case Cue::remove:
    case Cue::trim:
    case Cue::move:
    case Cue::swap:
    case Cue::set:
    case Cue::mute:
    case Cue::unmute: return true;
    default: return false;
  }
}

bool is_object(Cue c) {
  switch (c) {
    case Cue::music:
    case Cue::title:
    case Cue::caption:
    case Cue::text:
    case Cue::clip:
    case Cue::image:
    case Cue::library_name:
    case Cue::file_name: return true;
    default: return false;
  }
}

Clause make_clause(Span span, const std::vector<Hit>& hits, const MessageText& text) {
  Clause c{span, {}, {}};
  for (const Hit& h : hits)
    if (h.cue != Cue::separator && h.span.begin >= span.begin && h.span.end <= span.end)
      c.hits.push_back(&h);
  for (const Quote& q : text.quotes())
    if (q.span.begin >= span.begin && q.span.end <= span.end) c.quotes.push_back(&q);
  return c;
}

// "video" and "clip" frame a request; "shot" or "footage" describe the picture.
bool generic_clip_noun(const MessageText& text, Span span) {
  std::string_view w = std::string_view(text.norm()).substr(span.begin, span.end - span.begin);
  for (std::string_view n :
       {"video", "videos", "clip", "clips", "video clip", "视频", "短片", "片段"})
    if (w == n) return true;
  return false;
}

// A generation request: a generate or animate verb, or "video of ..." without an edit verb.
const Hit* generation_cue(const Clause& c) {
  if (const Hit* h = c.first(Cue::generate)) return h;
  if (const Hit* h = c.first(Cue::animate)) return h;
  if (c.has_any(Cue::remove, Cue::trim, Cue::move, Cue::swap, Cue::undo)) return nullptr;
  for (const Hit* h : c.hits)
    if (h->cue == Cue::subject && h->span.end - h->span.begin > 1) return h;
  return nullptr;
}

// The verb a following "and the title" repeats: add, remove, mute or unmute.
const Hit* shared_verb(const Clause& c) {
  for (const Hit* h : c.hits)
    if (h->cue == Cue::add || h->cue == Cue::remove || h->cue == Cue::mute || h->cue == Cue::unmute)
      return h;
  return nullptr;
}

// Splits at separators into parts that each carry a verb; a part without one joins the
// part before it, unless it names an object right after the separator ("and the
// title"), which then repeats the verb before it (its hit leads the clause's hits).
std::vector<Clause> split_clauses(const std::vector<Hit>& hits, const MessageText& text) {
  Span whole{0, text.norm().size()};
  Clause all = make_clause(whole, hits, text);
  if (generation_cue(all)) return {all};
  std::vector<Span> parts;
  size_t start = 0;
  for (const Hit& h : hits) {
    if (h.cue != Cue::separator) continue;
    parts.push_back({start, h.span.begin});
    start = h.span.end;
  }
  parts.push_back({start, whole.end});
  std::vector<Clause> out;
  for (const Span& p : parts) {
    Clause c = make_clause(p, hits, text);
    bool verb =
        std::any_of(c.hits.begin(), c.hits.end(), [](const Hit* h) { return is_verb(h->cue); });
    bool object_first = !c.hits.empty() && is_object(c.hits.front()->cue);
    const Hit* shared = out.empty() ? nullptr : shared_verb(out.back());
    if (out.empty() || verb) {
      out.push_back(std::move(c));
    } else if (object_first && shared) {
      c.hits.insert(c.hits.begin(), shared);
      out.push_back(std::move(c));
    } else {
      Span merged{out.back().span.begin, p.end};
      const Hit* inherited = out.back().hits.empty() ? nullptr : out.back().hits.front();
      bool had_inherited = inherited && inherited->span.end <= out.back().span.begin;
      out.back() = make_clause(merged, hits, text);
      if (had_inherited) out.back().hits.insert(out.back().hits.begin(), inherited);
    }
  }
  return out;
}

// ---- parameters ----------------------------------------------------------------------

TargetKind noun_kind(std::string_view noun) {
  static constexpr std::pair<std::string_view, TargetKind> kNouns[] = {
      {"clip", TargetKind::clip},    {"video", TargetKind::clip},   {"segment", TargetKind::clip},
      {"shot", TargetKind::clip},    {"scene", TargetKind::clip},   {"image", TargetKind::clip},
      {"photo", TargetKind::clip},   {"picture", TargetKind::clip}, {"title", TargetKind::title},
      {"caption", TargetKind::text}, {"text", TargetKind::text},    {"片段", TargetKind::clip},
      {"视频", TargetKind::clip},    {"镜头", TargetKind::clip},    {"图片", TargetKind::clip},
      {"照片", TargetKind::clip},    {"标题", TargetKind::title},   {"字幕", TargetKind::text},
      {"文字", TargetKind::text},    {"音乐", TargetKind::music},
  };
  for (const auto& [n, k] : kNouns)
    if (noun.substr(0, n.size()) == n) return k;
  return TargetKind::any;
}

bool audio_file(std::string_view name) {
  for (std::string_view ext : {".mp3", ".wav", ".m4a", ".aac"}) {
    if (name.size() < ext.size()) continue;
    std::string tail(name.substr(name.size() - ext.size()));
    for (char& ch : tail)
      if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
    if (tail == ext) return true;
  }
  return false;
}

int ordinal_value(const Hit& h) {
  if (h.value == "last") return -1;
  try {
    return std::max(0, std::stoi(h.value));
  } catch (...) {
    return 0;
  }
}

int clamp_ordinal(double v) {
  return v < 1 ? 0 : v > 100000 ? 100000 : int(v);
}

Target target_of(const Clause& c, std::span<const MediaItem> library) {
  Target t;
  auto set_kind = [&](TargetKind k) {
    if (t.kind == TargetKind::any) t.kind = k;
  };
  for (const Hit* h : c.hits) {
    switch (h->cue) {
      case Cue::music: set_kind(TargetKind::music); break;
      case Cue::title: set_kind(TargetKind::title); break;
      case Cue::caption:
      case Cue::text: set_kind(TargetKind::text); break;
      case Cue::clip:
      case Cue::image: set_kind(TargetKind::clip); break;
      case Cue::library_name:
        if (const MediaItem* m = media_by_id(library, h->value)) {
          set_kind(m->kind == MediaKind::audio ? TargetKind::music : TargetKind::clip);
          if (t.name.empty()) t.name = m->name;
        }
        break;
      case Cue::file_name:
        set_kind(audio_file(h->value) ? TargetKind::music : TargetKind::clip);
        if (t.name.empty()) t.name = h->value;
        break;
      case Cue::ordinal:
        if (!t.ordinal) t.ordinal = ordinal_value(*h);
        break;
      case Cue::ordinal_pair:
        if (!t.ordinal) t.ordinal = clamp_ordinal(h->a);
        set_kind(noun_kind(h->value));
        break;
      default: break;
    }
  }
  if (!c.quotes.empty() && t.name.empty()) t.name = c.quotes.front()->text;
  return t;
}

MediaRef media_of(const Clause& c, std::span<const MediaItem> library) {
  MediaRef ref;
  if (const Hit* h = c.first(Cue::library_name)) {
    if (const MediaItem* m = media_by_id(library, h->value)) return {m->id, m->name};
  }
  if (const Hit* h = c.first(Cue::file_name)) {
    ref.name = h->value;
    if (const MediaItem* m = media_named(library, h->value)) ref.id = m->id;
  }
  return ref;
}

int64_t ms(double v) {
  return int64_t(v + 0.5);
}

std::optional<timeline::TextPosition> position_of(const Clause& c) {
  if (const Hit* h = c.first(Cue::position)) return timeline::text_position_parse(h->value);
  return std::nullopt;
}

// ---- the generation prompt -----------------------------------------------------------

bool removed_from_prompt(Cue c) {
  switch (c) {
    case Cue::generate:
    case Cue::animate:
    case Cue::subject:
    case Cue::filler:
    case Cue::uploaded:
    case Cue::aspect:
    case Cue::resolution:
    case Cue::seed:
    case Cue::time_length:
    case Cue::time_range:
    case Cue::time_first:
    case Cue::time_last:
    case Cue::time_at:
    case Cue::time_to:
    case Cue::time_by:
    case Cue::file_name:
    case Cue::library_name:
    case Cue::add:
    case Cue::set: return true;
    default: return false;
  }
}

bool is_space_or_punct(std::string_view s) {
  static constexpr std::string_view kPunct[] = {" ",  ",",  ".",  ";",  ":",  "!",  "?", "-",
                                                "，", "。", "；", "：", "！", "？", "、"};
  for (auto p : kPunct)
    if (s == p) return true;
  return false;
}

std::string trim_words(std::string s) {
  static constexpr std::string_view kLeading[] = {"of ",  "about ", "showing ", "where ", "with ",
                                                  "and ", "the ",   "my ",      "this ",  "to ",
                                                  "的",   "关于",   "是"};
  static constexpr std::string_view kTrailing[] = {
      " in", " with", " at", " of",      " for",  " and",   " as",   " on", " using", " the", " a",
      " an", " that", " is", " lasting", " long", " video", " clip", "的",  "一段",   "一个"};
  auto strip_edges = [](std::string& t) {
    bool changed = true;
    while (changed && !t.empty()) {
      changed = false;
      for (size_t n : {size_t(3), size_t(1)}) {
        if (t.size() >= n && is_space_or_punct(std::string_view(t).substr(0, n))) {
          t.erase(0, n);
          changed = true;
        }
        if (t.size() >= n && is_space_or_punct(std::string_view(t).substr(t.size() - n))) {
          t.erase(t.size() - n);
          changed = true;
        }
      }
    }
  };
  auto lower_prefix = [](const std::string& t, std::string_view p) {
    if (t.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      char ch = t[i];
      if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
      if (ch != p[i]) return false;
    }
    return true;
  };
  bool changed = true;
  while (changed) {
    changed = false;
    strip_edges(s);
    for (std::string_view lone :
         {"a", "an", "the", "some", "me", "it", "one", "to", "this", "that"})
      if (lower_prefix(s, lone) && s.size() == lone.size()) s.clear();
    for (auto p : kLeading)
      if (lower_prefix(s, p)) {
        s.erase(0, p.size());
        changed = true;
      }
    for (auto p : kTrailing) {
      if (s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0) {
        s.erase(s.size() - p.size());
        changed = true;
      }
    }
  }
  return s;
}

// Collapses runs of spaces and removes spaces before commas; drops empty list items.
// Drops spaces next to non-ASCII text ("海边 日落", "日落 ，"): Chinese has none.
std::string tidy(const std::string& s) {
  std::string out;
  auto non_ascii = [](char c) { return static_cast<unsigned char>(c) >= 0x80; };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' &&
        ((!out.empty() && non_ascii(out.back())) || (i + 1 < s.size() && non_ascii(s[i + 1]))))
      continue;
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    if ((c == ',' || c == '.') && !out.empty() && out.back() == ' ') out.pop_back();
    if (c == ',' && !out.empty() && out.back() == ',') continue;
    out += c;
  }
  return out;
}

// `animate`: the image the request names ("the photo") is no part of the prompt.
std::string prompt_of(const Clause& c, const MessageText& text, bool animate,
                      std::vector<std::string>& styles_before) {
  if (!c.quotes.empty()) return c.quotes.front()->text;
  size_t begin = c.span.begin;
  if (const Hit* s = c.first(Cue::subject)) begin = s->span.end;
  std::vector<Span> cut;
  for (const Hit* h : c.hits) {
    if (h->span.end <= begin) {
      if (h->cue == Cue::style) styles_before.push_back(text.original_slice(h->span));
      continue;
    }
    if (removed_from_prompt(h->cue) || (h->cue == Cue::image && animate) ||
        (h->cue == Cue::clip && generic_clip_noun(text, h->span)))
      cut.push_back(h->span);
  }
  std::string out;
  size_t pos = begin;
  for (const Span& s : cut) {
    if (s.begin > pos) out += text.original_slice({pos, s.begin});
    out += ' ';
    pos = std::max(pos, s.end);
  }
  if (c.span.end > pos) out += text.original_slice({pos, c.span.end});
  return trim_words(tidy(out));
}

// ---- intents ---------------------------------------------------------------------------

// A file name or library item that is an image ("photo.png").
bool names_image(const Hit& h, std::span<const MediaItem> library) {
  if (h.cue == Cue::library_name) {
    const MediaItem* m = media_by_id(library, h.value);
    return m && m->kind == MediaKind::image;
  }
  if (h.cue != Cue::file_name) return false;
  if (const MediaItem* m = media_named(library, h.value)) return m->kind == MediaKind::image;
  std::string v = h.value;
  for (char& ch : v)
    if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
  for (std::string_view ext : {".jpg", ".jpeg", ".png", ".gif", ".webp"})
    if (v.size() > ext.size() && v.compare(v.size() - ext.size(), ext.size(), ext) == 0)
      return true;
  return false;
}

Action generate_action(const Clause& c, const MessageText& text,
                       std::span<const MediaItem> library) {
  GenerateParams g;
  // Image-to-video: an animate phrase, a named image, or an image mentioned before the
  // subject ("use my photo to make a video", not "a video of a photo album").
  const Hit* subject = c.first(Cue::subject);
  const Hit* image = c.first(Cue::image);
  g.animate = c.has(Cue::animate) ||
              std::any_of(c.hits.begin(), c.hits.end(),
                          [&](const Hit* h) { return names_image(*h, library); }) ||
              (image && (!subject || image->span.begin < subject->span.begin));
  std::vector<std::string> styles_before;
  g.prompt = prompt_of(c, text, g.animate, styles_before);
  for (const auto& s : styles_before) g.prompt += (g.prompt.empty() ? "" : ", ") + s;
  if (const Hit* h = c.first(Cue::time_length)) g.seconds = int64_t(h->a / 1000.0 + 0.5);
  for (const Hit* h : c.hits)  // a ratio written out wins over a word ("square")
    if (h->cue == Cue::aspect &&
        (g.aspect.empty() ||
         h->value == text.norm().substr(h->span.begin, h->span.end - h->span.begin)))
      g.aspect = h->value;
  if (const Hit* h = c.first(Cue::resolution)) g.resolution = h->value;
  if (const Hit* h = c.first(Cue::seed)) g.seed = int64_t(h->a);
  for (const Hit* h : c.hits)
    if (h->cue == Cue::style &&
        std::find(g.styles.begin(), g.styles.end(), h->value) == g.styles.end())
      g.styles.push_back(h->value);
  if (g.animate) g.image = media_of(c, library);
  return {g};
}

// The original text from `begin` to the next hit that is not a filler (or the clause's end).
std::string text_until_next_hit(const Clause& c, const MessageText& text, size_t begin) {
  size_t end = c.span.end;
  for (const Hit* h : c.hits)
    if (h->span.begin >= begin && h->cue != Cue::filler) {
      end = h->span.begin;
      break;
    }
  return trim_words(tidy(text.original_slice({begin, end})));
}

// Unquoted text: after "saying" / 写着, after a colon following the noun ("字幕：欢迎"),
// or (English) the words right after the noun ("a title Urban Dreams for 3 seconds").
std::string unquoted_text(const Clause& c, const MessageText& text) {
  if (const Hit* intro = c.first(Cue::text_intro))
    return text_until_next_hit(c, text, intro->span.end);
  for (size_t i = 0; i < c.hits.size(); ++i) {
    Cue cue = c.hits[i]->cue;
    if (cue != Cue::title && cue != Cue::caption && cue != Cue::text) continue;
    size_t after = c.hits[i]->span.end;
    if (i + 1 < c.hits.size() && c.hits[i + 1]->cue == Cue::subject &&
        text.norm().compare(c.hits[i + 1]->span.begin, 1, ":") == 0)
      return text_until_next_hit(c, text, c.hits[i + 1]->span.end);
    std::string words = text_until_next_hit(c, text, after);
    if (words.empty() || has_cjk_ideograph(words)) return {};
    static constexpr std::string_view kNotText[] = {"to",   "on",   "in",  "for",   "at",
                                                    "with", "from", "of",  "about", "into",
                                                    "onto", "over", "that"};
    std::string first = words.substr(0, words.find(' '));
    for (char& ch : first)
      if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
    for (auto w : kNotText)
      if (first == w) return {};
    return words;
  }
  return {};
}

Action add_text_action(const Clause& c, const MessageText& text) {
  AddTextParams t;
  t.text = c.quotes.empty() ? unquoted_text(c, text) : c.quotes.front()->text;
  t.role = c.has(Cue::title)                    ? TextRole::title
           : c.has_any(Cue::caption, Cue::text) ? TextRole::caption
                                                : TextRole::title;
  t.position = position_of(c);
  if (const Hit* h = c.first(Cue::time_range)) {
    t.start_ms = ms(h->a);
    t.end_ms = ms(h->b);
  } else if (const Hit* h = c.first(Cue::time_first)) {
    t.start_ms = 0;
    t.end_ms = ms(h->a);
  } else {
    if (const Hit* h = c.first(Cue::time_at)) t.start_ms = ms(h->a);
    if (const Hit* h = c.first(Cue::time_length)) t.end_ms = t.start_ms + ms(h->a);
    if (const Hit* h = c.first(Cue::time_to)) t.end_ms = ms(h->a);
  }
  if (const Hit* h = c.first(Cue::time_last)) t.from_end_ms = ms(h->a);
  if (const Hit* h = c.first(Cue::place); h && h->value == "end" && !t.from_end_ms) {
    const Hit* len = c.first(Cue::time_length);
    t.from_end_ms = len ? ms(len->a) : -1;
  }
  if (t.from_end_ms) t.end_ms.reset();
  return {t};
}

Action set_text_action(const Clause& c, const MessageText& text,
                       std::span<const MediaItem> library) {
  SetTextParams s;
  s.target = target_of(c, library);
  if (s.target.kind == TargetKind::any) s.target.kind = TargetKind::title;
  if (c.quotes.size() >= 2) {
    s.target.name = c.quotes[0]->text;
    s.text = c.quotes[1]->text;
  } else if (c.quotes.size() == 1) {
    s.target.name.clear();
    s.text = c.quotes[0]->text;
  } else if (const Hit* intro = c.first(Cue::text_intro)) {
    s.text = text_until_next_hit(c, text, intro->span.end);
  }
  if (s.text && s.text->empty()) s.text.reset();
  s.position = position_of(c);
  return {s};
}

Action trim_action(const Clause& c, std::span<const MediaItem> library) {
  TrimParams t;
  t.target = target_of(c, library);
  if (t.target.kind == TargetKind::any) t.target.kind = TargetKind::clip;
  if (const Hit* h = c.first(Cue::time_first)) t.cut_start_ms = ms(h->a);
  if (const Hit* h = c.first(Cue::time_last)) t.cut_end_ms = ms(h->a);
  if (const Hit* h = c.first(Cue::time_by)) t.cut_end_ms = ms(h->a);
  if (const Hit* h = c.first(Cue::time_to))
    t.duration_ms = ms(h->a);
  else if (const Hit* h2 = c.first(Cue::time_length); h2 && !t.cut_start_ms && !t.cut_end_ms)
    t.duration_ms = ms(h2->a);
  return {t};
}

Action move_action(const Clause& c, std::span<const MediaItem> library) {
  MoveParams m;
  m.target = target_of(c, library);
  for (Cue cue : {Cue::time_to, Cue::time_at, Cue::time_length})
    if (const Hit* h = c.first(cue)) {
      m.start_ms = ms(h->a);
      break;
    }
  if (const Hit* h = c.first(Cue::time_range)) m.start_ms = ms(h->a);
  if (const Hit* h = c.first(Cue::place)) m.to_index = h->value == "start" ? 1 : -1;
  return {m};
}

Action swap_action(const Clause& c, std::span<const MediaItem> library) {
  SwapParams s;
  Target base = target_of(c, library);
  if (base.kind == TargetKind::any) base.kind = TargetKind::clip;
  base.name.clear();
  std::vector<int> ordinals;
  for (const Hit* h : c.hits) {
    if (h->cue == Cue::ordinal) ordinals.push_back(ordinal_value(*h));
    if (h->cue == Cue::ordinal_pair) {
      ordinals.push_back(clamp_ordinal(h->a));
      if (h->b > 0) ordinals.push_back(clamp_ordinal(h->b));
    }
  }
  s.a = s.b = base;
  s.a.ordinal = ordinals.size() > 0 ? ordinals[0] : 0;
  s.b.ordinal = ordinals.size() > 1 ? ordinals[1] : 0;
  return {s};
}

Action volume_action(const Clause& c, std::span<const MediaItem> library) {
  SetVolumeParams v;
  v.target = target_of(c, library);
  if (c.has(Cue::unmute))
    v.volume = 1.0;
  else if (c.has(Cue::mute))
    v.volume = 0.0;
  else if (const Hit* h = c.first(Cue::percent))
    v.volume = h->a / 100.0;
  return {v};
}

Action decide(const Clause& c, const MessageText& text, std::span<const MediaItem> library) {
  // The hosted service's routing table comes first, unless a generation request names
  // the routing word later ("generate a video of a download bar").
  const Hit* gen = generation_cue(c);
  auto routed = [&](Cue cue) {
    const Hit* h = c.first(cue);
    return h && !(gen && gen->span.begin < h->span.begin);
  };
  if (c.has(Cue::ask_help) && !gen) return {HelpParams{true}};
  if (routed(Cue::route_export)) return {ExportParams{}};
  if (routed(Cue::route_credits)) return {CreditsParams{}};
  if (routed(Cue::route_status)) return {StatusParams{}};
  if (routed(Cue::route_upload)) return {UploadHelpParams{}};
  if (c.has(Cue::undo)) return {UndoParams{}};
  if (gen) return generate_action(c, text, library);
  if (c.has(Cue::remove)) return {RemoveParams{target_of(c, library)}};
  if (c.has(Cue::swap)) return swap_action(c, library);
  if (c.has(Cue::trim)) return trim_action(c, library);
  if (c.has_any(Cue::mute, Cue::unmute)) return volume_action(c, library);
  bool text_noun = c.has_any(Cue::title, Cue::caption, Cue::text);
  // "move the text 'SALE' to 1s": one quote names the text to move, the time says where.
  if (text_noun && c.has(Cue::move) && !c.has_any(Cue::set, Cue::add) && c.quotes.size() <= 1 &&
      c.has_any(Cue::time_to, Cue::time_at, Cue::time_length, Cue::time_range))
    return move_action(c, library);
  if (text_noun && c.has_any(Cue::set, Cue::move) && !c.has(Cue::add) &&
      (!c.quotes.empty() || c.has(Cue::text_intro) ||
       (c.has(Cue::position) && !c.has_any(Cue::time_to, Cue::time_at, Cue::time_length))))
    return set_text_action(c, text, library);
  if (c.has(Cue::move)) return move_action(c, library);
  bool adds = c.has(Cue::add);
  bool adds_object = adds && c.has_any(Cue::music, Cue::title, Cue::caption, Cue::text, Cue::clip,
                                       Cue::image, Cue::library_name, Cue::file_name);
  if (c.has_any(Cue::volume, Cue::percent) && !adds_object) return volume_action(c, library);
  if (const Hit* h = c.first(Cue::aspect); h && !adds_object) return {SetAspectParams{h->value}};
  if (c.has_any(Cue::title, Cue::caption, Cue::text) ||
      (!c.quotes.empty() && (adds || c.has(Cue::position))) || c.has(Cue::text_intro))
    return add_text_action(c, text);
  Target t = target_of(c, library);
  bool names_audio = std::any_of(c.hits.begin(), c.hits.end(), [&](const Hit* h) {
    if (h->cue == Cue::file_name) return audio_file(h->value);
    const MediaItem* m = h->cue == Cue::library_name ? media_by_id(library, h->value) : nullptr;
    return m && m->kind == MediaKind::audio;
  });
  if (c.has(Cue::music) || t.kind == TargetKind::music || names_audio) {
    AddMusicParams m;
    m.media = media_of(c, library);
    if (const Hit* h = c.first(Cue::percent)) m.volume = h->a / 100.0;
    return {m};
  }
  if (adds && (t.kind == TargetKind::clip)) {
    AddClipParams a;
    a.media = media_of(c, library);
    if (a.media.id.empty() && a.media.name.empty())
      a.media_kind = c.has(Cue::image)  ? MediaKind::image
                     : c.has(Cue::clip) ? std::optional(MediaKind::video)
                                        : std::nullopt;
    if (const Hit* h = c.first(Cue::time_at)) a.start_ms = ms(h->a);
    if (const Hit* h = c.first(Cue::time_length)) a.duration_ms = ms(h->a);
    return {a};
  }
  if (const Hit* h = c.first(Cue::aspect)) return {SetAspectParams{h->value}};
  return {HelpParams{false}};
}

}  // namespace

Plan parse_message(std::string_view message, const ParseContext& context) {
  if (message.size() > kParseMaxBytes) {
    size_t cut = kParseMaxBytes;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    message = message.substr(0, cut);
  }
  Plan plan;
  plan.language = detect_language(message, context.session_language);
  MessageText text(utf8_sanitize(message));
  std::vector<Hit> hits = lexicon_scan(text, context.library);
  std::vector<Clause> clauses = split_clauses(hits, text);
  for (const Clause& c : clauses) plan.actions.push_back(decide(c, text, context.library));
  bool any_help = std::any_of(plan.actions.begin(), plan.actions.end(),
                              [](const Action& a) { return a.kind() == ActionKind::help; });
  if (plan.actions.size() > 1 && any_help) {
    Clause all = make_clause({0, text.norm().size()}, hits, text);
    plan.actions = {decide(all, text, context.library)};
  }
  if (plan.actions.empty()) plan.actions.push_back({HelpParams{false}});
  return plan;
}

}  // namespace kino::agent
