#include "gen/spm_library.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/error.h"

namespace kino::gen {
namespace {

std::vector<std::string> candidate_paths() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("KINO_SPM_MODULE"); env && *env) out.emplace_back(env);
#ifdef KINO_SPM_MODULE_PATH
  out.emplace_back(KINO_SPM_MODULE_PATH);
#endif
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back((exe.parent_path() / "libkino_spm.so").string());
  return out;
}

template <typename F>
void bind(void* handle, const char* name, F* fn, std::string* missing) {
  *fn = reinterpret_cast<F>(dlsym(handle, name));
  if (!*fn) *missing += std::string(missing->empty() ? "" : ", ") + name;
}

}  // namespace

const SpmLibrary& spm_library() {
  static std::mutex mu;
  static SpmLibrary lib{};
  static bool loaded = false;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded) return lib;
  std::string tried;
  for (const auto& path : candidate_paths()) {
    if (!std::filesystem::exists(path)) {
      tried += (tried.empty() ? "" : "; ") + path + " (absent)";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
      const char* err = dlerror();
      tried += (tried.empty() ? "" : "; ") + path + " (" + (err ? err : "dlopen failed") + ")";
      continue;
    }
    std::string missing;
    bind(handle, "kino_spm_load", &lib.load, &missing);
    bind(handle, "kino_spm_free", &lib.free, &missing);
    bind(handle, "kino_spm_encode", &lib.encode, &missing);
    bind(handle, "kino_spm_eos_id", &lib.eos_id, &missing);
    bind(handle, "kino_spm_piece_size", &lib.piece_size, &missing);
    if (!missing.empty()) {
      tried += (tried.empty() ? "" : "; ") + path + " (lacks " + missing + ")";
      dlclose(handle);
      continue;
    }
    loaded = true;
    return lib;
  }
  fail(ErrorCode::unavailable, "the tokenizer module libkino_spm.so could not be loaded: " + tried);
}

}  // namespace kino::gen
