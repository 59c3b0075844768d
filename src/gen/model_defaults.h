#pragma once
// What a model generates when a request leaves a setting out: the Wan family's conventions
// (spec §0, §4.5), or the "kino" block of a folder's config.json, which kino-tiny carries
// because it was trained for one size, length and sampler setting:
//   "kino": {"name": "kino-tiny", "width": 64, "height": 64, "frames": 17, "fps": "8",
//            "sample_steps": 20, "sample_shift": 3, "sample_guide_scale": 4,
//            "sample_neg_prompt": "", "words": [...]}
// No LibTorch in this header.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kino::gen {

struct ModelDefaults {
  std::string name;                   // the block's "name"; empty for Wan folders
  int64_t width = 832, height = 480;  // native size (other aspects keep about its area)
  std::string aspect = "16:9";        // when a request names none: "W:H" of the block's size
  int64_t fps = 16;
  int64_t frames = 81;  // 4n + 1
  int64_t steps = 50;
  double cfg = 5.0, shift = 5.0;
  std::string negative;  // used when a request gives none
  // Every word of the training captions (lower case), when the model was trained on a closed
  // vocabulary; empty: any prompt is fair.
  std::vector<std::string> words;

  double seconds() const { return double(frames - 1) / double(fps); }
};

// Overrides `d` with the "kino" block of config_json, if it has one. A block with values of the
// wrong type or out of range: Error(unsupported) naming the file and key.
void model_defaults_apply(const std::filesystem::path& config_json, ModelDefaults& d);

// The words of a text as model_unknown_words() compares them: runs of letters (Latin and other
// alphabets, lower-cased ASCII) and single CJK characters; digits and punctuation are skipped.
std::vector<std::string> prompt_words(const std::string& text);

// The words of `prompt` the model never saw in training, in order of appearance, each once:
// Latin words by letters (lower-cased), and CJK text by character. Empty when d.words is empty.
std::vector<std::string> model_unknown_words(const ModelDefaults& d, const std::string& prompt);

}  // namespace kino::gen
