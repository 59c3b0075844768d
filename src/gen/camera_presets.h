#pragma once
// Camera moves as prompt phrases. The base Wan models take no camera input, but they follow
// camera language in the prompt; a preset names a move and the phrase appended for it.
#include <string>
#include <string_view>
#include <vector>

namespace kino::gen {

struct CameraPreset {
  std::string_view name;         // "pan left": what users type
  std::string_view phrase;       // appended to the prompt
  std::string_view description;  // for --help and docs
};

// Every preset, in the documented order (docs/MODELS.md).
const std::vector<CameraPreset>& camera_presets();

// "pan left, pan right, ..." for messages and --help.
std::string camera_preset_names();

// The preset of `name` (case and surrounding spaces ignored, "_" / "-" read as spaces). Unknown:
// Error(bad_request) naming the value and listing the presets.
const CameraPreset& camera_preset_find(std::string_view name);

// The prompt with the preset's phrase appended ("a fox in snow" + "pan left" ->
// "a fox in snow, the camera pans slowly to the left"). An empty name returns the prompt as is.
std::string camera_prompt(std::string_view prompt, std::string_view camera);

}  // namespace kino::gen
