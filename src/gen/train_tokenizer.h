#pragma once
// The tokenizer of kino-tiny: a SentencePiece unigram model trained with `spm_train` (Debian's
// sentencepiece package) on the captions of the procedural data set, with the umT5 special ids
// (pad 0, eos 1, bos 2, unk 3) so gen::UMT5Tokenizer loads it like the real one.
#include <cstdint>
#include <filesystem>

namespace kino::gen {

struct TrainTokenizerOptions {
  uint64_t seed = 1;       // scenes of the train split whose captions form the corpus
  int64_t scenes = 20000;  // 100..1000000
  int64_t vocab_size = 512;
  // The spm_train program; empty: $KINO_SPM_TRAIN, else `spm_train` from PATH.
  std::filesystem::path spm_train;
};

// Writes `dir`/spiece.model (and `dir`/spiece.log with spm_train's output). Bad options:
// Error(bad_request); spm_train missing or failing: Error(unavailable / internal) naming it and
// the log file.
std::filesystem::path train_tokenizer(const std::filesystem::path& dir,
                                      const TrainTokenizerOptions& options);

}  // namespace kino::gen
