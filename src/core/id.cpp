#include "core/id.h"

#include <mutex>
#include <random>

namespace kino {

std::string make_id(std::string_view prefix, int bytes) {
  static std::mutex mutex;
  static std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  std::lock_guard lock(mutex);
  for (int i = 0; i < bytes; ++i) {
    unsigned v = device() & 0xffu;
    out += kHex[v >> 4];
    out += kHex[v & 15];
  }
  return out;
}

bool id_is_safe(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace kino
