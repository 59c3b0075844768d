#pragma once
// Internal to the agent: the phrase tables the parser matches, one per language, and
// the patterns that read numbers (times, percentages, seeds, ordinals, file names).
// docs/AGENT.md explains how to add a phrasing (one row) or an intent.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/media_item.h"
#include "agent/message_text.h"

namespace kino::agent {

enum class Cue {
  // routing table of the hosted service
  route_export,
  route_credits,
  route_status,
  route_upload,
  ask_help,
  // verbs
  undo,
  generate,
  animate,
  add,
  remove,
  trim,
  move,
  swap,
  set,
  mute,
  unmute,
  volume,
  // objects
  music,
  title,
  caption,
  text,
  clip,
  image,
  // modifiers (value: the canonical spelling)
  ordinal,     // "1", "2", ..., "last"
  aspect,      // "9:16", "1:1", "16:9", "4:5"
  position,    // "top", "center", "bottom"
  style,       // "cinematic", "anime", ...
  resolution,  // "480p", "720p", "1080p"
  subject,     // "video of", "clip of": the generation prompt follows
  text_intro,  // "saying", "写着": unquoted text for a title follows
  place,       // "start", "end": a place in a track's order ("to the beginning")
  uploaded,    // "uploaded", "上传的": a reference to uploads, not the upload route
  filler,      // politeness and framing that a prompt drops ("please", "can you")
  separator,   // joins two requests ("then", "然后", ";")
  // from patterns (numbers in Hit::a, Hit::b; milliseconds for times)
  time_range,    // a..b
  time_first,    // the first a ms
  time_last,     // the last a ms
  time_at,       // at a
  time_to,       // to a
  time_by,       // by a ("shorten by 2 seconds")
  time_length,   // a bare length
  percent,       // a percent
  seed,          // a
  ordinal_pair,  // ordinals a (and b when b > 0) of the object named in value
  file_name,     // value: the name as written (original case)
  library_name,  // value: the media id of a library item named in the message
};

struct Hit {
  Cue cue;
  std::string value;
  Span span;
  double a = 0, b = 0;
};

// Finds every phrase, pattern and library name in the message, claiming each span so
// that nothing matches twice: patterns first, then library names, then phrases longest
// first. Hits come back sorted by position.
std::vector<Hit> lexicon_scan(MessageText& text, std::span<const MediaItem> library);

// Every phrase of one language's table (for tests and docs).
struct PhraseRow {
  Cue cue;
  std::string_view phrase;  // normalized: lowercase ASCII, digits for Chinese numerals
  std::string_view value = {};
};
std::span<const PhraseRow> lexicon_english();
std::span<const PhraseRow> lexicon_chinese();

}  // namespace kino::agent
