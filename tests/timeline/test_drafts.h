#pragma once
// Shared fixtures for the timeline tests.
#include <string>

#include "core/error.h"
#include "timeline/timeline.h"

namespace kino::timeline::testing {

// A valid 9:16 draft: two video segments cross-fading, music at 35%, a 3 s title.
inline const char* kExampleDraft = R"({
  "v": 1,
  "canvas": {"w": 1080, "h": 1920, "fps": 30},
  "t": [
    {"id": "tr_v", "tt": 0, "m": {"name": "Main"}, "sg": [
      {"id": "sg_a", "start": 0, "d": 5000, "src": "a.mp4", "m": {"name": "city timelapse"}},
      {"id": "sg_b", "start": 4000, "d": 6000, "src": "b.png",
       "transition": {"type": "crossfade", "d": 1000}}]},
    {"id": "tr_m", "tt": 1, "sg": [
      {"id": "sg_m", "start": 0, "d": 10000, "src": "music.mp3", "volume": 0.35,
       "m": {"name": "Lo-fi"}}]},
    {"id": "tr_t", "tt": 7, "sg": [
      {"id": "sg_t", "start": 0, "d": 3000, "text": "Urban Dreams"}]}]
})";

inline Draft example_draft() {
  return draft_parse(kExampleDraft);
}

// Runs fn, expecting a kino::Error with `code`; returns its message.
template <typename Fn>
std::string error_of(Fn&& fn, ErrorCode code = ErrorCode::bad_request) {
  try {
    fn();
  } catch (const Error& e) {
    if (e.code() != code)
      return "wrong code " + std::string(error_code_name(e.code())) + ": " + e.what();
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a kino::Error: ") + e.what();
  }
  return "no error";
}

}  // namespace kino::timeline::testing
