#include "scenes/scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

namespace kino::scenes {
namespace {

template <typename E, size_t N>
std::optional<E> parse_by_name(std::string_view name, const E (&values)[N],
                               std::string_view (*name_of)(E)) {
  for (E v : values)
    if (name_of(v) == name) return v;
  return std::nullopt;
}

// splitmix64: the same numbers on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * double(next() >> 11) * 0x1p-53; }
  size_t index(size_t n) { return size_t(next() % n); }
  bool chance(double p) { return uniform(0, 1) < p; }

 private:
  uint64_t state_;
};

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0xD1B54A32D192ED03ull));
  r.next();
  return r.next();
}

constexpr double kPi = std::numbers::pi;

double hue_of(Rgb c) {
  const double r = c.r / 255.0, g = c.g / 255.0, b = c.b / 255.0;
  const double mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
  if (d <= 0) return 0;
  double h;
  if (mx == r)
    h = std::fmod((g - b) / d, 6.0);
  else if (mx == g)
    h = (b - r) / d + 2;
  else
    h = (r - g) / d + 4;
  h *= 60;
  return h < 0 ? h + 360 : h;
}

// Distance travelled (frame units) over the clip by the moving motions.
double travel(Speed s) {
  return s == Speed::quickly ? 0.45 : 0.22;
}

}  // namespace

std::string_view colour_name(Colour c) {
  switch (c) {
    case Colour::red: return "red";
    case Colour::orange: return "orange";
    case Colour::yellow: return "yellow";
    case Colour::green: return "green";
    case Colour::cyan: return "cyan";
    case Colour::blue: return "blue";
    case Colour::purple: return "purple";
    case Colour::pink: return "pink";
  }
  return "red";
}

std::string_view shape_name(Shape s) {
  switch (s) {
    case Shape::ball: return "ball";
    case Shape::box: return "box";
    case Shape::triangle: return "triangle";
    case Shape::star: return "star";
    case Shape::ring: return "ring";
  }
  return "ball";
}

std::string_view motion_name(Motion m) {
  switch (m) {
    case Motion::left: return "left";
    case Motion::right: return "right";
    case Motion::up: return "up";
    case Motion::down: return "down";
    case Motion::bouncing: return "bouncing";
    case Motion::growing: return "growing";
    case Motion::shrinking: return "shrinking";
    case Motion::spinning: return "spinning";
    case Motion::still: return "still";
  }
  return "still";
}

std::string_view speed_name(Speed s) {
  return s == Speed::quickly ? "quickly" : "slowly";
}

std::string_view background_name(Background b) {
  switch (b) {
    case Background::white: return "white";
    case Background::black: return "black";
    case Background::gray: return "gray";
    case Background::blue: return "blue";
    case Background::green: return "green";
    case Background::sky: return "sky";
    case Background::sunset: return "sunset";
    case Background::night: return "night";
    case Background::grass: return "grass";
  }
  return "white";
}

std::optional<Colour> colour_parse(std::string_view n) {
  return parse_by_name(n, kColours, colour_name);
}
std::optional<Shape> shape_parse(std::string_view n) {
  return parse_by_name(n, kShapes, shape_name);
}
std::optional<Motion> motion_parse(std::string_view n) {
  return parse_by_name(n, kMotions, motion_name);
}
std::optional<Speed> speed_parse(std::string_view n) {
  constexpr Speed speeds[] = {Speed::slowly, Speed::quickly};
  return parse_by_name(n, speeds, speed_name);
}
std::optional<Background> background_parse(std::string_view n) {
  return parse_by_name(n, kBackgrounds, background_name);
}

Rgb colour_rgb(Colour c) {
  switch (c) {
    case Colour::red: return {220, 40, 40};
    case Colour::orange: return {245, 140, 20};
    case Colour::yellow: return {240, 220, 30};
    case Colour::green: return {40, 180, 60};
    case Colour::cyan: return {30, 200, 210};
    case Colour::blue: return {40, 80, 220};
    case Colour::purple: return {140, 60, 200};
    case Colour::pink: return {245, 110, 180};
  }
  return {};
}

double colour_hue(Colour c) {
  return hue_of(colour_rgb(c));
}

Colour colour_nearest_hue(double hue) {
  Colour best = Colour::red;
  double best_d = 1e9;
  for (Colour c : kColours) {
    double d = std::fabs(std::fmod(hue - colour_hue(c) + 720.0, 360.0));
    d = std::min(d, 360 - d);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

bool colour_allowed_on(Colour c, Background b) {
  auto none_of = [c](std::initializer_list<Colour> bad) {
    return std::find(bad.begin(), bad.end(), c) == bad.end();
  };
  switch (b) {
    case Background::white:
    case Background::black:
    case Background::gray: return true;
    case Background::blue: return none_of({Colour::blue, Colour::purple, Colour::cyan});
    case Background::green: return none_of({Colour::green, Colour::cyan, Colour::yellow});
    case Background::sky: return none_of({Colour::blue, Colour::cyan});
    case Background::sunset:
      return none_of({Colour::red, Colour::orange, Colour::yellow, Colour::pink, Colour::purple});
    case Background::night: return none_of({Colour::blue, Colour::purple});
    case Background::grass: return none_of({Colour::green, Colour::blue, Colour::cyan});
  }
  return true;
}

bool motion_allowed_for(Motion m, Shape s) {
  return m != Motion::spinning || s == Shape::box || s == Shape::triangle || s == Shape::star;
}

ObjectPose scene_object_pose(const SceneObject& o, double t) {
  ObjectPose p{o.x, o.y, o.size, o.angle};
  const bool quick = o.speed == Speed::quickly;
  switch (o.motion) {
    case Motion::left: p.x -= travel(o.speed) * t; break;
    case Motion::right: p.x += travel(o.speed) * t; break;
    case Motion::up: p.y -= travel(o.speed) * t; break;
    case Motion::down: p.y += travel(o.speed) * t; break;
    case Motion::bouncing: p.y -= 0.3 * std::fabs(std::sin(kPi * (quick ? 2 : 1) * t)); break;
    case Motion::growing: p.size *= 1 + (quick ? 1.0 : 0.5) * t; break;
    case Motion::shrinking: p.size *= 1 - (quick ? 0.6 : 0.35) * t; break;
    case Motion::spinning: p.angle += (quick ? kPi : kPi / 2) * t; break;
    case Motion::still: break;
  }
  return p;
}

std::string_view scene_split_name(SceneSplit s) {
  return s == SceneSplit::held_out ? "held_out" : "train";
}
std::optional<SceneSplit> scene_split_parse(std::string_view n) {
  if (n == "train") return SceneSplit::train;
  if (n == "held_out") return SceneSplit::held_out;
  return std::nullopt;
}

const std::vector<SceneCombo>& scene_held_out_combos() {
  // Directional motions only, so adherence can be measured (hue + centroid direction). Every
  // colour, shape and direction still appears in training in other combinations.
  static const std::vector<SceneCombo> combos = {
      {Colour::red, Shape::star, Motion::left},      {Colour::orange, Shape::ring, Motion::up},
      {Colour::yellow, Shape::box, Motion::down},    {Colour::green, Shape::ring, Motion::right},
      {Colour::cyan, Shape::triangle, Motion::left}, {Colour::blue, Shape::triangle, Motion::up},
      {Colour::purple, Shape::ball, Motion::right},  {Colour::pink, Shape::box, Motion::left},
      {Colour::blue, Shape::star, Motion::down},     {Colour::green, Shape::ball, Motion::up},
  };
  return combos;
}

bool scene_is_held_out(Colour colour, Shape shape, Motion motion) {
  for (const SceneCombo& c : scene_held_out_combos())
    if (c.colour == colour && c.shape == shape && c.motion == motion) return true;
  return false;
}

namespace {

// Places an object so that its whole path stays inside the frame. `y_lo..y_hi` is the band its
// centre may use (the full frame for one object, a half for two).
void place(SceneObject& o, Rng& rng, double y_lo, double y_hi) {
  const bool quick = o.speed == Speed::quickly;
  switch (o.motion) {
    case Motion::growing: o.size = rng.uniform(0.08, 0.1); break;
    case Motion::shrinking: o.size = rng.uniform(0.17, 0.2); break;
    default: o.size = rng.uniform(0.1, 0.14); break;
  }
  double max_size = o.size;
  if (o.motion == Motion::growing) max_size *= quick ? 2.0 : 1.5;
  const double m = max_size + 0.02;
  double x0 = m, x1 = 1 - m, y0 = y_lo + m, y1 = y_hi - m;
  const double d = travel(o.speed);
  switch (o.motion) {
    case Motion::left: x0 += d; break;
    case Motion::right: x1 -= d; break;
    case Motion::up: y0 += d; break;
    case Motion::down: y1 -= d; break;
    case Motion::bouncing: y0 = std::max(y0, 0.3 + m); break;
    default: break;
  }
  o.x = rng.uniform(x0, std::max(x0, x1));
  o.y = rng.uniform(y0, std::max(y0, y1));
  o.angle = rng.uniform(0, 2 * kPi);
  if (o.shape == Shape::ball || o.shape == Shape::ring) o.angle = 0;
}

Background pick_background(Rng& rng, const std::vector<Colour>& colours) {
  for (;;) {
    Background b = kBackgrounds[rng.index(std::size(kBackgrounds))];
    bool ok = true;
    for (Colour c : colours) ok = ok && colour_allowed_on(c, b);
    if (ok) return b;
  }
}

SceneObject random_object(Rng& rng, bool two_objects) {
  // With two objects the motions stay horizontal so each keeps to its half of the frame.
  static constexpr Motion kPairMotions[] = {Motion::left,      Motion::right,    Motion::growing,
                                            Motion::shrinking, Motion::spinning, Motion::still};
  SceneObject o;
  for (;;) {
    o.colour = kColours[rng.index(std::size(kColours))];
    o.shape = kShapes[rng.index(std::size(kShapes))];
    o.motion = two_objects ? kPairMotions[rng.index(std::size(kPairMotions))]
                           : kMotions[rng.index(std::size(kMotions))];
    if (motion_allowed_for(o.motion, o.shape)) break;
  }
  o.speed = rng.chance(0.5) ? Speed::quickly : Speed::slowly;
  return o;
}

}  // namespace

Scene scene_sample(uint64_t seed, int64_t index, SceneSplit split) {
  Rng rng(mix(mix(seed, uint64_t(index)), split == SceneSplit::held_out ? 0x48454c44 : 0x5452));
  Scene scene;
  if (split == SceneSplit::held_out) {
    const auto& combos = scene_held_out_combos();
    const SceneCombo& c = combos[size_t(index) % combos.size()];
    SceneObject o;
    o.colour = c.colour, o.shape = c.shape, o.motion = c.motion;
    o.speed = rng.chance(0.5) ? Speed::quickly : Speed::slowly;
    scene.background = pick_background(rng, {o.colour});
    place(o, rng, 0, 1);
    scene.objects.push_back(o);
    return scene;
  }
  const bool two = rng.chance(0.25);
  for (int i = 0; i < (two ? 2 : 1); ++i) {
    SceneObject o;
    do {
      o = random_object(rng, two);
    } while (scene_is_held_out(o.colour, o.shape, o.motion) ||
             (i == 1 && o.colour == scene.objects[0].colour));
    scene.objects.push_back(o);
  }
  std::vector<Colour> colours;
  for (const auto& o : scene.objects) colours.push_back(o.colour);
  scene.background = pick_background(rng, colours);
  if (two) {
    place(scene.objects[0], rng, 0, 0.5);
    place(scene.objects[1], rng, 0.5, 1);
  } else {
    place(scene.objects[0], rng, 0, 1);
  }
  return scene;
}

std::string scene_json(const Scene& scene) {
  nlohmann::json j;
  j["background"] = std::string(background_name(scene.background));
  j["objects"] = nlohmann::json::array();
  for (const SceneObject& o : scene.objects) {
    j["objects"].push_back({{"colour", colour_name(o.colour)},
                            {"shape", shape_name(o.shape)},
                            {"motion", motion_name(o.motion)},
                            {"speed", speed_name(o.speed)},
                            {"x", o.x},
                            {"y", o.y},
                            {"size", o.size},
                            {"angle", o.angle}});
  }
  return j.dump(2);
}

}  // namespace kino::scenes
