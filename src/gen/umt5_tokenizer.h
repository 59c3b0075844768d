#pragma once
// The umT5 tokenizer (spec §2.1): SentencePiece from `spiece.model` or the `spiece_model` tensor
// that ComfyUI's umT5 files embed; text cleaned as the reference does (HTML unescaped twice,
// whitespace collapsed, stripped); EOS appended, truncated and zero-padded to max_length.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kino::gen {

inline constexpr int64_t kUmt5TextLength = 512;

struct TokenizedText {
  std::vector<int64_t> ids;   // max_length entries: pieces, EOS, then 0 (pad)
  std::vector<int64_t> mask;  // 1 for pieces and EOS, 0 for padding
  int64_t length = 0;         // real tokens including EOS
};

// HTML entities unescaped twice, runs of whitespace collapsed to one space, ends stripped.
std::string umt5_clean_text(std::string_view text);

// Thread-safe for concurrent encode() calls once loaded.
class UMT5Tokenizer {
 public:
  // Corrupt data: Error(unsupported) naming `what`.
  static UMT5Tokenizer load_bytes(std::string_view serialized, std::string_view what);
  static UMT5Tokenizer load_file(const std::filesystem::path& path);

  // max_length outside 1..4096: Error(bad_request).
  TokenizedText encode(std::string_view text, int64_t max_length = kUmt5TextLength) const;
  int64_t vocab_size() const;
  int64_t eos_id() const { return eos_; }

 private:
  std::shared_ptr<void> sp_;  // a kino_spm model (spm_library.h)
  int64_t eos_ = 1;
};

// The tokenizer of a model folder: a spiece.model file, else the spiece_model tensor of its umT5
// weights. Neither: Error(unsupported) saying what was looked for.
UMT5Tokenizer umt5_tokenizer_load(const std::filesystem::path& model);

}  // namespace kino::gen
