#pragma once
// What a generated clip costs: credits per second of output by resolution, the same for
// text-to-video and image-to-video. docs/API.md prints this table.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kino::service {

struct GenerationCosts {
  int64_t per_second_480p = 1;
  int64_t per_second_720p = 2;
  int64_t per_second_1080p = 3;
};

// "480p", "720p", "1080p" (the wire spelling) and the short side in pixels.
std::optional<int> generation_resolution_parse(std::string_view resolution);
std::string generation_resolution_names();  // "480p, 720p, 1080p"

// seconds * the resolution's rate. Error(bad_request) naming the field for an unknown
// resolution or seconds <= 0.
int64_t generation_cost(const GenerationCosts& costs, int64_t seconds, std::string_view resolution);

// The file size a clip of `resolution` and `aspect` ("16:9", "9:16", "1:1", "4:5" or any
// "W:H") is delivered at: the largest even size of that aspect inside the resolution's 16:9
// frame, turned upright for portrait ("720p", "16:9" -> 1280x720; "1080p", "21:9" -> 1920x822;
// "1080p", "4:5" -> 1080x1350). Error(bad_request) for bad values.
std::pair<int, int> generation_output_size(std::string_view resolution, std::string_view aspect);

}  // namespace kino::service
