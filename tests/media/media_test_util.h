#pragma once
// Helpers shared by the media tests: small inputs made with the ffmpeg CLI's lavfi sources.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "media/frame.h"

namespace kino::testing {

// Runs `ffmpeg -y -hide_banner -loglevel error <args> <out>`; fails the test on error.
void ffmpeg_make(const std::string& args, const std::filesystem::path& out);

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

// Mean of a plane's samples inside a rectangle.
double plane_mean(const media::Frame& f, int plane, int x0, int y0, int x1, int y1);

// Root mean square of interleaved samples of one channel.
double channel_rms(const std::vector<float>& samples, int channels, int channel);

}  // namespace kino::testing
