#pragma once
// Internal to the agent: a chat message prepared for matching. The normalized text
// lowercases ASCII, folds full-width forms and dashes to ASCII, turns Chinese numerals
// before a unit or after 第/前/后/之 into digits (前三秒 -> 前3秒), and keeps a map back
// to the original bytes so that prompts and quoted text keep their case.
// Matching works on a copy in which quoted text and every claimed span are blanked
// with kBlank, a byte that is neither a word character nor whitespace: claimed phrases
// never match twice and patterns never run across them.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kino::agent {

struct Span {
  size_t begin = 0, end = 0;  // byte offsets into the normalized text
  bool empty() const { return end <= begin; }
};

struct Quote {
  std::string text;  // original bytes between the quote marks
  Span span;         // including the marks
};

// Valid UTF-8: every byte that does not start a well-formed sequence becomes U+FFFD.
std::string utf8_sanitize(std::string_view text);

class MessageText {
 public:
  static constexpr char kBlank = '\x1f';

  explicit MessageText(std::string_view original);

  const std::string& original() const { return original_; }
  const std::string& norm() const { return norm_; }
  // The text still free for matching (quotes and claimed spans blanked).
  const std::string& work() const { return work_; }
  const std::vector<Quote>& quotes() const { return quotes_; }

  bool is_free(Span s) const;  // no byte of s is claimed or quoted
  void claim(Span s);
  // The original bytes behind a span of the normalized text.
  std::string original_slice(Span s) const;

 private:
  void find_quotes();

  std::string original_;
  std::string norm_;
  std::vector<size_t> map_;  // norm byte -> original byte; size norm_.size() + 1
  std::string work_;
  std::vector<Quote> quotes_;
};

}  // namespace kino::agent
