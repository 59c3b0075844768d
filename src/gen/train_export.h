#pragma once
// `kino train export`: turns a dit run's checkpoint into the folder kino ships
// (models/kino-tiny): the DiT, text encoder and VAE in fp16, the tokenizer, and config.json
// with the "kino" block plus the words of the training captions (so a prompt outside them gets
// a note naming the words the model never saw). Optionally with a VAE whose decoder was trained further
// (`kino train vae --freeze-encoder`): its encoder must be the one the DiT learnt the latents of.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>

namespace kino::gen {

struct TrainExportOptions {
  std::filesystem::path dit;  // a dit run's checkpoint folder
  std::filesystem::path vae;  // empty: the VAE the dit run trained with; else a folder or file
  std::filesystem::path out;  // written through out.part, then renamed (an old one is replaced)
  at::ScalarType dtype = at::kHalf;
};

struct TrainExportReport {
  int64_t bytes = 0;  // of the written folder
  int64_t words = 0;  // in the vocabulary list
};

// Errors: a folder that is not a dit checkpoint, or a VAE with another encoder:
// Error(bad_request) naming it.
TrainExportReport train_export(const TrainExportOptions& options);

// `kino train keep`: a run as the small folder a run in progress is kept in between machines
// (the repository's models/kino-tiny-training/): RUN/checkpoint's model files in `dtype` with
// their metadata, its trainer.json, config.json and tokenizer, and RUN's log.csv and
// summary.txt. Left out: the AdamW moments and, with --ema, the optimizer's own weights (the
// average is kept), which are three times the model. Copied back as a run folder, the same
// `kino train` command resumes from it with fresh moments (see Trainer). Written through
// out.part, then renamed. Error(bad_request) when RUN has no checkpoint.
struct TrainKeepReport {
  int64_t bytes = 0;  // of the written folder
  int64_t step = 0;   // of the checkpoint
};
TrainKeepReport train_keep(const std::filesystem::path& run, const std::filesystem::path& out,
                           at::ScalarType dtype = at::kHalf);

}  // namespace kino::gen
