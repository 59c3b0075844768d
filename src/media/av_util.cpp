#include "media/av_util.h"

#include <mutex>

#include "core/error.h"
#include "core/log.h"

namespace kino::media::av {

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) fail(ErrorCode::internal, "av_frame_alloc: out of memory");
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) fail(ErrorCode::internal, "av_packet_alloc: out of memory");
  return p;
}

std::string error_text(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averror, buf, sizeof(buf));
  return std::string(buf) + " (" + std::to_string(averror) + ")";
}

AVPixelFormat pixel_format_to_av(PixelFormat format) {
  switch (format) {
    case PixelFormat::yuv420p: return AV_PIX_FMT_YUV420P;
    case PixelFormat::yuva420p: return AV_PIX_FMT_YUVA420P;
    case PixelFormat::rgba: return AV_PIX_FMT_RGBA;
    case PixelFormat::gray: return AV_PIX_FMT_GRAY8;
  }
  return AV_PIX_FMT_NONE;
}

void init_logging() {
  static std::once_flag once;
  std::call_once(
      once, [] { av_log_set_level(log_enabled(LogLevel::debug) ? AV_LOG_VERBOSE : AV_LOG_QUIET); });
}

OutputContextPtr make_output_context(const char* format, const std::string& url) {
  AVFormatContext* oc = nullptr;
  int ret = avformat_alloc_output_context2(&oc, nullptr, format, url.c_str());
  if (ret < 0 || !oc)
    fail(ErrorCode::internal,
         std::string("cannot create the ") + format + " muxer: " + error_text(ret));
  return OutputContextPtr(oc);
}

std::string file_url(const std::string& path) {
  return "file:" + path;
}

}  // namespace kino::media::av
