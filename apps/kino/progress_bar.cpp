#include "progress_bar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace kino::cli {

std::string format_seconds(double s) {
  char buf[32];
  if (s < 0) return "?";
  if (s < 10) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  }
  return buf;
}

std::string format_bytes(int64_t bytes) {
  char buf[32];
  double b = double(bytes);
  if (b < 1024) std::snprintf(buf, sizeof buf, "%lld B", (long long)bytes);
  else if (b < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KB", b / 1024);
  else if (b < 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1048576);
  else std::snprintf(buf, sizeof buf, "%.2f GB", b / 1073741824);
  return buf;
}

namespace {

// "12.5 frames/s", or for slow work "41.2 s/step".
std::string rate_text(const Progress& p, const std::string& unit) {
  char buf[64];
  const double rate = p.elapsed_s > 0 ? double(p.done) / p.elapsed_s : 0;
  if (rate > 0 && rate < 1) {
    std::string one = unit;
    if (one.size() > 1 && one.back() == 's') one.pop_back();
    std::snprintf(buf, sizeof buf, "%.1f s/%s", 1.0 / rate, one.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s/s", rate, unit.c_str());
  }
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), tty_(isatty(STDERR_FILENO) != 0) {}

ProgressBar::~ProgressBar() {
  if (open_) std::fputc('\n', stderr);
}

void ProgressBar::update(const Progress& p) {
  last_ = p;
  if (!tty_) {
    int decile = p.total > 0 ? int(10 * p.done / p.total) : 0;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s: %3d%% (%lld/%lld %s, %s elapsed, %s, ETA %s)\n", label_.c_str(),
                 decile * 10, (long long)p.done, (long long)p.total, unit_.c_str(),
                 format_seconds(p.elapsed_s).c_str(), rate_text(p, unit_).c_str(),
                 format_seconds(p.eta_s()).c_str());
    return;
  }
  if (p.done < p.total && last_draw_s_ >= 0 && p.elapsed_s - last_draw_s_ < 0.1) return;
  last_draw_s_ = p.elapsed_s;
  constexpr int kWidth = 30;
  double f = p.fraction();
  int filled = int(std::lround(f * kWidth));
  std::string bar(size_t(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld %s  %s  ETA %s   ", label_.c_str(),
               bar.c_str(), f * 100, (long long)p.done, (long long)p.total, unit_.c_str(),
               rate_text(p, unit_).c_str(), format_seconds(p.eta_s()).c_str());
  std::fflush(stderr);
  open_ = true;
}

void ProgressBar::finish() {
  if (tty_ && open_) {
    last_draw_s_ = -1;
    update(last_);
    std::fputc('\n', stderr);
    open_ = false;
  }
}

}  // namespace kino::cli
