#pragma once
// Reading a draft file from the command line, and resolving its media references
// (file paths, relative to the draft's folder).
#include <filesystem>

#include "render/render.h"
#include "timeline/timeline.h"

namespace kino::cli {

// Reads and parses a draft; a missing file is Error(not_found), bad JSON Error(bad_request).
timeline::Draft read_draft_file(const std::filesystem::path& path);

// Resolves `source` as a path relative to `base` (absolute paths as they are); a file
// that does not exist is Error(not_found) naming the reference.
render::MediaResolver file_resolver(std::filesystem::path base);

}  // namespace kino::cli
