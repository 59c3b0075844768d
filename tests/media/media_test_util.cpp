#include "media_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "support/test_dir.h"

namespace kino::testing {

void ffmpeg_make(const std::string& args, const std::filesystem::path& out) {
  const std::string cmd =
      "ffmpeg -nostdin -y -hide_banner -loglevel error " + args + " '" + out.string() + "'";
  ASSERT_EQ(run_command(cmd), 0) << cmd;
  ASSERT_TRUE(std::filesystem::exists(out)) << cmd;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

double plane_mean(const media::Frame& f, int plane, int x0, int y0, int x1, int y1) {
  double sum = 0;
  int64_t n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x, ++n) sum += f.row(plane, y)[x];
  return n ? sum / double(n) : 0.0;
}

double channel_rms(const std::vector<float>& samples, int channels, int channel) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = size_t(channel); i < samples.size(); i += size_t(channels), ++n)
    sum += double(samples[i]) * samples[i];
  return n ? std::sqrt(sum / double(n)) : 0.0;
}

}  // namespace kino::testing
