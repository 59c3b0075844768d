#include "gen/model_defaults.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "core/error.h"
#include "core/json.h"
#include "core/utf8.h"

namespace kino::gen {
namespace {

bool is_cjk(char32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) ||  // kana
         (c >= 0x3400 && c <= 0x9FFF) ||  // CJK ideographs (extension A and the main block)
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xAC00 && c <= 0xD7AF) ||  // compatibility, Hangul
         (c >= 0x20000 && c <= 0x3FFFF);
}

// Letters of alphabetic scripts: ASCII letters, and code points past U+00BF outside the
// punctuation, symbol and CJK blocks (enough to keep "café" or "лиса" one word).
bool is_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, arrows, symbols
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK punctuation
  if (c >= 0xFE30 && c <= 0xFE4F) return false;  // CJK compatibility forms
  if (c >= 0xFF00 && c <= 0xFF65) return false;  // full-width punctuation and digits
  if (c >= 0x1F000) return false;                // emoji and pictographs
  return !is_cjk(c);
}

[[noreturn]] void bad(const std::filesystem::path& file, const std::string& what) {
  fail_unsupported(file.string() + ": \"kino\" block: " + what);
}

int64_t positive_int(const Json& block, const char* key, const std::filesystem::path& file,
                     int64_t fallback, int64_t max) {
  if (!block.contains(key)) return fallback;
  const Json& v = block[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > max)
    bad(file, std::string(key) + " must be an integer in 1.." + std::to_string(max) + ", got " +
                  json_brief(v));
  return v.get<int64_t>();
}

double positive_number(const Json& block, const char* key, const std::filesystem::path& file,
                       double fallback, double max) {
  if (!block.contains(key)) return fallback;
  const Json& v = block[key];
  if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > max)
    bad(file, std::string(key) + " must be a number in (0, " + std::to_string(int(max)) +
                  "], got " + json_brief(v));
  return v.get<double>();
}

}  // namespace

void model_defaults_apply(const std::filesystem::path& config_json, ModelDefaults& d) {
  const Json config = json_read_file(config_json);
  if (!config.is_object() || !config.contains("kino")) return;
  const Json& k = config["kino"];
  if (!k.is_object()) bad(config_json, "must be an object, got " + json_brief(k));
  if (k.contains("name")) {
    if (!k["name"].is_string()) bad(config_json, "name must be a string");
    d.name = k["name"].get<std::string>();
  }
  d.width = positive_int(k, "width", config_json, d.width, 4096);
  d.height = positive_int(k, "height", config_json, d.height, 4096);
  if (k.contains("width") || k.contains("height")) {
    const int64_t g = std::gcd(d.width, d.height);
    d.aspect = std::to_string(d.width / g) + ":" + std::to_string(d.height / g);
  }
  if (k.contains("fps")) {
    // An integer, or the text of one ("8"), as the trainer writes a Rational.
    const Json& f = k["fps"];
    int64_t fps = 0;
    if (f.is_number_integer()) fps = f.get<int64_t>();
    if (f.is_string()) {
      const std::string t = f.get<std::string>();
      if (!t.empty() && t.size() < 4 && std::all_of(t.begin(), t.end(), ::isdigit))
        fps = std::stoll(t);
    }
    if (fps < 1 || fps > 240) bad(config_json, "fps must be a whole number 1..240, got " + json_brief(f));
    d.fps = fps;
  }
  d.frames = positive_int(k, "frames", config_json, d.frames, 10001);
  if ((d.frames - 1) % 4) bad(config_json, "frames must be 4n + 1, got " + std::to_string(d.frames));
  d.steps = positive_int(k, "sample_steps", config_json, d.steps, 1000);
  d.shift = positive_number(k, "sample_shift", config_json, d.shift, 100);
  d.cfg = positive_number(k, "sample_guide_scale", config_json, d.cfg, 30);
  if (k.contains("sample_neg_prompt")) {
    if (!k["sample_neg_prompt"].is_string()) bad(config_json, "sample_neg_prompt must be a string");
    d.negative = k["sample_neg_prompt"].get<std::string>();
  }
  if (k.contains("words")) {
    const Json& w = k["words"];
    if (!w.is_array()) bad(config_json, "words must be a list of strings");
    d.words.clear();
    for (const Json& x : w) {
      if (!x.is_string()) bad(config_json, "words must be a list of strings, got " + json_brief(x));
      d.words.push_back(x.get<std::string>());
    }
    std::sort(d.words.begin(), d.words.end());
  }
}

std::vector<std::string> prompt_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Step s = utf8_next(text, pos);
    const char32_t c = s.cp;
    if (s.valid && is_cjk(c)) {
      flush();
      words.push_back(text.substr(pos, s.length));
    } else if (s.valid && is_letter(c)) {
      if (c < 0x80)
        word += char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      else
        word += text.substr(pos, s.length);
    } else {
      flush();
    }
    pos += s.length;
  }
  flush();
  return words;
}

std::vector<std::string> model_unknown_words(const ModelDefaults& d, const std::string& prompt) {
  std::vector<std::string> unknown;
  if (d.words.empty()) return unknown;
  std::set<std::string> seen;
  for (const std::string& w : prompt_words(prompt))
    if (!std::binary_search(d.words.begin(), d.words.end(), w) && seen.insert(w).second)
      unknown.push_back(w);
  return unknown;
}

}  // namespace kino::gen
