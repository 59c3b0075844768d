#pragma once
// The kino-tiny data set on disk: sample clips as MP4 with their scene and captions (for people
// to look at), and the caption corpus the tokenizer is trained on.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scenes/scene_caption.h"
#include "scenes/scene_render.h"

namespace kino::scenes {

// H.264 MP4 of the frames, each pixel scaled up `scale` times (1..16; the encoder needs even
// sizes, so odd results are rounded up). Bad arguments: Error(bad_request).
void clip_write_mp4(const std::vector<RgbImage>& frames, Rational fps,
                    const std::filesystem::path& path, int scale = 1);

struct DatasetWriteOptions {
  int64_t count = 16;  // 1..100000
  uint64_t seed = 1;
  SceneSplit split = SceneSplit::train;
  ClipFormat format;
  int scale = 4;  // the MP4s are scaled up for viewing
};

// Writes DIR/NNNNN.mp4 and DIR/NNNNN.json ({"index", "split", "seed", "scene", "captions"}) for
// each sample, and DIR/captions.txt (one line per sample: index, tab, first caption). Returns
// the paths of the MP4s.
std::vector<std::filesystem::path> dataset_write(const std::filesystem::path& dir,
                                                 const DatasetWriteOptions& options);

// Every caption of scenes 0..count-1 of (seed, train split), one per line, for spm_train.
void caption_corpus_write(const std::filesystem::path& path, uint64_t seed, int64_t count);

}  // namespace kino::scenes
