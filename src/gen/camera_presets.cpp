#include "gen/camera_presets.h"

#include <cctype>

#include "core/error.h"

namespace kino::gen {

const std::vector<CameraPreset>& camera_presets() {
  static const std::vector<CameraPreset> presets = {
      {"static shot", "static shot, the camera does not move, locked-off tripod shot",
       "no camera motion"},
      {"pan left", "the camera pans slowly to the left", "horizontal turn to the left"},
      {"pan right", "the camera pans slowly to the right", "horizontal turn to the right"},
      {"tilt up", "the camera tilts up slowly", "vertical turn upwards"},
      {"tilt down", "the camera tilts down slowly", "vertical turn downwards"},
      {"zoom in", "the camera slowly zooms in on the subject", "lens zoom towards the subject"},
      {"zoom out", "the camera slowly zooms out, revealing the surroundings",
       "lens zoom away from the subject"},
      {"dolly in", "dolly in shot, the camera moves forward towards the subject",
       "the camera travels forward"},
      {"dolly out", "dolly out shot, the camera moves backward away from the subject",
       "the camera travels backward"},
      {"truck left", "tracking shot, the camera moves sideways to the left",
       "the camera travels sideways to the left"},
      {"truck right", "tracking shot, the camera moves sideways to the right",
       "the camera travels sideways to the right"},
      {"orbit", "orbit shot, the camera circles around the subject", "circles the subject"},
      {"crane up", "crane shot, the camera rises upward", "the camera rises"},
      {"aerial", "aerial drone shot, high above, moving slowly forward", "drone view"},
      {"handheld", "handheld camera, slight natural shake", "gentle handheld shake"},
      {"follow", "tracking shot, the camera follows the subject", "keeps the subject in frame"},
  };
  return presets;
}

std::string camera_preset_names() {
  std::string s;
  for (const CameraPreset& p : camera_presets()) {
    if (!s.empty()) s += ", ";
    s += p.name;
  }
  return s;
}

namespace {

std::string normalize(std::string_view name) {
  std::string s;
  bool space = false;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') {
      space = !s.empty();
      continue;
    }
    if (space) s += ' ';
    space = false;
    s += char(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

}  // namespace

const CameraPreset& camera_preset_find(std::string_view name) {
  const std::string key = normalize(name);
  for (const CameraPreset& p : camera_presets())
    if (p.name == key) return p;
  fail_bad_request("camera must be one of " + camera_preset_names() + "; got \"" +
                   std::string(name) + "\"");
}

std::string camera_prompt(std::string_view prompt, std::string_view camera) {
  std::string out(prompt);
  if (normalize(camera).empty()) return out;
  const CameraPreset& p = camera_preset_find(camera);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.' || out.back() == ','))
    out.pop_back();
  if (!out.empty()) out += ", ";
  out += p.phrase;
  return out;
}

}  // namespace kino::gen
