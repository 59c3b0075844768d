#include "media/scaler.h"

#include "media/sws_convert.h"

namespace kino::media {
namespace {

int sws_flags_for(ScaleFilter filter) {
  switch (filter) {
    case ScaleFilter::fast_bilinear: return SWS_FAST_BILINEAR;
    case ScaleFilter::bilinear: return SWS_BILINEAR;
    case ScaleFilter::bicubic: return SWS_BICUBIC;
    case ScaleFilter::lanczos: return SWS_LANCZOS;
    case ScaleFilter::area: return SWS_AREA;
  }
  return SWS_BILINEAR;
}

}  // namespace

struct Scaler::Impl {
  SwsConverter converter;
};

Scaler::Scaler() : impl_(std::make_unique<Impl>()) {}
Scaler::~Scaler() = default;
Scaler::Scaler(Scaler&&) noexcept = default;
Scaler& Scaler::operator=(Scaler&&) noexcept = default;

void Scaler::scale(const Frame& src, Frame& dst, ScaleFilter filter) {
  av::init_logging();
  impl_->converter.convert(picture_view(src), dst, sws_flags_for(filter) | SWS_ACCURATE_RND);
}

}  // namespace kino::media
