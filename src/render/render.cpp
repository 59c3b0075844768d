#include "render/render.h"

#include <chrono>
#include <cstdint>
#include <system_error>

#include "core/error.h"
#include "core/log.h"
#include "media/probe.h"
#include "render/audio_mix.h"
#include "render/compositor.h"
#include "render/pipeline.h"
#include "render/transition.h"
#include "timeline/frame_time.h"
#include "timeline/validate.h"

namespace kino::render {
namespace {

constexpr int kMaxOutputPx = 4096;

void check_size(const char* field, int value) {
  if (value < 16 || value > kMaxOutputPx || value % 2 != 0)
    fail_bad_request(std::string(field) + " must be an even number of pixels in 16.." +
                     std::to_string(kMaxOutputPx) + ", got " + std::to_string(value));
}

// Resolves and probes every media reference before any work starts.
MediaTable resolve_media(const timeline::Draft& draft, const MediaResolver& resolve) {
  MediaTable table;
  for (size_t ti = 0; ti < draft.tracks.size(); ++ti) {
    const timeline::Track& track = draft.tracks[ti];
    if (track.type == timeline::TrackType::text) continue;
    for (size_t si = 0; si < track.segments.size(); ++si) {
      const std::string& source = track.segments[si].source;
      const std::string field =
          "t[" + std::to_string(ti) + "].sg[" + std::to_string(si) + "].source";
      if (source.empty()) fail_bad_request(field + " is required, got \"\"");
      auto it = table.find(source);
      if (it == table.end()) {
        std::filesystem::path path = resolve(source);
        std::error_code ec;
        if (path.empty() || !std::filesystem::is_regular_file(path, ec))
          fail(ErrorCode::not_found, field + ": media not found: \"" + source + "\"");
        media::MediaInfo info = media::probe(path);
        it = table.emplace(source, ResolvedMedia{path, std::move(info)}).first;
      }
      const media::MediaInfo& info = it->second.info;
      if (track.type == timeline::TrackType::video && !info.has_video)
        fail_unsupported(field + ": \"" + source + "\" has no picture (a " + info.format +
                         " file on a video track)");
      if (track.type == timeline::TrackType::audio && !info.has_audio)
        fail_unsupported(field + ": \"" + source + "\" has no sound (a " + info.format +
                         " file on an audio track)");
    }
  }
  return table;
}

// Every sound of the timeline: the clips' own audio and the audio tracks. Clips joined by
// a transition on a video track fade their sound across it.
std::vector<AudioClip> audio_clips(const timeline::Draft& draft, const MediaTable& media,
                                   int64_t total_samples) {
  std::vector<AudioClip> clips;
  constexpr int64_t kPerMs = kMixRate / 1000;
  for (const timeline::Track& track : draft.tracks) {
    if (track.muted || track.type == timeline::TrackType::text) continue;
    const timeline::Segment* prev = nullptr;
    size_t prev_clip = SIZE_MAX;  // index in clips: pointers would dangle as it grows
    for (const timeline::Segment& s : track.segments) {
      const ResolvedMedia& m = media.at(s.source);
      AudioFades fades;
      if (prev && track.type == timeline::TrackType::video)
        fades = transition_audio(s.transition.kind, s.transition.duration_ms,
                                 std::max<int64_t>(prev->end_ms() - s.start_ms, 0));
      if (prev_clip != SIZE_MAX)
        clips[prev_clip].fade_out = std::max(clips[prev_clip].fade_out, fades.out_ms * kPerMs);
      prev = &s;
      prev_clip = SIZE_MAX;
      if (!m.info.has_audio) continue;
      AudioClip c;
      c.path = m.path;
      c.start = std::min(s.start_ms * kPerMs, total_samples);
      c.end = std::min(s.end_ms() * kPerMs, total_samples);
      c.in_ms = s.in_ms;
      c.loop = s.loop;
      c.gain = s.volume * track.volume;
      c.fade_in = std::max(s.fade_in_ms, fades.in_ms) * kPerMs;
      c.fade_out = s.fade_out_ms * kPerMs;
      if (c.end <= c.start || c.gain <= 0) continue;
      clips.push_back(std::move(c));
      prev_clip = clips.size() - 1;
    }
  }
  return clips;
}

}  // namespace

RenderResult render(const timeline::Draft& draft, const MediaResolver& resolve,
                    const std::filesystem::path& out, const RenderParams& params) {
  const auto start = std::chrono::steady_clock::now();
  timeline::draft_validate(draft);
  const int width = params.width > 0 ? params.width : draft.canvas.width;
  const int height = params.height > 0 ? params.height : draft.canvas.height;
  check_size("width", width);
  check_size("height", height);
  const Rational fps = (params.fps ? *params.fps : draft.canvas.fps).reduced();
  if (!fps.valid() || fps.to_double() > 120.0)
    fail_bad_request("fps must be in (0, 120], got " + fps.str());
  const int64_t frames = timeline::frame_count_of_ms(draft.end_ms(), fps);
  if (frames <= 0)
    fail_bad_request("the draft must last at least one frame, got " +
                     std::to_string(draft.end_ms()) + " ms");

  const MediaTable media = resolve_media(draft, resolve);
  params.cancel.check("render");

  CompositorParams cp;
  cp.width = width;
  cp.height = height;
  cp.fps = fps;
  Compositor compositor(draft, media, cp);
  AudioMix audio(audio_clips(draft, media, audio_samples_before(frames, fps)));

  media::EncodeParams ep;
  ep.format = params.format;
  ep.width = width;
  ep.height = height;
  ep.fps = fps;
  ep.quality = params.quality;
  ep.x264_preset = params.x264_preset;
  ep.audio = params.format != media::ContainerFormat::gif;
  ep.sample_rate = kMixRate;
  ep.channels = kMixChannels;
  ep.threads = params.threads;

  std::filesystem::path part = out;
  part += ".part";
  std::error_code ec;
  std::filesystem::remove(part, ec);
  try {
    media::Encoder encoder(part, ep);
    PipelineParams pp;
    pp.audio = ep.audio;
    pp.progress = params.progress;
    pp.cancel = params.cancel;
    run_pipeline(compositor, audio, encoder, fps, pp);
    encoder.finish();
  } catch (...) {
    std::filesystem::remove(part, ec);
    throw;
  }
  std::filesystem::rename(part, out, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    fail(ErrorCode::internal, "cannot move the render to " + out.string() + ": " + ec.message());
  }

  RenderResult r;
  r.path = out;
  r.width = width;
  r.height = height;
  r.fps = fps;
  r.frames = frames;
  r.duration_ms = int64_t(__int128(frames) * 1000 * fps.den / fps.num);
  r.size_bytes = int64_t(std::filesystem::file_size(out, ec));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace kino::render
