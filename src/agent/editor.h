#pragma once
// Applies an edit action to a draft with the timeline's edit operations.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/action.h"
#include "agent/media_item.h"
#include "timeline/draft.h"
#include "timeline/validate.h"

namespace kino::agent {

enum class ChangeKind { added, removed, modified, canvas };
std::string_view change_kind_name(ChangeKind kind);  // "added", "removed", "modified", "canvas"
std::optional<ChangeKind> change_kind_parse(std::string_view s);

struct Change {
  ChangeKind kind = ChangeKind::modified;
  std::string id;  // the track or segment; empty for the canvas
  Json to_json() const;
};

// Named defaults of the edits.
struct EditDefaults {
  int64_t title_ms = 3000;   // a title without an end
  int64_t image_ms = 3000;   // an image added without a length
  double title_size = 0.09;  // font size as a fraction of the canvas' smaller side
  double caption_size = 0.05;
  double title_outline = 0.004;  // outline width, same unit
  double caption_outline = 0.003;
  timeline::DraftLimits limits;  // what every edited draft must pass
};

struct EditResult {
  bool ok = false;
  timeline::Draft draft;  // the edited draft; the input unchanged when !ok
  Action action;          // the action as applied: media resolved, times filled in
  std::vector<Change> changes;
  std::string reply;  // one sentence: what changed, or why nothing did
};

// `action` must be an edit (action_is_edit); others come back !ok with the help reply.
// Never throws for user input: a broken timeline rule becomes a reply naming it.
EditResult apply_edit(const timeline::Draft& draft, const Action& action,
                      std::span<const MediaItem> library, Language language,
                      const EditDefaults& defaults = {});

}  // namespace kino::agent
