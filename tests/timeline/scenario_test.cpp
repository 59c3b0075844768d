// Runs the edit scenarios in scenarios/*.txt (the format is described at the top of
// scenarios/edits.txt), so that a new edit case is a few lines of text.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "test_drafts.h"

namespace kino::timeline {
namespace {

namespace fs = std::filesystem;

// Splits a command line into words; a word starting with {, [ or " runs to its matching
// end, so JSON values may contain spaces.
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    size_t start = i;
    if (line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i)
        if (line[i] == '\\') ++i;
      ++i;
    } else if (line[i] == '{' || line[i] == '[') {
      int depth = 0;
      bool in_string = false;
      for (; i < line.size(); ++i) {
        char c = line[i];
        if (in_string) {
          if (c == '\\')
            ++i;
          else if (c == '"')
            in_string = false;
        } else if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          ++i;
          break;
        }
      }
    } else {
      while (i < line.size() && line[i] != ' ') ++i;
    }
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

class Scenario {
 public:
  explicit Scenario(std::string file) : file_(std::move(file)) {}

  void run() {
    std::ifstream in(file_);
    ASSERT_TRUE(in) << "cannot open " << file_;
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (line.empty() || line[0] == '#') continue;
      line_ = i + 1;
      if (line.rfind("summary", 0) == 0) {
        ASSERT_LT(i + 1, lines.size()) << where() << "summary needs an expected line";
        EXPECT_EQ(draft_summary(draft_), substitute(lines[++i])) << where();
      } else if (line.rfind("expect ", 0) == 0) {
        expect(words_of(line.substr(7)));
      } else if (line.rfind("draft ", 0) == 0) {
        draft_ = draft_parse(line.substr(6));
      } else {
        ASSERT_LT(i + 1, lines.size()) << where() << "a command needs an ok/error line";
        std::string expected = substitute(lines[++i]);
        std::string got = outcome(words_of(line));
        EXPECT_EQ(got, expected) << where() << line;
      }
    }
  }

 private:
  std::string where() const { return file_ + ":" + std::to_string(line_) + ": "; }

  std::string arg(const std::string& w) {
    if (!w.empty() && w[0] == '$') {
      auto it = vars_.find(w.substr(1));
      if (it == vars_.end()) throw std::runtime_error("unbound " + w);
      return it->second;
    }
    if (!w.empty() && w[0] == '"') return json_parse(w, "scenario").get<std::string>();
    return w == "-" ? "" : w;
  }

  // Replaces each $NAME by its bound id, longest names first ($music before $m).
  std::string substitute(std::string text) const {
    std::vector<std::pair<std::string, std::string>> vars(vars_.begin(), vars_.end());
    std::sort(vars.begin(), vars.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    for (const auto& [name, value] : vars) {
      for (size_t p; (p = text.find("$" + name)) != std::string::npos;)
        text.replace(p, name.size() + 1, value);
    }
    return text;
  }

  // "expect <json pointer> <json value>": compares a part of draft_to_json.
  void expect(const std::vector<std::string>& w) {
    ASSERT_EQ(w.size(), 2u) << where() << "expect <pointer> <json>";
    std::string ptr = substitute(w[0]);
    Json j = draft_to_json(draft_);
    Json::json_pointer pointer(ptr);
    ASSERT_TRUE(j.contains(pointer)) << where() << ptr << " not in " << j.dump();
    EXPECT_EQ(j[pointer], json_parse(substitute(w[1]), "scenario")) << where() << ptr;
  }

  std::string outcome(std::vector<std::string> w) {
    std::string bind;
    if (w.size() >= 2 && w[w.size() - 2] == "as") {
      bind = w.back();
      w.resize(w.size() - 2);
    }
    try {
      std::string result = apply(w);
      if (!bind.empty()) vars_[bind] = result;
      return "ok";
    } catch (const Error& e) {
      return "error " + std::string(error_code_name(e.code())) + ": " + e.what();
    }
  }

  std::string apply(const std::vector<std::string>& w) {
    const std::string& op = w[0];
    auto n = [&](size_t i) { return std::stoll(arg(w.at(i))); };
    if (op == "add_track") {
      auto type = track_type_parse(w.at(1));
      if (!type) throw std::runtime_error("bad track type " + w.at(1));
      return add_track(draft_, *type, arg(w.at(2)));
    }
    if (op == "remove_track") return remove_track(draft_, arg(w.at(1))).id;
    if (op == "add_segment") {
      Json j = json_parse(w.at(2), "scenario");
      if (!j.contains("d")) j["d"] = 0;
      Draft one = draft_from_json({{"t", {{{"tt", 0}, {"sg", {j}}}}}});
      std::optional<int64_t> start;
      if (w.size() > 4 && w[3] == "at") start = n(4);
      return add_segment(draft_, arg(w.at(1)), one.tracks[0].segments[0], start);
    }
    if (op == "remove_segment") return remove_segment(draft_, arg(w.at(1))).id;
    if (op == "move_segment") {
      move_segment(draft_, arg(w.at(1)), n(2), w.size() > 3 ? arg(w[3]) : "");
      return "";
    }
    if (op == "trim_segment") {
      trim_segment(draft_, arg(w.at(1)), n(2), n(3));
      return "";
    }
    if (op == "set_volume") {
      set_volume(draft_, arg(w.at(1)), std::stod(w.at(2)));
      return "";
    }
    if (op == "add_text") {
      TextStyle style;
      if (w.size() > 4) {
        Json seg = {{"d", 1}, {"style", json_parse(w[4], "scenario")}};
        style = draft_from_json({{"t", {{{"tt", 7}, {"sg", {seg}}}}}}).tracks[0].segments[0].style;
      }
      return add_text(draft_, arg(w.at(1)), n(2), n(3), style);
    }
    if (op == "set_aspect") {
      set_aspect(draft_, arg(w.at(1)));
      return "";
    }
    if (op == "validate") {
      draft_validate(draft_);
      return "";
    }
    throw std::runtime_error("unknown scenario command " + op);
  }

  std::string file_;
  size_t line_ = 0;
  Draft draft_;
  std::map<std::string, std::string> vars_;
};

TEST(Scenarios, WordsKeepJsonTogether) {
  EXPECT_EQ(words_of(R"(add_segment $v {"d": 5, "m": {"name": "a b"}} at 0)"),
            (std::vector<std::string>{"add_segment", "$v", R"({"d": 5, "m": {"name": "a b"}})",
                                      "at", "0"}));
  EXPECT_EQ(words_of(R"(add_text "say \"hi\" [x]" 0 10)"),
            (std::vector<std::string>{"add_text", R"("say \"hi\" [x]")", "0", "10"}));
}

TEST(Scenarios, AllFilesPass) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(KINO_TIMELINE_SCENARIOS)) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    Scenario(entry.path().string()).run();
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace kino::timeline
