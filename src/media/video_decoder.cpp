#include "media/video_decoder.h"

#include <optional>

#include "core/error.h"
#include "media/input_file.h"
#include "media/sws_convert.h"
#include "media/webp_animation.h"

namespace kino::media {

struct VideoDecoder::Impl {
  VideoDecodeParams params;
  std::unique_ptr<InputFile> input;
  std::optional<StreamDecoder> decoder;
  std::optional<WebpAnimation> webp;
  av::FramePtr frame = av::make_frame();
  SwsConverter converter;
  int64_t skip_until_ms = -1;  // after seek: drop frames before this time
  int64_t first_pts = AV_NOPTS_VALUE;
  int64_t last_ms = -1;  // pts of the last picture returned (for untimed streams)
  static constexpr int64_t kNoTime = INT64_MIN;

  void start() {
    const MediaInfo& info = input->info();
    if (!info.has_video) input->fail_unsupported("no video or image stream to decode");
    input->end_probe_deadline();
    if (input->animated_webp()) {
      webp.emplace(input->path(), input->name());
    } else {
      const int threads = info.kind == MediaKind::image ? 1 : params.threads;
      decoder.emplace(*input, input->video_stream(), threads);
    }
  }

  int64_t pts_ms_of(const AVFrame* f) {
    AVStream* st = decoder->stream();
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) pts = f->pts;
    if (pts == AV_NOPTS_VALUE) return kNoTime;
    if (st->start_time == AV_NOPTS_VALUE) {
      if (first_pts == AV_NOPTS_VALUE) first_pts = pts;
      return av_rescale_q(pts - first_pts, st->time_base, AVRational{1, 1000});
    }
    return stream_pts_ms(st, pts);
  }

  bool next(Frame& out, int64_t* pts_ms) {
    const int w = params.width > 0 ? params.width : input->info().width;
    const int h = params.height > 0 ? params.height : input->info().height;
    if (webp) {
      Frame canvas;
      int64_t t = 0;
      while (webp->next(canvas, &t)) {
        if (t < skip_until_ms) continue;
        skip_until_ms = -1;
        if (out.format() != params.format || out.width() != w || out.height() != h)
          out = Frame(params.format, w, h);
        converter.convert(picture_view(canvas), out, SWS_BILINEAR);
        if (pts_ms) *pts_ms = t;
        return true;
      }
      return false;
    }
    while (decoder->next(frame.get())) {
      int64_t t = pts_ms_of(frame.get());
      if (t == kNoTime) {
        // No timestamp: one frame duration after the previous picture.
        const Rational fps = input->info().fps;
        t = last_ms < 0 ? 0 : last_ms + (fps.valid() ? fps.den * 1000 / fps.num : 40);
      }
      last_ms = t;
      if (t < skip_until_ms) {
        av_frame_unref(frame.get());
        continue;
      }
      skip_until_ms = -1;
      if (out.format() != params.format || out.width() != w || out.height() != h)
        out = Frame(params.format, w, h);
      converter.convert(picture_view(frame.get()), out, SWS_BICUBIC);
      av_frame_unref(frame.get());
      if (pts_ms) *pts_ms = t;
      return true;
    }
    return false;
  }
};

VideoDecoder::VideoDecoder(const std::filesystem::path& path, const VideoDecodeParams& params)
    : impl_(std::make_unique<Impl>()) {
  if (params.width < 0 || params.height < 0 || (params.width == 0) != (params.height == 0))
    fail_bad_request("video decode size must be both 0 or both > 0, got " +
                     std::to_string(params.width) + "x" + std::to_string(params.height));
  if (params.format == PixelFormat::gray)
    fail_bad_request("video decode format must be yuv420p, yuva420p or rgba, got gray");
  impl_->params = params;
  impl_->input = std::make_unique<InputFile>(path, params.limits);
  impl_->start();
}

VideoDecoder::~VideoDecoder() = default;
VideoDecoder::VideoDecoder(VideoDecoder&&) noexcept = default;
VideoDecoder& VideoDecoder::operator=(VideoDecoder&&) noexcept = default;

const MediaInfo& VideoDecoder::info() const {
  return impl_->input->info();
}

bool VideoDecoder::read(Frame& out, int64_t* pts_ms) {
  return impl_->next(out, pts_ms);
}

void VideoDecoder::seek(int64_t ms) {
  Impl& d = *impl_;
  if (ms < 0) ms = 0;
  const MediaInfo& info = d.input->info();
  d.skip_until_ms = info.kind == MediaKind::image && !info.animated ? -1 : ms;
  d.last_ms = -1;
  if (d.webp) {
    d.webp->rewind();
    return;
  }
  AVStream* st = d.decoder->stream();
  const int64_t start = st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time;
  const int64_t ts = start + av_rescale_q(ms, AVRational{1, 1000}, st->time_base);
  int ret = d.input->info().kind == MediaKind::image
                ? -1
                : avformat_seek_file(d.input->format(), d.decoder->stream()->index, INT64_MIN, ts,
                                     ts, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) {
    // Not seekable (still images, some animated gifs): decode again from the start.
    d.decoder.reset();
    d.input->reopen();
    d.first_pts = AV_NOPTS_VALUE;
    d.decoder.emplace(*d.input, d.input->video_stream(),
                      d.input->info().kind == MediaKind::image ? 1 : d.params.threads);
    return;
  }
  d.decoder->flush();
}

}  // namespace kino::media
