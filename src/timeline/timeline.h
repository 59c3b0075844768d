#pragma once
// Public header of the timeline module: the draft, its JSON wire form, validation,
// edit operations, summaries and the ms -> frame rule.
#include "timeline/draft.h"
#include "timeline/draft_json.h"
#include "timeline/edit.h"
#include "timeline/frame_time.h"
#include "timeline/summary.h"
#include "timeline/validate.h"
