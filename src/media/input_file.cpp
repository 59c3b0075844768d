#include "media/input_file.h"

#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "core/error.h"
#include "media/webp_animation.h"

namespace kino::media {
namespace {

// The demuxers kino accepts; anything FFmpeg detects beyond these is refused.
constexpr const char* kFormatWhitelist =
    "mov,avi,matroska,webm,png_pipe,apng,jpeg_pipe,webp_pipe,gif,mp3,wav,aac";

// Reads the EBML DocType ("webm" or "matroska") from the first bytes of a Matroska file.
std::string matroska_doctype(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[256] = {0};
  in.read(buf, sizeof(buf));
  const size_t n = size_t(in.gcount());
  for (size_t i = 0; i + 3 < n; ++i) {
    if (uint8_t(buf[i]) != 0x42 || uint8_t(buf[i + 1]) != 0x82) continue;
    const uint8_t size_byte = uint8_t(buf[i + 2]);
    if (!(size_byte & 0x80)) continue;  // only the 1-byte size form is used for DocType
    const size_t len = size_byte & 0x7f;
    if (i + 3 + len > n) break;
    return std::string(buf + i + 3, len);
  }
  return {};
}

// Width and height from a PNG's IHDR chunk; {0, 0} when the header is not there.
std::pair<int, int> png_ihdr_size(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint8_t b[24] = {0};
  in.read(reinterpret_cast<char*>(b), sizeof(b));
  if (in.gcount() != 24 || std::memcmp(b + 12, "IHDR", 4) != 0) return {0, 0};
  auto be32 = [](const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
  };
  const uint32_t w = be32(b + 16), h = be32(b + 20);
  if (w > 0x7fffffff || h > 0x7fffffff) return {0, 0};
  return {int(w), int(h)};
}

// Width and height from a JPEG's first SOFn segment; {0, 0} when not found.
std::pair<int, int> jpeg_sof_size(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> b(64 * 1024);
  in.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size()));
  b.resize(size_t(in.gcount()));
  size_t pos = 2;  // after SOI
  while (pos + 9 < b.size()) {
    if (b[pos] != 0xff) return {0, 0};
    const uint8_t marker = b[pos + 1];
    if (marker == 0xff) {  // fill byte
      ++pos;
      continue;
    }
    const size_t len = size_t(b[pos + 2]) << 8 | b[pos + 3];
    const bool sof =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (sof) return {int(b[pos + 7]) << 8 | b[pos + 8], int(b[pos + 5]) << 8 | b[pos + 6]};
    pos += 2 + len;
  }
  return {0, 0};
}

bool webm_codecs_only(AVFormatContext* fmt) {
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    switch (fmt->streams[i]->codecpar->codec_id) {
      case AV_CODEC_ID_VP8:
      case AV_CODEC_ID_VP9:
      case AV_CODEC_ID_AV1:
      case AV_CODEC_ID_OPUS:
      case AV_CODEC_ID_VORBIS:
      case AV_CODEC_ID_WEBVTT: break;
      default: return false;
    }
  }
  return true;
}

int64_t rescale_to_ms(int64_t v, AVRational tb) {
  return av_rescale_q(v, tb, AVRational{1, 1000});
}

}  // namespace

int64_t stream_pts_ms(AVStream* stream, int64_t pts) {
  const int64_t start = stream->start_time == AV_NOPTS_VALUE ? 0 : stream->start_time;
  return rescale_to_ms(pts - start, stream->time_base);
}

InputFile::InputFile(const std::filesystem::path& path, const ProbeLimits& limits)
    : path_(path), name_(path.filename().string()), limits_(limits) {
  av::init_logging();
  if (name_.empty()) name_ = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    fail(ErrorCode::not_found, name_ + ": no such file (" + path.string() + ")");
  if (!std::filesystem::is_regular_file(status)) fail_unsupported("not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) fail_unsupported("cannot read the file size: " + ec.message());
  if (size == 0) fail_unsupported("the file is empty (0 bytes)");
  info_.size_bytes = int64_t(size);

  using namespace std::chrono;
  deadline_ = steady_clock::now() +
              duration_cast<steady_clock::duration>(duration<double>(limits.max_probe_seconds));
  AVIOInterruptCB cb{&InputFile::interrupt_cb, this};
  AVIOContext* io = nullptr;
  int ret = avio_open2(&io, av::file_url(path.string()).c_str(), AVIO_FLAG_READ, &cb, nullptr);
  io_.reset(io);
  if (ret < 0) {
    if (interrupt_cb(this)) fail_deadline();
    fail_unsupported("cannot open: " + av::error_text(ret));
  }
  open_format();
  detect();
}

InputFile::~InputFile() = default;

int InputFile::interrupt_cb(void* opaque) {
  auto* self = static_cast<InputFile*>(opaque);
  return std::chrono::steady_clock::now() > self->deadline_ ? 1 : 0;
}

void InputFile::fail_unsupported(const std::string& reason) const {
  fail(ErrorCode::unsupported, name_ + ": " + reason);
}

void InputFile::fail_deadline() const {
  fail_unsupported("probing took longer than the limit of " +
                   std::to_string(limits_.max_probe_seconds) + " s (max_probe_seconds)");
}

void InputFile::open_format() {
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) fail(ErrorCode::internal, name_ + ": avformat_alloc_context: out of memory");
  raw->pb = io_.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->interrupt_callback = {&InputFile::interrupt_cb, this};
  // Detect from the bytes alone (an empty name: the extension is never consulted).
  const AVInputFormat* detected = nullptr;
  int ret = av_probe_input_buffer2(io_.get(), &detected, "", nullptr, 0, 0);
  if (ret < 0 || !detected) {
    avformat_free_context(raw);
    if (interrupt_cb(this)) fail_deadline();
    fail_unsupported("not a supported media format (no known format detected)");
  }
  if (av_match_list(detected->name, kFormatWhitelist, ',') <= 0) {
    avformat_free_context(raw);
    fail_unsupported("format '" + std::string(detected->name) + "' is not supported");
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", kFormatWhitelist, 0);
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  ret = avformat_open_input(&raw, "", detected, &opts);
  av_dict_free(&opts);
  if (ret < 0) {
    if (interrupt_cb(this)) fail_deadline();
    const std::string demuxer(detected->name);
    fail_unsupported(demuxer.substr(0, demuxer.find(',')) +
                     " data is corrupt or truncated: " + av::error_text(ret));
  }
  fmt_.reset(raw);
  // The decoders that find_stream_info opens refuse pictures beyond the size limits
  // before allocating them.
  std::vector<AVDictionary*> stream_opts(raw->nb_streams, nullptr);
  for (AVDictionary*& d : stream_opts) av_dict_set_int(&d, "max_pixels", max_pixels(), 0);
  ret = avformat_find_stream_info(raw, stream_opts.empty() ? nullptr : stream_opts.data());
  for (AVDictionary*& d : stream_opts) av_dict_free(&d);
  if (ret < 0) {
    if (interrupt_cb(this)) fail_deadline();
    fail_unsupported("cannot read stream information: " + av::error_text(ret));
  }
}

void InputFile::reopen() {
  fmt_.reset();
  int64_t pos = avio_seek(io_.get(), 0, SEEK_SET);
  if (pos < 0) fail_unsupported("cannot seek to the start: " + av::error_text(int(pos)));
  open_format();
}

bool InputFile::read_packet(AVPacket* packet) {
  int ret = av_read_frame(fmt_.get(), packet);
  if (ret == AVERROR_EOF) return false;
  if (ret < 0) {
    if (interrupt_cb(this)) fail_deadline();
    // A file cut short reads as an I/O error at its end: treat it as the end of the stream.
    if (avio_feof(io_.get())) return false;
    fail_unsupported("cannot read: " + av::error_text(ret));
  }
  return true;
}

void InputFile::scan_packets(bool gif) {
  auto packet = av::make_packet();
  int64_t video_packets = 0, gif_duration = 0, end_ms = 0;
  while (read_packet(packet.get())) {
    const int index = packet->stream_index;
    if (index == video_stream_) {
      ++video_packets;
      gif_duration += packet->duration > 0 ? packet->duration : 0;
    }
    if ((index == video_stream_ || index == audio_stream_) && packet->pts != AV_NOPTS_VALUE) {
      AVStream* st = fmt_->streams[index];
      end_ms =
          std::max(end_ms, stream_pts_ms(st, packet->pts + std::max<int64_t>(0, packet->duration)));
    }
    av_packet_unref(packet.get());
  }
  if (video_stream_ >= 0) info_.frame_count = video_packets;
  info_.duration_ms =
      gif ? rescale_to_ms(gif_duration, fmt_->streams[video_stream_]->time_base) : end_ms;
  reopen();
}

void InputFile::detect() {
  AVFormatContext* fmt = fmt_.get();
  const std::string demuxer = fmt->iformat->name;

  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    AVStream* st = fmt->streams[i];
    const AVCodecParameters* par = st->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && video_stream_ < 0 &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      video_stream_ = int(i);
    if (par->codec_type == AVMEDIA_TYPE_AUDIO && audio_stream_ < 0 && par->sample_rate > 0)
      audio_stream_ = int(i);
  }
  // Prefer FFmpeg's choice where it has one (e.g. the main of several audio tracks).
  int best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (best >= 0 && !(fmt->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC))
    video_stream_ = best;
  best = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (best >= 0 && fmt->streams[best]->codecpar->sample_rate > 0) audio_stream_ = best;

  const bool video = video_stream_ >= 0;
  bool image = false;
  std::string api;
  if (demuxer.starts_with("mov,")) {
    const AVDictionaryEntry* brand = av_dict_get(fmt->metadata, "major_brand", nullptr, 0);
    if (!video)
      api = "m4a";
    else if (brand && std::strncmp(brand->value, "qt", 2) == 0)
      api = "mov";
    else
      api = "mp4";
  } else if (demuxer.starts_with("matroska")) {
    const std::string doctype = matroska_doctype(path_);
    if (doctype == "webm")
      api = "webm";
    else if (doctype == "matroska")
      api = "mkv";
    else
      api = webm_codecs_only(fmt) ? "webm" : "mkv";
  } else if (demuxer == "avi") {
    api = "avi";
  } else if (demuxer == "png_pipe" || demuxer == "apng") {
    api = "png", image = true;
  } else if (demuxer == "jpeg_pipe") {
    api = "jpg", image = true;
  } else if (demuxer == "webp_pipe") {
    api = "webp", image = true;
  } else if (demuxer == "gif") {
    api = "gif", image = true;
  } else if (demuxer == "mp3" || demuxer == "wav" || demuxer == "aac") {
    api = demuxer;
  } else {
    fail_unsupported("format '" + demuxer + "' is not supported");
  }
  info_.format = api;

  if (image && !video) fail_unsupported("the " + api + " image has no picture stream");
  if (!video && audio_stream_ < 0) fail_unsupported("no video or audio stream found");
  info_.kind = image ? MediaKind::image : video ? MediaKind::video : MediaKind::audio;
  info_.has_video = video;
  info_.has_audio = audio_stream_ >= 0 && !image;
  if (!info_.has_audio) audio_stream_ = -1;

  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info_.duration_ms = rescale_to_ms(fmt->duration, AV_TIME_BASE_Q);

  if (video) {
    AVStream* st = fmt->streams[video_stream_];
    const AVCodecParameters* par = st->codecpar;
    info_.video_codec = avcodec_get_name(par->codec_id);
    const char* pix = av_get_pix_fmt_name(AVPixelFormat(par->format));
    info_.pixel_format = pix ? pix : "";
    info_.width = par->width;
    info_.height = par->height;
    if ((api == "png" || api == "jpg") && (info_.width <= 0 || info_.height <= 0)) {
      // The decoder refuses pictures beyond the limits before reporting their size; read
      // it from the header instead.
      const auto size = api == "png" ? png_ihdr_size(path_) : jpeg_sof_size(path_);
      info_.width = size.first;
      info_.height = size.second;
    }
    if (api == "webp") {
      auto anim = webp_probe_file(path_, name_);
      if (anim.animated) {
        animated_webp_ = true;
        info_.width = anim.width;
        info_.height = anim.height;
        info_.frame_count = anim.frame_count;
        info_.duration_ms = anim.duration_ms;
      }
    }
    if (info_.width > limits_.max_width)
      fail(ErrorCode::too_large, name_ + ": width " + std::to_string(info_.width) +
                                     " exceeds the limit of " + std::to_string(limits_.max_width) +
                                     " (max_width)");
    if (info_.height > limits_.max_height)
      fail(ErrorCode::too_large, name_ + ": height " + std::to_string(info_.height) +
                                     " exceeds the limit of " + std::to_string(limits_.max_height) +
                                     " (max_height)");
    if (info_.width <= 0 || info_.height <= 0) fail_unsupported("the picture size is unknown");

    if (image) {
      const bool animatable = api == "gif" || demuxer == "apng";
      if (animatable) {
        scan_packets(true);
        fmt = fmt_.get();  // reopened
      }
      if (!animated_webp_ && !animatable) info_.frame_count = 1;
      info_.animated = info_.frame_count > 1;
      if (!info_.animated) {
        info_.duration_ms = 0;
        info_.frame_count = 1;
        info_.fps = Rational{0, 1};
      } else if (info_.duration_ms > 0) {
        info_.fps = Rational{info_.frame_count * 1000, info_.duration_ms}.reduced();
      }
    } else {
      AVRational r = st->avg_frame_rate;
      if (r.num <= 0 || r.den <= 0) r = st->r_frame_rate;
      if (r.num > 0 && r.den > 0) info_.fps = Rational{r.num, r.den}.reduced();
      if (st->nb_frames > 0) {
        info_.frame_count = st->nb_frames;
      } else if (info_.fps.valid()) {
        info_.frame_count = av_rescale(info_.duration_ms, info_.fps.num, info_.fps.den * 1000);
      }
    }
  }
  if (!image && info_.duration_ms <= 0) {
    // No duration in the header (e.g. WebM recorded by a browser): measure it from the
    // packets, within the probe's wall-clock cap.
    scan_packets(false);
    fmt = fmt_.get();  // reopened
  }
  if (info_.has_audio) {
    const AVCodecParameters* par = fmt->streams[audio_stream_]->codecpar;
    info_.audio_codec = avcodec_get_name(par->codec_id);
    info_.sample_rate = par->sample_rate;
    info_.channels = par->ch_layout.nb_channels;
    if (info_.channels <= 0) fail_unsupported("the audio stream has no channels");
  }
  if (info_.duration_ms > limits_.max_duration_ms)
    fail(ErrorCode::too_large,
         name_ + ": duration " + std::to_string(info_.duration_ms) + " ms exceeds the limit of " +
             std::to_string(limits_.max_duration_ms) + " ms (max_duration_ms)");
  if (info_.kind != MediaKind::image && info_.duration_ms <= 0)
    fail_unsupported("the duration is unknown or zero");
}

StreamDecoder::StreamDecoder(InputFile& input, int stream_index, int threads)
    : input_(input), stream_index_(stream_index), packet_(av::make_packet()) {
  const AVCodecParameters* par = input.format()->streams[stream_index]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {0};
    av_fourcc_make_string(tag, par->codec_tag);
    const std::string name =
        par->codec_id != AV_CODEC_ID_NONE ? avcodec_get_name(par->codec_id) : tag;
    input.fail_unsupported(std::string("no decoder for the ") +
                           av_get_media_type_string(par->codec_type) + " codec '" + name + "'");
  }
  ctx_.reset(avcodec_alloc_context3(codec));
  if (!ctx_) fail(ErrorCode::internal, input.name() + ": avcodec_alloc_context3 failed");
  int ret = avcodec_parameters_to_context(ctx_.get(), par);
  if (ret < 0) input.fail_unsupported("bad codec parameters: " + av::error_text(ret));
  ctx_->pkt_timebase = input.format()->streams[stream_index]->time_base;
  ctx_->thread_count = threads > 0 ? threads : 0;
  AVDictionary* opts = nullptr;
  if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
    // Guards against pictures whose headers claim absurd sizes.
    av_dict_set_int(&opts, "max_pixels", input.max_pixels(), 0);
  }
  ret = avcodec_open2(ctx_.get(), codec, &opts);
  av_dict_free(&opts);
  if (ret < 0) input.fail_unsupported("cannot open the decoder: " + av::error_text(ret));
}

bool StreamDecoder::next(AVFrame* out) {
  for (;;) {
    int ret = avcodec_receive_frame(ctx_.get(), out);
    if (ret == 0) {
      errors_in_a_row_ = 0;
      ++frames_;
      return true;
    }
    if (ret == AVERROR_EOF || (ret == AVERROR(EAGAIN) && input_done_)) {
      if (frames_ == 0 && !last_error_.empty()) input_.fail_unsupported(last_error_);
      return false;
    }
    if (ret != AVERROR(EAGAIN)) {
      note_error(ret);
      continue;
    }
    // Feed the next packet of our stream (or the end-of-stream marker).
    bool have = false;
    while (input_.read_packet(packet_.get())) {
      if (packet_->stream_index == stream_index_) {
        have = true;
        break;
      }
      av_packet_unref(packet_.get());
    }
    if (!have) {
      input_done_ = true;
      avcodec_send_packet(ctx_.get(), nullptr);
      continue;
    }
    ret = avcodec_send_packet(ctx_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) note_error(ret);
  }
}

void StreamDecoder::note_error(int averror) {
  last_error_ = "corrupt data: " + av::error_text(averror);
  if (++errors_in_a_row_ > kMaxErrorsInARow) input_.fail_unsupported(last_error_);
}

void StreamDecoder::flush() {
  avcodec_flush_buffers(ctx_.get());
  input_done_ = false;
  errors_in_a_row_ = 0;
}

}  // namespace kino::media
