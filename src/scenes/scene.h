#pragma once
// A procedural scene: a background and one or two coloured shapes, each with a motion. Scenes are
// drawn from a seed and an index, so a data set is reproducible item by item. Every enum has
// name() and parse() with the spelling the captions and the data set's JSON use.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kino::scenes {

enum class Colour { red, orange, yellow, green, cyan, blue, purple, pink };
enum class Shape { ball, box, triangle, star, ring };
enum class Motion { left, right, up, down, bouncing, growing, shrinking, spinning, still };
enum class Speed { slowly, quickly };
enum class Background { white, black, gray, blue, green, sky, sunset, night, grass };

std::string_view colour_name(Colour c);
std::string_view shape_name(Shape s);
std::string_view motion_name(Motion m);
std::string_view speed_name(Speed s);
std::string_view background_name(Background b);
std::optional<Colour> colour_parse(std::string_view name);
std::optional<Shape> shape_parse(std::string_view name);
std::optional<Motion> motion_parse(std::string_view name);
std::optional<Speed> speed_parse(std::string_view name);
std::optional<Background> background_parse(std::string_view name);

inline constexpr Colour kColours[] = {Colour::red,  Colour::orange, Colour::yellow, Colour::green,
                                      Colour::cyan, Colour::blue,   Colour::purple, Colour::pink};
inline constexpr Shape kShapes[] = {Shape::ball, Shape::box, Shape::triangle, Shape::star,
                                    Shape::ring};
inline constexpr Motion kMotions[] = {Motion::left,      Motion::right,    Motion::up,
                                      Motion::down,      Motion::bouncing, Motion::growing,
                                      Motion::shrinking, Motion::spinning, Motion::still};
inline constexpr Background kBackgrounds[] = {
    Background::white, Background::black,  Background::gray,  Background::blue, Background::green,
    Background::sky,   Background::sunset, Background::night, Background::grass};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};
// The sRGB value an object of this colour is drawn with.
Rgb colour_rgb(Colour c);
// Hue in degrees [0, 360) of the colour's sRGB value.
double colour_hue(Colour c);
// The named colour whose hue is nearest to `hue_degrees` (circular distance).
Colour colour_nearest_hue(double hue_degrees);

// Whether an object of colour `c` is drawn on background `b` (it must stand out: no blue ball on
// the sky).
bool colour_allowed_on(Colour c, Background b);
// Spinning is only drawn for shapes whose rotation is visible (box, triangle, star).
bool motion_allowed_for(Motion m, Shape s);

// Geometry is in frame units: x and y in [0, 1] of the frame's width and height (y down),
// sizes as a fraction of the shorter side.
struct SceneObject {
  Colour colour = Colour::red;
  Shape shape = Shape::ball;
  Motion motion = Motion::still;
  Speed speed = Speed::slowly;  // ignored for still
  double x = 0.5, y = 0.5;      // centre at t = 0
  double size = 0.12;           // circumradius at t = 0
  double angle = 0;             // radians at t = 0
};

// Where an object is at time t in [0, 1] (first to last frame).
struct ObjectPose {
  double x = 0, y = 0, size = 0, angle = 0;
};
ObjectPose scene_object_pose(const SceneObject& object, double t);

struct Scene {
  Background background = Background::white;
  std::vector<SceneObject> objects;  // one or two; drawn in order
};

// Training and evaluation are split by colour x shape x motion: the combinations listed by
// scene_held_out_combos() never appear in the train split (in any object of any scene, at any
// speed), and every scene of the held_out split has exactly one object with such a combination.
enum class SceneSplit { train, held_out };
std::string_view scene_split_name(SceneSplit s);
std::optional<SceneSplit> scene_split_parse(std::string_view name);

struct SceneCombo {
  Colour colour;
  Shape shape;
  Motion motion;
};
const std::vector<SceneCombo>& scene_held_out_combos();
bool scene_is_held_out(Colour colour, Shape shape, Motion motion);

// The scene number `index` of the data set (seed, split). Same arguments, same scene.
Scene scene_sample(uint64_t seed, int64_t index, SceneSplit split);

// A scene as JSON text (for the data set's sidecar files).
std::string scene_json(const Scene& scene);

}  // namespace kino::scenes
