#include "gen/train_export.h"

#include <fstream>
#include <set>

#include "core/error.h"
#include "core/json.h"
#include "gen/model_defaults.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/tensor_io.h"
#include "gen/train_model.h"
#include "gen/wan_vae.h"
#include "scenes/scenes.h"

namespace kino::gen {
namespace fs = std::filesystem;
namespace {

fs::path only_vae_file(const fs::path& p) {
  if (fs::is_regular_file(p)) return p;
  const ModelFolder f = model_folder_scan(p);
  if (f.vae_files.size() != 1)
    fail_bad_request("train export: " + p.string() + " must hold exactly one VAE file");
  return f.vae_files.front();
}

// The words of every caption the data set can produce: the train split's over many scenes
// (templates, synonyms, colours, shapes, motions, backgrounds) and the held-out split's.
std::vector<std::string> caption_words(uint64_t seed) {
  std::set<std::string> words;
  auto add = [&](scenes::SceneSplit split, int64_t count) {
    for (int64_t i = 0; i < count; ++i)
      for (const auto& c : scenes::scene_captions(scenes::scene_sample(seed, i, split)))
        for (auto& w : prompt_words(c)) words.insert(std::move(w));
  };
  add(scenes::SceneSplit::train, 20000);
  add(scenes::SceneSplit::held_out, 2000);
  return {words.begin(), words.end()};
}

// The tensors of a safetensors file, floating-point ones cast to `dtype`.
std::vector<std::pair<std::string, at::Tensor>> tensors_as(const fs::path& file,
                                                           at::ScalarType dtype) {
  std::vector<std::pair<std::string, at::Tensor>> list;
  for (const auto& [name, t] : safetensors_read_all(file))
    list.emplace_back(name, t.is_floating_point() ? t.to(dtype) : t);
  return list;
}

void convert(const fs::path& from, const fs::path& to, at::ScalarType dtype,
             const std::map<std::string, std::string>& extra_metadata = {}) {
  const auto list = tensors_as(from, dtype);
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"kino", "kino-tiny"}};
  for (const auto& [k, v] : extra_metadata) metadata[k] = v;
  safetensors_write(to, list, metadata);
}

// The latent statistics the DiT was trained with: those in its checkpoint's VAE file.
std::map<std::string, std::string> latent_stats_of(const fs::path& vae_file) {
  std::map<std::string, std::string> out;
  const auto file = SafetensorsFile::open(vae_file);
  const auto& metadata = file->metadata();
  for (const char* key : {kVaeLatentMeanKey, kVaeLatentStdKey})
    if (auto it = metadata.find(key); it != metadata.end()) out[key] = it->second;
  return out;
}

fs::path fresh_part(const fs::path& out) {
  const fs::path part = out.string() + ".part";
  std::error_code ec;
  fs::remove_all(part, ec);
  fs::create_directories(part, ec);
  if (ec) fail(ErrorCode::internal, "cannot create " + part.string() + ": " + ec.message());
  return part;
}

// Replaces `out` with the finished `part`; returns the bytes of the files in it.
int64_t put_in_place(const fs::path& part, const fs::path& out) {
  std::error_code ec;
  fs::remove_all(out, ec);
  fs::rename(part, out, ec);
  if (ec) fail(ErrorCode::internal, "cannot rename " + part.string() + ": " + ec.message());
  int64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file()) bytes += int64_t(e.file_size());
  return bytes;
}

}  // namespace

TrainKeepReport train_keep(const fs::path& run, const fs::path& out, at::ScalarType dtype) {
  if (out.empty()) fail_bad_request("train keep: --out must be given");
  const fs::path ck = run / "checkpoint";
  if (!fs::is_regular_file(ck / "trainer.json"))
    fail_bad_request("train keep: " + run.string() +
                     " is not a `kino train` run folder with a checkpoint");
  TrainKeepReport report;
  report.step = json_read_file(ck / "trainer.json").value("step", int64_t(0));
  const fs::path part = fresh_part(out);
  fs::create_directories(part / "checkpoint");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ck)) {
    const fs::path name = e.path().filename();
    if (name == "optimizer.state" || name == "weights.state" || !e.is_regular_file()) continue;
    if (name.extension() == ".safetensors") {
      safetensors_write(part / "checkpoint" / name, tensors_as(e.path(), dtype),
                        SafetensorsFile::open(e.path())->metadata());
    } else {
      fs::copy_file(e.path(), part / "checkpoint" / name, ec);
    }
    if (ec) fail(ErrorCode::internal, "cannot copy " + e.path().string() + ": " + ec.message());
  }
  for (const char* f : {"log.csv", "summary.txt"}) {
    if (!fs::is_regular_file(run / f)) continue;
    fs::copy_file(run / f, part / f, ec);
    if (ec) fail(ErrorCode::internal, "cannot copy " + (run / f).string() + ": " + ec.message());
  }
  report.bytes = put_in_place(part, out);
  return report;
}

TrainExportReport train_export(const TrainExportOptions& o) {
  if (o.out.empty()) fail_bad_request("train export: --out must be given");
  const fs::path config_file = o.dit / "config.json", trainer_file = o.dit / "trainer.json";
  if (!fs::is_regular_file(trainer_file) || !fs::is_regular_file(config_file))
    fail_bad_request("train export: " + o.dit.string() +
                     " is not a checkpoint of `kino train dit` (no trainer.json or config.json)");
  const Json trainer = json_read_file(trainer_file);
  if (trainer.value("stage", "") != "dit")
    fail_bad_request("train export: " + o.dit.string() + " is a checkpoint of the " +
                     trainer.value("stage", std::string("?")) + " stage, not of dit");
  Json config = json_read_file(config_file);
  if (!config.contains("kino") || !config["kino"].is_object())
    fail_bad_request("train export: " + config_file.string() + " has no \"kino\" block");

  const fs::path trained_vae = only_vae_file(o.dit);
  const fs::path vae = o.vae.empty() ? trained_vae : only_vae_file(o.vae);
  if (vae != trained_vae) {
    const auto a = safetensors_read_all(trained_vae), b = safetensors_read_all(vae);
    for (const auto& [name, t] : a) {
      if (!tiny_vae_encoder_side(name)) continue;
      auto it = b.find(name);
      if (it == b.end() || !it->second.sizes().equals(t.sizes()) ||
          !at::equal(it->second.to(at::kFloat), t.to(at::kFloat)))
        fail_bad_request("train export: the encoder of " + vae.string() +
                         " is not the one the DiT was trained with (" + name +
                         " differs): train it with --freeze-encoder from that VAE");
    }
  }

  TrainExportReport report;
  const std::vector<std::string> words = caption_words(trainer.value("seed", uint64_t(1)));
  report.words = int64_t(words.size());
  config["kino"]["words"] = words;

  const fs::path part = fresh_part(o.out);
  std::error_code ec;
  {
    std::ofstream out(part / "config.json", std::ios::binary);
    out << config.dump(2) << "\n";
    out.close();
    if (!out) fail(ErrorCode::internal, "cannot write " + (part / "config.json").string());
  }
  convert(o.dit / kTinyDitFile, part / kTinyDitFile, o.dtype);
  convert(o.dit / kTinyUmt5File, part / kTinyUmt5File, o.dtype);
  // A decoder trained further (--vae) goes out with the statistics the DiT was trained with.
  convert(vae, part / kTinyVaeFile, o.dtype, latent_stats_of(trained_vae));
  fs::copy_file(o.dit / "spiece.model", part / "spiece.model", ec);
  if (ec) fail(ErrorCode::internal, "cannot copy the tokenizer: " + ec.message());

  report.bytes = put_in_place(part, o.out);
  return report;
}

}  // namespace kino::gen
