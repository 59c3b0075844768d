#include "gen/model_catalog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/error.h"
#include "gen/model_download.h"
#include "support/test_dir.h"

namespace kino::gen {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void write_all(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

std::string parse_error(const std::string& text) {
  try {
    model_catalog_parse(Json::parse(text));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_request);
    return e.what();
  }
  return "no error";
}

TEST(ModelCatalog, BuiltInCatalogHasTheTwoWanModels) {
  const auto& catalog = model_catalog();
  ASSERT_GE(catalog.size(), 2u);
  EXPECT_EQ(catalog[0].name, "wan2.1-t2v-1.3b");
  const CatalogModel* m = model_catalog_find("wan2.2-ti2v-5b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(model_catalog_find("nope"), nullptr);
  for (const auto& model : catalog) {
    EXPECT_EQ(model.files.size(), 3u) << model.name;  // DiT, text encoder, VAE
    EXPECT_TRUE(model.config.is_object()) << model.name;
    EXPECT_GT(model.total_bytes(), int64_t(3e9)) << model.name;
    for (const auto& f : model.files) {
      EXPECT_EQ(f.name, fs::path(f.path).filename().string());
      EXPECT_NE(f.name.find(".safetensors"), std::string::npos);
      // Published sizes and digests: a truncated or altered download is refused, not kept.
      EXPECT_TRUE(f.bytes_exact) << f.name;
      EXPECT_EQ(f.sha256.size(), 64u) << f.name;
    }
  }
  EXPECT_EQ(m->config["dim"], 3072);
  EXPECT_EQ(m->config["model_type"], "ti2v");
  EXPECT_EQ(catalog[0].config["num_layers"], 30);
}

TEST(ModelCatalog, ParseErrorsNameTheField) {
  EXPECT_NE(parse_error(R"({"name": "x"})").find("models must be an array"), std::string::npos);
  EXPECT_NE(parse_error(R"([{"name": "../evil", "files": []}])").find("models[0].name"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"name": "a", "files": []}])").find("models[0].files"),
            std::string::npos);
  const std::string bad_path = parse_error(
      R"([{"name": "a", "files": [{"repo": "o/r", "path": "x/../../etc", "bytes": 1}]}])");
  EXPECT_NE(bad_path.find("models[0].files[0].path"), std::string::npos) << bad_path;
  EXPECT_NE(bad_path.find("x/../../etc"), std::string::npos) << bad_path;
  const std::string bad_sha = parse_error(
      R"([{"name": "a", "files": [{"repo": "o/r", "path": "f", "bytes": 1, "sha256": "XYZ"}]}])");
  EXPECT_NE(bad_sha.find("models[0].files[0].sha256"), std::string::npos) << bad_sha;
  EXPECT_NE(parse_error(R"([{"name": "a", "files": [{"repo": "o/r", "path": "f", "bytes": -1}]}])")
                .find("must be >= 0, got -1"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"name": "a", "files": [{"repo": "o/r", "path": "f"}]}])")
                .find("models[0].files[0].bytes"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"name": "a", "files": [{"repo": "o/r", "path": "config.json",
                             "bytes": 1}]}])")
                .find("reserved"),
            std::string::npos);
  EXPECT_NE(parse_error(R"([{"name": "a", "files": [{"repo": "o/r", "path": "f", "bytes": 1}]},
                            {"name": "a", "files": [{"repo": "o/r", "path": "f", "bytes": 1}]}])")
                .find("listed twice"),
            std::string::npos);
}

TEST(ModelCatalog, ModelsDirPrecedence) {
  ScopedEnv home("HOME", "/home/someone");
  {
    ScopedEnv m("KINO_MODELS_DIR", nullptr);
    ScopedEnv x("XDG_DATA_HOME", nullptr);
    EXPECT_EQ(models_dir(), fs::path("/home/someone/.local/share/kino/models"));
    ScopedEnv x2("XDG_DATA_HOME", "/data");
    EXPECT_EQ(models_dir(), fs::path("/data/kino/models"));
    ScopedEnv m2("KINO_MODELS_DIR", "/srv/models");
    EXPECT_EQ(models_dir(), fs::path("/srv/models"));
  }
}

TEST(ModelCatalog, StatusAndDefaultModel) {
  kino::testing::TestDir dir("catalog");
  ScopedEnv env("KINO_MODELS_DIR", dir.path().c_str());
  EXPECT_FALSE(default_model_path().has_value());

  const CatalogModel& model = *model_catalog_find("wan2.2-ti2v-5b");
  const fs::path mdir = dir.path() / model.name;
  fs::create_directories(mdir);
  EXPECT_EQ(model_catalog_status(model, mdir).state, ModelState::absent);
  write_all(mdir / (model.files[0].name + ".part"), "abc");
  CatalogModelStatus st = model_catalog_status(model, mdir);
  EXPECT_EQ(st.state, ModelState::partial);
  EXPECT_TRUE(st.files[0].partial);
  EXPECT_EQ(st.bytes_present, 3);
  fs::remove(mdir / (model.files[0].name + ".part"));

  // Tiny stand-ins for the weights, recorded in a manifest.
  Json manifest = {{"model", model.name}, {"files", Json::object()}};
  for (const auto& f : model.files) {
    write_all(mdir / f.name, "weights of " + f.name);
    manifest["files"][f.name] = {{"bytes", int64_t(("weights of " + f.name).size())},
                                 {"sha256", sha256_file(mdir / f.name)}};
  }
  // Files without a manifest entry are not counted as installed.
  EXPECT_EQ(model_catalog_status(model, mdir).state, ModelState::partial);
  EXPECT_NE(model_catalog_status(model, mdir).files[0].problem.find(kModelManifestName),
            std::string::npos);
  write_all(mdir / kModelManifestName, manifest.dump());
  write_all(mdir / "config.json", model.config.dump());
  // Recorded, but not the published size: never installed.
  st = model_catalog_status(model, mdir);
  EXPECT_EQ(st.state, ModelState::partial);
  EXPECT_NE(st.files[0].problem.find("catalog's " + std::to_string(model.files[0].bytes)),
            std::string::npos)
      << st.files[0].problem;
  EXPECT_FALSE(default_model_path().has_value());

  // A catalog entry that publishes these stand-ins' sizes and digests: installed, and --verify
  // compares the files with the catalog's sha256 (not the manifest's).
  CatalogModel standin = model;
  for (auto& f : standin.files) {
    f.bytes = int64_t(fs::file_size(mdir / f.name));
    f.sha256 = sha256_file(mdir / f.name);
  }
  EXPECT_EQ(model_catalog_status(standin, mdir, /*verify=*/true).state, ModelState::installed);
  write_all(mdir / standin.files[2].name, "weights of ?" + standin.files[2].name.substr(1));
  st = model_catalog_status(standin, mdir, /*verify=*/true);
  EXPECT_EQ(st.state, ModelState::partial);
  EXPECT_NE(st.files[2].problem.find("differs from " + standin.files[2].sha256),
            std::string::npos)
      << st.files[2].problem;

  // default_model_path() looks at the built-in catalog: files of the published sizes (sparse,
  // so nothing is written) recorded in the manifest make the model the default.
  for (const auto& f : model.files) {
    fs::resize_file(mdir / f.name, uintmax_t(f.bytes));
    manifest["files"][f.name]["bytes"] = f.bytes;
  }
  write_all(mdir / kModelManifestName, manifest.dump());
  EXPECT_EQ(model_catalog_status(model, mdir).state, ModelState::installed);
  EXPECT_EQ(default_model_path(), mdir);

  // A damaged manifest makes the files unverified, never an exception.
  write_all(mdir / kModelManifestName, "{not json");
  EXPECT_EQ(model_catalog_status(model, mdir).state, ModelState::partial);
  EXPECT_FALSE(default_model_path().has_value());
}

TEST(ModelCatalog, BuiltinModelIsFoundByEnvironmentOrNotAtAll) {
  kino::testing::TestDir dir("builtin");
  const fs::path tiny = dir.path() / "kino-tiny";
  fs::create_directories(tiny);
  {
    ScopedEnv env("KINO_BUILTIN_MODEL", tiny.c_str());
    EXPECT_FALSE(builtin_model_path().has_value());  // no config.json
    write_all(tiny / "config.json", "{}");
    EXPECT_EQ(builtin_model_path(), tiny);
    // An installed catalog model comes first; without one the built-in model is used.
    ScopedEnv models("KINO_MODELS_DIR", (dir.path() / "none").c_str());
    EXPECT_EQ(model_to_use(), tiny);
  }
  ScopedEnv none("KINO_BUILTIN_MODEL", "none");
  EXPECT_FALSE(builtin_model_path().has_value());
}

TEST(ModelCatalog, StateNames) {
  EXPECT_EQ(model_state_name(ModelState::installed), "installed");
  EXPECT_EQ(model_state_name(ModelState::partial), "partial");
  EXPECT_EQ(model_state_name(ModelState::absent), "absent");
}

}  // namespace
}  // namespace kino::gen
