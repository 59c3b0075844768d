#include "render/text_layout.h"

#include <algorithm>
#include <string_view>

#include "render/text_unicode.h"

namespace kino::render {
namespace {

// A run: one face and one direction (neutral characters join the run before them).
struct Run {
  size_t begin = 0, end = 0;
  TextFont font;
  TextDirection dir = TextDirection::neutral;
};

// Joiners, variation selectors, emoji modifiers and tags always take the face of the
// character they attach to, whether or not that face maps them.
bool always_attached(char32_t c) {
  return (c >= 0x200C && c <= 0x200D) || (c >= 0xFE00 && c <= 0xFE0F) ||
         (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F) ||
         (c >= 0xE0100 && c <= 0xE01EF);
}

class Shaper {
 public:
  Shaper() : buf_(hb_buffer_create()) {}
  ~Shaper() { hb_buffer_destroy(buf_); }
  Shaper(const Shaper&) = delete;
  Shaper& operator=(const Shaper&) = delete;

  // Shapes para[begin, end) (the rest of the paragraph is context) and calls
  // fn(cluster, glyph id, advance, x offset, y offset) in visual order, in pixels.
  template <typename Fn>
  void shape(std::u32string_view para, size_t begin, size_t end, const Run& run,
             double extra_advance, Fn&& fn) {
    const TextFont& font = run.font;
    hb_buffer_clear_contents(buf_);
    hb_buffer_add_codepoints(buf_, reinterpret_cast<const uint32_t*>(para.data()), int(para.size()),
                             unsigned(begin), int(end - begin));
    hb_buffer_guess_segment_properties(buf_);
    if (run.dir != TextDirection::neutral)
      hb_buffer_set_direction(buf_,
                              run.dir == TextDirection::rtl ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
    hb_shape(font.face->hb, buf_, nullptr, 0);
    unsigned n = 0;
    const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buf_, &n);
    const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buf_, &n);
    const double k = font.face->scale / 64.0;
    for (unsigned i = 0; i < n; ++i)
      fn(size_t(info[i].cluster), info[i].codepoint, pos[i].x_advance * k + extra_advance,
         pos[i].x_offset * k, -pos[i].y_offset * k);
  }

 private:
  hb_buffer_t* buf_;
};

std::vector<Run> font_runs(TextFonts& fonts, std::u32string_view p, const TextLayoutParams& lp) {
  std::vector<Run> runs;
  TextFont prev;
  for (size_t i = 0; i < p.size(); ++i) {
    const char32_t c = p[i];
    TextFont f;
    // Spaces join the run before them (fewer runs, shaping context kept), except after
    // a colour emoji face, whose space is as wide as an emoji.
    const bool space_joins = text_is_space(c) && prev.face && !prev.face->color;
    const bool attach = text_is_extend(c) || space_joins || (i > 0 && p[i - 1] == 0x200D);
    if (i > 0 && attach && (always_attached(c) || TextFonts::covers(prev, c))) {
      f = prev;
    } else {
      f = fonts.font_for(lp.family, lp.bold, c, i + 1 < p.size() ? p[i + 1] : 0);
    }
    const TextDirection d = text_direction(c);
    const bool turn = !runs.empty() && d != TextDirection::neutral &&
                      runs.back().dir != TextDirection::neutral && d != runs.back().dir;
    if (runs.empty() || !(runs.back().font == f) || turn) runs.push_back({i, i, f, d});
    if (runs.back().dir == TextDirection::neutral) runs.back().dir = d;
    runs.back().end = i + 1;
    prev = f;
  }
  return runs;
}

// The left-to-right order of a line's runs: embedding levels 0..2 (base direction, the
// other direction, left-to-right inside right-to-left) and the reversal rule L2 of the
// Unicode bidi algorithm. Neutral runs take their neighbours' direction when both
// agree, else the paragraph's.
std::vector<const Run*> visual_order(const std::vector<Run>& runs, TextDirection base) {
  const size_t n = runs.size();
  std::vector<TextDirection> dir(n);
  for (size_t i = 0; i < n; ++i) {
    dir[i] = runs[i].dir;
    if (dir[i] != TextDirection::neutral) continue;
    TextDirection before = base, after = base;
    for (size_t k = i; k-- > 0;)
      if (runs[k].dir != TextDirection::neutral) {
        before = runs[k].dir;
        break;
      }
    for (size_t k = i + 1; k < n; ++k)
      if (runs[k].dir != TextDirection::neutral) {
        after = runs[k].dir;
        break;
      }
    dir[i] = before == after ? before : base;
  }
  std::vector<int> level(n);
  int max_level = 0;
  for (size_t i = 0; i < n; ++i) {
    if (base == TextDirection::rtl) {
      level[i] = dir[i] == TextDirection::rtl ? 1 : 2;
    } else {
      level[i] = dir[i] == TextDirection::rtl ? 1 : 0;
    }
    max_level = std::max(max_level, level[i]);
  }
  std::vector<const Run*> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = &runs[i];
  for (int l = max_level; l >= 1; --l) {
    for (size_t i = 0; i < n;) {
      if (level[i] < l) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < n && level[j] >= l) ++j;
      std::reverse(order.begin() + long(i), order.begin() + long(j));
      std::reverse(level.begin() + long(i), level.begin() + long(j));
      i = j;
    }
  }
  return order;
}

// Greedy breaking: [begin, end) ranges of the paragraph, trailing spaces excluded.
std::vector<std::pair<size_t, size_t>> break_lines(std::u32string_view p,
                                                   const std::vector<double>& adv,
                                                   double max_width) {
  std::vector<std::pair<size_t, size_t>> lines;
  const size_t n = p.size();
  auto emit = [&](size_t a, size_t b) {
    while (b > a && text_is_space(p[b - 1])) --b;
    lines.emplace_back(a, b);
  };
  size_t s = 0;
  while (true) {
    double w = 0;
    size_t brk = 0;  // 0: no break opportunity yet (a break at s would be an empty line)
    size_t split = 0;
    for (size_t i = s; i < n; ++i) {
      if (i > s && text_can_break(p[i - 1], p[i])) brk = i;
      w += adv[i];
      if (max_width <= 0 || text_is_space(p[i]) || w <= max_width || i == s) continue;
      split = brk;
      if (split == 0) {  // one word wider than the line: break between characters
        for (size_t k = i; k > s && split == 0; --k)
          if (text_can_split(p[k - 1], p[k])) split = k;
      }
      if (split != 0) break;
    }
    if (split == 0) {
      emit(s, n);
      return lines;
    }
    emit(s, split);
    s = split;
    while (s < n && text_is_space(p[s])) ++s;
    if (s == n) return lines;
  }
}

}  // namespace

TextLayout text_layout(TextFonts& fonts, const std::u32string& text, const TextLayoutParams& lp) {
  fonts.set_size(lp.size);
  TextLayout out;
  double ascent = 0, descent = 0;
  fonts.metrics(fonts.primary(lp.family, lp.bold), &ascent, &descent);
  out.line_height = lp.line_spacing * lp.size;
  out.baseline = (out.line_height - (ascent + descent)) / 2 + ascent;

  Shaper shaper;
  const std::u32string_view all(text);
  size_t start = 0;
  while (start <= all.size()) {
    size_t nl = all.find(U'\n', start);
    if (nl == std::u32string_view::npos) nl = all.size();
    const std::u32string_view p = all.substr(start, nl - start);
    start = nl + 1;
    if (p.empty()) {
      out.lines.emplace_back();
      continue;
    }
    const std::vector<Run> runs = font_runs(fonts, p, lp);
    auto extra = [&](const TextFont& f) { return f.embolden ? fonts.embolden_advance() : 0.0; };

    std::vector<double> adv(p.size(), 0.0);
    for (const Run& r : runs)
      shaper.shape(p, r.begin, r.end, r, extra(r.font),
                   [&](size_t cluster, uint32_t, double a, double, double) {
                     if (cluster < adv.size()) adv[cluster] += a;
                   });

    TextDirection base = TextDirection::ltr;
    for (char32_t c : p)
      if (TextDirection d = text_direction(c); d != TextDirection::neutral) {
        base = d;
        break;
      }

    for (auto [a, b] : break_lines(p, adv, lp.max_width)) {
      std::vector<Run> pieces;
      for (const Run& r : runs) {
        const size_t ra = std::max(a, r.begin), rb = std::min(b, r.end);
        if (ra < rb) pieces.push_back({ra, rb, r.font, r.dir});
      }
      TextLine line;
      double pen = 0;
      for (const Run* r : visual_order(pieces, base))
        shaper.shape(p, r->begin, r->end, *r, extra(r->font),
                     [&](size_t, uint32_t id, double advance, double dx, double dy) {
                       line.glyphs.push_back({r->font, id, pen + dx, dy});
                       pen += advance;
                     });
      line.width = pen;
      out.width = std::max(out.width, pen);
      out.lines.push_back(std::move(line));
    }
  }
  return out;
}

}  // namespace kino::render
