#include "media/encoder.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "media/av_util.h"
#include "media/sws_convert.h"

namespace kino::media {

std::string_view container_format_name(ContainerFormat f) {
  switch (f) {
    case ContainerFormat::mp4: return "mp4";
    case ContainerFormat::webm: return "webm";
    case ContainerFormat::gif: return "gif";
  }
  return "unknown";
}

std::optional<ContainerFormat> container_format_parse(std::string_view name) {
  for (auto f : {ContainerFormat::mp4, ContainerFormat::webm, ContainerFormat::gif})
    if (container_format_name(f) == name) return f;
  return std::nullopt;
}

std::string_view quality_name(Quality q) {
  switch (q) {
    case Quality::high: return "high";
    case Quality::medium: return "medium";
    case Quality::low: return "low";
  }
  return "unknown";
}

std::optional<Quality> quality_parse(std::string_view name) {
  for (auto q : {Quality::high, Quality::medium, Quality::low})
    if (quality_name(q) == name) return q;
  return std::nullopt;
}

namespace {

constexpr const char* kX264Presets[] = {"ultrafast", "superfast", "veryfast", "faster",  "fast",
                                        "medium",    "slow",      "slower",   "veryslow"};

// x264's "asm" setting: the CPU features it detects less AVX-512, or empty where libx264 does
// not export its detection. Debian's x264 (core 164) reads memory it has not written in its
// AVX-512 macroblock-tree code, so two encodes of the same frames differed with what the heap
// held before (832x480: four different files under four MALLOC_PERTURB_ values, one with this
// mask; the same seed then gave another clip). Without AVX-512 it encodes 1080p as fast here.
std::string x264_asm_without_avx512() {
  constexpr uint32_t kX264CpuAvx512 = 0x0010000;  // X264_CPU_AVX512 in x264.h
  using Detect = uint32_t (*)();
  static const std::string value = [] {
    auto* detect = reinterpret_cast<Detect>(dlsym(RTLD_DEFAULT, "x264_cpu_detect"));
    return detect ? std::to_string(detect() & ~kX264CpuAvx512) : std::string();
  }();
  return value;
}

int x264_crf(Quality q) {
  return q == Quality::high ? 18 : q == Quality::medium ? 23 : 28;
}
int vp9_crf(Quality q) {
  return q == Quality::high ? 24 : q == Quality::medium ? 32 : 40;
}

// GIF palette: 6 x 7 x 6 levels of R, G, B (252 colours), ordered 4x4 Bayer dithering.
constexpr int kLevelsR = 6, kLevelsG = 7, kLevelsB = 6;
constexpr int kBayer[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};

struct DitherTables {
  uint8_t r[16][256], g[16][256], b[16][256];
  uint32_t palette[256];
  DitherTables() {
    auto fill = [](uint8_t(*t)[256], int levels, int mul) {
      for (int d = 0; d < 16; ++d)
        for (int v = 0; v < 256; ++v) {
          // floor(v * (levels - 1) / 255 + (d + 0.5) / 16)
          int q = (v * (levels - 1) * 32 + (2 * d + 1) * 255) / (255 * 32);
          t[d][v] = uint8_t(std::min(q, levels - 1) * mul);
        }
    };
    fill(r, kLevelsR, kLevelsG * kLevelsB);
    fill(g, kLevelsG, kLevelsB);
    fill(b, kLevelsB, 1);
    for (int i = 0; i < 256; ++i) palette[i] = 0xff000000u;
    for (int ri = 0; ri < kLevelsR; ++ri)
      for (int gi = 0; gi < kLevelsG; ++gi)
        for (int bi = 0; bi < kLevelsB; ++bi) {
          const uint32_t R = uint32_t(ri * 255 / (kLevelsR - 1));
          const uint32_t G = uint32_t(gi * 255 / (kLevelsG - 1));
          const uint32_t B = uint32_t(bi * 255 / (kLevelsB - 1));
          palette[ri * kLevelsG * kLevelsB + gi * kLevelsB + bi] =
              0xff000000u | R << 16 | G << 8 | B;
        }
  }
};

const DitherTables& dither_tables() {
  static const DitherTables tables;  // immutable after construction (thread-safe init)
  return tables;
}

}  // namespace

struct Encoder::Impl {
  std::filesystem::path path;
  EncodeParams params;
  av::OutputContextPtr oc;
  av::CodecContextPtr venc, aenc;
  AVStream* vst = nullptr;
  AVStream* ast = nullptr;
  av::FramePtr vframe, aframe;
  av::PacketPtr packet = av::make_packet();
  int64_t next_video_pts = 0;
  int64_t next_audio_pts = 0;
  std::vector<float> audio_fifo;  // interleaved, not yet encoded
  bool finished = false;
  SwsConverter converter;  // gif: yuv420p -> rgba
  Frame rgba;

  ~Impl() {
    venc.reset();
    aenc.reset();
    oc.reset();
    if (!finished) {
      // Only a file we wrote is removed, never a device such as /dev/null.
      std::error_code ec;
      if (std::filesystem::is_regular_file(path, ec)) std::filesystem::remove(path, ec);
    }
  }

  [[noreturn]] void fail_io(const std::string& what, int ret) {
    fail(ErrorCode::internal, path.string() + ": " + what + ": " + av::error_text(ret));
  }

  const AVCodec* find_encoder(const char* name) {
    const AVCodec* c = avcodec_find_encoder_by_name(name);
    if (!c)
      fail(ErrorCode::internal, std::string("encoder ") + name +
                                    " is not available in this FFmpeg build (needed for " +
                                    std::string(container_format_name(params.format)) + ")");
    return c;
  }

  void open_video() {
    const AVCodec* codec = nullptr;
    switch (params.format) {
      case ContainerFormat::mp4: codec = find_encoder("libx264"); break;
      case ContainerFormat::webm: codec = find_encoder("libvpx-vp9"); break;
      case ContainerFormat::gif: codec = find_encoder("gif"); break;
    }
    venc.reset(avcodec_alloc_context3(codec));
    if (!venc) fail(ErrorCode::internal, "avcodec_alloc_context3 failed");
    AVCodecContext* c = venc.get();
    c->width = params.width;
    c->height = params.height;
    c->time_base = AVRational{int(params.fps.den), int(params.fps.num)};
    c->framerate = AVRational{int(params.fps.num), int(params.fps.den)};
    c->thread_count = std::max(0, params.threads);
    AVDictionary* opts = nullptr;
    if (params.format == ContainerFormat::gif) {
      c->pix_fmt = AV_PIX_FMT_PAL8;
    } else {
      c->pix_fmt = AV_PIX_FMT_YUV420P;
      c->color_range = AVCOL_RANGE_MPEG;
      c->colorspace = AVCOL_SPC_BT709;
      c->color_primaries = AVCOL_PRI_BT709;
      c->color_trc = AVCOL_TRC_BT709;
      // A keyframe every 2 s keeps seeking in the output cheap.
      c->gop_size = std::max(1, int(std::lround(2.0 * params.fps.to_double())));
    }
    if (params.format == ContainerFormat::mp4) {
      av_dict_set(&opts, "preset", params.x264_preset ? params.x264_preset : "veryfast", 0);
      av_dict_set_int(&opts, "crf", x264_crf(params.quality), 0);
      if (const std::string cpu = x264_asm_without_avx512(); !cpu.empty())
        av_dict_set(&opts, "x264-params", ("asm=" + cpu).c_str(), 0);
    } else if (params.format == ContainerFormat::webm) {
      c->bit_rate = 0;  // constant quality
      av_dict_set_int(&opts, "crf", vp9_crf(params.quality), 0);
      av_dict_set(&opts, "deadline", "good", 0);
      av_dict_set_int(&opts, "cpu-used", 4, 0);
      av_dict_set_int(&opts, "row-mt", 1, 0);
    }
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(c, codec, &opts);
    av_dict_free(&opts);
    if (ret < 0) fail_io(std::string("cannot open the ") + codec->name + " encoder", ret);
    vst = avformat_new_stream(oc.get(), nullptr);
    if (!vst) fail(ErrorCode::internal, "avformat_new_stream failed");
    ret = avcodec_parameters_from_context(vst->codecpar, c);
    if (ret < 0) fail_io("avcodec_parameters_from_context", ret);
    vst->time_base = c->time_base;
    vst->avg_frame_rate = c->framerate;
    vframe = av::make_frame();
    vframe->format = c->pix_fmt;
    vframe->width = c->width;
    vframe->height = c->height;
    ret = av_frame_get_buffer(vframe.get(), 0);
    if (ret < 0) fail_io("av_frame_get_buffer", ret);
  }

  void open_audio() {
    const AVCodec* codec = find_encoder(params.format == ContainerFormat::mp4 ? "aac" : "libopus");
    aenc.reset(avcodec_alloc_context3(codec));
    if (!aenc) fail(ErrorCode::internal, "avcodec_alloc_context3 failed");
    AVCodecContext* c = aenc.get();
    AVSampleFormat fmt = AV_SAMPLE_FMT_NONE;
    for (AVSampleFormat want : {AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16})
      for (const AVSampleFormat* f = codec->sample_fmts; f && *f != AV_SAMPLE_FMT_NONE; ++f)
        if (*f == want && fmt == AV_SAMPLE_FMT_NONE) fmt = want;
    if (fmt == AV_SAMPLE_FMT_NONE)
      fail(ErrorCode::internal, std::string(codec->name) + " takes no float or s16 samples");
    c->sample_fmt = fmt;
    c->sample_rate = params.sample_rate;
    av_channel_layout_default(&c->ch_layout, params.channels);
    c->bit_rate = params.format == ContainerFormat::mp4 ? 192000 : 128000;
    c->time_base = AVRational{1, params.sample_rate};
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(c, codec, nullptr);
    if (ret < 0)
      fail(ErrorCode::bad_request,
           std::string("cannot open the ") + codec->name + " encoder at sample_rate " +
               std::to_string(params.sample_rate) + ", channels " +
               std::to_string(params.channels) + ": " + av::error_text(ret));
    ast = avformat_new_stream(oc.get(), nullptr);
    if (!ast) fail(ErrorCode::internal, "avformat_new_stream failed");
    ret = avcodec_parameters_from_context(ast->codecpar, c);
    if (ret < 0) fail_io("avcodec_parameters_from_context", ret);
    ast->time_base = c->time_base;
    aframe = av::make_frame();
    aframe->format = c->sample_fmt;
    aframe->sample_rate = c->sample_rate;
    av_channel_layout_copy(&aframe->ch_layout, &c->ch_layout);
    aframe->nb_samples = c->frame_size > 0 ? c->frame_size : 1024;
    ret = av_frame_get_buffer(aframe.get(), 0);
    if (ret < 0) fail_io("av_frame_get_buffer", ret);
  }

  void drain(AVCodecContext* c, AVStream* st) {
    for (;;) {
      int ret = avcodec_receive_packet(c, packet.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret < 0) fail_io("encoding failed", ret);
      av_packet_rescale_ts(packet.get(), c->time_base, st->time_base);
      packet->stream_index = st->index;
      ret = av_interleaved_write_frame(oc.get(), packet.get());
      if (ret < 0) fail_io("write failed", ret);
    }
  }

  void send(AVCodecContext* c, AVStream* st, AVFrame* f) {
    int ret = avcodec_send_frame(c, f);
    if (ret < 0) fail_io("encoding failed", ret);
    drain(c, st);
  }

  void encode_audio_frame(const float* src, int n) {
    AVFrame* f = aframe.get();
    int ret = av_frame_make_writable(f);
    if (ret < 0) fail_io("av_frame_make_writable", ret);
    f->nb_samples = n;
    const int ch = params.channels;
    switch (aenc->sample_fmt) {
      case AV_SAMPLE_FMT_FLTP:
        for (int c = 0; c < ch; ++c) {
          float* d = reinterpret_cast<float*>(f->extended_data[c]);
          for (int i = 0; i < n; ++i) d[i] = src[i * ch + c];
        }
        break;
      case AV_SAMPLE_FMT_FLT:
        std::memcpy(f->data[0], src, sizeof(float) * size_t(n) * size_t(ch));
        break;
      default: {
        int16_t* d = reinterpret_cast<int16_t*>(f->data[0]);
        for (int i = 0; i < n * ch; ++i)
          d[i] = int16_t(std::lround(std::clamp(src[i], -1.0f, 1.0f) * 32767.0f));
      }
    }
    f->pts = next_audio_pts;
    next_audio_pts += n;
    send(aenc.get(), ast, f);
  }

  // Fills the PAL8 frame from a yuv420p picture (via rgba, fixed palette, dithered).
  void palettize(const Frame& yuv) {
    if (rgba.empty()) rgba = Frame(PixelFormat::rgba, params.width, params.height);
    converter.convert(picture_view(yuv), rgba, SWS_BILINEAR);
    const DitherTables& t = dither_tables();
    AVFrame* f = vframe.get();
    for (int y = 0; y < params.height; ++y) {
      const uint8_t* s = rgba.row(0, y);
      uint8_t* d = f->data[0] + size_t(y) * size_t(f->linesize[0]);
      for (int x = 0; x < params.width; ++x, s += 4) {
        const int k = kBayer[y & 3][x & 3];
        d[x] = uint8_t(t.r[k][s[0]] + t.g[k][s[1]] + t.b[k][s[2]]);
      }
    }
    std::memcpy(f->data[1], t.palette, sizeof(t.palette));
  }
};

Encoder::Encoder(const std::filesystem::path& path, const EncodeParams& params)
    : impl_(std::make_unique<Impl>()) {
  av::init_logging();
  Impl& e = *impl_;
  e.path = path;
  e.params = params;
  e.finished = true;  // nothing to remove until the file is opened
  const std::string fmt_name(container_format_name(params.format));
  if (params.width <= 0 || params.height <= 0 || params.width > 16384 || params.height > 16384)
    fail_bad_request("encode size must be in 1..16384, got " + std::to_string(params.width) + "x" +
                     std::to_string(params.height));
  if (params.format != ContainerFormat::gif && (params.width % 2 || params.height % 2))
    fail_bad_request(fmt_name + " encode size must be even, got " + std::to_string(params.width) +
                     "x" + std::to_string(params.height));
  if (!params.fps.valid() || params.fps.num > 1000 * params.fps.den)
    fail_bad_request("encode fps must be in (0, 1000], got " + params.fps.str());
  if (params.format == ContainerFormat::mp4) {
    const std::string preset = params.x264_preset ? params.x264_preset : "";
    if (std::find(std::begin(kX264Presets), std::end(kX264Presets), preset) ==
        std::end(kX264Presets))
      fail_bad_request(
          "x264_preset must be one of ultrafast, superfast, veryfast, faster, fast, "
          "medium, slow, slower, veryslow; got '" +
          preset + "'");
  }
  const bool audio = params.audio && params.format != ContainerFormat::gif;
  if (audio && (params.sample_rate < 8000 || params.sample_rate > 192000))
    fail_bad_request("encode sample_rate must be in 8000..192000, got " +
                     std::to_string(params.sample_rate));
  if (audio && (params.channels < 1 || params.channels > 8))
    fail_bad_request("encode channels must be in 1..8, got " + std::to_string(params.channels));

  // The URL is kept: the mp4 muxer re-reads the file to move the index first.
  const std::string url = av::file_url(path.string());
  e.oc = av::make_output_context(fmt_name.c_str(), url);
  e.open_video();
  if (audio) e.open_audio();

  int ret = avio_open(&e.oc->pb, url.c_str(), AVIO_FLAG_WRITE);
  if (ret < 0) e.fail_io("cannot open for writing", ret);
  e.finished = false;  // from here on a partial file exists
  AVDictionary* opts = nullptr;
  if (params.format == ContainerFormat::mp4) av_dict_set(&opts, "movflags", "+faststart", 0);
  ret = avformat_write_header(e.oc.get(), &opts);
  av_dict_free(&opts);
  if (ret < 0) e.fail_io("cannot write the header", ret);
}

Encoder::~Encoder() = default;

const EncodeParams& Encoder::params() const {
  return impl_->params;
}

void Encoder::write_video(const Frame& frame) {
  Impl& e = *impl_;
  if (e.finished) fail(ErrorCode::internal, e.path.string() + ": write_video after finish()");
  if (frame.format() != PixelFormat::yuv420p || frame.width() != e.params.width ||
      frame.height() != e.params.height)
    fail_bad_request("encoder frame must be yuv420p " + std::to_string(e.params.width) + "x" +
                     std::to_string(e.params.height) + ", got " +
                     std::string(pixel_format_name(frame.format())) + " " +
                     std::to_string(frame.width()) + "x" + std::to_string(frame.height()));
  AVFrame* f = e.vframe.get();
  int ret = av_frame_make_writable(f);
  if (ret < 0) e.fail_io("av_frame_make_writable", ret);
  if (e.params.format == ContainerFormat::gif) {
    e.palettize(frame);
  } else {
    for (int p = 0; p < 3; ++p)
      for (int y = 0; y < frame.plane_height(p); ++y)
        std::memcpy(f->data[p] + size_t(y) * size_t(f->linesize[p]), frame.row(p, y),
                    size_t(frame.plane_width(p)));
  }
  f->pts = e.next_video_pts++;
  e.send(e.venc.get(), e.vst, f);
}

void Encoder::write_audio(const float* interleaved, size_t frames) {
  Impl& e = *impl_;
  if (!e.aenc || frames == 0) return;  // no audio stream (gif, or audio = false)
  if (e.finished) fail(ErrorCode::internal, e.path.string() + ": write_audio after finish()");
  e.audio_fifo.insert(e.audio_fifo.end(), interleaved,
                      interleaved + frames * size_t(e.params.channels));
  const size_t per_frame = size_t(e.aframe->nb_samples);
  const size_t ch = size_t(e.params.channels);
  size_t pos = 0;
  while (e.audio_fifo.size() - pos >= per_frame * ch) {
    e.encode_audio_frame(e.audio_fifo.data() + pos, int(per_frame));
    pos += per_frame * ch;
  }
  e.audio_fifo.erase(e.audio_fifo.begin(), e.audio_fifo.begin() + std::ptrdiff_t(pos));
}

void Encoder::finish() {
  Impl& e = *impl_;
  if (e.finished) return;
  if (e.next_video_pts == 0)
    fail_bad_request(e.path.string() + ": finish() without any video frame written");
  if (e.aenc && e.next_audio_pts == 0 && e.audio_fifo.empty()) {
    // An empty audio track makes a file players and probe() reject: write silence for
    // the video's duration instead.
    const int64_t frames = av_rescale(
        e.next_video_pts, int64_t(e.params.sample_rate) * e.params.fps.den, e.params.fps.num);
    e.audio_fifo.assign(size_t(frames) * size_t(e.params.channels), 0.0f);
    const size_t per_frame = size_t(e.aframe->nb_samples) * size_t(e.params.channels);
    size_t pos = 0;
    for (; e.audio_fifo.size() - pos >= per_frame; pos += per_frame)
      e.encode_audio_frame(e.audio_fifo.data() + pos, e.aframe->nb_samples);
    e.audio_fifo.erase(e.audio_fifo.begin(), e.audio_fifo.begin() + std::ptrdiff_t(pos));
  }
  if (e.aenc) {
    const size_t ch = size_t(e.params.channels);
    if (!e.audio_fifo.empty()) {
      const size_t left = e.audio_fifo.size() / ch;
      const bool small_ok = e.aenc->codec->capabilities &
                            (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE);
      if (!small_ok) e.audio_fifo.resize(size_t(e.aframe->nb_samples) * ch, 0.0f);
      e.encode_audio_frame(e.audio_fifo.data(), int(small_ok ? left : e.audio_fifo.size() / ch));
      e.audio_fifo.clear();
    }
    e.send(e.aenc.get(), e.ast, nullptr);
  }
  e.send(e.venc.get(), e.vst, nullptr);
  int ret = av_write_trailer(e.oc.get());
  if (ret < 0) e.fail_io("cannot write the trailer", ret);
  ret = avio_closep(&e.oc->pb);
  if (ret < 0) e.fail_io("cannot close the file", ret);
  e.finished = true;
}

}  // namespace kino::media
