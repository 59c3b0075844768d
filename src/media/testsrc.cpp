#include "media/testsrc.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.h"
#include "media/av_util.h"
#include "media/image_writer.h"
#include "media/sws_convert.h"

namespace kino::media {
namespace {

// 75% colour bars: white, yellow, cyan, green, magenta, red, blue.
constexpr uint8_t kBars[7][3] = {{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
                                 {191, 0, 191},   {191, 0, 0},   {0, 0, 191}};

void fill_rect(Frame& f, int x0, int y0, int x1, int y1, Yuv c) {
  x0 = std::clamp(x0, 0, f.width()), x1 = std::clamp(x1, 0, f.width());
  y0 = std::clamp(y0, 0, f.height()), y1 = std::clamp(y1, 0, f.height());
  for (int y = y0; y < y1; ++y) std::fill(f.row(0, y) + x0, f.row(0, y) + x1, c.y);
  for (int y = y0 / 2; y < (y1 + 1) / 2; ++y) {
    std::fill(f.row(1, y) + x0 / 2, f.row(1, y) + (x1 + 1) / 2, c.u);
    std::fill(f.row(2, y) + x0 / 2, f.row(2, y) + (x1 + 1) / 2, c.v);
  }
}

Frame make_bars(int w, int h) {
  Frame f(PixelFormat::yuv420p, w, h);
  for (int i = 0; i < 7; ++i)
    fill_rect(f, i * w / 7, 0, (i + 1) * w / 7, h,
              rgb_to_yuv(kBars[i][0], kBars[i][1], kBars[i][2]));
  return f;
}

[[noreturn]] void fail_write(const std::filesystem::path& path, const std::string& what, int ret) {
  fail(ErrorCode::internal, path.string() + ": " + what + ": " + av::error_text(ret));
}

}  // namespace

void write_test_clip(const std::filesystem::path& path, const TestClipParams& params) {
  if (params.duration_ms <= 0)
    fail_bad_request("test clip duration_ms must be > 0, got " +
                     std::to_string(params.duration_ms));
  EncodeParams ep;
  ep.format = params.format;
  ep.width = params.width;
  ep.height = params.height;
  ep.fps = params.fps;
  ep.quality = Quality::high;
  ep.audio = params.audio;
  Encoder enc(path, ep);  // validates size and fps
  const int w = params.width, h = params.height;
  const int64_t frames =
      std::max<int64_t>(1, av_rescale(params.duration_ms, params.fps.num, params.fps.den * 1000));
  const Frame bars = make_bars(w, h);
  const int box = std::max(2, h / 4);
  const int bit = std::max(1, w / 16);
  const Yuv white = rgb_to_yuv(255, 255, 255), black = rgb_to_yuv(16, 16, 16);
  std::vector<float> tone;
  const int sr = ep.sample_rate, ch = ep.channels;
  for (int64_t i = 0; i < frames; ++i) {
    Frame f = bars.clone();
    const int x = int(frames > 1 ? i * (w - box) / (frames - 1) : 0);
    fill_rect(f, x, (h - box) / 2, x + box, (h - box) / 2 + box, white);
    // Frame counter: 16 binary blocks along the bottom edge, most significant first.
    const int strip = std::max(2, h / 16);
    for (int b = 0; b < 16; ++b)
      fill_rect(f, b * bit, h - strip, (b + 1) * bit, h, (i >> (15 - b)) & 1 ? white : black);
    enc.write_video(f);
    if (params.audio) {
      const int64_t s0 = av_rescale(i, int64_t(sr) * params.fps.den, params.fps.num);
      const int64_t s1 = av_rescale(i + 1, int64_t(sr) * params.fps.den, params.fps.num);
      tone.clear();
      for (int64_t s = s0; s < s1; ++s) {
        const float v = float(params.tone_amplitude *
                              std::sin(2.0 * std::numbers::pi * params.tone_hz * double(s) / sr));
        for (int c = 0; c < ch; ++c) tone.push_back(v);
      }
      enc.write_audio(tone.data(), size_t(s1 - s0));
    }
  }
  enc.finish();
}

void write_test_image(const std::filesystem::path& path, int width, int height) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    fail_bad_request("test image size must be in 1..16384, got " + std::to_string(width) + "x" +
                     std::to_string(height));
  // Gradient (red across, green down) with a white disc and a blue square.
  Frame rgba(PixelFormat::rgba, width, height);
  const int cx = width / 2, cy = height / 2, r = std::min(width, height) / 4;
  for (int y = 0; y < height; ++y) {
    uint8_t* p = rgba.row(0, y);
    for (int x = 0; x < width; ++x, p += 4) {
      p[0] = uint8_t(x * 255 / std::max(1, width - 1));
      p[1] = uint8_t(y * 255 / std::max(1, height - 1));
      p[2] = 96;
      p[3] = 255;
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) p[0] = p[1] = p[2] = 255;
      if (x >= width / 8 && x < width / 8 + r && y >= height / 8 && y < height / 8 + r)
        p[0] = 0, p[1] = 0, p[2] = 255;
    }
  }
  write_image(path, rgba);
}

void write_test_tone(const std::filesystem::path& path, int64_t duration_ms, double hz,
                     double amplitude, int sample_rate, int channels) {
  av::init_logging();
  if (duration_ms <= 0)
    fail_bad_request("tone duration_ms must be > 0, got " + std::to_string(duration_ms));
  if (sample_rate < 8000 || sample_rate > 192000 || channels < 1 || channels > 8)
    fail_bad_request("tone needs sample_rate in 8000..192000 and channels in 1..8, got " +
                     std::to_string(sample_rate) + " and " + std::to_string(channels));
  // Removes a partially written file (armed once the file is opened).
  struct PartialFile {
    const std::filesystem::path& path;
    bool done = true;
    ~PartialFile() {
      std::error_code ec;
      if (!done && std::filesystem::is_regular_file(path, ec)) std::filesystem::remove(path, ec);
    }
  } partial{path};
  const std::string url = av::file_url(path.string());
  av::OutputContextPtr oc = av::make_output_context("wav", url);
  int ret = 0;

  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PCM_S16LE);
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) fail(ErrorCode::internal, "avcodec_alloc_context3 failed");
  ctx->sample_fmt = AV_SAMPLE_FMT_S16;
  ctx->sample_rate = sample_rate;
  av_channel_layout_default(&ctx->ch_layout, channels);
  ctx->time_base = AVRational{1, sample_rate};
  ret = avcodec_open2(ctx.get(), codec, nullptr);
  if (ret < 0) fail_write(path, "cannot open the pcm_s16le encoder", ret);
  AVStream* st = avformat_new_stream(oc.get(), nullptr);
  if (!st) fail(ErrorCode::internal, "avformat_new_stream failed");
  avcodec_parameters_from_context(st->codecpar, ctx.get());
  st->time_base = ctx->time_base;
  ret = avio_open(&oc->pb, url.c_str(), AVIO_FLAG_WRITE);
  if (ret < 0) fail_write(path, "cannot open for writing", ret);
  partial.done = false;
  ret = avformat_write_header(oc.get(), nullptr);
  if (ret < 0) fail_write(path, "cannot write the header", ret);

  const int64_t total = av_rescale(duration_ms, sample_rate, 1000);
  constexpr int kChunk = 4096;
  auto frame = av::make_frame();
  auto packet = av::make_packet();
  auto drain = [&] {
    for (;;) {
      int r = avcodec_receive_packet(ctx.get(), packet.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) fail_write(path, "encoding failed", r);
      av_packet_rescale_ts(packet.get(), ctx->time_base, st->time_base);
      packet->stream_index = st->index;
      r = av_interleaved_write_frame(oc.get(), packet.get());
      if (r < 0) fail_write(path, "write failed", r);
    }
  };
  for (int64_t s0 = 0; s0 < total; s0 += kChunk) {
    const int n = int(std::min<int64_t>(kChunk, total - s0));
    av_frame_unref(frame.get());
    frame->format = AV_SAMPLE_FMT_S16;
    frame->sample_rate = sample_rate;
    av_channel_layout_default(&frame->ch_layout, channels);
    frame->nb_samples = n;
    ret = av_frame_get_buffer(frame.get(), 0);
    if (ret < 0) fail_write(path, "av_frame_get_buffer", ret);
    auto* d = reinterpret_cast<int16_t*>(frame->data[0]);
    for (int i = 0; i < n; ++i) {
      const double v =
          amplitude * std::sin(2.0 * std::numbers::pi * hz * double(s0 + i) / sample_rate);
      const auto q = int16_t(std::lround(std::clamp(v, -1.0, 1.0) * 32767.0));
      for (int c = 0; c < channels; ++c) d[i * channels + c] = q;
    }
    frame->pts = s0;
    ret = avcodec_send_frame(ctx.get(), frame.get());
    if (ret < 0) fail_write(path, "encoding failed", ret);
    drain();
  }
  avcodec_send_frame(ctx.get(), nullptr);
  drain();
  ret = av_write_trailer(oc.get());
  if (ret < 0) fail_write(path, "cannot write the trailer", ret);
  ret = avio_closep(&oc->pb);
  if (ret < 0) fail_write(path, "cannot close the file", ret);
  partial.done = true;
}

}  // namespace kino::media
