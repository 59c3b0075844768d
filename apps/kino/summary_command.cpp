#include <cstdio>
#include <string>

#include "commands.h"
#include "draft_file.h"

namespace kino::cli {

void add_summary_command(CLI::App& app) {
  struct Options {
    std::string draft;
    bool validate = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("summary", "Print a draft's tracks, one line per track");
  cmd->add_option("draft", o->draft, "Draft JSON file")->required();
  cmd->add_flag("--validate", o->validate, "Also check the draft's rules and limits");
  cmd->callback([o] {
    timeline::Draft draft = read_draft_file(o->draft);
    if (o->validate) timeline::draft_validate(draft);
    std::printf("%s\n", timeline::draft_summary(draft).c_str());
  });
}

}  // namespace kino::cli
