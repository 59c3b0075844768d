#include "media/sws_convert.h"

#include <cstring>
#include <string>

#include "core/error.h"

namespace kino::media {
namespace {

// Maps the deprecated full-range "J" formats to their plain twins plus a range flag.
AVPixelFormat normalize_format(AVPixelFormat f, bool* full_range) {
  switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full_range = true; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full_range = true; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full_range = true; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full_range = true; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full_range = true; return AV_PIX_FMT_YUV411P;
    default: return f;
  }
}

bool is_yuv(AVPixelFormat f) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(f);
  return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
}

int sws_matrix(AVColorSpace cs, int height) {
  switch (cs) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
  }
}

}  // namespace

PictureView picture_view(const AVFrame* frame) {
  PictureView v;
  for (int i = 0; i < 4; ++i) {
    v.data[i] = frame->data[i];
    v.linesize[i] = frame->linesize[i];
  }
  v.format = AVPixelFormat(frame->format);
  v.width = frame->width;
  v.height = frame->height;
  v.colorspace = frame->colorspace;
  v.range = frame->color_range;
  return v;
}

PictureView picture_view(const Frame& frame) {
  PictureView v;
  for (int i = 0; i < frame.plane_count(); ++i) {
    v.data[i] = frame.data(i);
    v.linesize[i] = frame.stride(i);
  }
  v.format = av::pixel_format_to_av(frame.format());
  v.width = frame.width();
  v.height = frame.height();
  v.colorspace = AVCOL_SPC_BT709;
  v.range = AVCOL_RANGE_MPEG;
  return v;
}

void SwsConverter::convert(const PictureView& src_in, Frame& dst, int sws_flags) {
  if (src_in.width <= 0 || src_in.height <= 0 || dst.empty())
    fail(ErrorCode::internal, "scale: empty source or destination picture");
  bool src_full = src_in.range == AVCOL_RANGE_JPEG;
  const AVPixelFormat src_fmt = normalize_format(src_in.format, &src_full);
  const AVPixelFormat dst_fmt = av::pixel_format_to_av(dst.format());
  const bool src_yuv = is_yuv(src_fmt), dst_yuv = is_yuv(dst_fmt);
  const int src_matrix = sws_matrix(src_in.colorspace, src_in.height);

  // Identical layout and colour: copy the planes.
  if (src_fmt == dst_fmt && src_in.width == dst.width() && src_in.height == dst.height() &&
      (!src_yuv || (!src_full && src_matrix == SWS_CS_ITU709))) {
    for (int p = 0; p < dst.plane_count(); ++p)
      for (int y = 0; y < dst.plane_height(p); ++y)
        std::memcpy(dst.row(p, y), src_in.data[p] + size_t(y) * size_t(src_in.linesize[p]),
                    size_t(dst.plane_width(p)));
    return;
  }

  const int key[7] = {src_in.width, src_in.height, int(src_fmt), dst.width(),
                      dst.height(), int(dst_fmt),  sws_flags};
  if (!ctx_ || std::memcmp(key, key_, sizeof(key)) != 0) {
    ctx_.reset(sws_getContext(src_in.width, src_in.height, src_fmt, dst.width(), dst.height(),
                              dst_fmt, sws_flags, nullptr, nullptr, nullptr));
    std::memcpy(key_, key, sizeof(key));
    details_[0] = -1;
  }
  SwsContext* ctx = ctx_.get();
  if (!ctx)
    fail(ErrorCode::unsupported,
         std::string("scale: cannot convert ") +
             (av_get_pix_fmt_name(src_fmt) ? av_get_pix_fmt_name(src_fmt) : "unknown") + " " +
             std::to_string(src_in.width) + "x" + std::to_string(src_in.height) + " to " +
             std::string(pixel_format_name(dst.format())));
  const int details[4] = {src_yuv ? src_matrix : SWS_CS_ITU709, src_yuv ? int(src_full) : 1,
                          SWS_CS_ITU709, dst_yuv ? 0 : 1};
  // RGB to RGB needs no tables (and setting them would leave swscale's exact paths).
  if ((src_yuv || dst_yuv) && std::memcmp(details, details_, sizeof(details)) != 0) {
    sws_setColorspaceDetails(ctx, sws_getCoefficients(details[0]), details[1],
                             sws_getCoefficients(details[2]), details[3], 0, 1 << 16, 1 << 16);
    std::memcpy(details_, details, sizeof(details));
  }
  uint8_t* dst_data[4] = {nullptr, nullptr, nullptr, nullptr};
  int dst_linesize[4] = {0, 0, 0, 0};
  for (int p = 0; p < dst.plane_count(); ++p) {
    dst_data[p] = dst.data(p);
    dst_linesize[p] = dst.stride(p);
  }
  int ret = sws_scale(ctx, src_in.data, src_in.linesize, 0, src_in.height, dst_data, dst_linesize);
  if (ret <= 0) fail(ErrorCode::internal, "scale: sws_scale failed: " + av::error_text(ret));
}

}  // namespace kino::media
