#include "media/probe.h"

#include "core/error.h"
#include "media/input_file.h"
#include "media/webp_animation.h"

namespace kino::media {

std::string_view media_kind_name(MediaKind kind) {
  switch (kind) {
    case MediaKind::video: return "video";
    case MediaKind::image: return "image";
    case MediaKind::audio: return "audio";
  }
  return "unknown";
}

MediaInfo probe(const std::filesystem::path& path, const ProbeLimits& limits) {
  InputFile input(path, limits);
  const MediaInfo& info = input.info();
  // Decode the first picture and the first sound so truncated or corrupt files are caught
  // here rather than halfway through a render.
  auto frame = av::make_frame();
  if (info.has_video) {
    if (input.animated_webp()) {
      WebpAnimation anim(path, input.name());
      Frame canvas;
      if (!anim.next(canvas, nullptr)) input.fail_unsupported("the webp animation has no frames");
    } else {
      StreamDecoder video(input, input.video_stream(), 1);
      if (!video.next(frame.get())) input.fail_unsupported("no video frame could be decoded");
      if (frame->width <= 0 || frame->height <= 0)
        input.fail_unsupported("the first video frame has no size");
    }
  }
  if (info.has_audio) {
    if (info.has_video) input.reopen();
    StreamDecoder audio(input, input.audio_stream(), 1);
    av_frame_unref(frame.get());
    if (!audio.next(frame.get())) input.fail_unsupported("no audio could be decoded");
  }
  return info;
}

}  // namespace kino::media
