#include "gen/safetensors_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "gen/tensor_io.h"
#include "gen/wan_names.h"
#include "gen/weight_set.h"
#include "support/test_dir.h"

namespace kino::gen {
namespace {

using kino::testing::TestDir;

// Writes a file with a hand-made header and data section.
void write_raw(const std::filesystem::path& path, const std::string& header,
               const std::string& data, int64_t header_len = -1) {
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header_len < 0 ? header.size() : uint64_t(header_len);
  for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xff));
  out << header << data;
}

// Runs `f`, expecting Error(code) whose message contains every fragment.
template <typename F>
void expect_error(F f, ErrorCode code, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& frag : fragments)
      EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)
          << "message '" << e.what() << "' lacks '" << frag << "'";
  }
}

TEST(SafetensorsTest, RoundTripKeepsValuesTypesAndMetadata) {
  TestDir dir("safetensors_roundtrip");
  const auto path = dir / "t.safetensors";
  at::Tensor f32 = at::arange(12, at::kFloat).reshape({3, 4}) * 0.5;
  at::Tensor bf16 = at::linspace(-2, 2, 7).to(at::kBFloat16);
  at::Tensor f16 = at::linspace(-1, 1, 5).to(at::kHalf);
  at::Tensor i64 = at::arange(-3, 3, at::kLong);
  at::Tensor i32 = at::arange(4, at::kInt);
  at::Tensor u8 = at::arange(200, 205, at::kByte);
  at::Tensor scalar = at::scalar_tensor(3.25, at::kFloat);
  at::Tensor empty = at::empty({0, 3}, at::kFloat);
  at::Tensor strided = at::arange(16, at::kFloat).reshape({4, 4}).t();  // not contiguous
  safetensors_write(path,
                    {{"f32", f32},
                     {"bf16", bf16},
                     {"f16", f16},
                     {"i64", i64},
                     {"i32", i32},
                     {"u8", u8},
                     {"scalar", scalar},
                     {"empty", empty},
                     {"strided", strided}},
                    {{"format", "pt"}});

  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(file->at("bf16").dtype, TensorDtype::bf16);
  EXPECT_EQ(file->at("f32").shape, (std::vector<int64_t>{3, 4}));
  auto all = safetensors_read_all(path);
  ASSERT_EQ(all.size(), 9u);
  EXPECT_TRUE(at::equal(all["f32"], f32));
  EXPECT_TRUE(at::equal(all["bf16"], bf16));
  EXPECT_TRUE(at::equal(all["f16"], f16));
  EXPECT_TRUE(at::equal(all["i64"], i64));
  EXPECT_TRUE(at::equal(all["i32"], i32));
  EXPECT_TRUE(at::equal(all["u8"], u8));
  EXPECT_EQ(all["scalar"].dim(), 0);
  EXPECT_EQ(all["scalar"].item<float>(), 3.25f);
  EXPECT_EQ(all["empty"].sizes(), empty.sizes());
  EXPECT_TRUE(at::equal(all["strided"], strided));
}

TEST(SafetensorsTest, TensorsAreViewsOnTheMappingAndConvertOnDemand) {
  TestDir dir("safetensors_view");
  const auto path = dir / "t.safetensors";
  safetensors_write(path, {{"w", at::ones({8, 8}, at::kFloat)}});
  auto file = SafetensorsFile::open(path);
  const TensorInfo& info = file->at("w");
  at::Tensor view = safetensors_tensor(file, info);
  EXPECT_EQ(view.data_ptr(), static_cast<const void*>(file->data(info)));
  at::Tensor same = safetensors_tensor(file, info, at::kFloat, at::kCPU);
  EXPECT_EQ(same.data_ptr(), view.data_ptr());
  at::Tensor bf = safetensors_tensor(file, info, at::kBFloat16, at::kCPU);
  EXPECT_EQ(bf.scalar_type(), at::kBFloat16);
  EXPECT_NE(bf.data_ptr(), view.data_ptr());
  file.reset();  // the view keeps the mapping alive
  EXPECT_EQ(view.sum().item<float>(), 64.0f);
}

TEST(SafetensorsTest, DecodesFp8E4M3AndAppliesItsScale) {
  TestDir dir("safetensors_fp8");
  const auto path = dir / "fp8.safetensors";
  // 0, 1, 2, -1, smallest subnormal 2^-9, largest 448, 0.875 (1.75 * 2^-1)
  const std::string bytes("\x00\x38\x40\xb8\x01\x7e\x36\x00", 8);
  float half = 0.5f;
  std::string scale(reinterpret_cast<const char*>(&half), 4);
  write_raw(path,
            R"({"blocks.0.ffn.0.weight":{"dtype":"F8_E4M3","shape":[2,4],"data_offsets":[0,8]},)"
            R"("blocks.0.ffn.0.scale_weight":{"dtype":"F32","shape":[],"data_offsets":[8,12]},)"
            R"("scaled_fp8":{"dtype":"F8_E4M3","shape":[0],"data_offsets":[12,12]}})",
            bytes + scale);
  auto file = SafetensorsFile::open(path);
  at::Tensor raw = safetensors_tensor(file, file->at("blocks.0.ffn.0.weight"));
  const std::vector<float> want{0, 1, 2, -1, std::ldexp(1.0f, -9), 448, 0.875f, 0};
  ASSERT_EQ(raw.scalar_type(), at::kFloat);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(raw.view(-1)[i].item<float>(), want[i]) << i;

  WeightSet set = WeightSet::open({path}, wan_dit_internal_name);
  at::Tensor scaled = set.get("blocks.0.ffn.0.weight", at::kFloat, at::kCPU);
  EXPECT_EQ(scaled.view(-1)[1].item<float>(), 0.5f);
  EXPECT_EQ(scaled.view(-1)[5].item<float>(), 224.0f);
  EXPECT_EQ(set.dtype_parameters().at(TensorDtype::f8_e4m3), 8);
}

TEST(SafetensorsTest, CorruptOrTruncatedFilesAreNamedErrors) {
  TestDir dir("safetensors_corrupt");
  const auto p = dir / "bad.safetensors";
  const std::string name = p.string();
  auto open = [&] { SafetensorsFile::open(p); };

  { std::ofstream(p, std::ios::binary) << "abc"; }
  expect_error(open, ErrorCode::unsupported, {name, "shorter than the 8-byte header"});

  write_raw(p, "{}", "", 1000);
  expect_error(open, ErrorCode::unsupported, {name, "header length 1000 exceeds"});

  write_raw(p, "{not json", "");
  expect_error(open, ErrorCode::unsupported, {name, "not valid JSON"});

  write_raw(p, "[1,2]", "");
  expect_error(open, ErrorCode::unsupported, {name, "must be a JSON object"});

  write_raw(p, R"({"a":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,1]}})", "x");
  expect_error(open, ErrorCode::unsupported, {"tensor 'a'", "unknown dtype", "Q4_K"});

  write_raw(p, R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "xxxx");
  expect_error(open, ErrorCode::unsupported, {"tensor 'a'", "non-negative"});

  write_raw(p, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "xxxxxxxx");
  expect_error(open, ErrorCode::unsupported,
               {"tensor 'a'", "outside the data section", "truncated"});

  write_raw(p, R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "xxxxxxxx");
  expect_error(open, ErrorCode::unsupported, {"tensor 'a'", "needs 12 bytes", "span 8"});

  write_raw(p, R"({"a":{"dtype":"F32","shape":[4000000000,4000000000],"data_offsets":[0,8]}})",
            "xxxxxxxx");
  expect_error(open, ErrorCode::unsupported, {"tensor 'a'", "larger than the file's data"});

  write_raw(p,
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            "xxxxxxxxxxxx");
  expect_error(open, ErrorCode::unsupported, {"'a'", "'b'", "overlap"});

  write_raw(p, R"({"a":{"dtype":"F32","shape":[1]}})", "xxxx");
  expect_error(open, ErrorCode::unsupported, {"tensor 'a'", "data_offsets must be"});

  write_raw(p, R"({"__metadata__":{"k":1}})", "");
  expect_error(open, ErrorCode::unsupported, {"__metadata__.k must be a string"});

  write_raw(p, std::string(1000000, '[') + std::string(1000000, ']'), "");
  expect_error(open, ErrorCode::unsupported, {name, "nests deeper than 16 levels"});

  // A valid file cut short.
  const auto good = dir / "good.safetensors";
  safetensors_write(good, {{"w", at::ones({64}, at::kFloat)}});
  std::filesystem::resize_file(good, std::filesystem::file_size(good) - 10);
  expect_error([&] { SafetensorsFile::open(good); }, ErrorCode::unsupported,
               {good.string(), "tensor 'w'", "outside the data section"});

  expect_error([&] { SafetensorsFile::open(dir / "absent.safetensors"); }, ErrorCode::not_found,
               {"absent.safetensors", "no such file"});
}

TEST(SafetensorsTest, WriterRefusesTypesAndNamesItCannotStore) {
  TestDir dir("safetensors_writer");
  expect_error(
      [&] {
        safetensors_write(dir / "c.safetensors", {{"c", at::ones({2}, at::kComplexFloat)}});
      },
      ErrorCode::internal, {"tensor 'c'", "cannot store"});
  expect_error(
      [&] {
        safetensors_write(dir / "d.safetensors", {{"a", at::ones({1})}, {"a", at::ones({1})}});
      },
      ErrorCode::internal, {"'a'", "repeated"});
}

}  // namespace
}  // namespace kino::gen
