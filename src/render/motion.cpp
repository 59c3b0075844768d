#include "render/motion.h"

#include <algorithm>

namespace kino::render {
namespace {

// Smoothstep easing: starts and stops gently, no jerk at segment edges.
double ease(double p) {
  return p * p * (3 - 2 * p);
}

ViewRect zoomed(ViewRect b, double z, double fx, double fy) {
  ViewRect v{0, 0, b.w / z, b.h / z};
  v.x = b.x + (b.w - v.w) * fx;
  v.y = b.y + (b.h - v.h) * fy;
  return v;
}

using MotionFn = ViewRect (*)(ViewRect base, double s, double p);

ViewRect none(ViewRect b, double, double) {
  return b;
}
ViewRect zoom_in(ViewRect b, double s, double p) {
  return zoomed(b, 1 + s * p, 0.5, 0.5);
}
ViewRect zoom_out(ViewRect b, double s, double p) {
  return zoomed(b, 1 + s * (1 - p), 0.5, 0.5);
}
ViewRect pan_left(ViewRect b, double s, double p) {
  return zoomed(b, 1 + s, 1 - p, 0.5);
}
ViewRect pan_right(ViewRect b, double s, double p) {
  return zoomed(b, 1 + s, p, 0.5);
}
ViewRect pan_up(ViewRect b, double s, double p) {
  return zoomed(b, 1 + s, 0.5, 1 - p);
}
ViewRect pan_down(ViewRect b, double s, double p) {
  return zoomed(b, 1 + s, 0.5, p);
}

struct MotionEntry {
  timeline::MotionKind kind;
  MotionFn fn;
};
constexpr MotionEntry kMotions[] = {
    {timeline::MotionKind::none, none},           {timeline::MotionKind::zoom_in, zoom_in},
    {timeline::MotionKind::zoom_out, zoom_out},   {timeline::MotionKind::pan_left, pan_left},
    {timeline::MotionKind::pan_right, pan_right}, {timeline::MotionKind::pan_up, pan_up},
    {timeline::MotionKind::pan_down, pan_down},
};

}  // namespace

ViewRect motion_view(const timeline::Motion& motion, double p, ViewRect base) {
  const double s = std::max(0.0, motion.strength);
  const double e = ease(std::clamp(p, 0.0, 1.0));
  for (const MotionEntry& m : kMotions)
    if (m.kind == motion.kind) return m.fn(base, s, e);
  return base;
}

}  // namespace kino::render
