#include "media/webp_animation.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace kino::media {
namespace {

constexpr size_t kMaxWebpBytes = size_t(256) << 20;

uint32_t le24(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16;
}
uint32_t le32(const uint8_t* p) {
  return le24(p) | uint32_t(p[3]) << 24;
}
void put_le24(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(uint8_t(x));
  v.push_back(uint8_t(x >> 8));
  v.push_back(uint8_t(x >> 16));
}
void put_le32(std::vector<uint8_t>& v, uint32_t x) {
  put_le24(v, x);
  v.push_back(uint8_t(x >> 24));
}

struct Chunk {
  std::string fourcc;
  const uint8_t* data;
  size_t size;
};

// Splits [p, p + n) into RIFF chunks; throws on a chunk running past the end.
std::vector<Chunk> split_chunks(const uint8_t* p, size_t n, const std::string& name) {
  std::vector<Chunk> out;
  size_t pos = 0;
  while (pos + 8 <= n) {
    const size_t size = le32(p + pos + 4);
    if (size > n - pos - 8)
      fail(ErrorCode::unsupported, name + ": webp chunk '" + std::string((const char*)p + pos, 4) +
                                       "' runs past the end of the file (truncated)");
    out.push_back({std::string((const char*)p + pos, 4), p + pos + 8, size});
    pos += 8 + size + (size & 1);
  }
  return out;
}

std::vector<uint8_t> read_file(const std::filesystem::path& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(ErrorCode::unsupported, name + ": cannot open");
  const auto size = size_t(in.tellg());
  if (size > kMaxWebpBytes)
    fail(ErrorCode::too_large, name + ": webp of " + std::to_string(size) +
                                   " bytes exceeds the limit of " + std::to_string(kMaxWebpBytes));
  std::vector<uint8_t> bytes(size);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size));
  if (size_t(in.gcount()) != size) fail(ErrorCode::unsupported, name + ": short read");
  return bytes;
}

struct Parsed {
  bool animated = false;
  int width = 0, height = 0;
  std::vector<Chunk> frames;  // ANMF chunks
};

Parsed parse(const std::vector<uint8_t>& b, const std::string& name) {
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 ||
      std::memcmp(b.data() + 8, "WEBP", 4) != 0)
    fail(ErrorCode::unsupported, name + ": not a RIFF WEBP file");
  const size_t riff_size = std::min<size_t>(le32(b.data() + 4), b.size() - 8);
  if (riff_size < 4) fail(ErrorCode::unsupported, name + ": webp RIFF size too small");
  Parsed out;
  for (const Chunk& c : split_chunks(b.data() + 12, riff_size - 4, name)) {
    if (c.fourcc == "VP8X" && c.size >= 10) {
      out.animated = (c.data[0] & 0x02) != 0;
      out.width = int(le24(c.data + 4) + 1);
      out.height = int(le24(c.data + 7) + 1);
    } else if (c.fourcc == "ANMF") {
      if (c.size < 16)
        fail(ErrorCode::unsupported, name + ": webp ANMF chunk shorter than 16 bytes");
      out.frames.push_back(c);
    }
  }
  if (out.animated && out.frames.empty())
    fail(ErrorCode::unsupported, name + ": animated webp without frames");
  return out;
}

}  // namespace

WebpProbe webp_probe_file(const std::filesystem::path& path, const std::string& name) {
  const auto bytes = read_file(path, name);
  const Parsed p = parse(bytes, name);
  WebpProbe out;
  out.animated = p.animated && p.frames.size() > 1;
  out.width = p.width;
  out.height = p.height;
  out.frame_count = int64_t(p.frames.size());
  for (const Chunk& c : p.frames) out.duration_ms += le24(c.data + 12);
  return out;
}

WebpAnimation::WebpAnimation(const std::filesystem::path& path, const std::string& name)
    : name_(name) {
  const auto bytes = read_file(path, name);
  const Parsed p = parse(bytes, name);
  width_ = p.width;
  height_ = p.height;
  for (const Chunk& c : p.frames) {
    AnimFrame f;
    f.x = int(le24(c.data)) * 2;
    f.y = int(le24(c.data + 3)) * 2;
    f.width = int(le24(c.data + 6)) + 1;
    f.height = int(le24(c.data + 9)) + 1;
    f.duration_ms = le24(c.data + 12);
    f.blend = (c.data[15] & 0x02) == 0;
    f.dispose = (c.data[15] & 0x01) != 0;
    if (f.x + f.width > width_ || f.y + f.height > height_)
      fail(ErrorCode::unsupported,
           name + ": webp frame " + std::to_string(frames_.size()) + " lies outside the canvas");
    // Rebuild the frame as a still WebP: VP8X (when it has alpha) + ALPH + VP8/VP8L.
    std::vector<uint8_t> body;
    bool alpha = false;
    for (const Chunk& sub : split_chunks(c.data + 16, c.size - 16, name)) {
      if (sub.fourcc != "ALPH" && sub.fourcc != "VP8 " && sub.fourcc != "VP8L") continue;
      alpha |= sub.fourcc == "ALPH";
      body.insert(body.end(), sub.fourcc.begin(), sub.fourcc.end());
      put_le32(body, uint32_t(sub.size));
      body.insert(body.end(), sub.data, sub.data + sub.size);
      if (sub.size & 1) body.push_back(0);
    }
    std::vector<uint8_t>& s = f.still;
    const char* riff = "RIFF";
    s.insert(s.end(), riff, riff + 4);
    put_le32(s, 0);  // patched below
    const char* webp = "WEBPVP8X";
    s.insert(s.end(), webp, webp + (alpha ? 8 : 4));
    if (alpha) {
      put_le32(s, 10);
      s.push_back(0x10);  // alpha flag
      s.push_back(0), s.push_back(0), s.push_back(0);
      put_le24(s, uint32_t(f.width - 1));
      put_le24(s, uint32_t(f.height - 1));
    }
    s.insert(s.end(), body.begin(), body.end());
    const uint32_t riff_size = uint32_t(s.size() - 8);
    for (int i = 0; i < 4; ++i) s[4 + size_t(i)] = uint8_t(riff_size >> (8 * i));
    f.still_size = s.size();
    s.resize(s.size() + AV_INPUT_BUFFER_PADDING_SIZE, 0);  // decoders may read ahead
    frames_.push_back(std::move(f));
  }
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_WEBP);
  if (!codec) fail(ErrorCode::internal, "no webp decoder in this FFmpeg build");
  codec_.reset(avcodec_alloc_context3(codec));
  if (!codec_ || avcodec_open2(codec_.get(), codec, nullptr) < 0)
    fail(ErrorCode::internal, name + ": cannot open the webp decoder");
  rewind();
}

void WebpAnimation::rewind() {
  next_ = 0;
  pts_ms_ = 0;
  canvas_ = Frame(PixelFormat::rgba, width_, height_);
  canvas_.fill(0, 0, 0, 0);
}

void WebpAnimation::decode_frame(const AnimFrame& f, Frame& rgba) {
  auto packet = av::make_packet();
  packet->data = const_cast<uint8_t*>(f.still.data());
  packet->size = int(f.still_size);
  auto frame = av::make_frame();
  avcodec_flush_buffers(codec_.get());
  int ret = avcodec_send_packet(codec_.get(), packet.get());
  if (ret >= 0) ret = avcodec_receive_frame(codec_.get(), frame.get());
  if (ret < 0)
    fail(ErrorCode::unsupported, name_ + ": cannot decode webp frame " + std::to_string(next_) +
                                     ": " + av::error_text(ret));
  if (frame->width != f.width || frame->height != f.height)
    fail(ErrorCode::unsupported,
         name_ + ": webp frame " + std::to_string(next_) + " size differs from its ANMF header");
  converter_.convert(picture_view(frame.get()), rgba, SWS_BILINEAR);
}

bool WebpAnimation::next(Frame& out, int64_t* pts_ms) {
  if (next_ >= frames_.size()) return false;
  if (next_ > 0) {
    const AnimFrame& prev = frames_[next_ - 1];
    if (prev.dispose)
      for (int y = prev.y; y < prev.y + prev.height; ++y)
        std::memset(canvas_.row(0, y) + 4 * prev.x, 0, size_t(4 * prev.width));
  }
  const AnimFrame& f = frames_[next_];
  Frame rgba(PixelFormat::rgba, f.width, f.height);
  decode_frame(f, rgba);
  for (int y = 0; y < f.height; ++y) {
    const uint8_t* s = rgba.row(0, y);
    uint8_t* d = canvas_.row(0, f.y + y) + 4 * f.x;
    for (int x = 0; x < f.width; ++x, s += 4, d += 4) {
      if (!f.blend || s[3] == 255 || d[3] == 0) {
        std::memcpy(d, s, 4);
        continue;
      }
      // Straight-alpha "source over" as in the WebP specification.
      const int sa = s[3], da = d[3] * (255 - sa) / 255, a = sa + da;
      if (a == 0) {
        std::memset(d, 0, 4);
        continue;
      }
      for (int c = 0; c < 3; ++c) d[c] = uint8_t((s[c] * sa + d[c] * da) / a);
      d[3] = uint8_t(a);
    }
  }
  if (pts_ms) *pts_ms = pts_ms_;
  pts_ms_ += f.duration_ms;
  ++next_;
  out = canvas_.clone();
  return true;
}

}  // namespace kino::media
