#pragma once
// Public header of the agent module: a chat message -> a plan of actions (parser.h),
// edits applied to a draft (editor.h), replies in the session's language (reply.h),
// and one turn tying them together (turn.h). English and Chinese.
#include "agent/action.h"
#include "agent/editor.h"
#include "agent/language.h"
#include "agent/media_item.h"
#include "agent/parser.h"
#include "agent/reply.h"
#include "agent/turn.h"
