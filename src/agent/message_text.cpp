#include "agent/message_text.h"

#include <cstdint>
#include <optional>

#include "core/utf8.h"

namespace kino::agent {

namespace {

struct CodePoint {
  uint32_t cp;    // U+FFFD for an invalid sequence
  size_t offset;  // in the original
  size_t length;  // bytes in the original
};

std::vector<CodePoint> decode(std::string_view s) {
  std::vector<CodePoint> out;
  for (size_t i = 0; i < s.size();) {
    const Utf8Step step = utf8_next(s, i);
    out.push_back({step.cp, i, step.length});
    i += step.length;
  }
  return out;
}


std::optional<int> cn_digit(uint32_t cp) {
  switch (cp) {
    case U'零':
    case U'〇': return 0;
    case U'一': return 1;
    case U'二':
    case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return std::nullopt;
  }
}

bool cn_numeral(uint32_t cp) {
  return cn_digit(cp) || cp == U'十' || cp == U'百' || cp == U'千';
}

// Units after which (or markers before which) a Chinese numeral is a number to parse.
bool cn_unit(uint32_t cp) {
  switch (cp) {
    case U'秒':
    case U'个':
    case U'個':
    case U'段':
    case U'条':
    case U'條':
    case U'张':
    case U'張':
    case U'倍':
    case U'首':
    case '%':
    case 0xFF05: return true;
    default: return false;
  }
}
bool cn_marker(uint32_t cp) {
  return cp == U'第' || cp == U'前' || cp == U'后' || cp == U'之';
}

int64_t cn_value(const std::vector<CodePoint>& cps, size_t b, size_t e) {
  int64_t total = 0, current = 0;
  for (size_t i = b; i < e; ++i) {
    uint32_t cp = cps[i].cp;
    if (auto d = cn_digit(cp)) {
      current = *d;
    } else {
      int64_t unit = cp == U'十' ? 10 : cp == U'百' ? 100 : 1000;
      total += (current ? current : 1) * unit;
      current = 0;
    }
  }
  return total + current;
}

// Folds one code point for matching; nullopt keeps it as it is.
std::optional<uint32_t> fold(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp - 'A' + 'a';
  if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 || cp == 0xA0) return ' ';
  if (cp >= 0xFF01 && cp <= 0xFF5E) {
    uint32_t a = cp - 0xFEE0;
    return a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a;
  }
  if (cp == 0x2013 || cp == 0x2014 || cp == 0x2212) return '-';
  if (cp == 0x301C) return '~';
  if (cp == 0x3002) return '.';
  if (cp == 0x3001) return ',';
  if (cp == 0x1F) return ' ';  // never let input forge the blank marker
  return std::nullopt;
}

bool word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string utf8_sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const CodePoint& c : decode(text)) {
    bool bad = c.cp == 0xFFFD && c.length == 1;
    bool surrogate = c.cp >= 0xD800 && c.cp <= 0xDFFF;
    bool overlong = (c.length == 2 && c.cp < 0x80) || (c.length == 3 && c.cp < 0x800) ||
                    (c.length == 4 && (c.cp < 0x10000 || c.cp > 0x10FFFF));
    if (bad || surrogate || overlong)
      out += "\xEF\xBF\xBD";
    else
      out.append(text.substr(c.offset, c.length));
  }
  return out;
}

MessageText::MessageText(std::string_view original) : original_(original) {
  std::vector<CodePoint> cps = decode(original_);
  for (size_t i = 0; i < cps.size();) {
    if (cn_numeral(cps[i].cp)) {
      size_t e = i;
      while (e < cps.size() && cn_numeral(cps[e].cp)) ++e;
      bool before_unit = e < cps.size() && cn_unit(cps[e].cp);
      bool after_marker = i > 0 && cn_marker(cps[i - 1].cp);
      if (before_unit || after_marker) {
        std::string digits = std::to_string(cn_value(cps, i, e));
        for (char d : digits) {
          norm_ += d;
          map_.push_back(cps[i].offset);
        }
        i = e;
        continue;
      }
    }
    size_t before = norm_.size();
    auto f = fold(cps[i].cp);
    if (cps[i].cp == 0xFFFD && cps[i].length == 1)
      norm_ += '?';
    else
      utf8_append(norm_, f ? *f : cps[i].cp);
    for (size_t k = before; k < norm_.size(); ++k) map_.push_back(cps[i].offset);
    ++i;
  }
  map_.push_back(original_.size());
  work_ = norm_;
  find_quotes();
}

void MessageText::find_quotes() {
  struct Pair {
    std::string_view open, close;
    bool edges;  // the mark must stand at word edges: "don't" holds no quote
  };
  static constexpr Pair kPairs[] = {
      {"\"", "\"", false},         {"'", "'", true},
      {"\u201c", "\u201d", false}, {"\u2018", "\u2019", false},
      {"\u300c", "\u300d", false}, {"\u300e", "\u300f", false},
      {"\u300a", "\u300b", false},
  };
  size_t i = 0;
  while (i < work_.size()) {
    bool found = false;
    for (const auto& p : kPairs) {
      if (work_.compare(i, p.open.size(), p.open) != 0) continue;
      if (p.edges && i > 0 && word_byte(work_[i - 1])) continue;
      size_t from = i + p.open.size();
      size_t close = work_.find(p.close, from);
      while (p.edges && close != std::string::npos && close + 1 < work_.size() &&
             word_byte(work_[close + 1]))
        close = work_.find(p.close, close + 1);
      if (close == std::string::npos || close == from) continue;
      Span inner{from, close};
      Span whole{i, close + p.close.size()};
      quotes_.push_back({original_slice(inner), whole});
      claim(whole);
      i = whole.end;
      found = true;
      break;
    }
    if (!found) ++i;
  }
}

bool MessageText::is_free(Span s) const {
  for (size_t i = s.begin; i < s.end && i < work_.size(); ++i)
    if (work_[i] == kBlank) return false;
  return true;
}

void MessageText::claim(Span s) {
  for (size_t i = s.begin; i < s.end && i < work_.size(); ++i) work_[i] = kBlank;
}

std::string MessageText::original_slice(Span s) const {
  if (s.end > norm_.size()) s.end = norm_.size();
  if (s.empty()) return {};
  size_t b = map_[s.begin];
  size_t e = map_[s.end];
  return e <= b ? std::string() : original_.substr(b, e - b);
}

}  // namespace kino::agent
