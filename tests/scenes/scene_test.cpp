#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "media/probe.h"
#include "scenes/scenes.h"
#include "support/test_dir.h"

namespace kino::scenes {
namespace {

bool contains_any(const std::string& text, const std::vector<std::string>& words) {
  return std::any_of(words.begin(), words.end(),
                     [&](const std::string& w) { return text.find(w) != std::string::npos; });
}

TEST(Scene, SameSeedAndIndexGiveTheSameSceneAndPixels) {
  const ClipFormat format;
  for (int64_t i = 0; i < 20; ++i) {
    const Scene a = scene_sample(7, i, SceneSplit::train);
    const Scene b = scene_sample(7, i, SceneSplit::train);
    EXPECT_EQ(scene_json(a), scene_json(b));
    EXPECT_EQ(scene_captions(a), scene_captions(b));
    EXPECT_EQ(scene_render_frame(a, format, 8).rgb, scene_render_frame(b, format, 8).rgb);
  }
  std::set<std::string> distinct;
  for (int64_t i = 0; i < 50; ++i)
    distinct.insert(scene_json(scene_sample(7, i, SceneSplit::train)));
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_NE(scene_json(scene_sample(7, 0, SceneSplit::train)),
            scene_json(scene_sample(8, 0, SceneSplit::train)));
}

TEST(Scene, HeldOutCombinationsNeverAppearInTraining) {
  std::set<std::tuple<Colour, Shape, Motion>> seen;
  std::set<Background> backgrounds;
  int two = 0;
  for (int64_t i = 0; i < 20000; ++i) {
    const Scene s = scene_sample(3, i, SceneSplit::train);
    ASSERT_TRUE(s.objects.size() == 1 || s.objects.size() == 2);
    two += s.objects.size() == 2;
    backgrounds.insert(s.background);
    for (const SceneObject& o : s.objects) {
      ASSERT_FALSE(scene_is_held_out(o.colour, o.shape, o.motion)) << scene_json(s);
      ASSERT_TRUE(colour_allowed_on(o.colour, s.background)) << scene_json(s);
      ASSERT_TRUE(motion_allowed_for(o.motion, o.shape)) << scene_json(s);
      seen.insert({o.colour, o.shape, o.motion});
    }
  }
  EXPECT_GT(two, 3000);
  EXPECT_EQ(backgrounds.size(), std::size(kBackgrounds));
  // Every colour x shape x motion that is allowed and not held out does occur.
  size_t allowed = 0;
  for (Colour c : kColours)
    for (Shape sh : kShapes)
      for (Motion m : kMotions)
        allowed += motion_allowed_for(m, sh) && !scene_is_held_out(c, sh, m);
  EXPECT_EQ(seen.size(), allowed);

  for (int64_t i = 0; i < 200; ++i) {
    const Scene s = scene_sample(3, i, SceneSplit::held_out);
    ASSERT_EQ(s.objects.size(), 1u);
    EXPECT_TRUE(scene_is_held_out(s.objects[0].colour, s.objects[0].shape, s.objects[0].motion));
    EXPECT_TRUE(colour_allowed_on(s.objects[0].colour, s.background));
  }
}

// Renders each object alone over its background and checks that what is drawn is what the
// captions say: hue of the colour name, centroid moving in the named direction, size changing
// as named.
TEST(Scene, CaptionsMatchWhatIsDrawn) {
  const ClipFormat format;
  int checked = 0;
  for (SceneSplit split : {SceneSplit::train, SceneSplit::held_out}) {
    for (int64_t i = 0; i < 150; ++i) {
      const Scene scene = scene_sample(11, i, split);
      const auto en = scene_captions(scene, Language::en);
      const auto zh = scene_captions(scene, Language::zh);
      ASSERT_GE(en.size(), 3u);
      ASSERT_GE(zh.size(), 3u);
      const RgbImage bg = scene_render_background(scene.background, format.width, format.height);
      for (const SceneObject& o : scene.objects) {
        SCOPED_TRACE(scene_json(scene));
        for (const auto& c : en) {
          EXPECT_TRUE(contains_any(c, colour_words(o.colour, Language::en))) << c;
          EXPECT_TRUE(contains_any(c, shape_words(o.shape, Language::en))) << c;
          EXPECT_TRUE(contains_any(c, motion_words(o.motion, Language::en))) << c;
        }
        for (const auto& c : zh) {
          EXPECT_TRUE(contains_any(c, colour_words(o.colour, Language::zh))) << c;
          EXPECT_TRUE(contains_any(c, shape_words(o.shape, Language::zh))) << c;
          EXPECT_TRUE(contains_any(c, motion_words(o.motion, Language::zh))) << c;
        }
        if (o.motion != Motion::still) {
          EXPECT_NE(en[0].find(std::string(speed_name(o.speed))), std::string::npos) << en[0];
        }

        Scene alone{scene.background, {o}};
        std::vector<ObjectMeasure> m;
        for (int f = 0; f < format.frames; ++f)
          m.push_back(scene_measure_object(scene_render_frame(alone, format, f), bg));
        for (const auto& mf : m) ASSERT_TRUE(mf.found);
        const ObjectMeasure &a = m.front(), &b = m.back(), &mid = m[m.size() / 2];
        EXPECT_EQ(colour_nearest_hue(a.hue), o.colour) << "hue " << a.hue;
        EXPECT_GT(a.saturation, 0.4);
        const double dx = b.x - a.x, dy = b.y - a.y;
        switch (o.motion) {
          case Motion::left:
            EXPECT_LT(dx, -0.15);
            EXPECT_LT(std::fabs(dy), 0.03);
            break;
          case Motion::right:
            EXPECT_GT(dx, 0.15);
            EXPECT_LT(std::fabs(dy), 0.03);
            break;
          case Motion::up:
            EXPECT_LT(dy, -0.15);
            EXPECT_LT(std::fabs(dx), 0.03);
            break;
          case Motion::down:
            EXPECT_GT(dy, 0.15);
            EXPECT_LT(std::fabs(dx), 0.03);
            break;
          case Motion::bouncing: {
            double top = 1;
            for (const auto& mf : m) top = std::min(top, mf.y);
            EXPECT_LT(top, a.y - 0.2);
            EXPECT_LT(std::fabs(dy), 0.03);
            break;
          }
          case Motion::growing: EXPECT_GT(b.area, 1.8 * a.area); break;
          case Motion::shrinking: EXPECT_LT(b.area, 0.5 * a.area); break;
          case Motion::spinning:
            EXPECT_LT(std::hypot(dx, dy), 0.03);
            EXPECT_NEAR(mid.area / a.area, 1.0, 0.15);
            EXPECT_NE(scene_render_frame(alone, format, 0).rgb,
                      scene_render_frame(alone, format, 4).rgb);
            break;
          case Motion::still:
            EXPECT_EQ(scene_render_frame(alone, format, 0).rgb,
                      scene_render_frame(alone, format, format.frames - 1).rgb);
            break;
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(Scene, ObjectsStayInsideTheFrame) {
  const ClipFormat format;
  for (int64_t i = 0; i < 2000; ++i) {
    const Scene s = scene_sample(5, i, SceneSplit::train);
    for (const SceneObject& o : s.objects) {
      for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        const ObjectPose p = scene_object_pose(o, t);
        ASSERT_GE(p.x - p.size, -1e-9) << scene_json(s);
        ASSERT_LE(p.x + p.size, 1 + 1e-9) << scene_json(s);
        ASSERT_GE(p.y - p.size, -1e-9) << scene_json(s);
        ASSERT_LE(p.y + p.size, 1 + 1e-9) << scene_json(s);
      }
    }
  }
}

TEST(Scene, NamesRoundTrip) {
  for (Colour c : kColours) EXPECT_EQ(colour_parse(colour_name(c)), c);
  for (Shape s : kShapes) EXPECT_EQ(shape_parse(shape_name(s)), s);
  for (Motion m : kMotions) EXPECT_EQ(motion_parse(motion_name(m)), m);
  for (Background b : kBackgrounds) EXPECT_EQ(background_parse(background_name(b)), b);
  for (Colour c : kColours) EXPECT_EQ(colour_nearest_hue(colour_hue(c)), c);
  EXPECT_FALSE(colour_parse("mauve"));
  EXPECT_EQ(scene_split_parse("held_out"), SceneSplit::held_out);
}

TEST(Scene, BadArgumentsAreNamedErrors) {
  ClipFormat f;
  f.width = 0;
  try {
    scene_render(scene_sample(1, 0, SceneSplit::train), f);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("width"), std::string::npos);
  }
  EXPECT_THROW(scene_render_frame(scene_sample(1, 0, SceneSplit::train), ClipFormat{}, 17), Error);
  EXPECT_THROW(scene_measure_object(RgbImage{2, 2, std::vector<uint8_t>(12)},
                                    RgbImage{4, 4, std::vector<uint8_t>(48)}),
               Error);
  DatasetWriteOptions none;
  none.count = 0;
  EXPECT_THROW(dataset_write("unused", none), Error);
}

TEST(Scene, DatasetWritesPlayableClipsAndCaptions) {
  testing::TestDir dir("scene_dataset");
  DatasetWriteOptions options;
  options.count = 3;
  options.seed = 9;
  options.scale = 2;
  const auto files = dataset_write(dir.path() / "data", options);
  ASSERT_EQ(files.size(), 3u);
  for (const auto& f : files) {
    const media::MediaInfo info = media::probe(f);
    EXPECT_EQ(info.width, 128);
    EXPECT_EQ(info.height, 128);
    EXPECT_NEAR(double(info.duration_ms), 17 * 1000.0 / 8, 130.0);
    auto json = f;
    EXPECT_TRUE(std::filesystem::exists(json.replace_extension(".json")));
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "captions.txt"));

  caption_corpus_write(dir / "corpus.txt", 1, 10);
  EXPECT_GT(std::filesystem::file_size(dir / "corpus.txt"), 500u);
}

TEST(Scene, MedianOfAMovingClipIsItsBackground) {
  Scene s;
  s.background = Background::sky;
  s.objects.push_back({Colour::red, Shape::ball, Motion::right, Speed::quickly, 0.2, 0.5, 0.1, 0});
  const auto frames = scene_render(s, ClipFormat{});
  const RgbImage median = clip_median(frames);
  const RgbImage bg = scene_render_background(Background::sky, 64, 64);
  EXPECT_FALSE(scene_measure_object(median, bg).found);
}

// A ball rising slowly overlaps itself in most frames, so the per-pixel median keeps its middle
// and the object measured against it is only its fringes; the clip's background holds none of it.
TEST(Scene, BackgroundOfASlowClipLeavesTheWholeObject) {
  Scene s;
  s.background = Background::sunset;
  s.objects.push_back({Colour::green, Shape::ball, Motion::up, Speed::slowly, 0.5, 0.7, 0.14, 0});
  const auto frames = scene_render(s, ClipFormat{});
  const RgbImage bg = scene_render_background(Background::sunset, 64, 64);
  EXPECT_TRUE(scene_measure_object(clip_median(frames), bg).found);
  const RgbImage background = clip_background(frames);
  EXPECT_FALSE(scene_measure_object(background, bg, 6).found);
  const ObjectMeasure whole = scene_measure_object(frames[8], bg);
  const ObjectMeasure m = scene_measure_object(frames[8], background);
  EXPECT_NEAR(m.area, whole.area, 1e-9);
  EXPECT_EQ(colour_nearest_hue(m.hue), Colour::green);
  EXPECT_LT(scene_measure_object(frames[8], clip_median(frames)).area, whole.area / 2);
}

}  // namespace
}  // namespace kino::scenes
