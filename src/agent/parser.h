#pragma once
// A chat message -> a Plan, by deterministic rules over the phrase tables of lexicon.cpp
// (no model involved). docs/AGENT.md lists the intents and their phrasings.
#include <cstddef>
#include <span>
#include <string_view>

#include "agent/action.h"
#include "agent/media_item.h"

namespace kino::agent {

struct ParseContext {
  std::string_view session_language;   // "en", "zh", ...; empty: detect from the message
  std::span<const MediaItem> library;  // names the user may mention; oldest first
};

// Messages are read up to this many bytes (cut at a character boundary); agent_turn
// refuses longer ones before parsing (AgentLimits::max_message_bytes).
constexpr size_t kParseMaxBytes = 8192;

// Never throws for any input: what matches nothing becomes a help action. Requests
// joined by "then", "and", ";", "然后" ... become several actions when each part has
// its own verb (generation prompts are never split).
Plan parse_message(std::string_view message, const ParseContext& context = {});

}  // namespace kino::agent
