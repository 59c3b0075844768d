#pragma once
// Internal to the media module: RAII holders for FFmpeg objects, error text, and the
// pixel-format mapping. Only the module's .cpp files include this (FFmpeg stays inside).
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <cstdint>
#include <memory>
#include <string>

#include "media/frame.h"

namespace kino::media::av {

struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
// An input context opened by avformat_open_input (custom I/O is closed separately).
struct InputContextDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
// An AVIOContext opened by avio_open / avio_open2.
struct IoContextDeleter {
  void operator()(AVIOContext* c) const { avio_closep(&c); }
};
// An output context from avformat_alloc_output_context2; an open pb is closed with it.
struct OutputContextDeleter {
  void operator()(AVFormatContext* c) const {
    if (c->pb) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
struct SwsDeleter {
  void operator()(SwsContext* c) const { sws_freeContext(c); }
};
struct SwrDeleter {
  void operator()(SwrContext* c) const { swr_free(&c); }
};

using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using InputContextPtr = std::unique_ptr<AVFormatContext, InputContextDeleter>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using OutputContextPtr = std::unique_ptr<AVFormatContext, OutputContextDeleter>;

// Allocates a muxer context for `format` ("mp4", "wav", ...) writing to `url`.
OutputContextPtr make_output_context(const char* format, const std::string& url);
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;

// Allocations that throw Error(internal) instead of returning null.
FramePtr make_frame();
PacketPtr make_packet();

// "Invalid data found when processing input (-1094995529)"
std::string error_text(int averror);

AVPixelFormat pixel_format_to_av(PixelFormat format);

// Configures FFmpeg's own logging once per process (silent unless KINO_LOG=debug:
// failures reach callers as kino::Error); called
// by every entry point of the module before touching FFmpeg.
void init_logging();

// "file:" + path, so names containing ':' are never taken for a protocol.
std::string file_url(const std::string& path);

}  // namespace kino::media::av
