#include "gen/train_tokenizer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "scenes/scenes.h"

extern char** environ;

namespace kino::gen {
namespace fs = std::filesystem;

namespace {

// Runs argv[0] (searched in PATH) with stdout and stderr appended to `log`; returns its exit
// status, or -1 when it could not be started.
int run_program(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

fs::path train_tokenizer(const fs::path& dir, const TrainTokenizerOptions& options) {
  if (options.scenes < 100 || options.scenes > 1000000)
    fail_bad_request("tokenizer scenes must be 100..1000000, got " +
                     std::to_string(options.scenes));
  if (options.vocab_size < 64 || options.vocab_size > 32000)
    fail_bad_request("tokenizer vocab_size must be 64..32000, got " +
                     std::to_string(options.vocab_size));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorCode::internal, "cannot create " + dir.string() + ": " + ec.message());
  const fs::path corpus = dir / "spiece.corpus.txt";
  scenes::caption_corpus_write(corpus, options.seed, options.scenes);

  std::string program = options.spm_train.string();
  if (program.empty()) {
    const char* env = std::getenv("KINO_SPM_TRAIN");
    program = env && *env ? env : "spm_train";
  }
  const fs::path log = dir / "spiece.log";
  const std::vector<std::string> args = {program,
                                         "--input=" + corpus.string(),
                                         "--model_prefix=" + (dir / "spiece").string(),
                                         "--vocab_size=" + std::to_string(options.vocab_size),
                                         "--model_type=unigram",
                                         "--character_coverage=1.0",
                                         "--hard_vocab_limit=false",
                                         "--pad_id=0",
                                         "--eos_id=1",
                                         "--bos_id=2",
                                         "--unk_id=3",
                                         "--num_threads=1"};
  const int rc = run_program(args, log);
  fs::remove(corpus, ec);
  fs::remove(dir / "spiece.vocab", ec);
  if (rc < 0)
    fail(ErrorCode::unavailable,
         "cannot run " + program + " (Debian package sentencepiece; or set KINO_SPM_TRAIN)");
  if (rc != 0)
    fail(ErrorCode::internal,
         program + " failed with status " + std::to_string(rc) + "; see " + log.string());
  const fs::path model = dir / "spiece.model";
  if (!fs::exists(model))
    fail(ErrorCode::internal, program + " wrote no " + model.string() + "; see " + log.string());
  return model;
}

}  // namespace kino::gen
