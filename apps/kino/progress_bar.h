#pragma once
// A terminal progress bar with rate and ETA, drawn on stderr. On a terminal it redraws
// one line at most ten times a second; otherwise it prints a line every 10%.
#include <string>

#include "core/progress.h"

namespace kino::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label, std::string unit = "frames");
  ~ProgressBar();
  void update(const Progress& p);
  // Ends the line (prints the final state once more).
  void finish();

 private:
  std::string label_;
  std::string unit_;
  bool tty_;
  bool open_ = false;
  double last_draw_s_ = -1;
  int last_decile_ = -1;
  Progress last_;
};

// "1m05s", "12s", "0.4s"
std::string format_seconds(double s);
// "12.3 MB"
std::string format_bytes(int64_t bytes);

}  // namespace kino::cli
