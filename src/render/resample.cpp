#include "render/resample.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kino::render {
namespace {

// Source index and weight of the right/lower neighbour for output sample i, for a
// mapping of n outputs onto [start, start + len) of a plane of `size` samples (centres
// aligned, edges clamped).
void build_taps(int n, double start, double len, int size, std::vector<int32_t>& idx,
                std::vector<uint16_t>& weight) {
  idx.resize(size_t(n));
  weight.resize(size_t(n));
  const double step = len / n;
  for (int i = 0; i < n; ++i) {
    double s = start + (i + 0.5) * step - 0.5;
    s = std::clamp(s, 0.0, double(size - 1));
    int i0 = std::min(int(s), std::max(size - 2, 0));
    int w = int(std::lround((s - i0) * 256.0));
    if (size == 1) i0 = 0, w = 0;
    idx[size_t(i)] = i0;
    weight[size_t(i)] = uint16_t(std::clamp(w, 0, 256));
  }
}

}  // namespace

// One output row of the horizontal pass. Each tap reads 4 bytes at its index: both
// neighbours in one load (taps never pass the last sample and rows are padded).
void Resampler::horizontal(const uint8_t* __restrict s, uint8_t* __restrict o, int n) const {
  const int32_t* __restrict xi = xi_.data();
  const uint16_t* __restrict xw = xw_.data();
  for (int i = 0; i < n; ++i) {
    uint32_t pair;
    std::memcpy(&pair, s + xi[i], sizeof(pair));
    const uint32_t wb = xw[i];
    o[i] = uint8_t(((pair & 255u) * (256u - wb) + ((pair >> 8) & 255u) * wb + 128u) >> 8);
  }
}

void Resampler::resample(const media::Frame& src, ViewRect view, media::Frame& dst) {
  resample(src, view, dst, Rect{0, 0, dst.width(), dst.height()});
}

void Resampler::resample(const media::Frame& src, ViewRect view, media::Frame& dst, Rect at) {
  resample_plane(src.data(0), src.stride(0), src.width(), src.height(), view.x, view.y, view.w,
                 view.h, dst.row(0, at.y) + at.x, dst.stride(0), at.w, at.h);
  const int cw = std::min((at.w + 1) / 2, dst.plane_width(1) - at.x / 2);
  const int ch = std::min((at.h + 1) / 2, dst.plane_height(1) - at.y / 2);
  for (int p = 1; p < 3; ++p)
    resample_plane(src.data(p), src.stride(p), src.plane_width(p), src.plane_height(p), view.x / 2,
                   view.y / 2, view.w / 2, view.h / 2, dst.row(p, at.y / 2) + at.x / 2,
                   dst.stride(p), cw, ch);
}

void Resampler::resample_plane(const uint8_t* src, int src_stride, int src_w, int src_h, double x,
                               double y, double w, double h, uint8_t* dst, int dst_stride,
                               int dst_w, int dst_h) {
  build_taps(dst_w, x, w, src_w, xi_, xw_);
  build_taps(dst_h, y, h, src_h, yi_, yw_);
  const int r0 = yi_.front();
  const int r1 = std::min(yi_.back() + 1, src_h - 1);
  const int rows = r1 - r0 + 1;
  const size_t row_len = size_t(dst_w + 64) & ~size_t(63);
  if (rows_.size() < size_t(rows) * row_len) rows_.resize(size_t(rows) * row_len);

  for (int r = 0; r < rows; ++r)
    horizontal(src + size_t(r0 + r) * size_t(src_stride), rows_.data() + size_t(r) * row_len,
               dst_w);
  for (int j = 0; j < dst_h; ++j) {
    const int a = yi_[size_t(j)] - r0;
    const int b = std::min(a + 1, rows - 1);
    const uint16_t wb = yw_[size_t(j)], wa = uint16_t(256 - wb);
    const uint8_t* __restrict ra = rows_.data() + size_t(a) * row_len;
    const uint8_t* __restrict rb = rows_.data() + size_t(b) * row_len;
    uint8_t* __restrict o = dst + size_t(j) * size_t(dst_stride);
    for (int i = 0; i < dst_w; ++i) o[i] = uint8_t((ra[i] * wa + rb[i] * wb + 128) >> 8);
  }
}

}  // namespace kino::render
