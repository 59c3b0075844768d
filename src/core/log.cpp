#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

namespace kino {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("KINO_LOG");
  if (!env) return LogLevel::info;
  std::string v = env;
  if (v == "error") return LogLevel::error;
  if (v == "warn") return LogLevel::warn;
  if (v == "debug") return LogLevel::debug;
  return LogLevel::info;
}

std::atomic<int> g_level{int(initial_level())};
std::mutex g_mutex;
constexpr const char* kLevelNames[] = {"error", "warn", "info", "debug"};

}  // namespace

void log_set_level(LogLevel level) { g_level.store(int(level)); }
bool log_enabled(LogLevel level) { return int(level) <= g_level.load(); }

void log_write(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s %s %.*s\n", stamp, kLevelNames[int(level)], int(message.size()),
               message.data());
}

}  // namespace kino
