#pragma once
// Internal to the media module: an opened, probed media file (demuxer + stream choice +
// MediaInfo) and a decoder for one of its streams. Probe and both decoders build on these.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "media/av_util.h"
#include "media/probe.h"

namespace kino::media {

class InputFile {
 public:
  // Opens `path`, detects its format from the bytes (the name is never consulted) and
  // fills info(). Throws Error(not_found) for a missing file, Error(unsupported) for
  // anything unreadable and Error(too_large) beyond `limits`.
  InputFile(const std::filesystem::path& path, const ProbeLimits& limits);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const MediaInfo& info() const { return info_; }
  const std::filesystem::path& path() const { return path_; }
  // "clip.mp4": used as the prefix of every error message about this file.
  const std::string& name() const { return name_; }
  AVFormatContext* format() { return fmt_.get(); }
  int video_stream() const { return video_stream_; }  // -1 when none
  int audio_stream() const { return audio_stream_; }  // -1 when none
  // Animated WebP is not decodable by FFmpeg 5.1; the video decoder handles it itself.
  bool animated_webp() const { return animated_webp_; }

  // Next packet of any stream; false at the end of the file. Read errors other than the
  // end throw Error(unsupported).
  bool read_packet(AVPacket* packet);
  // Re-opens the file at its start (for demuxers that cannot seek, e.g. still images).
  void reopen();
  // Stops the wall-clock cap (decoding a long file legitimately takes long).
  void end_probe_deadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }

  // The largest picture (width x height) the limits allow; decoders refuse bigger ones.
  int64_t max_pixels() const { return int64_t(limits_.max_width) * limits_.max_height; }

  [[noreturn]] void fail_unsupported(const std::string& reason) const;
  [[noreturn]] void fail_deadline() const;

 private:
  static int interrupt_cb(void* opaque);
  void open_format();
  void detect();
  // Reads every packet to measure what the header lacks: frame_count and duration_ms
  // (gif: the sum of frame delays; else the end of the last packet). Then reopen()s.
  void scan_packets(bool gif);

  std::filesystem::path path_;
  std::string name_;
  ProbeLimits limits_;
  std::chrono::steady_clock::time_point deadline_;
  av::IoContextPtr io_;  // declared before fmt_: closed after it
  av::InputContextPtr fmt_;
  int video_stream_ = -1;
  int audio_stream_ = -1;
  bool animated_webp_ = false;
  MediaInfo info_;
};

// Decodes one stream of an InputFile, in order. Packets of other streams are dropped.
// Isolated damaged packets are skipped (as players do); more than kMaxErrorsInARow in a
// row, or a stream with no decodable frame at all, throws Error(unsupported).
class StreamDecoder {
 public:
  StreamDecoder(InputFile& input, int stream_index, int threads);

  static constexpr int kMaxErrorsInARow = 16;

  // Next decoded frame; false at the end of the stream.
  bool next(AVFrame* out);
  // After a demuxer seek: drops buffered frames and restarts decoding.
  void flush();
  AVCodecContext* context() { return ctx_.get(); }
  AVStream* stream() { return input_.format()->streams[stream_index_]; }

 private:
  InputFile& input_;
  int stream_index_;
  av::CodecContextPtr ctx_;
  av::PacketPtr packet_;
  bool input_done_ = false;
  int errors_in_a_row_ = 0;
  int64_t frames_ = 0;
  std::string last_error_;

  void note_error(int averror);
};

// Milliseconds from the stream start for a timestamp in the stream's time base.
int64_t stream_pts_ms(AVStream* stream, int64_t pts);

}  // namespace kino::media
