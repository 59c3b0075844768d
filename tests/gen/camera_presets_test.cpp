#include "gen/camera_presets.h"

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"

namespace kino::gen {
namespace {

TEST(CameraPresetsTest, EveryPresetHasAUniqueNameAndAPhrase) {
  std::set<std::string_view> names;
  for (const CameraPreset& p : camera_presets()) {
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    EXPECT_FALSE(p.phrase.empty()) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_EQ(&camera_preset_find(p.name), &p);
  }
  for (const char* needed : {"pan left", "pan right", "tilt up", "tilt down", "zoom in", "zoom out",
                             "orbit", "dolly in", "static shot", "handheld"})
    EXPECT_TRUE(names.count(needed)) << needed;
}

TEST(CameraPresetsTest, PhrasesAreAppendedToThePrompt) {
  EXPECT_EQ(camera_prompt("a fox in snow", ""), "a fox in snow");
  EXPECT_EQ(camera_prompt("a fox in snow", "  "), "a fox in snow");
  EXPECT_EQ(camera_prompt("a fox in snow.", "pan left"),
            "a fox in snow, the camera pans slowly to the left");
  EXPECT_EQ(camera_prompt("a fox", " Pan_Left "), "a fox, the camera pans slowly to the left");
  EXPECT_EQ(camera_prompt("a fox", "static-shot"),
            "a fox, static shot, the camera does not move, locked-off tripod shot");
  EXPECT_EQ(camera_prompt("", "orbit"), "orbit shot, the camera circles around the subject");
}

TEST(CameraPresetsTest, UnknownNamesListThePresets) {
  try {
    camera_prompt("a fox", "barrel roll");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    const std::string m = e.what();
    EXPECT_NE(m.find("\"barrel roll\""), std::string::npos) << m;
    EXPECT_NE(m.find(camera_preset_names()), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace kino::gen
