#pragma once
// Still pictures out: an rgba frame as a PNG (lossless) or JPEG file, chosen by the path's
// extension. Used for previews, test pictures and the image-to-video evaluation.
#include <cstdint>
#include <filesystem>

#include "media/frame.h"

namespace kino::media {

// Alpha is dropped. Another extension or a frame that is not rgba: Error(bad_request); I/O or
// encoder failures: Error(internal), and no partial file is left.
void write_image(const std::filesystem::path& path, const Frame& rgba);

// The same from packed rgb24 rows (width * height * 3 bytes), each pixel drawn as a scale x
// scale block (nearest neighbour): how the small pictures of models and previews are looked at.
void write_image_rgb(const std::filesystem::path& path, const uint8_t* rgb, int width, int height,
                     int scale = 1);

}  // namespace kino::media
