#include "scenes/scene_dataset.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "media/encoder.h"
#include "media/scaler.h"

namespace kino::scenes {
namespace {

std::string sample_stem(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%05lld", static_cast<long long>(i));
  return buf;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) fail(ErrorCode::internal, "cannot write " + path.string());
}

}  // namespace

void clip_write_mp4(const std::vector<RgbImage>& frames, Rational fps,
                    const std::filesystem::path& path, int scale) {
  if (frames.empty()) fail_bad_request("clip_write_mp4: the clip has no frames");
  if (scale < 1 || scale > 16)
    fail_bad_request("scale must be 1..16, got " + std::to_string(scale));
  if (!fps.valid()) fail_bad_request("fps must be > 0, got " + fps.str());
  const int w = frames[0].width, h = frames[0].height;
  const int ow = (w * scale + 1) / 2 * 2, oh = (h * scale + 1) / 2 * 2;
  media::EncodeParams params;
  params.width = ow;
  params.height = oh;
  params.fps = fps;
  params.audio = false;
  params.threads = 1;
  media::Encoder encoder(path, params);
  media::Scaler scaler;
  media::Frame rgba(media::PixelFormat::rgba, ow, oh);
  media::Frame yuv(media::PixelFormat::yuv420p, ow, oh);
  for (size_t i = 0; i < frames.size(); ++i) {
    const RgbImage& f = frames[i];
    if (f.width != w || f.height != h)
      fail_bad_request("clip_write_mp4: frame " + std::to_string(i) + " is " +
                       std::to_string(f.width) + "x" + std::to_string(f.height) + ", not " +
                       std::to_string(w) + "x" + std::to_string(h));
    for (int y = 0; y < oh; ++y) {
      uint8_t* row = rgba.row(0, y);
      const int sy = std::min(h - 1, y / scale);
      for (int x = 0; x < ow; ++x) {
        const uint8_t* s = f.pixel(std::min(w - 1, x / scale), sy);
        row[4 * x] = s[0], row[4 * x + 1] = s[1], row[4 * x + 2] = s[2], row[4 * x + 3] = 255;
      }
    }
    scaler.scale(rgba, yuv);
    encoder.write_video(yuv);
  }
  encoder.finish();
}

std::vector<std::filesystem::path> dataset_write(const std::filesystem::path& dir,
                                                 const DatasetWriteOptions& options) {
  if (options.count < 1 || options.count > 100000)
    fail_bad_request("count must be 1..100000, got " + std::to_string(options.count));
  clip_format_validate(options.format);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(ErrorCode::internal, "cannot create " + dir.string() + ": " + ec.message());
  std::vector<std::filesystem::path> out;
  std::string index_text;
  for (int64_t i = 0; i < options.count; ++i) {
    const Scene scene = scene_sample(options.seed, i, options.split);
    const auto captions = scene_captions(scene);
    const std::string stem = sample_stem(i);
    const auto mp4 = dir / (stem + ".mp4");
    clip_write_mp4(scene_render(scene, options.format), options.format.fps, mp4, options.scale);
    nlohmann::json j = {{"index", i},
                        {"split", scene_split_name(options.split)},
                        {"seed", options.seed},
                        {"scene", nlohmann::json::parse(scene_json(scene))},
                        {"captions", captions}};
    write_text(dir / (stem + ".json"), j.dump(2) + "\n");
    index_text += stem + "\t" + captions.front() + "\n";
    out.push_back(mp4);
  }
  write_text(dir / "captions.txt", index_text);
  return out;
}

void caption_corpus_write(const std::filesystem::path& path, uint64_t seed, int64_t count) {
  if (count < 1 || count > 10000000)
    fail_bad_request("count must be 1..10000000, got " + std::to_string(count));
  std::string text;
  for (int64_t i = 0; i < count; ++i)
    for (const auto& c : scene_captions(scene_sample(seed, i, SceneSplit::train))) text += c + "\n";
  write_text(path, text);
}

}  // namespace kino::scenes
