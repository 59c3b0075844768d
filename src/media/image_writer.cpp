#include "media/image_writer.h"

#include <algorithm>
#include <fstream>
#include <string>

#include "core/error.h"
#include "media/av_util.h"

namespace kino::media {
namespace {

[[noreturn]] void fail_write(const std::filesystem::path& path, const std::string& what, int ret) {
  fail(ErrorCode::internal, path.string() + ": " + what + ": " + av::error_text(ret));
}

}  // namespace

void write_image(const std::filesystem::path& path, const Frame& rgba) {
  av::init_logging();
  if (rgba.format() != PixelFormat::rgba)
    fail_bad_request("write_image takes an rgba frame");
  const int width = rgba.width(), height = rgba.height();
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const bool png = ext == ".png";
  if (!png && ext != ".jpg" && ext != ".jpeg")
    fail_bad_request("image extension must be .png, .jpg or .jpeg, got '" + ext + "'");

  const AVCodec* codec = avcodec_find_encoder(png ? AV_CODEC_ID_PNG : AV_CODEC_ID_MJPEG);
  if (!codec) fail(ErrorCode::internal, "no png/mjpeg encoder in this FFmpeg build");
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) fail(ErrorCode::internal, "avcodec_alloc_context3 failed");
  ctx->width = width;
  ctx->height = height;
  ctx->time_base = AVRational{1, 25};
  ctx->pix_fmt = png ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ420P;
  if (!png) {
    ctx->color_range = AVCOL_RANGE_JPEG;
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 3;
  }
  int ret = avcodec_open2(ctx.get(), codec, nullptr);
  if (ret < 0) fail_write(path, "cannot open the image encoder", ret);

  auto frame = av::make_frame();
  frame->format = ctx->pix_fmt;
  frame->width = width;
  frame->height = height;
  ret = av_frame_get_buffer(frame.get(), 0);
  if (ret < 0) fail_write(path, "av_frame_get_buffer", ret);
  // Convert straight from rgba with swscale (full range for JPEG, as JFIF wants).
  av::SwsPtr sws(sws_getContext(width, height, AV_PIX_FMT_RGBA, width, height, ctx->pix_fmt,
                                SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws) fail(ErrorCode::internal, "sws_getContext failed for the image");
  const uint8_t* src[4] = {rgba.data(0), nullptr, nullptr, nullptr};
  const int src_stride[4] = {rgba.stride(0), 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, height, frame->data, frame->linesize);
  frame->pts = 0;

  auto packet = av::make_packet();
  ret = avcodec_send_frame(ctx.get(), frame.get());
  if (ret >= 0) ret = avcodec_send_frame(ctx.get(), nullptr);
  if (ret >= 0) ret = avcodec_receive_packet(ctx.get(), packet.get());
  if (ret < 0) fail_write(path, "image encoding failed", ret);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(packet->data), packet->size);
  out.close();
  if (!out) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    fail(ErrorCode::internal, path.string() + ": cannot write the image file");
  }
}

void write_image_rgb(const std::filesystem::path& path, const uint8_t* rgb, int width, int height,
                     int scale) {
  if (width < 1 || height < 1 || scale < 1 || int64_t(width) * scale > 16384 ||
      int64_t(height) * scale > 16384)
    fail_bad_request("write_image_rgb: bad size " + std::to_string(width) + "x" +
                     std::to_string(height) + " at scale " + std::to_string(scale));
  Frame f(PixelFormat::rgba, width * scale, height * scale);
  for (int y = 0; y < f.height(); ++y) {
    uint8_t* p = f.row(0, y);
    for (int x = 0; x < f.width(); ++x, p += 4) {
      const uint8_t* s = rgb + (size_t(y / scale) * size_t(width) + size_t(x / scale)) * 3;
      p[0] = s[0], p[1] = s[1], p[2] = s[2], p[3] = 255;
    }
  }
  write_image(path, f);
}

}  // namespace kino::media
