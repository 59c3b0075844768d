#pragma once
// Minimal leveled logging to stderr; thread-safe, one line per call.
// The level comes from KINO_LOG (error|warn|info|debug), default info.
#include <string_view>

namespace kino {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

void log_set_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_write(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log_write(LogLevel::error, m); }
inline void log_warn(std::string_view m) { log_write(LogLevel::warn, m); }
inline void log_info(std::string_view m) { log_write(LogLevel::info, m); }
inline void log_debug(std::string_view m) { log_write(LogLevel::debug, m); }

}  // namespace kino
