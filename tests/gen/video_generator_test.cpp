#include "gen/video_generator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "core/json.h"
#include "media/probe.h"
#include "media/testsrc.h"
#include "media/video_decoder.h"
#include "support/test_dir.h"
#include "wan_test_model.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;
namespace fs = std::filesystem;

// A complete tiny Wan2.1-type folder: DiT (in/out 16), umT5, tokenizer, VAE.
fs::path write_tiny_folder(const fs::path& root, WanModelType type = WanModelType::t2v) {
  WanDitConfig dit = testing::tiny_wan_config();
  dit.in_dim = 16;
  dit.out_dim = 16;
  dit.model_type = type;
  testing::write_wan_model(root, dit, 3, testing::TestLayout::official);
  testing::write_umt5_model(root, testing::tiny_umt5_config(), 4);
  testing::write_wan_vae(root, 4, 16, 5);
  std::ofstream(root / "spiece.model", std::ios::binary) << testing::tiny_spm_model();
  return root;
}

// A tiny Wan2.2-type folder: TI2V DiT with 48 latent channels, a small Wan2.2 VAE (stride 16).
fs::path write_tiny_wan22_folder(const fs::path& root) {
  WanDitConfig dit = testing::tiny_wan_config();
  dit.in_dim = 48;
  dit.out_dim = 48;
  dit.model_type = WanModelType::ti2v;
  testing::write_wan_model(root, dit, 3, testing::TestLayout::official);
  testing::write_umt5_model(root, testing::tiny_umt5_config(), 4);
  WanVaeConfig vae;
  vae.version = WanVaeVersion::wan22;
  vae.z_dim = 48;
  vae.base_dim = 4;
  vae.decoder_base_dim = 8;
  testing::write_wan_vae(root, vae, 5);
  std::ofstream(root / "spiece.model", std::ios::binary) << testing::tiny_spm_model();
  return root;
}

std::unique_ptr<VideoGenerator> load_tiny(const TestDir& dir,
                                          WanModelType type = WanModelType::t2v) {
  PipelineOptions o;
  o.dtype = RunDtype::f32;
  return VideoGenerator::load(write_tiny_folder(dir / "wan-tiny", type), o);
}

// A request for 5 frames at 48x32 with 2 steps.
VideoRequest tiny_request() {
  VideoRequest r;
  r.prompt = "a red fox at dawn";
  r.seconds = 0.25;  // 4 frames at 16 fps -> 4n + 1 = 5
  r.width = 48;
  r.height = 32;
  r.steps = 2;
  r.seed = 7;
  r.native = true;
  return r;
}

std::vector<std::vector<uint8_t>> decode_all(const fs::path& file) {
  media::VideoDecodeParams p;
  p.format = media::PixelFormat::rgba;
  media::VideoDecoder d(file, p);
  std::vector<std::vector<uint8_t>> frames;
  media::Frame f;
  while (d.read(f)) {
    std::vector<uint8_t> bytes;
    for (int y = 0; y < f.height(); ++y)
      bytes.insert(bytes.end(), f.row(0, y), f.row(0, y) + f.width() * 4);
    frames.push_back(std::move(bytes));
  }
  return frames;
}

ErrorCode code_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ErrorCode::ok;
}

TEST(VideoGeneratorTest, SizesFramesAndDefaultsFollowTheModelFamily) {
  EXPECT_EQ(video_model_size(16.0 / 9, 832, 480, 16), (std::pair<int64_t, int64_t>{832, 480}));
  EXPECT_EQ(video_model_size(9.0 / 16, 832, 480, 16), (std::pair<int64_t, int64_t>{480, 832}));
  EXPECT_EQ(video_model_size(16.0 / 9, 1280, 704, 32), (std::pair<int64_t, int64_t>{1280, 704}));
  const auto square = video_model_size(1.0, 832, 480, 16);
  EXPECT_EQ(square.first, square.second);
  EXPECT_EQ(square.first % 16, 0);
  EXPECT_LE(square.first * square.second, 832 * 480);
  EXPECT_GE(square.first * square.second, 600 * 600);
  const auto square5b = video_model_size(1.0, 1280, 704, 32);
  EXPECT_EQ(square5b.first % 32, 0);
  EXPECT_EQ(square5b.first, square5b.second);

  EXPECT_EQ(video_frame_count(5, 16), 81);
  EXPECT_EQ(video_frame_count(5, 24), 121);
  EXPECT_EQ(video_frame_count(0.01, 16), 5);
  EXPECT_EQ(video_output_size(16.0 / 9), (std::pair<int64_t, int64_t>{1920, 1080}));
  EXPECT_EQ(video_output_size(9.0 / 16), (std::pair<int64_t, int64_t>{1080, 1920}));
  EXPECT_EQ(video_output_size(1.0), (std::pair<int64_t, int64_t>{1080, 1080}));
  EXPECT_EQ(video_output_size(4.0 / 3), (std::pair<int64_t, int64_t>{1440, 1080}));
  EXPECT_EQ(video_output_size(3.0 / 4), (std::pair<int64_t, int64_t>{1080, 1440}));
  EXPECT_EQ(video_output_size(21.0 / 9), (std::pair<int64_t, int64_t>{1920, 822}));
  EXPECT_DOUBLE_EQ(video_aspect_parse("16:9"), 16.0 / 9);
  for (const char* bad : {"", "16", "16:0", "a:b", "16:9x", "9:1", "-1:1"})
    EXPECT_EQ(code_of([&] { video_aspect_parse(bad); }), ErrorCode::bad_request) << bad;

  TestDir dir("video_generator_plan");
  auto gen = load_tiny(dir);
  EXPECT_EQ(gen->model_name(), "wan-tiny");
  EXPECT_EQ(gen->fps(), 16);
  EXPECT_FALSE(gen->supports_image());
  VideoRequest r;
  r.prompt = "a fox";
  VideoPlan p = gen->plan(r);
  EXPECT_EQ(p.width, 832);
  EXPECT_EQ(p.height, 480);
  EXPECT_EQ(p.frames, 81);
  EXPECT_EQ(p.fps, 16);
  EXPECT_EQ(p.steps, 50);
  EXPECT_DOUBLE_EQ(p.cfg, 5.0);
  EXPECT_DOUBLE_EQ(p.shift, 5.0);
  EXPECT_EQ(p.out_width, 1920);
  EXPECT_EQ(p.out_height, 1080);
  EXPECT_EQ(p.prompt, "a fox");
  r.aspect = "9:16";
  r.native = true;
  r.camera = "Zoom_In";
  p = gen->plan(r);
  EXPECT_EQ(p.width, 480);
  EXPECT_EQ(p.height, 832);
  EXPECT_EQ(p.out_width, 480);
  EXPECT_EQ(p.out_height, 832);
  EXPECT_EQ(p.prompt, "a fox, the camera slowly zooms in on the subject");
  r.width = 50;  // rounded to the model's multiple of 16
  r.height = 90;
  p = gen->plan(r);
  EXPECT_EQ(p.width, 48);
  EXPECT_EQ(p.height, 96);
}

TEST(VideoGeneratorTest, BadRequestsNameTheFieldAndValue) {
  TestDir dir("video_generator_bad");
  auto gen = load_tiny(dir);
  struct Case {
    std::function<void(VideoRequest&)> edit;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {[](VideoRequest& r) { r.prompt = "  "; }, "prompt must not be empty"},
      {[](VideoRequest& r) { r.seconds = -1; }, "seconds must be in (0, 30] (0: the model's 5 s), got -1"},
      {[](VideoRequest& r) { r.seconds = 31; }, "got 31"},
      {[](VideoRequest& r) { r.width = 0; }, "width and height must both be set"},
      {[](VideoRequest& r) { r.width = 9000; }, "got 9000x32"},
      {[](VideoRequest& r) { r.steps = 5000; }, "steps must be in 1..1000"},
      {[](VideoRequest& r) { r.cfg = 0.5; }, "cfg must be in 1..30"},
      {[](VideoRequest& r) { r.shift = 0; }, "shift must be in (0, 100]"},
      {[](VideoRequest& r) { r.seed = -2; }, "seed must be >= 0"},
      {[](VideoRequest& r) { r.sampler = "ddim"; }, "sampler must be unipc or euler, got \"ddim\""},
      {[](VideoRequest& r) { r.camera = "spin"; }, "camera must be one of static shot, pan left"},
      {[](VideoRequest& r) { r.image = "x.png"; }, "needs an image-to-video model"},
      {[](VideoRequest& r) { r.extend = "x.mp4"; }, "extend needs an image-to-video model"},
      {[](VideoRequest& r) {
         r.width = r.height = 0;
         r.aspect = "wide";
       },
       "aspect must be W:H"},
  };
  for (const Case& c : cases) {
    VideoRequest r = tiny_request();
    c.edit(r);
    std::string message;
    EXPECT_EQ(code_of([&] { gen->plan(r); }, &message), ErrorCode::bad_request) << c.fragment;
    EXPECT_NE(message.find(c.fragment), std::string::npos) << message;
    EXPECT_EQ(code_of([&] { gen->generate(r, dir / "bad.mp4"); }), ErrorCode::bad_request);
    EXPECT_FALSE(fs::exists(dir / "bad.mp4"));
  }
}

TEST(VideoGeneratorTest, PreviewsFollowEveryStepWithoutChangingTheClip) {
  TestDir dir("video_generator_preview");
  auto gen = load_tiny(dir);
  std::vector<GenerationPreview> seen;
  gen->generate(tiny_request(), dir / "a.mp4", {}, nullptr,
                [&](const GenerationPreview& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 2u);  // tiny_request() runs 2 steps
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].step, int64_t(i) + 1);
    EXPECT_EQ(seen[i].steps, 2);
    EXPECT_EQ(seen[i].width, 48 / 8);  // the latent's size
    EXPECT_EQ(seen[i].height, 32 / 8);
    EXPECT_EQ(seen[i].rgb.size(), size_t(6 * 4 * 3));
  }
  // Watching changes nothing: the same seed without previews gives the same frames.
  gen->generate(tiny_request(), dir / "b.mp4");
  EXPECT_EQ(decode_all(dir / "a.mp4"), decode_all(dir / "b.mp4"));
}

TEST(VideoGeneratorTest, TextToVideoWritesAReproducibleMp4) {
  TestDir dir("video_generator_t2v");
  auto gen = load_tiny(dir);
  std::vector<std::string> stages;
  const VideoResult res = gen->generate(tiny_request(), dir / "a.mp4", [&](const Progress& p) {
    if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
  });
  EXPECT_EQ(stages, (std::vector<std::string>{"text", "denoise", "decode", "encode"}));
  EXPECT_EQ(res.file, dir / "a.mp4");
  EXPECT_EQ(res.width, 48);
  EXPECT_EQ(res.height, 32);
  EXPECT_EQ(res.frames, 5);
  EXPECT_DOUBLE_EQ(res.fps, 16);
  EXPECT_EQ(res.seed, 7);
  EXPECT_GT(res.peak_rss_bytes, 0);
  EXPECT_FALSE(res.drift);
  EXPECT_FALSE(fs::exists(dir / "a.mp4.part"));

  const media::MediaInfo info = media::probe(dir / "a.mp4");
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.width, 48);
  EXPECT_EQ(info.height, 32);
  EXPECT_EQ(info.frame_count, 5);
  EXPECT_EQ(info.fps, (Rational{16, 1}));
  EXPECT_FALSE(info.has_audio);

  // Same seed, same settings: the same pictures; another seed: others.
  gen->generate(tiny_request(), dir / "b.mp4");
  EXPECT_EQ(decode_all(dir / "a.mp4"), decode_all(dir / "b.mp4"));
  VideoRequest other = tiny_request();
  other.seed = 8;
  gen->generate(other, dir / "c.mp4");
  EXPECT_NE(decode_all(dir / "a.mp4"), decode_all(dir / "c.mp4"));

  // A random seed is reported and reproduces.
  VideoRequest random = tiny_request();
  random.seed = -1;
  const VideoResult r1 = gen->generate(random, dir / "d.mp4");
  EXPECT_GE(r1.seed, 0);
  random.seed = r1.seed;
  gen->generate(random, dir / "e.mp4");
  EXPECT_EQ(decode_all(dir / "d.mp4"), decode_all(dir / "e.mp4")) << "seed " << r1.seed;
}

// A DiT loaded per run (after the text encoder is freed) computes the same video.
TEST(VideoGeneratorTest, PerRunDitGivesTheSameVideo) {
  TestDir dir("video_generator_per_run");
  const fs::path root = write_tiny_folder(dir / "wan-tiny");
  PipelineOptions o;
  o.dtype = RunDtype::f32;
  VideoGenerator::load(root, o)->generate(tiny_request(), dir / "resident.mp4");
  o.resident_dit = false;
  auto per_run = VideoGenerator::load(root, o);
  per_run->generate(tiny_request(), dir / "per-run.mp4");
  EXPECT_EQ(decode_all(dir / "resident.mp4"), decode_all(dir / "per-run.mp4"));
  // The weights are still checked when the folder is loaded.
  fs::remove(root / "diffusion_pytorch_model.safetensors");
  EXPECT_NE(code_of([&] { VideoGenerator::load(root, o); }), ErrorCode::ok);
}

TEST(VideoGeneratorTest, ScalesToThe1080pFrameUnlessNative) {
  TestDir dir("video_generator_scale");
  auto gen = load_tiny(dir);
  VideoRequest r = tiny_request();
  r.native = false;
  r.sampler = "euler";
  const VideoResult res = gen->generate(r, dir / "big.mp4");
  EXPECT_EQ(res.width, 1620);
  EXPECT_EQ(res.height, 1080);  // the 3:2 of 48x32 in the 1920x1080 frame
  EXPECT_EQ(res.model_width, 48);
  EXPECT_EQ(res.model_height, 32);
  const media::MediaInfo info = media::probe(dir / "big.mp4");
  EXPECT_EQ(info.width, 1620);
  EXPECT_EQ(info.height, 1080);
  EXPECT_EQ(info.frame_count, 5);

  // An explicit output size: 1:1 from the 3:2 picture (centre crop).
  r.out_width = 96;
  r.out_height = 96;
  const VideoResult square = gen->generate(r, dir / "square.mp4");
  EXPECT_EQ(square.width, 96);
  EXPECT_EQ(media::probe(dir / "square.mp4").height, 96);
  r.out_width = 95;
  EXPECT_EQ(code_of([&] { gen->plan(r); }), ErrorCode::bad_request);
}

TEST(VideoGeneratorTest, CancelLeavesNoFile) {
  TestDir dir("video_generator_cancel");
  auto gen = load_tiny(dir);
  CancelToken cancel;
  const ErrorCode code = code_of([&] {
    gen->generate(
        tiny_request(), dir / "x.mp4",
        [&](const Progress& p) {
          if (p.stage == "denoise") cancel.cancel();
        },
        &cancel);
  });
  EXPECT_EQ(code, ErrorCode::cancelled);
  EXPECT_FALSE(fs::exists(dir / "x.mp4"));
  EXPECT_FALSE(fs::exists(dir / "x.mp4.part"));
}

TEST(VideoGeneratorTest, ImageToVideoOnATi2vModel) {
  TestDir dir("video_generator_i2v");
  auto gen = load_tiny(dir, WanModelType::ti2v);
  EXPECT_TRUE(gen->supports_image());
  media::write_test_image(dir / "in.png", 120, 64);  // wider than 48x32: cropped at the sides
  VideoRequest r = tiny_request();
  r.image = dir / "in.png";
  const VideoResult res = gen->generate(r, dir / "i2v.mp4");
  EXPECT_EQ(res.frames, 5);
  const media::MediaInfo info = media::probe(dir / "i2v.mp4");
  EXPECT_EQ(info.width, 48);
  EXPECT_EQ(info.height, 32);
  EXPECT_EQ(info.frame_count, 5);
  gen->generate(r, dir / "i2v-again.mp4");
  EXPECT_EQ(decode_all(dir / "i2v.mp4"), decode_all(dir / "i2v-again.mp4"));
  // Another image, another video.
  media::write_test_image(dir / "other.png", 64, 120);
  r.image = dir / "other.png";
  gen->generate(r, dir / "i2v-other.mp4");
  EXPECT_NE(decode_all(dir / "i2v.mp4"), decode_all(dir / "i2v-other.mp4"));

  // Without an aspect the image's own is used: 120x64 -> 15:8 at the native area, 1920x1024.
  VideoRequest own = tiny_request();
  own.width = own.height = 0;
  own.aspect = "";
  own.native = false;
  own.image = dir / "in.png";
  const VideoPlan plan = gen->plan(own);
  EXPECT_EQ(plan.out_width, 1920);
  EXPECT_EQ(plan.out_height, 1024);
  EXPECT_EQ(plan.width % 16, 0);
  EXPECT_NEAR(double(plan.width) / double(plan.height), 120.0 / 64.0, 0.06);
  own.image.reset();
  EXPECT_EQ(gen->plan(own).width, 832);  // no image: 16:9

  r.image = dir / "missing.png";
  EXPECT_EQ(code_of([&] { gen->generate(r, dir / "x.mp4"); }), ErrorCode::not_found);
  std::ofstream(dir / "junk.png") << "not an image";
  r.image = dir / "junk.png";
  EXPECT_EQ(code_of([&] { gen->generate(r, dir / "x.mp4"); }), ErrorCode::unsupported);
  EXPECT_FALSE(fs::exists(dir / "x.mp4"));
}

TEST(VideoGeneratorTest, ExtensionJoinsWithoutTheDuplicatedFrame) {
  TestDir dir("video_generator_extend");
  auto gen = load_tiny(dir, WanModelType::ti2v);
  VideoRequest first = tiny_request();
  first.seconds = 0.5;  // 9 frames
  gen->generate(first, dir / "clip.mp4");
  ASSERT_EQ(media::probe(dir / "clip.mp4").frame_count, 9);

  VideoRequest r = tiny_request();  // 5 new frames at 48x32, the first of them the clip's last
  r.extend = dir / "clip.mp4";
  r.prompt = "the fox runs on";
  const VideoResult res = gen->generate(r, dir / "joined.mp4");
  EXPECT_EQ(res.frames, 9 + 5 - 1);
  EXPECT_EQ(res.width, 48);  // the clip's size
  EXPECT_EQ(res.height, 32);
  ASSERT_TRUE(res.drift);
  for (double v : {res.drift->seam_luma, res.drift->span_luma}) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_LE(std::abs(v), 255);
  }
  const media::MediaInfo info = media::probe(dir / "joined.mp4");
  EXPECT_EQ(info.frame_count, 13);
  EXPECT_EQ(info.fps, (Rational{16, 1}));
  EXPECT_NEAR(double(info.duration_ms), 13 * 1000 / 16.0, 1.0);
  EXPECT_EQ(info.width, 48);
  EXPECT_EQ(info.height, 32);
  // The clip's frames come first, unchanged apart from re-encoding.
  const auto clip = decode_all(dir / "clip.mp4");
  const auto joined = decode_all(dir / "joined.mp4");
  ASSERT_EQ(joined.size(), 13u);
  double diff = 0;
  for (size_t i = 0; i < clip[0].size(); ++i) diff += std::abs(int(clip[0][i]) - int(joined[0][i]));
  EXPECT_LT(diff / double(clip[0].size()), 4.0);

  // A clip at another frame rate is refused with the rates named.
  media::TestClipParams tp;
  tp.width = 64;
  tp.height = 48;
  tp.duration_ms = 500;
  tp.audio = false;
  media::write_test_clip(dir / "30fps.mp4", tp);
  r.extend = dir / "30fps.mp4";
  std::string message;
  EXPECT_EQ(code_of([&] { gen->generate(r, dir / "x.mp4"); }, &message), ErrorCode::bad_request);
  EXPECT_NE(message.find("16 fps, got 30"), std::string::npos) << message;
  r.extend = dir / "clip.mp4";
  r.image = dir / "clip.mp4";
  EXPECT_EQ(code_of([&] { gen->generate(r, dir / "x.mp4"); }), ErrorCode::bad_request);
}

// Mean absolute difference of two decoded frames, 0..255.
double frame_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return a.empty() ? 0 : sum / double(a.size());
}

TEST(VideoGeneratorTest, LongClipsAreChainedImageToVideoPasses) {
  TestDir dir("video_generator_passes");
  const fs::path root = write_tiny_folder(dir / "wan-tiny", WanModelType::ti2v);
  Json config = json_read_file(root / "config.json");
  config["kino"] = Json{{"frames", 9}};  // the model's length: 9 frames
  std::ofstream(root / "config.json") << config.dump(2);
  PipelineOptions o;
  o.dtype = RunDtype::f32;
  auto gen = VideoGenerator::load(root, o);

  VideoRequest r = tiny_request();
  r.seconds = 1.25;  // 21 frames: passes of 9, 9 and 5 (8 + 8 + 4 new frames after the first)
  const VideoPlan plan = gen->plan(r);
  EXPECT_EQ(plan.frames, 21);
  EXPECT_EQ(plan.passes, 3);
  EXPECT_EQ(plan.pass_frames, 9);

  std::vector<Progress> seen;
  const VideoResult res =
      gen->generate(r, dir / "long.mp4", [&](const Progress& p) { seen.push_back(p); });
  EXPECT_EQ(res.frames, 21);
  EXPECT_EQ(res.passes, 3);
  EXPECT_EQ(media::probe(dir / "long.mp4").frame_count, 21);
  std::vector<int> denoised;  // the pass of every finished denoise
  for (const Progress& p : seen) {
    EXPECT_EQ(p.parts, 3);
    if (p.stage == "denoise" && p.done == p.total) denoised.push_back(p.part);
  }
  EXPECT_EQ(denoised, (std::vector<int>{0, 1, 2}));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().stage, "encode");
  EXPECT_EQ(seen.back().part, 2);

  // The first pass is the clip of the model's length from the same seed (within 1/255: the
  // encoder's choices look at the frames that follow; frames differ from each other by 25-45).
  VideoRequest one = r;
  one.seconds = 0;
  gen->generate(one, dir / "one.mp4");
  const auto long_frames = decode_all(dir / "long.mp4"), one_frames = decode_all(dir / "one.mp4");
  ASSERT_EQ(one_frames.size(), 9u);
  for (size_t i = 0; i < 9; ++i)
    EXPECT_LT(frame_difference(long_frames[i], one_frames[i]), 1.0) << "frame " << i;

  // A text-to-video model runs one pass, whatever the length.
  auto t2v = load_tiny(dir);
  r.seconds = 10;
  const VideoPlan t2v_plan = t2v->plan(r);
  EXPECT_EQ(t2v_plan.frames, 161);
  EXPECT_EQ(t2v_plan.passes, 1);
  EXPECT_EQ(t2v_plan.pass_frames, 161);

  // A one-frame model length adds nothing per pass: one pass of the whole clip.
  config["kino"] = Json{{"frames", 1}};
  std::ofstream(root / "config.json") << config.dump(2);
  r.seconds = 1.25;
  const VideoPlan single = VideoGenerator::load(root, o)->plan(r);
  EXPECT_EQ(single.frames, 21);
  EXPECT_EQ(single.passes, 1);
  EXPECT_EQ(single.pass_frames, 21);
}

TEST(VideoGeneratorTest, Wan22TypeModelsRunAt24FpsOnMultiplesOf32) {
  TestDir dir("video_generator_wan22");
  PipelineOptions o;
  o.dtype = RunDtype::f32;
  auto gen = VideoGenerator::load(write_tiny_wan22_folder(dir / "wan22-tiny"), o);
  EXPECT_EQ(gen->fps(), 24);
  EXPECT_TRUE(gen->supports_image());
  VideoRequest r;
  r.prompt = "a fox";
  VideoPlan p = gen->plan(r);
  EXPECT_EQ(p.width, 1280);
  EXPECT_EQ(p.height, 704);
  EXPECT_EQ(p.frames, 121);
  r.aspect = "1:1";
  p = gen->plan(r);
  EXPECT_EQ(p.width, 928);
  EXPECT_EQ(p.height, 928);

  media::write_test_image(dir / "in.png", 64, 64);
  r = tiny_request();
  r.width = 70;   // rounded to 64
  r.height = 40;  // rounded to 32
  r.image = dir / "in.png";
  r.seconds = 0.25;  // 6 frames at 24 fps -> 4n + 1 = 9
  const VideoResult res = gen->generate(r, dir / "w22.mp4");
  EXPECT_EQ(res.model_width, 64);
  EXPECT_EQ(res.model_height, 32);
  const media::MediaInfo info = media::probe(dir / "w22.mp4");
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 32);
  EXPECT_EQ(info.frame_count, 9);
  EXPECT_EQ(info.fps, (Rational{24, 1}));
}

}  // namespace
}  // namespace kino::gen
