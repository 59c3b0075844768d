#pragma once
// Still pictures out: an rgba frame as a PNG (lossless) or JPEG file, chosen by the path's
// extension. Used for previews, test pictures and the image-to-video evaluation.
#include <filesystem>

#include "media/frame.h"

namespace kino::media {

// Alpha is dropped. Another extension or a frame that is not rgba: Error(bad_request); I/O or
// encoder failures: Error(internal), and no partial file is left.
void write_image(const std::filesystem::path& path, const Frame& rgba);

}  // namespace kino::media
