#include "reference_support.h"

#include "models_command.h"
#include "support/test_dir.h"

namespace kino::gen::testing {

void kino_models(const std::vector<std::string>& args) {
  CLI::App app;
  cli::add_models_command(app);
  std::vector<std::string> argv{"kino", "models"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  app.parse(int(ptrs.size()), ptrs.data());
}

int run_reference_script(const std::string& script, const std::string& args) {
  return kino::testing::run_command(std::string(KINO_REFERENCE_PYTHON) + " " + KINO_REFERENCE_DIR +
                                    "/" + script + " " + args);
}

}  // namespace kino::gen::testing
