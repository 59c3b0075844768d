#pragma once
// A session's media library as the agent sees it: uploads and generated clips, oldest
// first (renders are not offered).
#include <string>
#include <vector>

#include "agent/media_item.h"
#include "store/store.h"

namespace kino::service {

std::vector<agent::MediaItem> agent_library(store::Store& store, const std::string& session_id);

}  // namespace kino::service
