#pragma once
// Internal to the media module: one swscale conversion step from any picture (a decoded
// AVFrame or a kino Frame) into a kino Frame, with the context and colour tables cached.
// YUV output is BT.709 limited range (the Frame contract); YUV input is read with the
// matrix and range it is tagged with (untagged: BT.601 below 720 lines, else BT.709).
#include "media/av_util.h"
#include "media/frame.h"

namespace kino::media {

struct PictureView {
  const uint8_t* data[4] = {nullptr, nullptr, nullptr, nullptr};
  int linesize[4] = {0, 0, 0, 0};
  AVPixelFormat format = AV_PIX_FMT_NONE;
  int width = 0;
  int height = 0;
  AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
  AVColorRange range = AVCOL_RANGE_UNSPECIFIED;
};

PictureView picture_view(const AVFrame* frame);
// Frames hold BT.709 limited-range YUV.
PictureView picture_view(const Frame& frame);

// Not thread-safe; one per decoder / scaler.
class SwsConverter {
 public:
  // Converts src into dst (dst's format and size say what is wanted). `sws_flags` are
  // SWS_* filter flags. Same format and size is a plain copy.
  void convert(const PictureView& src, Frame& dst, int sws_flags);

 private:
  av::SwsPtr ctx_;
  int key_[7] = {0, 0, 0, 0, 0, 0, 0};  // geometry, formats and flags ctx_ was made for
  int details_[4] = {-1, -1, -1, -1};   // src matrix, src range, dst matrix, dst range
};

}  // namespace kino::media
