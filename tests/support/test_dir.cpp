#include "support/test_dir.h"

#include <cstdio>
#include <cstdlib>

#include "core/id.h"

namespace kino::testing {

TestDir::TestDir(const std::string& name)
    : path_(std::filesystem::temp_directory_path() / ("kino-test-" + name + "-" + make_id("", 6))) {
  std::filesystem::create_directories(path_);
}

TestDir::~TestDir() {
  if (std::getenv("KINO_KEEP_TEST_FILES")) {
    std::fprintf(stderr, "test files kept in %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int run_command(const std::string& command) {
  int status = std::system(command.c_str());
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace kino::testing
