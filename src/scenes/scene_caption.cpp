#include "scenes/scene_caption.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace kino::scenes {
namespace {

const char* where_en(Background b) {
  switch (b) {
    case Background::white: return "on a white background";
    case Background::black: return "on a black background";
    case Background::gray: return "on a gray background";
    case Background::blue: return "on a blue background";
    case Background::green: return "on a green background";
    case Background::sky: return "in a blue sky";
    case Background::sunset: return "against a sunset";
    case Background::night: return "in the night sky";
    case Background::grass: return "above green grass";
  }
  return "";
}

const char* where_zh(Background b) {
  switch (b) {
    case Background::white: return "白色背景上";
    case Background::black: return "黑色背景上";
    case Background::gray: return "灰色背景上";
    case Background::blue: return "蓝色背景上";
    case Background::green: return "绿色背景上";
    case Background::sky: return "蓝天中";
    case Background::sunset: return "夕阳下";
    case Background::night: return "夜空中";
    case Background::grass: return "草地上方";
  }
  return "";
}

const char* speed_word(Speed s, Language l) {
  if (l == Language::zh) return s == Speed::quickly ? "快速地" : "慢慢地";
  return s == Speed::quickly ? "quickly" : "slowly";
}

// Caption variant `v` of one object: "a red ball moving to the right", "一个红色的球向右移动".
std::string object_phrase(const SceneObject& o, Language l, int v, bool with_speed) {
  const auto colours = colour_words(o.colour, l);
  const auto shapes = shape_words(o.shape, l);
  const auto motions = motion_words(o.motion, l);
  const std::string& shape = shapes[size_t(v) % shapes.size()];
  const std::string& motion = motions[size_t(v) % motions.size()];
  const bool speed = with_speed && o.motion != Motion::still;
  std::string s;
  if (l == Language::en) {
    const bool vowel = std::string_view("aeiou").find(colours[0][0]) != std::string_view::npos;
    s = (vowel ? "an " : "a ") + colours[0] + " " + shape + " ";
    if (speed && v % 2 == 0)
      s += std::string(speed_word(o.speed, l)) + " " + motion;
    else if (speed)
      s += motion + " " + speed_word(o.speed, l);
    else
      s += motion;
  } else {
    s = "一个" + colours[0] + "的" + shape;
    if (o.motion == Motion::spinning && !speed) s += "在";
    if (speed) s += speed_word(o.speed, l);
    s += motion;
  }
  return s;
}

std::string objects_phrase(const Scene& scene, Language l, int v, bool with_speed) {
  std::string s;
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    if (i) s += l == Language::en ? " and " : "，";
    s += object_phrase(scene.objects[i], l, v + int(i), with_speed);
  }
  return s;
}

}  // namespace

std::string_view language_name(Language l) {
  return l == Language::zh ? "zh" : "en";
}
std::optional<Language> language_parse(std::string_view n) {
  if (n == "en") return Language::en;
  if (n == "zh") return Language::zh;
  return std::nullopt;
}

std::vector<std::string> colour_words(Colour c, Language l) {
  if (l == Language::en) return {std::string(colour_name(c))};
  switch (c) {
    case Colour::red: return {"红色"};
    case Colour::orange: return {"橙色"};
    case Colour::yellow: return {"黄色"};
    case Colour::green: return {"绿色"};
    case Colour::cyan: return {"青色"};
    case Colour::blue: return {"蓝色"};
    case Colour::purple: return {"紫色"};
    case Colour::pink: return {"粉色"};
  }
  return {};
}

std::vector<std::string> shape_words(Shape s, Language l) {
  const bool en = l == Language::en;
  switch (s) {
    case Shape::ball:
      return en ? std::vector<std::string>{"ball", "circle"}
                : std::vector<std::string>{"球", "圆球"};
    case Shape::box:
      return en ? std::vector<std::string>{"box", "square"}
                : std::vector<std::string>{"方块", "正方形"};
    case Shape::triangle: return {en ? "triangle" : "三角形"};
    case Shape::star:
      return en ? std::vector<std::string>{"star"} : std::vector<std::string>{"星星", "五角星"};
    case Shape::ring:
      return en ? std::vector<std::string>{"ring"} : std::vector<std::string>{"圆环", "圆圈"};
  }
  return {};
}

std::vector<std::string> motion_words(Motion m, Language l) {
  const bool en = l == Language::en;
  using V = std::vector<std::string>;
  switch (m) {
    case Motion::left:
      return en ? V{"moving to the left", "moving left", "sliding to the left"}
                : V{"向左移动", "往左移动"};
    case Motion::right:
      return en ? V{"moving to the right", "moving right", "sliding to the right"}
                : V{"向右移动", "往右移动"};
    case Motion::up: return en ? V{"moving up", "rising", "moving upward"} : V{"向上移动", "上升"};
    case Motion::down:
      return en ? V{"moving down", "falling", "moving downward"} : V{"向下移动", "下落"};
    case Motion::bouncing:
      return en ? V{"bouncing", "bouncing up and down"} : V{"上下弹跳", "弹跳"};
    case Motion::growing: return en ? V{"growing", "getting bigger"} : V{"变大", "逐渐变大"};
    case Motion::shrinking: return en ? V{"shrinking", "getting smaller"} : V{"变小", "逐渐变小"};
    case Motion::spinning: return en ? V{"spinning", "rotating"} : V{"旋转", "转动"};
    case Motion::still:
      return en ? V{"standing still", "not moving", "resting"} : V{"静止不动", "一动不动"};
  }
  return {};
}

std::vector<std::string> scene_captions(const Scene& scene, Language l) {
  std::vector<std::string> out;
  if (l == Language::en) {
    out.push_back(objects_phrase(scene, l, 0, true) + " " + where_en(scene.background));
    out.push_back(objects_phrase(scene, l, 1, false));
    out.push_back(objects_phrase(scene, l, 2, true));
    out.push_back(objects_phrase(scene, l, 3, false) + " " + where_en(scene.background));
  } else {
    out.push_back(std::string(where_zh(scene.background)) + "，" +
                  objects_phrase(scene, l, 0, true));
    out.push_back(objects_phrase(scene, l, 1, false));
    out.push_back(std::string(where_zh(scene.background)) + "，" +
                  objects_phrase(scene, l, 2, false));
  }
  return out;
}

std::vector<std::string> scene_captions(const Scene& scene) {
  std::vector<std::string> out = scene_captions(scene, Language::en);
  for (auto& c : scene_captions(scene, Language::zh)) out.push_back(std::move(c));
  return out;
}

std::vector<std::string> scene_vocabulary(Language l) {
  std::set<std::string> words;
  auto add = [&](const std::string& phrase) {
    if (l == Language::zh) {
      words.insert(phrase);
      return;
    }
    std::istringstream in(phrase);
    for (std::string w; in >> w;) words.insert(w);
  };
  for (Colour c : kColours)
    for (const auto& w : colour_words(c, l)) add(w);
  for (Shape s : kShapes)
    for (const auto& w : shape_words(s, l)) add(w);
  for (Motion m : kMotions)
    for (const auto& w : motion_words(m, l)) add(w);
  for (Background b : kBackgrounds) add(l == Language::en ? where_en(b) : where_zh(b));
  add(speed_word(Speed::quickly, l));
  add(speed_word(Speed::slowly, l));
  if (l == Language::en) {
    add("a an and");
  } else {
    add("一个");
    add("的");
    add("在");
  }
  return {words.begin(), words.end()};
}

}  // namespace kino::scenes
