#include "service/agent_library.h"

namespace kino::service {

std::vector<agent::MediaItem> agent_library(store::Store& store, const std::string& session_id) {
  std::vector<agent::MediaItem> out;
  for (const auto& m : store.media_list(session_id, std::nullopt)) {
    auto kind = agent::media_kind_parse(m.kind);
    if (!kind || m.origin == store::MediaOrigin::render) continue;
    out.push_back({m.id, *kind, m.name, m.duration_ms, m.width, m.height});
  }
  return out;
}

}  // namespace kino::service
