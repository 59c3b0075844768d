#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/tensor_io.h"
#include "gen/train_export.h"
#include "gen/train_model.h"
#include "gen/tiny_eval.h"
#include "gen/train_tokenizer.h"
#include "gen/trainer.h"
#include "gen/umt5_encoder.h"
#include "gen/umt5_tokenizer.h"
#include "gen/video_generator.h"
#include "gen/wan_dit.h"
#include "gen/wan_vae.h"
#include "gen/weight_set.h"
#include "scenes/scenes.h"
#include "support/test_dir.h"

namespace kino::gen {
namespace {
namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Two VAE model folders of one run: the encoder side bit for bit the same, the decoder moved.
void expect_encoder_kept_and_decoder_changed(const fs::path& before, const fs::path& after) {
  const auto a = safetensors_read_all(before / kTinyVaeFile);
  const auto b = safetensors_read_all(after / kTinyVaeFile);
  int encoder = 0, decoder_changed = 0;
  for (const auto& [name, tensor] : a) {
    if (tiny_vae_encoder_side(name)) {
      ++encoder;
      EXPECT_TRUE(at::equal(tensor, b.at(name))) << name;
    } else {
      decoder_changed += !at::equal(tensor, b.at(name));
    }
  }
  EXPECT_GT(encoder, 10);
  EXPECT_GT(decoder_changed, 10);
}

// One tokenizer and one micro VAE folder for the whole suite (spm_train takes a moment).
class TrainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TestDir("train_suite");
    TrainTokenizerOptions t;
    t.scenes = 400;
    t.vocab_size = 256;
    tokenizer_ = new fs::path(train_tokenizer(dir_->path() / "tok", t));
    TrainOptions v = options(TrainStage::vae, dir_->path() / "vae_run");
    v.steps = 0;
    Trainer vae(v);
    vae.write_model(dir_->path() / "vae", at::kFloat);
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete dir_;
  }

  static TrainOptions options(TrainStage stage, const fs::path& run) {
    TrainOptions o;
    o.stage = stage;
    o.run_dir = run;
    o.model = tiny_model_micro_config();
    o.batch = 2;
    o.lr = 3e-3;
    o.warmup = 0;
    o.seed = 4;
    if (stage == TrainStage::dit) {
      o.vae = dir_->path() / "vae";
      o.tokenizer = *tokenizer_;
    }
    return o;
  }

  static testing::TestDir* dir_;
  static fs::path* tokenizer_;
};
testing::TestDir* TrainTest::dir_ = nullptr;
fs::path* TrainTest::tokenizer_ = nullptr;

TEST_F(TrainTest, TokenizerHasUmt5IdsAndRoundTripsCaptions) {
  const UMT5Tokenizer tok = UMT5Tokenizer::load_file(*tokenizer_);
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_GT(tok.vocab_size(), 100);
  EXPECT_LE(tok.vocab_size(), 256);
  // Held-out scenes use words the corpus has in other combinations.
  std::vector<std::string> captions;
  for (int64_t i = 0; i < 10; ++i)
    for (auto split : {scenes::SceneSplit::train, scenes::SceneSplit::held_out})
      for (const auto& c : scenes::scene_captions(scenes::scene_sample(77, i, split)))
        captions.push_back(c);
  std::ofstream ids_file(dir_->path() / "ids.txt");
  for (const auto& c : captions) {
    const TokenizedText t = tok.encode(c, 64);
    ASSERT_GE(t.length, 2);
    EXPECT_EQ(t.ids[size_t(t.length - 1)], 1) << c;
    for (int64_t i = 0; i < t.length - 1; ++i) {
      EXPECT_NE(t.ids[size_t(i)], 3) << "unknown piece in: " << c;
      EXPECT_GT(t.ids[size_t(i)], 3) << c;
    }
    for (int64_t i = t.length; i < 64; ++i) EXPECT_EQ(t.ids[size_t(i)], 0);
    EXPECT_LE(t.length, tiny_model_config().dit.text_len) << c;
    for (int64_t i = 0; i < t.length - 1; ++i) ids_file << (i ? " " : "") << t.ids[size_t(i)];
    ids_file << "\n";
  }
  ids_file.close();
  // Decoding the ids with sentencepiece's own tool gives the captions back.
  const fs::path out = dir_->path() / "decoded.txt";
  ASSERT_EQ(testing::run_command("spm_decode --model=" + tokenizer_->string() +
                                 " --input_format=id --input=" +
                                 (dir_->path() / "ids.txt").string() + " --output=" + out.string()),
            0);
  std::istringstream decoded(read_file(out));
  for (const auto& c : captions) {
    std::string line;
    ASSERT_TRUE(std::getline(decoded, line));
    // sentencepiece's NFKC normalisation (the umT5 convention) turns the full-width comma into
    // an ASCII one; nothing else in the captions changes.
    std::string expected = umt5_clean_text(c);
    for (size_t p; (p = expected.find("，")) != std::string::npos;) expected.replace(p, 3, ",");
    EXPECT_EQ(line, expected);
  }
}

TEST_F(TrainTest, VaeStepsReduceTheLossOfAFixedBatch) {
  testing::TestDir run("train_vae");
  TrainOptions o = options(TrainStage::vae, run.path());
  o.scenes = 2;  // every step sees the same two clips
  Trainer t(o);
  const double before = t.loss_at(1);
  const double psnr = t.reconstruction_psnr(2);
  EXPECT_TRUE(std::isfinite(psnr) && psnr > 3 && psnr < 60) << psnr;
  EXPECT_EQ(t.reconstruction_psnr(2), psnr);
  for (int i = 0; i < 12; ++i) t.step();
  const double after = t.loss_at(1);
  EXPECT_LT(after, 0.9 * before) << before << " -> " << after;
  EXPECT_EQ(t.steps_done(), 12);
}

TEST_F(TrainTest, Bf16StepsTrainFloat32WeightsAndLeaveAutocastOff) {
  // The model runs in bfloat16, so the loss differs from float32's a little, not a lot (after
  // two steps: a fresh DiT's zero head predicts zero either way); the weights written stay
  // float32, and the autocast scope ends with the forward pass.
  for (TrainStage stage : {TrainStage::vae, TrainStage::dit}) {
    SCOPED_TRACE(std::string(train_stage_name(stage)));
    testing::TestDir run("train_bf16");
    TrainOptions o = options(stage, run.path());
    o.scenes = 2;
    Trainer full(o);
    full.step();
    full.step();
    const double f32 = full.loss_at(1);
    o.bf16 = true;
    Trainer t(o);
    t.step();
    t.step();
    const double before = t.loss_at(1);
    EXPECT_NE(before, f32);
    EXPECT_NEAR(before, f32, 0.05 * f32);
    EXPECT_FALSE(at::autocast::is_cpu_enabled());
    for (int i = 0; i < 12; ++i) t.step();
    EXPECT_FALSE(at::autocast::is_cpu_enabled());
    EXPECT_LT(t.loss_at(1), 0.9 * before);
    t.save_checkpoint();
    const fs::path model =
        run.path() / "checkpoint" / (stage == TrainStage::vae ? kTinyVaeFile : kTinyDitFile);
    for (const auto& [name, tensor] : safetensors_read_all(model))
      EXPECT_EQ(tensor.scalar_type(), at::kFloat) << name;
  }
}

TEST_F(TrainTest, ObjectWeightRaisesTheLossOfMissedObjectsOnly) {
  // Before any training the decoder misses the objects as much as anything else; weighting
  // the pixels that stand out must then weigh the loss more, and off it equals the plain loss.
  testing::TestDir run("train_object_weight");
  TrainOptions o = options(TrainStage::vae, run.path());
  o.latent_penalty = 0;
  const double plain = Trainer(o).loss_at(1);
  o.object_weight = 4;
  const double weighted = Trainer(o).loss_at(1);
  EXPECT_TRUE(std::isfinite(weighted));
  EXPECT_NE(weighted, plain);
  o.object_weight = -1;
  EXPECT_THROW(train_options_validate(o), Error);
}

TEST_F(TrainTest, FirstFrameWeightIsForTheVaeStageAndOneIsThePlainLoss) {
  testing::TestDir run("train_first_frame_weight");
  TrainOptions o = options(TrainStage::vae, run.path());
  const double plain = Trainer(o).loss_at(1);
  o.first_frame_weight = 1;
  EXPECT_EQ(Trainer(o).loss_at(1), plain);
  o.first_frame_weight = 8;
  const double weighted = Trainer(o).loss_at(1);
  EXPECT_TRUE(std::isfinite(weighted));
  EXPECT_NE(weighted, plain);
  o.first_frame_weight = 0.5;
  EXPECT_THROW(train_options_validate(o), Error);
  TrainOptions d = options(TrainStage::dit, run.path());
  d.first_frame_weight = 8;
  EXPECT_THROW(train_options_validate(d), Error);
}

TEST_F(TrainTest, DitObjectWeightChangesTheLossAndOffIsThePlainLoss) {
  testing::TestDir run("train_dit_object_weight");
  TrainOptions o = options(TrainStage::dit, run.path());
  o.scenes = 2;
  const double plain = Trainer(o).loss_at(1);
  o.object_weight = 4;
  const double weighted = Trainer(o).loss_at(1);
  EXPECT_TRUE(std::isfinite(weighted));
  EXPECT_NE(weighted, plain);
  o.object_weight = 0;
  EXPECT_EQ(Trainer(o).loss_at(1), plain);
}

TEST_F(TrainTest, WidenedDecoderDecodesTheSameFrames) {
  const WanVaeConfig narrow = tiny_model_micro_config().vae;
  WanVaeConfig wide = narrow;
  wide.decoder_base_dim = 2 * narrow.decoder_base_dim;
  ParamMap p = tiny_init_vae(narrow, 3);
  // Residual branches and the head start near zero; scaled up, every part shapes the frames.
  for (auto& [name, t] : p)
    if (name.find("residual.6.weight") != std::string::npos || name == "decoder.head.2.weight")
      t = (t.detach() * 10).set_requires_grad(true);
  const at::Tensor z = at::randn({1, narrow.z_dim, 2, 4, 4},
                                 at::make_generator<at::CPUGeneratorImpl>(5));
  auto decode = [&](const WanVaeConfig& cfg, const ParamMap& params) {
    at::NoGradGuard no_grad;
    const WanVae vae(cfg, WeightSet::from_tensors(params), WanVaeOptions{at::kFloat, at::kCPU},
                     std::nullopt);
    return vae.decode(z);
  };
  const at::Tensor before = decode(narrow, p);
  ASSERT_GT(before.abs().max().item<double>(), 0.05);
  const ParamMap copies = tiny_widen_vae_decoder(p, narrow, wide, 0, 1);
  EXPECT_EQ(copies.at("decoder.head.2.weight").size(1), 2 * p.at("decoder.head.2.weight").size(1));
  EXPECT_TRUE(at::equal(copies.at("encoder.conv1.weight"), p.at("encoder.conv1.weight")));
  const at::Tensor same = decode(wide, copies);
  EXPECT_LT((same - before).abs().max().item<double>(), 1e-4);
  // With noise the copies part, and the frames stay close.
  const at::Tensor near = decode(wide, tiny_widen_vae_decoder(p, narrow, wide, 0.02, 1));
  const double diff = (near - before).abs().mean().item<double>();
  EXPECT_GT(diff, 0.0);
  EXPECT_LT(diff, 0.1);
  WanVaeConfig odd = narrow;
  odd.decoder_base_dim = narrow.decoder_base_dim + 2;
  EXPECT_THROW(tiny_widen_vae_decoder(p, narrow, odd, 0, 1), Error);
}

TEST_F(TrainTest, VaeRunStartsFromAnotherVaeWithAWiderDecoder) {
  testing::TestDir run("train_widen");
  TrainOptions o = options(TrainStage::vae, run.path());
  o.scenes = 2;
  o.init_vae = dir_->path() / "vae";
  o.model.vae.decoder_base_dim *= 2;
  Trainer t(o);
  EXPECT_TRUE(std::isfinite(t.step().loss));
  t.write_model(run.path() / "wide", at::kFloat);
  const auto wide = safetensors_read_all(run.path() / "wide" / kTinyVaeFile);
  const auto from = safetensors_read_all(dir_->path() / "vae" / kTinyVaeFile);
  EXPECT_EQ(wide.at("decoder.head.2.weight").size(1), 2 * from.at("decoder.head.2.weight").size(1));
  o.stage = TrainStage::dit;
  EXPECT_THROW(train_options_validate(o), Error);
}

TEST_F(TrainTest, FrozenEncoderKeepsTheLatentsWhileTheDecoderLearns) {
  testing::TestDir run("train_freeze");
  TrainOptions o = options(TrainStage::vae, run.path());
  o.scenes = 2;
  o.freeze_encoder = true;
  Trainer t(o);
  t.write_model(run.path() / "before", at::kFloat);
  const double before = t.loss_at(1);
  for (int i = 0; i < 12; ++i) t.step();
  EXPECT_LT(t.loss_at(1), 0.95 * before);
  t.write_model(run.path() / "after", at::kFloat);
  expect_encoder_kept_and_decoder_changed(run.path() / "before", run.path() / "after");
}

TEST_F(TrainTest, DitStepsReduceTheLossOfAFixedBatch) {
  // Two scenes, cycled: every step sees the same clips (with new noise and sigmas), so the loss
  // of step 1's batch falls within a few steps.
  testing::TestDir run("train_dit");
  TrainOptions o = options(TrainStage::dit, run.path());
  o.scenes = 2;
  Trainer t(o);
  EXPECT_GT(t.parameters(), 10000);
  const double before = t.loss_at(1);
  for (int i = 0; i < 20; ++i) t.step();
  const double after = t.loss_at(1);
  EXPECT_LT(after, 0.8 * before) << before << " -> " << after;
}

TEST_F(TrainTest, DitLearnsUnitVarianceLatentsAndItsVaeCarriesTheStatistics) {
  testing::TestDir run("train_stats");
  TrainOptions o = options(TrainStage::dit, run.path());
  o.vae_dtype = at::kFloat;
  {
    Trainer t(o);
    t.step();
    t.save_checkpoint();
  }
  const Json saved = json_parse(read_file(run.path() / "checkpoint" / "trainer.json"), "trainer");
  ASSERT_EQ(saved["latent_std"].size(), size_t(o.model.vae.z_dim));

  // The checkpoint's VAE encodes the statistics' scenes (0 .. 63) to mean 0, std 1 per channel.
  const fs::path ck = run.path() / "checkpoint";
  auto vae = wan_vae_load(ck, WanVaeOptions{at::kFloat, at::kCPU});
  std::vector<at::Tensor> clips;
  for (int64_t j = 0; j < 64; ++j) {
    const scenes::Scene scene = scenes::scene_sample(o.seed, j, scenes::SceneSplit::train);
    std::vector<at::Tensor> frames;
    for (int f = 0; f < o.model.clip.frames; ++f) {
      const scenes::RgbImage img = scenes::scene_render_frame(scene, o.model.clip, f);
      frames.push_back(at::tensor(img.rgb, at::kFloat).view({img.height, img.width, 3}));
    }
    clips.push_back(at::stack(frames).permute({3, 0, 1, 2}) / 127.5 - 1);
  }
  {
    at::NoGradGuard no_grad;
    const at::Tensor z =
        vae->encode(at::stack(clips)).transpose(0, 1).reshape({o.model.vae.z_dim, -1});
    EXPECT_LT(z.mean(1).abs().max().item<double>(), 1e-3);
    EXPECT_LT((z.std(1) - 1).abs().max().item<double>(), 1e-3);
  }

  // Resumed, the run keeps its statistics (they are not computed again).
  const auto metadata = SafetensorsFile::open(model_folder_scan(ck).vae_files.front())->metadata();
  Trainer resumed(o);
  EXPECT_EQ(resumed.steps_done(), 1);
  resumed.step();
  resumed.save_checkpoint();
  EXPECT_EQ(SafetensorsFile::open(model_folder_scan(ck).vae_files.front())->metadata(), metadata);
}

TEST_F(TrainTest, DitLatentCacheGivesTheLossOfEncodingEveryStep) {
  // Step 1's clips are scenes 0 and 1 whether the run cycles through 3 cached scenes or draws
  // fresh ones, so the two losses differ only by the encoding's rounding.
  testing::TestDir fresh_run("train_fresh"), cached_run("train_cached");
  TrainOptions fresh = options(TrainStage::dit, fresh_run.path());
  fresh.vae_dtype = at::kFloat;
  TrainOptions cached = fresh;
  cached.run_dir = cached_run.path();
  cached.scenes = 3;
  std::vector<Progress> seen;
  const double expected = Trainer(fresh).loss_at(1);
  const double got = Trainer(cached, [&](const Progress& p) { seen.push_back(p); }).loss_at(1);
  EXPECT_NEAR(got, expected, 1e-4 * std::fabs(expected));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().stage, "latents");
  EXPECT_EQ(seen.back().done, 3);
  // The cache is kept: a second run reads it instead of encoding again.
  const fs::path block = cached_run.path() / "latents" / "scenes-0-3.safetensors";
  ASSERT_TRUE(fs::exists(block));
  const auto written = fs::last_write_time(block);
  EXPECT_NEAR(Trainer(cached).loss_at(1), got, 1e-6 * std::fabs(got));
  EXPECT_EQ(fs::last_write_time(block), written);
}

TEST_F(TrainTest, DitLatentCacheFollowsTheEncoderNotTheDecoder) {
  testing::TestDir run("train_cache_stamp");
  const fs::path vae_dir = run.path() / "vae";
  fs::create_directories(vae_dir);
  const fs::path original = model_folder_scan(dir_->path() / "vae").vae_files.front();
  const fs::path vae_file = vae_dir / original.filename();
  fs::copy_file(original, vae_file);
  TrainOptions o = options(TrainStage::dit, run.path() / "dit");
  o.vae = vae_dir;
  o.scenes = 2;
  Trainer(o).loss_at(1);
  const fs::path block = o.run_dir / "latents" / "scenes-0-2.safetensors";
  const at::Tensor first = safetensors_read_all(block).at("latents").clone();
  const auto written = fs::last_write_time(block);

  // Rewrites the VAE file with one tensor (encoder side or decoder side) nudged: same size.
  auto nudge = [&](bool encoder) {
    std::vector<std::pair<std::string, at::Tensor>> all;
    bool done = false;
    for (const auto& [name, t] : safetensors_read_all(vae_file)) {
      at::Tensor v = t.clone();
      if (!done && tiny_vae_encoder_side(name) == encoder && v.dim() > 1) {
        v.add_(0.05);
        done = true;
      }
      all.emplace_back(name, v);
    }
    ASSERT_TRUE(done);
    safetensors_write(vae_file, all);
  };
  nudge(/*encoder=*/false);  // a decoder trained further: the cache stays
  Trainer(o).loss_at(1);
  EXPECT_EQ(fs::last_write_time(block), written);
  nudge(/*encoder=*/true);  // another encoder, same file size: encoded again
  Trainer(o).loss_at(1);
  const at::Tensor second = safetensors_read_all(block).at("latents");
  EXPECT_FALSE(at::allclose(first, second));
}

TEST_F(TrainTest, ResumeGivesTheSameNextStepAsAnUninterruptedRun) {
  for (TrainStage stage : {TrainStage::vae, TrainStage::dit}) {
    SCOPED_TRACE(std::string(train_stage_name(stage)));
    testing::TestDir run("train_resume");
    double uninterrupted = 0;
    {
      Trainer a(options(stage, run.path()));
      for (int i = 0; i < 3; ++i) a.step();
      a.save_checkpoint();
      uninterrupted = a.step().loss;
    }
    Trainer b(options(stage, run.path()));
    EXPECT_EQ(b.steps_done(), 3);
    const TrainStepResult r = b.step();
    EXPECT_EQ(r.step, 4);
    EXPECT_NEAR(r.loss, uninterrupted, 1e-6 * std::fabs(uninterrupted));
    // The log has one row per step: step 4 of the first run was dropped on resume.
    std::istringstream log(read_file(run.path() / "log.csv"));
    std::string line;
    int rows = 0;
    while (std::getline(log, line)) rows += !line.empty() && line.rfind("step", 0) != 0;
    EXPECT_EQ(rows, 4);
    EXPECT_TRUE(fs::exists(run.path() / "summary.txt"));
  }
}

TEST_F(TrainTest, KeptRunResumesWithAFreshWarmUp) {
  // `kino train keep` is how a run in progress is kept small: the model files alone, in fp16.
  // Copied back as a run folder, the step count and settings carry on; the AdamW moments start
  // afresh, so the learning rate warms up again.
  for (TrainStage stage : {TrainStage::vae, TrainStage::dit}) {
    SCOPED_TRACE(std::string(train_stage_name(stage)));
    testing::TestDir run("train_keep");
    TrainOptions o = options(stage, run.path() / "run");
    o.warmup = 4;
    o.ema = 0.9;
    {
      Trainer a(o);
      for (int i = 0; i < 5; ++i) a.step();
      a.save_checkpoint();
    }
    const fs::path kept = run.path() / "kept";
    const TrainKeepReport r = train_keep(o.run_dir, kept);
    EXPECT_EQ(r.step, 5);
    EXPECT_GT(r.bytes, 0);
    EXPECT_FALSE(fs::exists(run.path() / "kept.part"));
    EXPECT_FALSE(fs::exists(kept / "checkpoint" / "optimizer.state"));
    EXPECT_FALSE(fs::exists(kept / "checkpoint" / "weights.state"));
    EXPECT_TRUE(fs::exists(kept / "log.csv"));
    const fs::path vae = kept / "checkpoint" / kTinyVaeFile;
    for (const auto& [name, t] : safetensors_read_all(vae)) EXPECT_EQ(t.scalar_type(), at::kHalf);
    if (stage == TrainStage::dit)  // the statistics generation decodes with stay in the file
      EXPECT_EQ(SafetensorsFile::open(vae)->metadata(),
                SafetensorsFile::open(o.run_dir / "checkpoint" / kTinyVaeFile)->metadata());

    o.run_dir = kept;
    Trainer b(o);
    EXPECT_EQ(b.steps_done(), 5);
    const TrainStepResult s6 = b.step();
    EXPECT_EQ(s6.step, 6);
    EXPECT_DOUBLE_EQ(s6.lr, o.lr / 4);
    EXPECT_TRUE(std::isfinite(s6.loss));
    EXPECT_DOUBLE_EQ(b.step().lr, o.lr / 2);
  }
  EXPECT_THROW(train_keep(dir_->path() / "no_such_run", dir_->path() / "kept"), Error);
}

// With --ema the checkpoint's model files hold the running average of the optimizer's weights,
// which go to weights.state; a resumed run continues both.
// With --ema the checkpoint's model files hold the average and weights.state the optimizer's
// weights, step by step and across a resume, in either stage.
void expect_model_files_hold_the_average(TrainOptions o) {
  o.scenes = 2;
  o.ema = 0.5;
  const fs::path ck = o.run_dir / "checkpoint";
  const bool vae = o.stage == TrainStage::vae;
  // Every model-file tensor against average = 0.5 average + 0.5 weights of the step.
  std::map<std::string, at::Tensor> average;
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    const auto weights = safetensors_read_all(ck / "weights.state");
    double moved = 0;
    const std::vector<std::pair<const char*, std::string>> files =
        vae ? std::vector<std::pair<const char*, std::string>>{{kTinyVaeFile, "vae/"}}
            : std::vector<std::pair<const char*, std::string>>{{kTinyDitFile, "dit/"},
                                                               {kTinyUmt5File, "umt5/"}};
    for (const auto& [file, prefix] : files) {
      for (const auto& [name, model] : safetensors_read_all(ck / file)) {
        if (!weights.count(prefix + name)) {
          ADD_FAILURE() << prefix + name << " is not in weights.state";
          continue;
        }
        const at::Tensor w = weights.at(prefix + name).to(at::kFloat);
        auto it = average.find(prefix + name);
        const at::Tensor expected = it == average.end() ? w : 0.5 * it->second + 0.5 * w;
        EXPECT_TRUE(at::allclose(model.to(at::kFloat), expected, 1e-5, 1e-6)) << prefix + name;
        moved = std::max(moved, (model.to(at::kFloat) - w).abs().max().item<double>());
        average[prefix + name] = expected;
      }
    }
    return moved;
  };
  double uninterrupted = 0;
  {
    Trainer a(o);
    a.save_checkpoint();
    EXPECT_EQ(check("start"), 0.0);  // the average starts at the initial weights
    for (int i = 0; i < 3; ++i) {
      a.step();
      a.save_checkpoint();
      EXPECT_GT(check("step"), 0.0);
    }
    uninterrupted = a.step().loss;
  }
  Trainer b(o);  // from step 3: the optimizer's weights, not the averages, go on
  const TrainStepResult r = b.step();
  EXPECT_NEAR(r.loss, uninterrupted, 1e-6 * std::fabs(uninterrupted));
  b.save_checkpoint();
  check("resumed");
}

TEST_F(TrainTest, EmaModelFilesHoldTheAverageOfTheWeights) {
  testing::TestDir run("train_ema");
  expect_model_files_hold_the_average(options(TrainStage::dit, run.path()));
}

TEST_F(TrainTest, VaeEmaModelFileHoldsTheAverageOfTheWeights) {
  testing::TestDir run("train_vae_ema");
  expect_model_files_hold_the_average(options(TrainStage::vae, run.path()));
}

TEST_F(TrainTest, FrozenEncoderStaysBitForBitUnderEma) {
  // export requires the decoder run's encoder to be the DiT's, compared exactly.
  testing::TestDir run("train_vae_ema_frozen");
  TrainOptions o = options(TrainStage::vae, run.path());
  o.scenes = 2;
  o.freeze_encoder = true;
  o.ema = 0.999;
  Trainer t(o);
  t.write_model(run.path() / "before", at::kFloat);
  for (int i = 0; i < 3; ++i) t.step();
  t.write_model(run.path() / "after", at::kFloat);
  expect_encoder_kept_and_decoder_changed(run.path() / "before", run.path() / "after");
}

TEST_F(TrainTest, ReconstructionEvalMeasuresHeldOutClipsThroughTheVae) {
  const auto vae = wan_vae_load(dir_->path() / "vae", WanVaeOptions{at::kFloat, at::kCPU});
  scenes::ClipFormat format;
  format.width = 32;
  format.height = 32;
  format.frames = 5;
  TinyEvalOptions o;
  o.cases = 3;
  const TinyEvalReport r = tiny_eval_reconstruction(*vae, format, o);
  ASSERT_EQ(r.cases.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) {
    const TinyEvalCase& c = r.cases[size_t(i)];
    const scenes::Scene scene = scenes::scene_sample(1, i, scenes::SceneSplit::held_out);
    EXPECT_EQ(c.colour, scene.objects.front().colour);
    EXPECT_FALSE(c.prompt.empty());
    // An untrained VAE returns little of the clip, but a finite figure.
    EXPECT_TRUE(std::isfinite(c.clip_psnr) && c.clip_psnr > 0 && c.clip_psnr < 99) << c.clip_psnr;
    EXPECT_TRUE(std::isfinite(c.first_frame_psnr) && c.first_frame_psnr > 0 &&
                c.first_frame_psnr < 99)
        << c.first_frame_psnr;
  }
  o.cases = 0;
  EXPECT_THROW(tiny_eval_reconstruction(*vae, format, o), Error);
}

TEST_F(TrainTest, ResumeWithOtherSettingsIsANamedError) {
  testing::TestDir run("train_mismatch");
  {
    Trainer a(options(TrainStage::vae, run.path()));
    a.step();
    a.save_checkpoint();
  }
  TrainOptions o = options(TrainStage::vae, run.path());
  o.seed = 5;
  try {
    Trainer b(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    EXPECT_NE(std::string(e.what()).find("seed"), std::string::npos) << e.what();
  }
}

TEST_F(TrainTest, WrittenModelLoadsWithTheOrdinaryLoaders) {
  testing::TestDir run("train_load");
  TrainOptions o = options(TrainStage::dit, run.path());
  o.steps = 2;
  o.checkpoint_every = 1;
  const TrainReport r = train_run(o);
  EXPECT_EQ(r.last_step, 2);
  for (const fs::path& dir : {r.checkpoint, run.path() / "fp16"}) {
    if (dir != r.checkpoint) Trainer(o).write_model(dir, at::kHalf);
    SCOPED_TRACE(dir.string());
    const ModelFolder folder = model_folder_scan(dir);
    EXPECT_EQ(folder.dit_files.size(), 1u);
    EXPECT_EQ(folder.vae_files.size(), 1u);
    EXPECT_EQ(folder.text_encoder_files.size(), 1u);
    ASSERT_TRUE(folder.tokenizer);
    const DitDescription d = model_folder_describe_dit(folder);
    EXPECT_TRUE(d.config_json_checked);
    EXPECT_EQ(d.config.model_type, WanModelType::ti2v);
    EXPECT_EQ(d.config.text_len, o.model.dit.text_len);

    auto dit = wan_dit_load(dir, WanDitOptions{at::kFloat, at::kCPU});
    auto te = umt5_encoder_load(dir, UMT5Options{at::kFloat, at::kCPU});
    auto vae = wan_vae_load(dir, WanVaeOptions{at::kFloat, at::kCPU});
    const UMT5Tokenizer tok = umt5_tokenizer_load(dir);
    at::NoGradGuard no_grad;
    const TokenizedText t = tok.encode("a red ball moving to the right", o.model.dit.text_len);
    const at::Tensor ids = at::tensor(t.ids).view({1, -1});
    const at::Tensor mask = at::tensor(t.mask).view({1, -1});
    const WanDitText text = dit->encode_text(te->encode(ids, mask));
    const at::Tensor x = at::randn({1, o.model.vae.z_dim, 2, 4, 4});
    const at::Tensor v = dit->forward(x, at::full({1}, 500.0), text);
    EXPECT_TRUE(at::isfinite(v).all().item<bool>());
    const at::Tensor frames = vae->decode(x);
    EXPECT_EQ(frames.sizes(), (std::vector<int64_t>{1, 3, 5, 32, 32}));
  }
}

TEST_F(TrainTest, TrainedFolderGeneratesThroughVideoGenerator) {
  testing::TestDir run("train_generate");
  TrainOptions o = options(TrainStage::dit, run.path());
  o.steps = 1;
  const TrainReport r = train_run(o);
  PipelineOptions po;
  po.dtype = RunDtype::f32;
  auto generator = VideoGenerator::load(r.checkpoint, po);
  EXPECT_TRUE(generator->supports_image());
  VideoRequest req;
  req.prompt = "a red ball moving to the right";
  // What was left out comes from the folder's "kino" block, not the Wan family's defaults.
  const VideoPlan plan = generator->plan(req);
  EXPECT_EQ(plan.width, o.model.clip.width);
  EXPECT_EQ(plan.height, o.model.clip.height);
  EXPECT_EQ(plan.frames, o.model.clip.frames);
  EXPECT_EQ(plan.fps, o.model.clip.fps.num);
  EXPECT_EQ(plan.steps, o.model.sampling.steps);
  EXPECT_DOUBLE_EQ(plan.cfg, o.model.sampling.cfg);
  EXPECT_DOUBLE_EQ(plan.shift, o.model.sampling.shift);
  EXPECT_EQ(plan.negative, "");
  EXPECT_EQ(generator->defaults().name, "kino-tiny");
  req.width = req.height = 32;
  req.steps = 2;
  req.seed = 3;
  req.native = true;
  const VideoResult t2v = generator->generate(req, run.path() / "t2v.mp4");
  EXPECT_EQ(t2v.frames, 5);
  EXPECT_EQ(t2v.width, 32);
  // Image-to-video: the TI2V path with a clean first latent frame.
  scenes::clip_write_mp4(
      {scenes::scene_render_frame(scenes::scene_sample(1, 0, scenes::SceneSplit::train),
                                  o.model.clip, 0)},
      {1, 1}, run.path() / "first.mp4");
  ASSERT_EQ(
      testing::run_command("ffmpeg -loglevel error -y -i " + (run.path() / "first.mp4").string() +
                           " -frames:v 1 " + (run.path() / "first.png").string()),
      0);
  req.image = run.path() / "first.png";
  const VideoResult i2v = generator->generate(req, run.path() / "i2v.mp4");
  EXPECT_EQ(i2v.frames, 5);
}

TEST_F(TrainTest, ExportWritesTheShippedFolder) {
  testing::TestDir run("train_export");
  TrainOptions o = options(TrainStage::dit, run.path() / "dit");
  o.steps = 1;
  const TrainReport r = train_run(o);
  TrainExportOptions e;
  e.dit = r.checkpoint;
  e.out = run.path() / "kino-tiny";
  const TrainExportReport rep = train_export(e);
  EXPECT_GT(rep.words, 50);
  EXPECT_GT(rep.bytes, 0);
  EXPECT_FALSE(fs::exists(run.path() / "kino-tiny.part"));
  EXPECT_FALSE(fs::exists(e.out / "optimizer.state"));
  for (const auto& [name, t] : safetensors_read_all(model_folder_scan(e.out).dit_files.front())) {
    if (!t.is_floating_point()) continue;
    EXPECT_EQ(t.scalar_type(), at::kHalf) << name;
  }
  PipelineOptions po;
  po.dtype = RunDtype::f32;
  auto generator = VideoGenerator::load(e.out, po);
  EXPECT_TRUE(model_unknown_words(generator->defaults(), "a red ball moving to the right").empty());
  EXPECT_TRUE(model_unknown_words(generator->defaults(), "一个红色的球向右移动").empty());
  EXPECT_EQ(model_unknown_words(generator->defaults(), "a fox running through a forest"),
            (std::vector<std::string>{"fox", "running", "through", "forest"}));

  // A VAE with another encoder would decode latents the DiT never learnt: refused.
  e.vae = dir_->path() / "vae";
  TrainOptions other = options(TrainStage::vae, run.path() / "other_vae");
  other.seed = 9;
  Trainer(other).write_model(run.path() / "other_vae_model", at::kFloat);
  e.vae = run.path() / "other_vae_model";
  try {
    train_export(e);
    ADD_FAILURE();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("--freeze-encoder"), std::string::npos) << err.what();
  }
  // The same encoder with a further-trained decoder is accepted.
  TrainOptions dec = options(TrainStage::vae, run.path() / "decoder_run");
  dec.freeze_encoder = true;
  dec.seed = 4;  // the suite's VAE was made with seed 4 at step 0: the same encoder
  Trainer decoder(dec);
  decoder.step();
  decoder.write_model(run.path() / "decoder_model", at::kFloat);
  e.vae = run.path() / "decoder_model";
  EXPECT_NO_THROW(train_export(e));
  // ... and goes out with the latent statistics the DiT was trained with, not its own.
  auto stats_of = [](const fs::path& folder) {
    const auto file = SafetensorsFile::open(model_folder_scan(folder).vae_files.front());
    std::map<std::string, std::string> out;
    for (const char* key : {kVaeLatentMeanKey, kVaeLatentStdKey})
      if (file->metadata().count(key)) out[key] = file->metadata().at(key);
    return out;
  };
  EXPECT_EQ(stats_of(e.out).size(), 2u);
  EXPECT_EQ(stats_of(e.out), stats_of(r.checkpoint));
  EXPECT_TRUE(stats_of(run.path() / "decoder_model").empty());
}

TEST_F(TrainTest, BadOptionsAreNamedErrors) {
  testing::TestDir run("train_bad");
  TrainOptions o = options(TrainStage::vae, run.path());
  o.batch = 0;
  EXPECT_THROW(train_options_validate(o), Error);
  o = options(TrainStage::dit, run.path());
  o.vae.clear();
  try {
    train_options_validate(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--vae"), std::string::npos);
  }
  o = options(TrainStage::vae, run.path());
  o.model.clip.frames = 6;
  EXPECT_THROW(train_options_validate(o), Error);
  TrainTokenizerOptions t;
  t.spm_train = run.path() / "no-such-program";
  try {
    train_tokenizer(run.path() / "tok", t);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
  }
}

}  // namespace
}  // namespace kino::gen
