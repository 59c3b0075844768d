#pragma once
// The rule undo follows, shared by the stores: an undo of the latest version restores
// the one before it, skipping versions that were themselves undos ("undo to N" notes
// point back to N), so undo after undo keeps walking back.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kino::store {

// The note every undo version carries: "undo to <version>".
std::string draft_undo_note(int64_t restored_version);

// The version an undo of `latest` restores (0: none). `note_of(v)` returns version v's
// note, nullopt when it does not exist.
int64_t draft_undo_target(int64_t latest,
                          const std::function<std::optional<std::string>(int64_t)>& note_of);

}  // namespace kino::store
