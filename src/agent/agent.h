#pragma once
// Public header of the agent module: a chat message -> a plan of actions, edits applied
// to a draft, and replies in the session's language (English or Chinese).
#include "agent/action.h"
#include "agent/language.h"
#include "agent/media_item.h"
#include "agent/parser.h"
