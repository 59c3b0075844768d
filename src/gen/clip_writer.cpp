#include "gen/clip_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <system_error>

#include "core/error.h"
#include "media/encoder.h"
#include "media/scaler.h"

namespace kino::gen {

CropRect crop_to_aspect(int width, int height, int out_w, int out_h) {
  CropRect r{0, 0, width, height};
  // Compare width / height with out_w / out_h without rounding.
  const int64_t lhs = int64_t(width) * out_h, rhs = int64_t(out_w) * height;
  if (lhs > rhs) {
    r.w = std::clamp(int(std::lround(double(height) * out_w / out_h)), 1, width);
    r.x = (width - r.w) / 2;
  } else if (lhs < rhs) {
    r.h = std::clamp(int(std::lround(double(width) * out_h / out_w)), 1, height);
    r.y = (height - r.h) / 2;
  }
  return r;
}

namespace {

// `rgba` cropped to its centre part of out_w : out_h; the picture itself when nothing is cut.
// `buffer` holds the copy.
const media::Frame& crop_centre(const media::Frame& rgba, int out_w, int out_h,
                                media::Frame& buffer) {
  if (rgba.format() != media::PixelFormat::rgba)
    fail(ErrorCode::internal, "generated pictures must be rgba");
  const CropRect c = crop_to_aspect(rgba.width(), rgba.height(), out_w, out_h);
  if (c.w == rgba.width() && c.h == rgba.height()) return rgba;
  if (buffer.width() != c.w || buffer.height() != c.h)
    buffer = media::Frame(media::PixelFormat::rgba, c.w, c.h);
  for (int y = 0; y < c.h; ++y)
    std::memcpy(buffer.row(0, y), rgba.row(0, c.y + y) + size_t(c.x) * 4, size_t(c.w) * 4);
  return buffer;
}

}  // namespace

media::Frame fit_cover(const media::Frame& rgba, int out_w, int out_h) {
  media::Frame buffer;
  const media::Frame& cropped = crop_centre(rgba, out_w, out_h, buffer);
  if (cropped.width() == out_w && cropped.height() == out_h) return cropped.clone();
  media::Frame out(media::PixelFormat::rgba, out_w, out_h);
  media::Scaler scaler;
  scaler.scale(cropped, out, media::ScaleFilter::lanczos);
  return out;
}

MeanColor mean_color(const media::Frame& rgba) {
  MeanColor m;
  if (rgba.empty()) return m;
  uint64_t s[3] = {0, 0, 0};
  for (int y = 0; y < rgba.height(); ++y) {
    const uint8_t* p = rgba.row(0, y);
    for (int x = 0; x < rgba.width(); ++x, p += 4) {
      s[0] += p[0];
      s[1] += p[1];
      s[2] += p[2];
    }
  }
  const double n = double(rgba.width()) * rgba.height();
  m.r = double(s[0]) / n;
  m.g = double(s[1]) / n;
  m.b = double(s[2]) / n;
  return m;
}

struct ClipWriter::Impl {
  std::filesystem::path out, part;
  std::unique_ptr<media::Encoder> encoder;
  media::Scaler scaler;
  media::Frame rgba, cropped, yuv;
  bool finished = false;
};

ClipWriter::ClipWriter(const std::filesystem::path& out, int width, int height, Rational fps)
    : impl_(std::make_unique<Impl>()), width_(width), height_(height) {
  impl_->out = out;
  impl_->part = out;
  impl_->part += ".part";
  media::EncodeParams p;
  p.format = media::ContainerFormat::mp4;
  p.width = width;
  p.height = height;
  p.fps = fps;
  p.audio = false;
  p.quality = media::Quality::high;
  impl_->encoder = std::make_unique<media::Encoder>(impl_->part, p);
  impl_->yuv = media::Frame(media::PixelFormat::yuv420p, width, height);
}

ClipWriter::~ClipWriter() = default;  // the Encoder removes its unfinished .part file

void ClipWriter::write_rgb(const uint8_t* rgb, int width, int height) {
  if (impl_->rgba.width() != width || impl_->rgba.height() != height)
    impl_->rgba = media::Frame(media::PixelFormat::rgba, width, height);
  for (int y = 0; y < height; ++y) {
    const uint8_t* s = rgb + size_t(y) * size_t(width) * 3;
    uint8_t* d = impl_->rgba.row(0, y);
    for (int x = 0; x < width; ++x, s += 3, d += 4) {
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
      d[3] = 255;
    }
  }
  write(impl_->rgba);
}

void ClipWriter::write(const media::Frame& rgba) {
  if (impl_->finished) fail(ErrorCode::internal, "ClipWriter::write after finish");
  impl_->scaler.scale(crop_centre(rgba, width_, height_, impl_->cropped), impl_->yuv,
                      media::ScaleFilter::lanczos);
  impl_->encoder->write_video(impl_->yuv);
  ++frames_;
}

void ClipWriter::finish() {
  if (impl_->finished) return;
  impl_->encoder->finish();
  impl_->finished = true;
  std::error_code ec;
  std::filesystem::rename(impl_->part, impl_->out, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(impl_->part, ec);
    fail(ErrorCode::internal,
         "cannot move the finished video to " + impl_->out.string() + ": " + why);
  }
}

}  // namespace kino::gen
