#include "media/audio_decoder.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "media/input_file.h"

namespace kino::media {

struct AudioDecoder::Impl {
  AudioDecodeParams params;
  std::unique_ptr<InputFile> input;
  std::optional<StreamDecoder> decoder;
  av::FramePtr frame = av::make_frame();
  av::SwrPtr swr;
  AVChannelLayout swr_in_layout{};
  int swr_in_rate = 0;
  int swr_in_format = -1;
  std::vector<float> pending;  // converted, not yet returned (interleaved)
  size_t pending_pos = 0;      // values already returned from pending
  bool decoder_done = false;
  bool swr_flushed = false;
  int64_t seek_target = 0;  // in output frames; -1 when no seek is in progress
  // Time 0 in the audio stream's time base: the video stream's start when there is one,
  // so a clip's sound stays in sync with its pictures; else the audio stream's start.
  int64_t origin = 0;
  static constexpr int64_t kMaxPadSeconds = 10;

  ~Impl() { av_channel_layout_uninit(&swr_in_layout); }

  size_t available_frames() const {
    return (pending.size() - pending_pos) / size_t(params.channels);
  }

  void setup_swr(const AVFrame* f) {
    swr.reset();
    av_channel_layout_uninit(&swr_in_layout);
    AVChannelLayout in_layout{};
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || f->ch_layout.nb_channels <= 0)
      av_channel_layout_default(&in_layout, std::max(1, f->ch_layout.nb_channels));
    else
      av_channel_layout_copy(&in_layout, &f->ch_layout);
    AVChannelLayout out_layout{};
    av_channel_layout_default(&out_layout, params.channels);
    SwrContext* raw = nullptr;
    int ret =
        swr_alloc_set_opts2(&raw, &out_layout, AV_SAMPLE_FMT_FLT, params.sample_rate, &in_layout,
                            AVSampleFormat(f->format), f->sample_rate, 0, nullptr);
    swr.reset(raw);
    if (ret >= 0 && in_layout.nb_channels == 1 && params.channels > 1) {
      // Mono is duplicated to every output channel at full level (swresample's default
      // would mix it at -3 dB).
      std::vector<double> matrix(size_t(params.channels), 1.0);
      ret = swr_set_matrix(raw, matrix.data(), 1);
    }
    if (ret >= 0) ret = swr_init(raw);
    av_channel_layout_copy(&swr_in_layout, &f->ch_layout);  // as the decoder reports it
    av_channel_layout_uninit(&in_layout);
    av_channel_layout_uninit(&out_layout);
    if (ret < 0) input->fail_unsupported("cannot set up audio resampling: " + av::error_text(ret));
    swr_in_rate = f->sample_rate;
    swr_in_format = f->format;
  }

  void append_converted(const uint8_t** in, int in_samples) {
    const int room = swr_get_out_samples(swr.get(), in_samples);
    if (room <= 0) return;
    // Compact what was already returned before growing.
    if (pending_pos > 0) {
      pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(pending_pos));
      pending_pos = 0;
    }
    const size_t old = pending.size();
    pending.resize(old + size_t(room) * size_t(params.channels));
    uint8_t* out = reinterpret_cast<uint8_t*>(pending.data() + old);
    const int got = swr_convert(swr.get(), &out, room, in, in_samples);
    if (got < 0) input->fail_unsupported("audio resampling failed: " + av::error_text(got));
    pending.resize(old + size_t(got) * size_t(params.channels));
  }

  // Decodes one more frame into `pending`; false when nothing more will come.
  bool fill() {
    if (swr_flushed) return false;
    if (!decoder_done && decoder->next(frame.get())) {
      if (!swr || frame->sample_rate != swr_in_rate || frame->format != swr_in_format ||
          av_channel_layout_compare(&frame->ch_layout, &swr_in_layout) != 0)
        setup_swr(frame.get());
      if (seek_target >= 0) {
        // Position of this frame in output samples, to drop what lies before the target.
        int64_t pts = frame->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE) pts = frame->pts;
        int64_t pos = seek_target;
        if (pts != AV_NOPTS_VALUE) {
          pos = av_rescale_q(pts - origin, decoder->stream()->time_base,
                             AVRational{1, params.sample_rate});
        }
        const size_t before = pending.size();
        append_converted(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
        av_frame_unref(frame.get());
        const int64_t got = int64_t(pending.size() - before) / params.channels;
        if (pos + got <= seek_target) {
          pending.resize(before);
          return true;
        }
        if (pos < seek_target) {
          const size_t drop = size_t(seek_target - pos) * size_t(params.channels);
          pending.erase(pending.begin() + std::ptrdiff_t(before),
                        pending.begin() + std::ptrdiff_t(before + drop));
        } else if (pos > seek_target && pos - seek_target < kMaxPadSeconds * params.sample_rate) {
          // Sound starting after the origin (or a demuxer landing late): pad with silence
          // so time stays exact.
          pending.insert(pending.begin() + std::ptrdiff_t(before),
                         size_t(pos - seek_target) * size_t(params.channels), 0.0f);
        }
        seek_target = -1;
        return true;
      }
      append_converted(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
      av_frame_unref(frame.get());
      return true;
    }
    decoder_done = true;
    if (swr && seek_target < 0) append_converted(nullptr, 0);  // drain the resampler
    swr_flushed = true;
    return available_frames() > 0;
  }
};

AudioDecoder::AudioDecoder(const std::filesystem::path& path, const AudioDecodeParams& params)
    : impl_(std::make_unique<Impl>()) {
  if (params.sample_rate < 8000 || params.sample_rate > 384000)
    fail_bad_request("audio decode sample_rate must be in 8000..384000, got " +
                     std::to_string(params.sample_rate));
  if (params.channels < 1 || params.channels > 8)
    fail_bad_request("audio decode channels must be in 1..8, got " +
                     std::to_string(params.channels));
  impl_->params = params;
  impl_->input = std::make_unique<InputFile>(path, params.limits);
  if (!impl_->input->info().has_audio) impl_->input->fail_unsupported("no audio stream");
  impl_->input->end_probe_deadline();
  impl_->decoder.emplace(*impl_->input, impl_->input->audio_stream(), 1);
  AVFormatContext* fmt = impl_->input->format();
  AVStream* audio = fmt->streams[impl_->input->audio_stream()];
  const int video = impl_->input->video_stream();
  if (video >= 0 && fmt->streams[video]->start_time != AV_NOPTS_VALUE)
    impl_->origin = av_rescale_q(fmt->streams[video]->start_time, fmt->streams[video]->time_base,
                                 audio->time_base);
  else if (audio->start_time != AV_NOPTS_VALUE)
    impl_->origin = audio->start_time;
}

AudioDecoder::~AudioDecoder() = default;
AudioDecoder::AudioDecoder(AudioDecoder&&) noexcept = default;
AudioDecoder& AudioDecoder::operator=(AudioDecoder&&) noexcept = default;

const MediaInfo& AudioDecoder::info() const {
  return impl_->input->info();
}

size_t AudioDecoder::read(std::vector<float>& out, size_t max_frames) {
  Impl& d = *impl_;
  while (d.available_frames() < max_frames && d.fill()) {
  }
  const size_t n = std::min(max_frames, d.available_frames());
  const size_t values = n * size_t(d.params.channels);
  out.insert(out.end(), d.pending.begin() + std::ptrdiff_t(d.pending_pos),
             d.pending.begin() + std::ptrdiff_t(d.pending_pos + values));
  d.pending_pos += values;
  return n;
}

void AudioDecoder::seek(int64_t ms) {
  Impl& d = *impl_;
  if (ms < 0) ms = 0;
  d.pending.clear();
  d.pending_pos = 0;
  d.swr.reset();
  d.decoder_done = false;
  d.swr_flushed = false;
  d.seek_target = av_rescale(ms, d.params.sample_rate, 1000);
  AVStream* st = d.decoder->stream();
  // Land a little early: compressed audio (AAC, MP3, Opus) needs the preceding packets
  // to decode the target exactly; what comes before the target is dropped.
  constexpr int64_t kPrerollMs = 200;
  const int64_t ts = d.origin + av_rescale_q(std::max<int64_t>(0, ms - kPrerollMs),
                                             AVRational{1, 1000}, st->time_base);
  int ret =
      avformat_seek_file(d.input->format(), st->index, INT64_MIN, ts, ts, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) {
    // Not seekable: decode again from the start and drop up to the target.
    d.decoder.reset();
    d.input->reopen();
    d.decoder.emplace(*d.input, d.input->audio_stream(), 1);
    return;
  }
  d.decoder->flush();
}

AudioBuffer decode_audio_file(const std::filesystem::path& path, const AudioDecodeParams& params) {
  AudioDecoder decoder(path, params);
  AudioBuffer out;
  out.sample_rate = params.sample_rate;
  out.channels = params.channels;
  while (decoder.read(out.samples, 48000) > 0) {
  }
  return out;
}

}  // namespace kino::media
