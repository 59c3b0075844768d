#pragma once
// A fresh temporary folder per test, removed afterwards unless KINO_KEEP_TEST_FILES is set
// (then its path is printed, so failing outputs can be inspected).
#include <filesystem>
#include <string>

namespace kino::testing {

class TestDir {
 public:
  explicit TestDir(const std::string& name);
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command (for ffmpeg's test sources); returns its exit status.
int run_command(const std::string& command);

}  // namespace kino::testing
