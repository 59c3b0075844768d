#include "gen/umt5_tokenizer.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/utf8.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/spm_library.h"

namespace kino::gen {
namespace {

// The common named entities and all numeric ones; anything else stays as written.
std::string html_unescape(std::string_view s) {
  static const std::pair<std::string_view, uint32_t> kNamed[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      size_t semi = s.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view ent = s.substr(i + 1, semi - i - 1);
        bool done = false;
        if (ent.size() > 1 && ent[0] == '#') {
          const bool hex = ent[1] == 'x' || ent[1] == 'X';
          std::string digits(ent.substr(hex ? 2 : 1));
          char* end = nullptr;
          unsigned long cp = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
          if (!digits.empty() && end && *end == '\0') {
            utf8_append(out, uint32_t(std::min<unsigned long>(cp, 0x110000)));
            done = true;
          }
        } else {
          for (const auto& [name, cp] : kNamed)
            if (ent == name) {
              utf8_append(out, cp);
              done = true;
            }
        }
        if (done) {
          i = semi;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

// Length of a whitespace character at s[i] (ASCII whitespace or U+00A0), else 0.
size_t whitespace_at(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) return 2;
  return 0;
}

}  // namespace

std::string umt5_clean_text(std::string_view text) {
  const std::string once = html_unescape(html_unescape(text));
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < once.size();) {
    if (size_t n = whitespace_at(once, i)) {
      pending_space = !out.empty();
      i += n;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += once[i++];
  }
  return out;
}

UMT5Tokenizer UMT5Tokenizer::load_bytes(std::string_view serialized, std::string_view what) {
  const SpmLibrary& spm = spm_library();
  std::string error;
  void* model = spm.load(serialized.data(), serialized.size(), &error);
  if (!model) fail_unsupported(std::string(what) + ": not a SentencePiece model (" + error + ")");
  UMT5Tokenizer t;
  t.sp_ = std::shared_ptr<void>(model, spm.free);
  const int eos = spm.eos_id(model);
  t.eos_ = eos >= 0 ? eos : 1;
  return t;
}

UMT5Tokenizer UMT5Tokenizer::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::not_found, path.string() + ": cannot read the tokenizer");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_bytes(ss.str(), path.string());
}

int64_t UMT5Tokenizer::vocab_size() const {
  return spm_library().piece_size(sp_.get());
}

TokenizedText UMT5Tokenizer::encode(std::string_view text, int64_t max_length) const {
  if (max_length < 1 || max_length > 4096)
    fail_bad_request("max_length must be in 1..4096, got " + std::to_string(max_length));
  std::vector<int> pieces;
  std::string error;
  const std::string clean = umt5_clean_text(text);
  if (!spm_library().encode(sp_.get(), clean.data(), clean.size(), &pieces, &error))
    fail(ErrorCode::internal, "tokenizer: " + error);
  TokenizedText out;
  const size_t keep = std::min<size_t>(pieces.size(), size_t(max_length - 1));
  out.ids.assign(pieces.begin(), pieces.begin() + keep);
  out.ids.push_back(eos_);
  out.length = int64_t(out.ids.size());
  out.mask.assign(out.ids.size(), 1);
  out.ids.resize(size_t(max_length), 0);
  out.mask.resize(size_t(max_length), 0);
  return out;
}

UMT5Tokenizer umt5_tokenizer_load(const std::filesystem::path& model) {
  ModelFolder folder = model_folder_scan(model);
  if (!folder.tokenizer)
    fail_unsupported(model.string() +
                     ": no tokenizer found (looked for spiece.model and a spiece_model tensor in "
                     "the umT5 weights)");
  if (folder.tokenizer->filename() == "spiece.model")
    return UMT5Tokenizer::load_file(*folder.tokenizer);
  auto file = SafetensorsFile::open(*folder.tokenizer);
  const TensorInfo& info = file->at("spiece_model");
  return UMT5Tokenizer::load_bytes(
      std::string_view(reinterpret_cast<const char*>(file->data(info)), info.nbytes),
      folder.tokenizer->string() + ":spiece_model");
}

}  // namespace kino::gen
