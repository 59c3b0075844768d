#pragma once
// Public header of the core module: errors with API codes, JSON helpers, exact
// rationals, progress and cancellation, ids, clocks, logging.
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/rational.h"
#include "core/utf8.h"
