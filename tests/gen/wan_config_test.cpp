#include "gen/wan_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "gen/safetensors_file.h"
#include "gen/wan_names.h"

namespace kino::gen {
namespace {

// Metadata-only tensor lists of the released models (tests/gen/data, written from the spec's
// tables by make_wan_shape_lists.py): name -> {dtype, shape}, no weights.
struct ShapeList {
  std::vector<std::string> names;
  ShapeMap internal;  // after name mapping
  int64_t parameters = 0;
};

ShapeList load_list(const std::string& file, const std::string& prefix = "") {
  std::ifstream in(std::string(KINO_GEN_TEST_DATA) + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str());
  ShapeList out;
  for (const auto& [name, entry] : j.items()) {
    std::vector<int64_t> shape = entry["shape"].get<std::vector<int64_t>>();
    out.names.push_back(prefix + name);
    out.internal[wan_dit_internal_name(prefix + name)] = shape;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    out.parameters += n;
  }
  return out;
}

template <typename F>
std::string error_of(F f, ErrorCode code = ErrorCode::unsupported) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

void expect_1_3b(const WanDitConfig& c) {
  EXPECT_EQ(c.dim, 1536);
  EXPECT_EQ(c.ffn_dim, 8960);
  EXPECT_EQ(c.num_heads, 12);
  EXPECT_EQ(c.head_dim(), 128);
  EXPECT_EQ(c.num_layers, 30);
  EXPECT_EQ(c.in_dim, 16);
  EXPECT_EQ(c.out_dim, 16);
  EXPECT_EQ(c.text_dim, 4096);
  EXPECT_EQ(c.freq_dim, 256);
  EXPECT_EQ(c.patch_size, (std::array<int64_t, 3>{1, 2, 2}));
  EXPECT_EQ(c.model_type, WanModelType::t2v);
  EXPECT_FALSE(c.has_image_branch());
}

void expect_5b(const WanDitConfig& c) {
  EXPECT_EQ(c.dim, 3072);
  EXPECT_EQ(c.ffn_dim, 14336);
  EXPECT_EQ(c.num_heads, 24);
  EXPECT_EQ(c.num_layers, 30);
  EXPECT_EQ(c.in_dim, 48);
  EXPECT_EQ(c.out_dim, 48);
  EXPECT_EQ(c.text_dim, 4096);
  EXPECT_EQ(c.model_type, WanModelType::ti2v);
}

TEST(WanConfigTest, Detects13BFromItsOfficialTensorList) {
  ShapeList l = load_list("wan2.1_t2v_1.3B.json");
  EXPECT_EQ(wan_dit_layout(l.names), WeightLayout::official);
  WanDitConfig c = wan_dit_config_from_shapes(l.internal, "1.3B");
  expect_1_3b(c);
  EXPECT_NEAR(double(l.parameters) / 1e9, 1.419, 0.001);
  EXPECT_TRUE(wan_dit_unused_tensors(l.internal, c).empty());
  EXPECT_EQ(wan_dit_expected_shapes(c), l.internal);
}

TEST(WanConfigTest, Detects5BFromItsOfficialTensorList) {
  ShapeList l = load_list("wan2.2_ti2v_5B.json");
  WanDitConfig c = wan_dit_config_from_shapes(l.internal, "5B");
  expect_5b(c);
  EXPECT_NEAR(double(l.parameters) / 1e9, 5.000, 0.001);
}

TEST(WanConfigTest, DiffusersAndComfyNamesMapOntoTheSameConfig) {
  ShapeList d13 = load_list("wan2.1_t2v_1.3B_diffusers.json");
  EXPECT_EQ(wan_dit_layout(d13.names), WeightLayout::diffusers);
  expect_1_3b(wan_dit_config_from_shapes(d13.internal, "1.3B diffusers"));
  EXPECT_EQ(d13.internal, load_list("wan2.1_t2v_1.3B.json").internal);

  ShapeList d5 = load_list("wan2.2_ti2v_5B_diffusers.json");
  expect_5b(wan_dit_config_from_shapes(d5.internal, "5B diffusers"));

  ShapeList comfy = load_list("wan2.2_ti2v_5B.json", "model.diffusion_model.");
  EXPECT_EQ(wan_dit_layout(comfy.names), WeightLayout::comfy);
  expect_5b(wan_dit_config_from_shapes(comfy.internal, "5B comfy"));
}

TEST(WanConfigTest, NameMappingCoversEveryDiffusersModule) {
  EXPECT_EQ(wan_dit_internal_name("blocks.3.attn2.add_k_proj.weight"),
            "blocks.3.cross_attn.k_img.weight");
  EXPECT_EQ(wan_dit_internal_name("blocks.3.attn2.norm_added_k.weight"),
            "blocks.3.cross_attn.norm_k_img.weight");
  EXPECT_EQ(wan_dit_internal_name("condition_embedder.image_embedder.ff.net.0.proj.bias"),
            "img_emb.proj.1.bias");
  EXPECT_EQ(wan_dit_internal_name("condition_embedder.image_embedder.pos_embed"),
            "img_emb.emb_pos");
  EXPECT_EQ(wan_dit_internal_name("model.diffusion_model.blocks.0.ffn.0.scale_weight"),
            "blocks.0.ffn.0.scale_weight");
  EXPECT_EQ(wan_dit_internal_name("blocks.0.ffn.net.0.proj.scale_weight"),
            "blocks.0.ffn.0.scale_weight");
  EXPECT_EQ(wan_dit_internal_name("blocks.12.norm2.weight"), "blocks.12.norm3.weight");
  EXPECT_EQ(wan_dit_internal_name("blocks.12.norm3.weight"), "blocks.12.norm3.weight");
  EXPECT_EQ(wan_dit_internal_name("proj_out.weight"), "head.head.weight");
  EXPECT_EQ(wan_dit_internal_name("proj_outer.weight"), "proj_outer.weight");
}

TEST(WanConfigTest, MissingOrMisshapenTensorsAreNamed) {
  ShapeMap m = load_list("wan2.1_t2v_1.3B.json").internal;
  ShapeMap missing = m;
  missing.erase("blocks.7.cross_attn.norm_k.weight");
  std::string msg = error_of([&] { wan_dit_config_from_shapes(missing, "dit.safetensors"); });
  EXPECT_NE(msg.find("dit.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("blocks.7.cross_attn.norm_k.weight is missing"), std::string::npos) << msg;

  ShapeMap wrong = m;
  wrong["blocks.3.ffn.2.weight"] = {1536, 8000};
  msg = error_of([&] { wan_dit_config_from_shapes(wrong, "dit"); });
  EXPECT_NE(msg.find("blocks.3.ffn.2.weight has shape [1536, 8000], expected [1536, 8960]"),
            std::string::npos)
      << msg;

  ShapeMap vae{{"decoder.conv1.weight", {384, 16, 3, 3, 3}}};
  msg = error_of([&] { wan_dit_config_from_shapes(vae, "vae.safetensors"); });
  EXPECT_NE(msg.find("not a Wan DiT"), std::string::npos) << msg;

  ShapeMap vace = m;
  vace["vace_blocks.0.modulation"] = {1, 6, 1536};
  msg = error_of([&] { wan_dit_config_from_shapes(vace, "dit"); });
  EXPECT_NE(msg.find("VACE"), std::string::npos) << msg;
}

TEST(WanConfigTest, ConfigJsonIsCrossCheckedWithTheShapes) {
  ShapeMap m = load_list("wan2.1_t2v_1.3B.json").internal;
  WanDitConfig c = wan_dit_config_from_shapes(m, "dir");
  Json official{
      {"_class_name", "WanModel"}, {"dim", 1536},  {"ffn_dim", 8960},    {"num_heads", 12},
      {"num_layers", 30},          {"in_dim", 16}, {"out_dim", 16},      {"freq_dim", 256},
      {"text_len", 512},           {"eps", 1e-6},  {"model_type", "t2v"}};
  WanDitConfig ok = c;
  wan_dit_config_check_json(ok, official, "dir");
  expect_1_3b(ok);

  Json bad_dim = official;
  bad_dim["dim"] = 3072;
  WanDitConfig copy = c;
  std::string msg = error_of([&] { wan_dit_config_check_json(copy, bad_dim, "dir"); });
  EXPECT_NE(msg.find("dir/config.json: dim is 3072 but the weights have 1536 (head.modulation)"),
            std::string::npos)
      << msg;

  Json bad_layers = official;
  bad_layers["num_layers"] = 40;
  copy = c;
  msg = error_of([&] { wan_dit_config_check_json(copy, bad_layers, "dir"); });
  EXPECT_NE(msg.find("num_layers is 40 but the weights have 30"), std::string::npos) << msg;

  Json diffusers{{"num_attention_heads", 12}, {"attention_head_dim", 128}, {"in_channels", 16},
                 {"out_channels", 16},        {"ffn_dim", 8960},           {"num_layers", 30},
                 {"text_dim", 4096},          {"patch_size", {1, 2, 2}}};
  copy = c;
  wan_dit_config_check_json(copy, diffusers, "dir");
  expect_1_3b(copy);
  diffusers["attention_head_dim"] = 64;
  copy = c;
  msg = error_of([&] { wan_dit_config_check_json(copy, diffusers, "dir"); });
  EXPECT_NE(msg.find("num_attention_heads x attention_head_dim is 768"), std::string::npos) << msg;

  Json wrong_type = official;
  wrong_type["ffn_dim"] = "big";
  copy = c;
  msg = error_of([&] { wan_dit_config_check_json(copy, wrong_type, "dir"); });
  EXPECT_NE(msg.find("ffn_dim must be an integer"), std::string::npos) << msg;

  Json odd_heads = official;
  odd_heads["num_heads"] = 7;
  copy = c;
  msg = error_of([&] { wan_dit_config_check_json(copy, odd_heads, "dir"); });
  EXPECT_NE(msg.find("not divisible by num_heads 7"), std::string::npos) << msg;

  Json type = official;
  type["model_type"] = "txt2vid";
  copy = c;
  msg = error_of([&] { wan_dit_config_check_json(copy, type, "dir"); });
  EXPECT_NE(msg.find("model_type must be t2v, ti2v, i2v or flf2v"), std::string::npos) << msg;
}

TEST(WanConfigTest, SmallConfigsNeedNumHeadsFromConfigJson) {
  WanDitConfig tiny;
  tiny.dim = 64;
  tiny.ffn_dim = 128;
  tiny.num_layers = 2;
  tiny.in_dim = 4;
  tiny.out_dim = 4;
  tiny.text_dim = 32;
  tiny.freq_dim = 32;
  ShapeMap m = wan_dit_expected_shapes(tiny);
  WanDitConfig c = wan_dit_config_from_shapes(m, "tiny");
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.num_heads, 0);
  std::string msg = error_of([&] { wan_dit_config_validate(c, "tiny"); });
  EXPECT_NE(msg.find("config.json must give num_heads"), std::string::npos) << msg;
  wan_dit_config_check_json(c, Json{{"num_heads", 4}, {"text_len", 24}}, "tiny");
  EXPECT_EQ(c.head_dim(), 16);
  EXPECT_EQ(c.text_len, 24);
}

}  // namespace
}  // namespace kino::gen
