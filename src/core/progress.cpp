#include "core/progress.h"

#include "core/error.h"

namespace kino {

void CancelToken::check(const char* what) const {
  if (cancelled()) fail(ErrorCode::cancelled, std::string(what) + " cancelled");
}

}  // namespace kino
