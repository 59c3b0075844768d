#pragma once
// Captions of a scene from templates, in English and Chinese ("a red ball moving to the right on
// a blue background", "一个红色的球向右移动"). Every caption names each object's colour, shape
// and motion; some also name the speed and the background.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenes/scene.h"

namespace kino::scenes {

enum class Language { en, zh };
std::string_view language_name(Language l);
std::optional<Language> language_parse(std::string_view name);

// Several captions per language, in a fixed order (deterministic for a scene).
std::vector<std::string> scene_captions(const Scene& scene, Language language);
// Every caption, English first.
std::vector<std::string> scene_captions(const Scene& scene);

// The English and Chinese words used for a value, for checks and for the adherence test's
// prompts: the first entry is the canonical word.
std::vector<std::string> colour_words(Colour c, Language l);
std::vector<std::string> shape_words(Shape s, Language l);
std::vector<std::string> motion_words(Motion m, Language l);

// Every word (English) or phrase piece (Chinese) the captions can contain, for telling a user
// which words the built-in model knows.
std::vector<std::string> scene_vocabulary(Language l);

}  // namespace kino::scenes
